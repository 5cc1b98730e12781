"""Weight penalties added to the data loss of the linear classifiers.

Three regularizers, chosen by name (:data:`REGULARIZERS`):

- ``"l2"`` (the default): ``reg * sum(W * W)``, gradient ``2 * reg * W``;
- ``"l1"``: ``reg * sum(|W|)``, (sub)gradient ``reg * sign(W)``, 0 where ``W`` is 0;
- ``"elastic_net"``: ``reg * sum(beta * W * W + |W|)``, both at once.

There is no factor 1/2, as in the course's code. :func:`regularization_penalty`
computes the one chosen; the losses and ``LinearClassifier.train`` take
``regularizer`` and ``beta`` and pass them on.
"""

from __future__ import annotations

import numpy as np

from .._validation import REGULARIZERS, check_regularizer_nested

__all__ = [
    "REGULARIZERS",
    "elastic_net_penalty",
    "l1_penalty",
    "l2_penalty",
    "regularization_penalty",
]


def l2_penalty(W, reg):
    """The L2 penalty ``reg * sum(W * W)`` and its gradient ``2 * reg * W``.

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


def l1_penalty(W, reg):
    """The L1 penalty ``reg * sum(|W|)`` and its subgradient ``reg * sign(W)``.

    ``|w|`` has no derivative at ``w = 0``; any value in ``[-reg, reg]`` is a
    subgradient there, and we use 0 (which is what ``np.sign`` gives).

    Parameters
    ----------
    W : ndarray of shape (D, C)
    reg : float
        Regularization strength.

    Returns
    -------
    penalty : float
    dW : ndarray of shape (D, C)
        The subgradient of the penalty, with W's dtype and memory order.
    """
    # TODO: compute the penalty reg * sum(|W|) (a Python float) and its subgradient:
    # reg for a positive weight, -reg for a negative one and 0 for a weight of 0.
    ### BEGIN SOLUTION
    penalty = reg * float(np.abs(W).sum())
    dW = reg * np.sign(W)
    ### END SOLUTION
    return penalty, dW


def elastic_net_penalty(W, reg, beta=1.0):
    """The elastic-net penalty ``reg * sum(beta * W * W + |W|)`` and its subgradient.

    The two terms weigh the same where ``|w| = 1 / beta``: smaller weights are
    pulled to 0 mostly by the L1 term, larger ones shrunk mostly by the L2 term.

    Parameters
    ----------
    W : ndarray of shape (D, C)
    reg : float
        Regularization strength.
    beta : float, default=1.0
        Weight of the L2 term relative to the L1 term; ``>= 0``.

    Returns
    -------
    penalty : float
    dW : ndarray of shape (D, C)
        The subgradient of the penalty (0 from the L1 term where W is 0).
    """
    # TODO: compute the penalty and its subgradient. The penalty is an L2 penalty of
    # strength reg * beta plus an L1 penalty of strength reg: reuse l2_penalty and
    # l1_penalty.
    ### BEGIN SOLUTION
    l2, dl2 = l2_penalty(W, reg * beta)
    l1, dl1 = l1_penalty(W, reg)
    penalty = l2 + l1
    dW = dl2 + dl1
    ### END SOLUTION
    return penalty, dW


def regularization_penalty(W, reg, regularizer="l2", beta=1.0):
    """The penalty named by ``regularizer``, and its (sub)gradient.

    Parameters
    ----------
    W : ndarray of shape (D, C)
    reg : float
        Regularization strength.
    regularizer : {"l2", "l1", "elastic_net"}, default="l2"
    beta : float, default=1.0
        The elastic net's weight of the L2 term; ignored by the others.

    Returns
    -------
    penalty : float
    dW : ndarray of shape (D, C)
    """
    regularizer, beta = check_regularizer_nested(regularizer, beta)
    if regularizer == "l2":
        return l2_penalty(W, reg)
    if regularizer == "l1":
        return l1_penalty(W, reg)
    return elastic_net_penalty(W, reg, beta)
