"""The layers of a neural network, each a forward function and its backward twin.

One cache convention for every layer:

- ``out, cache = <layer>_forward(inputs...)`` computes the layer's output and keeps in
  ``cache`` whatever the backward pass will need (what exactly is the layer's own
  business: the inputs, the output, a mask...);
- ``d_inputs... = <layer>_backward(dout, cache)`` takes the *upstream gradient*
  ``dout``, the gradient of the loss with respect to ``out`` (same shape as ``out``),
  and returns the gradient of the loss with respect to each input of the forward
  call, in the same order. It is the chain rule: upstream gradient times the layer's
  local derivative.

The losses on scores end the chain: ``loss, dscores = softmax_loss(scores, y)``.

Shapes: N examples, D input features, H hidden units, C classes.
"""

from __future__ import annotations

import numpy as np

from .._validation import check_affine_inputs, check_scores_labels, check_upstream

__all__ = [
    "affine_backward",
    "affine_forward",
    "affine_relu_backward",
    "affine_relu_forward",
    "relu_backward",
    "relu_forward",
    "softmax_loss",
    "svm_loss",
]


def affine_forward(x, w, b):
    """The affine (fully connected) layer ``out = x @ w + b``.

    Parameters
    ----------
    x : ndarray of shape (N, D)
        Inputs, one row per example.
    w : ndarray of shape (D, H)
        Weights.
    b : ndarray of shape (H,)
        Biases, one per output.

    Returns
    -------
    out : ndarray of shape (N, H)
    cache : object
        What :func:`affine_backward` needs.
    """
    x, w, b = check_affine_inputs(x, w, b)
    # TODO: compute the output; keep in cache what the backward pass needs.
    ### BEGIN SOLUTION
    out = x @ w + b  # (N, H); b is broadcast over the rows
    cache = (x, w)
    ### END SOLUTION
    return out, cache


def affine_backward(dout, cache):
    """The backward pass of :func:`affine_forward`.

    Parameters
    ----------
    dout : ndarray of shape (N, H)
        Upstream gradient: d loss / d out.
    cache : object
        From the matching :func:`affine_forward` call.

    Returns
    -------
    dx : ndarray of shape (N, D)
    dw : ndarray of shape (D, H)
    db : ndarray of shape (H,)
    """
    # TODO: the gradients with respect to x, w and b. Each has the shape of what it
    # is the gradient of; every example contributes to dw and db.
    ### BEGIN SOLUTION
    x, w = cache
    dout = check_upstream(dout, (x.shape[0], w.shape[1]), "affine_forward")
    dx = dout @ w.T  # (N, D)
    dw = x.T @ dout  # (D, H), in C order like w: the update w - lr * dw stays contiguous
    db = dout.sum(axis=0)  # (H,): b is added to every row, so every row's gradient counts
    ### END SOLUTION
    return dx, dw, db


def relu_forward(x):
    """The rectified linear unit ``out = max(0, x)``, element-wise.

    Parameters
    ----------
    x : ndarray of any shape

    Returns
    -------
    out : ndarray of the shape of x
    cache : object
        What :func:`relu_backward` needs.
    """
    x = np.asarray(x)
    # TODO: compute the output; keep in cache what the backward pass needs.
    ### BEGIN SOLUTION
    out = np.maximum(x, 0)
    cache = x
    ### END SOLUTION
    return out, cache


def relu_backward(dout, cache):
    """The backward pass of :func:`relu_forward`.

    ReLU has no derivative at 0 (its kink). We use 0 there, as most libraries do: an
    input of exactly 0 passes no gradient back.

    Parameters
    ----------
    dout : ndarray of the shape of x
        Upstream gradient: d loss / d out.
    cache : object
        From the matching :func:`relu_forward` call.

    Returns
    -------
    dx : ndarray of the shape of x
    """
    # TODO: the gradient with respect to x: dout where x > 0, and 0 elsewhere
    # (x = 0 included).
    ### BEGIN SOLUTION
    x = cache
    dout = check_upstream(dout, x.shape, "relu_forward")
    dx = np.where(x > 0, dout, 0.0)
    ### END SOLUTION
    return dx


def affine_relu_forward(x, w, b):
    """An affine layer followed by a ReLU: ``out = max(0, x @ w + b)``.

    Parameters
    ----------
    x : ndarray of shape (N, D)
    w : ndarray of shape (D, H)
    b : ndarray of shape (H,)

    Returns
    -------
    out : ndarray of shape (N, H)
    cache : object
        What :func:`affine_relu_backward` needs.
    """
    # TODO: chain affine_forward and relu_forward; keep both caches.
    ### BEGIN SOLUTION
    a, fc_cache = affine_forward(x, w, b)
    out, relu_cache = relu_forward(a)
    cache = (fc_cache, relu_cache)
    ### END SOLUTION
    return out, cache


def affine_relu_backward(dout, cache):
    """The backward pass of :func:`affine_relu_forward`.

    Parameters
    ----------
    dout : ndarray of shape (N, H)
    cache : object
        From the matching :func:`affine_relu_forward` call.

    Returns
    -------
    dx : ndarray of shape (N, D)
    dw : ndarray of shape (D, H)
    db : ndarray of shape (H,)
    """
    # TODO: the two backward passes, in the reverse order of the forward ones.
    ### BEGIN SOLUTION
    fc_cache, relu_cache = cache
    da = relu_backward(dout, relu_cache)
    dx, dw, db = affine_backward(da, fc_cache)
    ### END SOLUTION
    return dx, dw, db


def softmax_loss(scores, y):
    """The softmax (cross-entropy) loss of scores, averaged over the examples.

    Parameters
    ----------
    scores : ndarray of shape (N, C)
        ``scores[i, c]`` is the score of class c for example i.
    y : ndarray of shape (N,)
        Labels, ``0 <= y[i] < C``.

    Returns
    -------
    loss : float
        The mean over the examples of ``-log(softmax(scores[i])[y[i]])``.
    dscores : ndarray of shape (N, C)
        d loss / d scores.
    """
    scores, y = check_scores_labels(scores, y)
    # TODO: the loss and its gradient, without a loop. Subtract each row's largest
    # score first (it changes no probability, and exp() can no longer overflow). The
    # loss is a mean over the N examples: so is its gradient.
    ### BEGIN SOLUTION
    num_examples = scores.shape[0]
    rows = np.arange(num_examples)
    shifted = scores - scores.max(axis=1, keepdims=True)  # every exponent <= 0
    exp_scores = np.exp(shifted)
    exp_sums = exp_scores.sum(axis=1)  # (N,), each >= 1
    loss = float(np.mean(np.log(exp_sums) - shifted[rows, y]))
    dscores = exp_scores / exp_sums[:, None]  # the probabilities, (N, C)
    dscores[rows, y] -= 1.0
    dscores /= num_examples
    ### END SOLUTION
    return loss, dscores


def svm_loss(scores, y):
    """The multiclass SVM (hinge) loss of scores, margin 1, averaged over the examples.

    Parameters
    ----------
    scores : ndarray of shape (N, C)
    y : ndarray of shape (N,)
        Labels, ``0 <= y[i] < C``.

    Returns
    -------
    loss : float
        The mean over the examples of ``sum_{j != y[i]} max(0, s_j - s_y + 1)``.
    dscores : ndarray of shape (N, C)
        d loss / d scores (0 where a margin is exactly 0).
    """
    scores, y = check_scores_labels(scores, y)
    # TODO: the loss and its gradient, without a loop, as in svm_loss_vectorized but
    # with respect to the scores.
    ### BEGIN SOLUTION
    num_examples = scores.shape[0]
    rows = np.arange(num_examples)
    margins = np.maximum(0.0, scores - scores[rows, y][:, None] + 1.0)  # (N, C)
    margins[rows, y] = 0.0
    loss = float(margins.sum() / num_examples)
    dscores = (margins > 0).astype(scores.dtype)
    dscores[rows, y] = -dscores.sum(axis=1)
    dscores /= num_examples
    ### END SOLUTION
    return loss, dscores
