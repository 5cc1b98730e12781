"""The batch mark of feature functions, and the image checks they share."""

from __future__ import annotations

import functools

import numpy as np

from .._validation import check_real


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
    check_real(im, "im", "real pixel values")
    if im.ndim == 4 and im.shape[-1] == 3:
        return im, False
    flattened = im.ndim in (1, 2) and im.shape[-1] == 3072
    if (im.ndim == 3 and im.shape[-1] == 3) or (im.ndim == 2 and allow_gray and not flattened):
        # A 2-D array with 3,072 columns would pass as a (very wide) gray image, but
        # it is a stack of flattened 32 x 32 x 3 images: it gets the reshape hint.
        return im[None], True
    hint = ""
    if flattened:
        hint = " Reshape flattened 32 x 32 images with im.reshape(-1, 32, 32, 3)."
    elif im.ndim == 3:
        hint = (
            " For a stack of gray images use np.repeat(im[..., None], 3, axis=-1); "
            "for RGBA images drop the alpha channel with im[..., :3]."
        )
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
