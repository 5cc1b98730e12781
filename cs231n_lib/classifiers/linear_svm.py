"""The multiclass SVM (hinge) loss and its gradient, naive and vectorized.

For one example with scores ``s = x @ W`` and correct class ``y``, the loss is
``sum over j != y of max(0, s_j - s_y + delta)`` with ``delta = 1``. The data
loss is averaged over the N examples, and the regularization ``reg * sum(W * W)``
is added (no factor 1/2, so its gradient is ``2 * reg * W``).

Two options follow the lecture: ``squared_hinge=True`` squares each margin,
``max(0, s_j - s_y + delta)^2``, which punishes large violations much more than
small ones; ``regularizer`` chooses the penalty ("l2", "l1" or "elastic_net", see
:mod:`.regularization`).
"""

from __future__ import annotations

import numpy as np

from .._validation import check_loss_inputs, check_regularizer_nested
from .regularization import regularization_penalty

__all__ = ["svm_loss_naive", "svm_loss_vectorized"]

DELTA = 1.0


def svm_loss_naive(W, X, y, reg, *, squared_hinge=False, regularizer="l2", beta=1.0):
    """Multiclass SVM loss and gradient, with explicit loops over examples and classes.

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
    squared_hinge : bool, default=False
        Square each positive margin: ``max(0, s_j - s_y + delta)^2``.
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
    # TODO: for each example i and each class j != y[i], add the margin
    # max(0, s_j - s_{y_i} + DELTA) to the loss and, where the margin is positive,
    # add X[i] to column j of dW and subtract it from column y[i]. With squared_hinge,
    # add margin**2 instead, and its derivative 2 * margin (not 1) times X[i]. Then
    # average the loss and dW over the examples and add the regularization:
    # regularization_penalty(W, reg, regularizer, beta) returns it and its gradient.
    ### BEGIN SOLUTION
    for i in range(num_train):
        scores = X[i] @ W  # (C,)
        correct_class_score = scores[y[i]]
        for j in range(num_classes):
            if j == y[i]:
                continue
            margin = scores[j] - correct_class_score + DELTA
            if margin > 0:
                loss += margin**2 if squared_hinge else margin
                slope = 2 * margin if squared_hinge else 1.0  # d loss / d margin
                dW[:, j] += slope * X[i]
                dW[:, y[i]] -= slope * X[i]
    loss /= num_train
    dW /= num_train
    penalty, dpenalty = regularization_penalty(W, reg, regularizer, beta)
    loss += penalty
    dW += dpenalty
    ### END SOLUTION
    return float(loss), dW


def svm_loss_vectorized(W, X, y, reg, *, squared_hinge=False, regularizer="l2", beta=1.0):
    """Multiclass SVM loss and gradient, without a Python loop.

    Same inputs and outputs as :func:`svm_loss_naive`.

    Examples
    --------
    The lecture's three images: with ``X`` the identity, the scores are ``W`` itself, and
    the loss is the mean of the lecture's 2.9, 0 and 12.9.

    >>> from cs231n_lib.toy_data import LECTURE_LABELS, LECTURE_SCORES
    >>> loss, dW = svm_loss_vectorized(LECTURE_SCORES, np.eye(3), LECTURE_LABELS, reg=0.0)
    >>> round(loss, 4)
    5.2667
    """
    W, X, y, reg = check_loss_inputs(W, X, y, reg)
    regularizer, beta = check_regularizer_nested(regularizer, beta)
    num_train = X.shape[0]
    loss = 0.0
    dW = np.zeros_like(W)
    # TODO: compute the loss and the gradient without any loop. Compute the scores
    # with one matrix product, then the margins of all examples at once (the correct
    # class gets margin 0). For the gradient, build an (N, C) matrix of how much each
    # score moves the loss, and multiply it with X.T: one more matrix product. With
    # squared_hinge, the loss sums the squared margins and each positive margin moves
    # it by 2 * margin. Add the regularization: regularization_penalty(W, reg,
    # regularizer, beta) returns it and its gradient.
    ### BEGIN SOLUTION
    rows = np.arange(num_train)
    scores = X @ W  # (N, C)
    margins = scores - scores[rows, y][:, None]  # (N, C)
    margins += DELTA
    margins[rows, y] = 0.0
    np.maximum(margins, 0.0, out=margins)
    if squared_hinge:
        data_loss = np.sum(margins * margins) / num_train
        # d loss / d scores: 2 * margin for each positive margin, minus their sum for y.
        dscores = 2 * margins  # (N, C)
    else:
        data_loss = margins.sum() / num_train
        # d loss / d scores: +1 for each positive margin, minus their count for y.
        dscores = (margins > 0).astype(scores.dtype)  # (N, C)
    dscores[rows, y] = -dscores.sum(axis=1)
    dscores /= num_train
    # dW = X.T @ dscores, computed as (dscores.T @ X).T: the same product, but BLAS
    # reads the C-ordered X row by row, which is about 3x faster here.
    dW = (dscores.T @ X).T  # (D, C)

    penalty, dpenalty = regularization_penalty(W, reg, regularizer, beta)
    loss = data_loss + penalty
    dW += dpenalty
    ### END SOLUTION
    return float(loss), dW
