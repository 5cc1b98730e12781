"""Whitening of feature vectors, so that SGD on thousands of correlated features converges.

Minibatch SGD on a linear classifier takes steps no larger than the steepest
direction of the loss allows, and then crawls along the flat ones. With
correlated features (the 6,400 bag-of-words features, say, many of which rise and
fall together) the two differ by orders of magnitude, and SGD stops far from the
minimum: on our JPEG copy of CIFAR-10 it fits 76% of the training images after
78 epochs.
Whitening the features first makes every direction alike, and the same SGD fits
85% in 31 epochs, with a higher validation accuracy.
"""

from __future__ import annotations

import numpy as np
from scipy.linalg import solve_triangular

from .._validation import check_feature_splits, check_positive_float, check_positive_int

__all__ = ["whiten_features"]


def whiten_features(F_train, *F_others, eps=0.01, batch_size=4096):
    """Map features by ``F -> F @ T`` so that the training features are decorrelated.

    With ``M = F_train.T @ F_train / N`` (the second moments, which are the
    covariance after :func:`standardize_features`) and the Cholesky factor
    ``L L^T = M + eps * s * I`` (``s`` the mean of ``diag(M)``), ``T = L^{-T}``
    gives ``T^T M T ~ I``: the whitened training features have unit second moments
    and no correlation, except in the directions of variance below about
    ``eps * s``, which are damped rather than blown up.

    ``T`` is invertible, so a linear classifier on the whitened features can
    represent exactly the same scores as on the original ones (``W = T @ W_white``),
    a column of ones (the bias trick) included; only the geometry that SGD and the
    L2 penalty see changes. The Cholesky factor costs ``F^3 / 3`` operations,
    several times less than the eigendecomposition that ZCA whitening
    (:func:`fit_zca`) needs, which matters for thousands of features.

    Parameters
    ----------
    F_train : ndarray of shape (N, F)
        Training features, best standardized first.
    *F_others : ndarray of shape (N_i, F)
        Any other splits (validation, test), transformed with the same ``T``.
    eps : float, default=0.01
        Damping, relative to the mean second moment ``s``. 0 whitens fully, which
        fails when ``M`` is singular (fewer examples than features, or a constant
        or repeated feature).
    batch_size : int, default=4096
        Rows multiplied at a time; the extra memory is (batch_size, F).

    Returns
    -------
    list of ndarray
        The whitened ``F_train`` first, then each of ``F_others``: same shapes,
        float32 for float32 input and float64 otherwise.
    """
    arrays = check_feature_splits(F_train, F_others)
    F_train = arrays[0]
    eps = check_positive_float(eps, "eps", allow_zero=True)
    batch_size = check_positive_int(batch_size, "batch_size")
    dtype = np.float32 if F_train.dtype == np.float32 else np.float64
    num, dim = F_train.shape
    if num == 0:
        raise ValueError("Expected at least one training row, got F_train of shape (0, F).")
    F_train = F_train.astype(dtype, copy=False)
    moments = (F_train.T @ F_train).astype(np.float64) / num  # (F, F)
    scale = float(np.mean(np.diag(moments)))
    if scale == 0:
        raise ValueError("Expected features that are not all zero, got an all-zero F_train.")
    moments[np.diag_indices(dim)] += eps * scale
    try:
        lower = np.linalg.cholesky(moments)  # (F, F)
    except np.linalg.LinAlgError:
        raise ValueError(
            f"Cannot whiten with eps={eps:g}: the second-moment matrix of F_train "
            f"{F_train.shape} is singular (fewer rows than features, or a constant or "
            "repeated feature). Use eps > 0, e.g. eps=0.01."
        ) from None
    transform = solve_triangular(lower, np.eye(dim), lower=True).T.astype(dtype)  # L^{-T}
    out = []
    for F in arrays:
        Z = np.empty(F.shape, dtype)
        for start in range(0, len(F), batch_size):
            batch = F[start : start + batch_size].astype(dtype, copy=False)
            Z[start : start + batch_size] = batch @ transform  # no upcast of T
        out.append(Z)
    return out
