"""The softmax (cross-entropy) loss and its gradient, naive and vectorized.

For one example with scores ``s = x @ W`` and correct class ``y``, the loss is
``-log(exp(s_y) / sum_j exp(s_j))``. The data loss is averaged over the N
examples, and the regularization ``reg * sum(W * W)`` is added (no factor 1/2,
so its gradient is ``2 * reg * W``). ``regularizer`` chooses another penalty
("l1" or "elastic_net", see :mod:`.regularization`).
"""

from __future__ import annotations

import numpy as np

from .._validation import check_loss_inputs, check_regularizer_nested
from .regularization import regularization_penalty

__all__ = ["softmax_loss_naive", "softmax_loss_vectorized"]


def softmax_loss_naive(W, X, y, reg, *, regularizer="l2", beta=1.0):
    """Softmax loss and gradient, with explicit loops over examples and classes.

    Parameters
    ----------
    W : ndarray of shape (D, C)
        Weights.
    X : ndarray of shape (N, D)
        A minibatch of N examples.
    y : ndarray of shape (N,)
        Labels, ``0 <= y[i] < C``.
    reg : float
        Regularization strength.
    regularizer : {"l2", "l1", "elastic_net"}, default="l2"
        The penalty added to the data loss (see :func:`.regularization_penalty`).
    beta : float, default=1.0
        The elastic net's weight of the L2 term.

    Returns
    -------
    loss : float
    dW : ndarray of shape (D, C)
        The gradient of the loss with respect to W.
    """
    W, X, y, reg = check_loss_inputs(W, X, y, reg)
    regularizer, beta = check_regularizer_nested(regularizer, beta)
    num_train, num_classes = X.shape[0], W.shape[1]
    loss = 0.0
    dW = np.zeros(W.shape)
    # TODO: for each example, compute its scores, then the probability of each class
    # and the loss -log(probability of the correct class); the gradient with respect
    # to column j of W is (p_j - [j == y[i]]) * X[i]. Mind numerical stability: the
    # exponential of a score of 1000 overflows. Average over the examples, then add
    # the regularization: regularization_penalty(W, reg, regularizer, beta) returns it
    # and its gradient.
    ### BEGIN SOLUTION
    for i in range(num_train):
        scores = X[i] @ W  # (C,)
        # exp(s_j) / sum_k exp(s_k) does not change when the same constant is
        # subtracted from every score. Subtracting the largest makes every exponent
        # <= 0, so exp() cannot overflow and the sum is at least 1.
        shifted = scores - np.max(scores)
        exp_sum = 0.0
        for j in range(num_classes):
            exp_sum += np.exp(shifted[j])
        # log p_y = shifted_y - log(sum exp): computed without forming p_y, which
        # could underflow to 0 for a very wrong score.
        loss += np.log(exp_sum) - shifted[y[i]]
        for j in range(num_classes):
            p_j = np.exp(shifted[j]) / exp_sum
            dW[:, j] += (p_j - (j == y[i])) * X[i]
    loss /= num_train
    dW /= num_train
    penalty, dpenalty = regularization_penalty(W, reg, regularizer, beta)
    loss += penalty
    dW += dpenalty
    ### END SOLUTION
    return float(loss), dW


def softmax_loss_vectorized(W, X, y, reg, *, regularizer="l2", beta=1.0):
    """Softmax loss and gradient, without a Python loop.

    Same inputs and outputs as :func:`softmax_loss_naive`.

    Examples
    --------
    The lecture's three images (``X`` the identity, so the scores are ``W``): the mean of
    ``-log p(correct class)`` over the three rows.

    >>> from cs231n_lib.toy_data import LECTURE_LABELS, LECTURE_SCORES
    >>> loss, dW = softmax_loss_vectorized(LECTURE_SCORES, np.eye(3), LECTURE_LABELS, reg=0.0)
    >>> round(loss, 4)
    2.7587
    >>> dW.shape
    (3, 3)
    """
    W, X, y, reg = check_loss_inputs(W, X, y, reg)
    regularizer, beta = check_regularizer_nested(regularizer, beta)
    num_train = X.shape[0]
    loss = 0.0
    dW = np.zeros_like(W)
    # TODO: compute the loss and the gradient without any loop: one matrix product
    # for the scores, the probabilities of all examples at once (numerically stable),
    # and one more matrix product with X.T for the gradient. Add the regularization:
    # regularization_penalty(W, reg, regularizer, beta) returns it and its gradient.
    ### BEGIN SOLUTION
    rows = np.arange(num_train)
    scores = X @ W  # (N, C)
    # Subtract each row's largest score: the probabilities do not change, every
    # exponent is <= 0 (no overflow) and each row's sum of exponentials is >= 1, so
    # its log is finite. The loss uses log-sum-exp instead of log(probability), which
    # stays finite even when the correct class's probability underflows to 0.
    scores -= scores.max(axis=1, keepdims=True)
    probs = np.exp(scores)  # (N, C), not yet normalized
    exp_sums = probs.sum(axis=1)  # (N,)
    data_loss = (np.log(exp_sums).sum() - scores[rows, y].sum()) / num_train

    # d loss / d scores = (probabilities - one-hot of the correct class) / N.
    probs *= (1.0 / num_train) / exp_sums[:, None]
    probs[rows, y] -= 1.0 / num_train
    # dW = X.T @ probs, computed as (probs.T @ X).T: the same product, but BLAS
    # reads the C-ordered X row by row, which is about 3x faster here.
    dW = (probs.T @ X).T  # (D, C)

    penalty, dpenalty = regularization_penalty(W, reg, regularizer, beta)
    loss = data_loss + penalty
    dW += dpenalty
    ### END SOLUTION
    return float(loss), dW
