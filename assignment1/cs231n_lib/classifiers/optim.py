"""Update rules: how one step of gradient descent changes a parameter.

Each rule takes a parameter ``w``, its gradient ``dw`` (same shape) and the rule's
settings, and returns the updated parameter; a rule with a state (momentum's
velocity) also takes and returns that state, so that the caller keeps one per
parameter.
"""

from __future__ import annotations

import numpy as np

from .._validation import check_positive_float

__all__ = ["sgd", "sgd_momentum"]


def _check_update(w, dw, learning_rate):
    w, dw = np.asarray(w), np.asarray(dw)
    if dw.shape != w.shape:
        raise ValueError(
            f"Expected dw of the shape of w {w.shape}, got {dw.shape}. Pass the gradient "
            "of this parameter, not of another one."
        )
    return w, dw, check_positive_float(learning_rate, "learning_rate")


def sgd(w, dw, learning_rate):
    """Vanilla gradient descent: a step against the gradient.

    Parameters
    ----------
    w : ndarray
        A parameter.
    dw : ndarray of the shape of w
        The gradient of the loss with respect to ``w``.
    learning_rate : float
        The size of the step, > 0.

    Returns
    -------
    next_w : ndarray of the shape of w
    """
    w, dw, learning_rate = _check_update(w, dw, learning_rate)
    # TODO: one step of gradient descent.
    raise NotImplementedError(
        "sgd: write the code for the TODO above, in cs231n_lib/classifiers/optim.py."
    )
    return next_w


def sgd_momentum(w, dw, velocity, learning_rate, momentum=0.9):
    """Gradient descent with momentum.

    The velocity is a running sum of past steps, decayed by ``momentum`` at every
    step: ``velocity = momentum * velocity - learning_rate * dw``, then ``w`` moves by
    the velocity. Steps in a consistent direction add up; steps that zig-zag cancel.

    Parameters
    ----------
    w : ndarray
        A parameter.
    dw : ndarray of the shape of w
        Its gradient.
    velocity : ndarray of the shape of w
        The velocity after the previous step: zeros before the first one.
    learning_rate : float
        > 0.
    momentum : float, default=0.9
        ``0 <= momentum < 1``; 0 gives plain :func:`sgd`.

    Returns
    -------
    next_w : ndarray of the shape of w
    next_velocity : ndarray of the shape of w
    """
    w, dw, learning_rate = _check_update(w, dw, learning_rate)
    momentum = check_positive_float(momentum, "momentum", allow_zero=True)
    if momentum >= 1:
        raise ValueError(
            f"Expected 0 <= momentum < 1, got momentum={momentum}: with 1 or more the "
            "velocity never forgets a step and grows without bound. Try 0.9."
        )
    velocity = np.asarray(velocity)
    if velocity.shape != w.shape:
        raise ValueError(
            f"Expected velocity of the shape of w {w.shape}, got {velocity.shape}. Start "
            "from np.zeros_like(w) and pass back the velocity this function returned."
        )
    # TODO: update the velocity, then move w by it.
    raise NotImplementedError(
        "sgd_momentum: write the code for the TODO above, in cs231n_lib/classifiers/optim.py."
    )
    return next_w, next_velocity
