"""Image patches: dense and random extraction, per-patch normalization, ZCA whitening.

A patch of ``s x s`` pixels of an RGB image is a row of ``D = s * s * 3`` values,
in the order of ``image[r:r + s, c:c + s, :].ravel()`` (rows, then columns, then
channels). These are the first steps of the bag-of-visual-words features of
Coates, Lee and Ng (AISTATS 2011), see :mod:`cs231n_lib.features.bow`.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from .._validation import (
    check_array_2d,
    check_images,
    check_positive_float,
    check_positive_int,
    check_rng,
)

__all__ = [
    "apply_zca",
    "extract_patches",
    "fit_zca",
    "normalize_patches",
    "num_patch_positions",
    "sample_patches",
]


def num_patch_positions(image_size, patch_size, stride):
    """The number G of patch positions along an image side of ``image_size`` pixels.

    Patches start at pixels ``0, stride, 2 * stride, ...`` and must fit in the image:
    ``G = (image_size - patch_size) // stride + 1`` (27 for 6x6 patches of a 32-pixel
    side at stride 1, 14 at stride 2).
    """
    return (image_size - patch_size) // stride + 1


def _check_patch_geometry(images, patch_size, stride=1):
    images = check_images(images, "images", channels=3)
    patch_size = check_positive_int(patch_size, "patch_size")
    stride = check_positive_int(stride, "stride")
    height, width = images.shape[1:3]
    if patch_size > min(height, width):
        raise ValueError(
            f"Expected patch_size <= the image height and width, got patch_size="
            f"{patch_size} for images of shape {images.shape[1:]}. Use smaller patches."
        )
    return images, patch_size, stride


def extract_patches(images, patch_size=6, stride=1):
    """Every ``patch_size x patch_size`` patch of each image on a grid of step ``stride``.

    Parameters
    ----------
    images : ndarray of shape (N, H, W, 3)
        RGB images, pixel values 0..255.
    patch_size : int, default=6
    stride : int, default=1
        Pixels between the top-left corners of neighbouring patches.

    Returns
    -------
    ndarray of shape (N, G_h, G_w, D), float32
        ``out[i, a, b]`` is ``images[i, a * stride:a * stride + s, b * stride:... ,
        :].ravel()`` with ``s = patch_size``, ``D = 3 * s * s`` and ``G_h`` from
        :func:`num_patch_positions`.
    """
    images, patch_size, stride = _check_patch_geometry(images, patch_size, stride)
    windows = sliding_window_view(images, (patch_size, patch_size, 3), axis=(1, 2, 3))
    windows = windows[:, ::stride, ::stride, 0]  # (N, G_h, G_w, s, s, 3), a view
    num, rows, cols = windows.shape[:3]
    return windows.reshape(num, rows, cols, -1).astype(np.float32)


def sample_patches(images, num_patches, patch_size=6, rng=None):
    """Patches at random positions of random images (both uniform, with replacement).

    Parameters
    ----------
    images : ndarray of shape (N, H, W, 3)
        RGB images, pixel values 0..255.
    num_patches : int
        M, the number of patches.
    patch_size : int, default=6
    rng : None, int or numpy.random.Generator
        Draws the images and positions; ``None`` means seed 0.

    Returns
    -------
    ndarray of shape (M, D), float32
        One patch per row, ``D = 3 * patch_size**2``, in the order of
        :func:`extract_patches`.
    """
    images, patch_size, _ = _check_patch_geometry(images, patch_size)
    num_patches = check_positive_int(num_patches, "num_patches")
    rng = check_rng(rng)
    num, height, width = images.shape[:3]
    which = rng.integers(num, size=num_patches)
    top = rng.integers(height - patch_size + 1, size=num_patches)
    left = rng.integers(width - patch_size + 1, size=num_patches)
    offsets = np.arange(patch_size)
    rows = (top[:, None] + offsets)[:, :, None]  # (M, s, 1)
    cols = (left[:, None] + offsets)[:, None, :]  # (M, 1, s)
    patches = images[which[:, None, None], rows, cols]  # (M, s, s, 3)
    return patches.reshape(num_patches, -1).astype(np.float32)


def normalize_patches(patches, eps=10.0, out=None):
    """Brightness and contrast normalization of each patch (each row).

    ``(x - mean(x)) / sqrt(var(x) + eps)``: every patch gets mean 0, and a patch
    of high contrast gets variance close to 1. ``eps`` keeps flat patches (sky, a
    wall) from being blown up into noise; 10 is the value of Coates et al. for
    pixel values 0..255.

    Parameters
    ----------
    patches : ndarray of shape (M, D)
    eps : float, default=10.0
    out : ndarray of shape (M, D), optional
        Where to write the result (``patches`` itself for an in-place update).

    Returns
    -------
    ndarray of shape (M, D)
        float32 unless ``patches`` is float64.
    """
    patches = check_array_2d(patches, "patches", "(M, D)")
    eps = check_positive_float(eps, "eps", allow_zero=True)
    mean = patches.mean(axis=1, keepdims=True)  # (M, 1)
    var = patches.var(axis=1, keepdims=True)
    if out is None:
        out = np.empty(patches.shape, np.result_type(patches.dtype, np.float32))
    np.subtract(patches, mean, out=out)
    out /= np.sqrt(var + eps)
    return out


def fit_zca(patches, eps=0.1):
    """Learn the ZCA whitening transform of a set of patches.

    With the covariance ``cov = V diag(lambda) V^T`` of the patches, the transform is
    ``x -> (x - mean) @ P`` with ``P = V diag(1 / sqrt(lambda + eps)) V^T``: it
    decorrelates the pixels while staying as close as possible to the original
    patch (unlike PCA whitening, it does not rotate), so whitened patches still
    look like edges. ``eps`` (0.1 in Coates et al., for normalized patches) damps
    the directions of tiny variance, which would otherwise be amplified into noise;
    the covariance of whitened patches is ``V diag(lambda / (lambda + eps)) V^T``,
    the identity only when ``eps`` is small against every ``lambda``.

    Parameters
    ----------
    patches : ndarray of shape (M, D)
        Usually the output of :func:`normalize_patches`.
    eps : float, default=0.1

    Returns
    -------
    mean : ndarray of shape (D,), float32
    P : ndarray of shape (D, D), float32, symmetric
    """
    patches = check_array_2d(patches, "patches", "(M, D)")
    eps = check_positive_float(eps, "eps", allow_zero=True)
    if len(patches) < 2:
        raise ValueError(
            f"Expected at least 2 patches to estimate a covariance, got {len(patches)}. "
            "Sample more patches."
        )
    X = patches.astype(np.float64)  # the eigendecomposition wants the precision
    mean = X.mean(axis=0)  # (D,)
    X -= mean
    cov = X.T @ X / len(X)  # (D, D)
    eigvals, eigvecs = np.linalg.eigh(cov)
    eigvals = np.maximum(eigvals, 0.0)  # rounding can make tiny eigenvalues negative
    if eps == 0 and eigvals.min() <= 1e-10 * eigvals.max():
        raise ValueError(
            "The covariance of the patches is (nearly) singular (for instance after "
            "normalize_patches, which makes every patch sum to 0), so eps=0 would divide "
            "by zero. Use eps > 0, e.g. eps=0.1."
        )
    P = (eigvecs / np.sqrt(eigvals + eps)) @ eigvecs.T  # (D, D)
    return mean.astype(np.float32), P.astype(np.float32)


def apply_zca(patches, mean, P):
    """Whiten patches with a transform from :func:`fit_zca`: ``(patches - mean) @ P``.

    Parameters
    ----------
    patches : ndarray of shape (M, D)
    mean : ndarray of shape (D,)
    P : ndarray of shape (D, D)

    Returns
    -------
    ndarray of shape (M, D)
        float32 unless the inputs are float64.
    """
    patches = check_array_2d(patches, "patches", "(M, D)")
    if patches.shape[1] != P.shape[0] or mean.shape != (P.shape[0],):
        raise ValueError(
            f"Expected patches of shape (M, {P.shape[0]}) to match the transform (mean "
            f"{mean.shape}, P {P.shape}), got patches of shape {patches.shape}. Extract "
            "them with the patch size used in fit_zca."
        )
    return (patches - mean) @ P
