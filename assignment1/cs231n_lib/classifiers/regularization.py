"""Weight penalties added to the data loss of the linear classifiers."""

from __future__ import annotations

__all__ = ["l2_penalty"]


def l2_penalty(W, reg):
    """The L2 penalty ``reg * sum(W * W)`` and its gradient ``2 * reg * W``.

    There is no factor 1/2, as in the course's code.

    Parameters
    ----------
    W : ndarray of shape (D, C)
    reg : float
        Regularization strength.

    Returns
    -------
    penalty : float
    dW : ndarray of shape (D, C)
        The gradient of the penalty, in W's memory order.
    """
    # The flat view in memory order is a view for C- and Fortran-ordered W alike,
    # so the sum of squares is one dot product, without a temporary W * W.
    w = W.ravel(order="K")
    return reg * float(w @ w), (2 * reg) * W
