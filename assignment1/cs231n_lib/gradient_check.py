"""Numerical gradients, to check the analytic gradients of the losses.

Each check returns its error, so that a notebook or a test can assert on it
instead of judging printed numbers by eye.
"""

from __future__ import annotations

import numpy as np

from ._validation import check_positive_int, check_rng

__all__ = [
    "eval_numerical_gradient",
    "eval_numerical_gradient_array",
    "grad_check_array",
    "grad_check_sparse",
    "rel_error",
]


def rel_error(x, y):
    """Largest relative error between ``x`` and ``y``: ``max |x - y| / (|x| + |y|)``.

    Entries where both are zero count as no error, so the result is never NaN.

    Parameters
    ----------
    x, y : array_like of the same shape

    Returns
    -------
    float
        Between 0 (``x`` and ``y`` equal) and 1 (since ``|x - y| <= |x| + |y|``), which
        it reaches where the signs differ or one of the two is 0.

    Examples
    --------
    >>> rel_error([1.0, 2.0], [1.0, 2.0])
    0.0
    >>> rel_error([1.0, 0.0], [1.1, 0.0])  # 0.1 / 2.1; the 0 entries count as no error
    0.047619...
    >>> rel_error([1.0], [-1.0])
    1.0
    """
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    if x.shape != y.shape:
        raise ValueError(f"Expected x and y of the same shape, got {x.shape} and {y.shape}.")
    num = np.abs(x - y)
    den = np.abs(x) + np.abs(y)
    # Where both are 0 the error is 0; np.divide's `where` leaves those entries at 0.
    ratio = np.divide(num, den, out=np.zeros_like(num), where=den > 0)
    return float(np.max(ratio)) if ratio.size else 0.0


def _centred_difference(f, x, ix, h):
    """(f(x + h e_ix) - f(x - h e_ix)) / 2h, restoring x[ix] even when f raises."""
    old = x[ix]
    try:
        x[ix] = old + h
        fxph = f(x)
        x[ix] = old - h
        fxmh = f(x)
    finally:
        x[ix] = old
    return (fxph - fxmh) / (2 * h)


def eval_numerical_gradient(f, x, h=1e-5, verbose=False):
    """The gradient of a scalar function by centred differences.

    Parameters
    ----------
    f : callable
        ``f(x)`` returns a float. It is called 2 * x.size times.
    x : ndarray of floats
        The point. It is changed in place during the evaluation and restored
        afterwards, also when ``f`` raises.
    h : float, default=1e-5
        The step.
    verbose : bool, default=False
        Print each index and its partial derivative.

    Returns
    -------
    grad : ndarray of the same shape as x
    """
    _check_float_array(x)
    grad = np.zeros_like(x, dtype=np.float64)
    for ix in np.ndindex(x.shape):
        grad[ix] = _centred_difference(f, x, ix, h)
        if verbose:
            print(ix, grad[ix])
    return grad


def eval_numerical_gradient_array(f, x, df, h=1e-5):
    """The gradient that a backward pass should return, by centred differences.

    For a layer ``out = f(x)`` and an upstream gradient ``df`` (d loss / d out), the
    chain rule gives ``dx[i] = sum_j df[j] * d out[j] / d x[i]``: the upstream
    gradient times the layer's local derivative. This estimates each ``d out / d x[i]``
    by a centred difference and returns that sum.

    Parameters
    ----------
    f : callable
        ``f(x)`` returns an array (the layer's output). It is called 2 * x.size times.
    x : ndarray of floats
        The input; changed in place during the evaluation and restored afterwards.
    df : ndarray of the shape of f(x)
        The upstream gradient.
    h : float, default=1e-5

    Returns
    -------
    dx : ndarray of the shape of x
    """
    _check_float_array(x)
    df = np.asarray(df, dtype=np.float64)
    grad = np.zeros_like(x, dtype=np.float64)
    for ix in np.ndindex(x.shape):
        slope = _centred_difference(lambda v: np.array(f(v), dtype=np.float64), x, ix, h)
        if slope.shape != df.shape:
            raise ValueError(
                f"Expected df of the shape of f(x) {slope.shape}, got {df.shape}. Pass the "
                "upstream gradient of the layer's output."
            )
        grad[ix] = np.sum(slope * df)
    return grad


def grad_check_array(f, x, df, analytic_dx, h=1e-5, verbose=False):
    """Compare a backward pass with :func:`eval_numerical_gradient_array`.

    Parameters
    ----------
    f : callable
        ``f(x)`` returns the layer's output for input ``x``.
    x : ndarray of floats
        The input; changed during the check and restored afterwards.
    df : ndarray of the shape of f(x)
        The upstream gradient given to the backward pass.
    analytic_dx : ndarray of the shape of x
        What the backward pass returned for ``df``.
    h : float, default=1e-5
    verbose : bool, default=False
        Print the largest relative error.

    Returns
    -------
    float
        The largest relative error between the numerical and the analytic gradient
        (:func:`rel_error`). Around 1e-8 or less means the backward pass is right. A
        kink within ``h`` of an input (ReLU at 0) can make one entry disagree even
        when the code is right: keep inputs away from kinks rather than loosening the
        tolerance.
    """
    analytic_dx = np.asarray(analytic_dx)
    if analytic_dx.shape != np.shape(x):
        raise ValueError(
            f"Expected analytic_dx of the shape of x {np.shape(x)}, got "
            f"{analytic_dx.shape}. A backward pass returns each gradient with the shape "
            "of its input."
        )
    numerical = eval_numerical_gradient_array(f, x, df, h)
    error = rel_error(numerical, analytic_dx)
    if verbose:
        print(f"largest relative error: {error:e}")
    return error


def grad_check_sparse(f, x, analytic_grad, num_checks=10, h=1e-5, rng=None, verbose=True):
    """Compare an analytic gradient with centred differences at a few random entries.

    Parameters
    ----------
    f : callable
        ``f(x)`` returns a float.
    x : ndarray of floats
        The point; changed during the check and restored afterwards.
    analytic_grad : ndarray of the same shape as x
        The gradient to check.
    num_checks : int, default=10
        How many entries to check.
    h : float, default=1e-5
    rng : None, int or numpy.random.Generator
        Picks the entries; ``None`` means seed 0.
    verbose : bool, default=True
        Print ``numerical: ... analytic: ..., relative error: ...`` for each check.

    Returns
    -------
    float
        The largest relative error over the checked entries. Around 1e-7 or
        less means the gradient is right; a kink in the function (such as the
        hinge of the SVM loss) can make a single entry disagree.
    """
    _check_float_array(x)
    analytic_grad = np.asarray(analytic_grad)
    if analytic_grad.shape != x.shape:
        raise ValueError(
            f"Expected analytic_grad of the same shape as x {x.shape}, got "
            f"{analytic_grad.shape}. Return dW with the shape of W."
        )
    num_checks = check_positive_int(num_checks, "num_checks")
    rng = check_rng(rng)
    worst = 0.0
    for _ in range(num_checks):
        ix = tuple(int(rng.integers(n)) for n in x.shape)
        numerical = float(_centred_difference(f, x, ix, h))
        analytic = float(analytic_grad[ix])
        error = rel_error(numerical, analytic)
        worst = max(worst, error)
        if verbose:
            print(f"numerical: {numerical:f} analytic: {analytic:f}, relative error: {error:e}")
    return worst


def _check_float_array(x):
    if not isinstance(x, np.ndarray) or not np.issubdtype(x.dtype, np.floating):
        got = type(x).__name__ if not isinstance(x, np.ndarray) else f"dtype {x.dtype}"
        raise TypeError(
            f"Expected x to be a floating-point ndarray (it is changed in place), got "
            f"{got}. Pass np.asarray(x, dtype=np.float64)."
        )
