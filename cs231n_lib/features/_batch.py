"""The batch mark of feature functions, and the image checks they share."""

from __future__ import annotations

import functools

import numpy as np


def batch_feature(fn):
    """Mark ``fn`` as a feature function that also accepts a stack of images.

    A marked function called on one image (H, W, 3) returns an array of shape (F,);
    called on a stack (N, H, W, 3) it returns an array of shape (N, F), row ``i``
    being what it returns for image ``i``. :func:`extract_features` then calls it
    on chunks of images instead of once per image. The mark is the attribute
    ``fn.supports_batch = True``; ``functools.partial(fn, keyword=value)`` keeps it.

    Parameters
    ----------
    fn : callable

    Returns
    -------
    fn
        The same function, with ``fn.supports_batch = True``.
    """
    fn.supports_batch = True
    return fn


def _check_images(im, allow_gray):
    """Return ``im`` as a stack (N, H, W[, 3]) and whether it was a single image."""
    im = np.asarray(im)
    if not np.issubdtype(im.dtype, np.number) or np.issubdtype(im.dtype, np.complexfloating):
        raise TypeError(
            f"Expected im to hold real pixel values, got dtype {im.dtype}. "
            "Convert it with im.astype(np.float64)."
        )
    if im.ndim == 4 and im.shape[-1] == 3:
        return im, False
    if (im.ndim == 3 and im.shape[-1] == 3) or (im.ndim == 2 and allow_gray):
        return im[None], True
    hint = ""
    if im.ndim in (1, 2) and im.shape[-1] == 3072:
        hint = " Reshape flattened 32 x 32 images with im.reshape(-1, 32, 32, 3)."
    elif im.ndim == 3:
        hint = (" For a stack of gray images use np.repeat(im[..., None], 3, axis=-1); "
                "for RGBA images drop the alpha channel with im[..., :3].")
    shapes = "(H, W, 3) or (H, W)" if allow_gray else "(H, W, 3)"
    raise ValueError(
        f"Expected im to be one image of shape {shapes}, or a stack of RGB images of "
        f"shape (N, H, W, 3), got an array of shape {im.shape} instead.{hint}"
    )


def _supports_batch(fn):
    """Whether ``fn`` (or the function of a keyword-only functools.partial) is batch-marked."""
    while isinstance(fn, functools.partial) and not fn.args:
        fn = fn.func
    return getattr(fn, "supports_batch", False) is True
