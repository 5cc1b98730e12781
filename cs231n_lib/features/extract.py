"""Feature matrices: several feature functions applied to every image, in chunks."""

from __future__ import annotations

import numpy as np
from tqdm.auto import tqdm

from .._validation import (
    check_feature_splits,
    check_images,
    check_positive_int,
)
from ._batch import _supports_batch

__all__ = ["extract_features", "standardize_features"]


def extract_features(imgs, feature_fns, verbose=False, batch_size=256):
    """Compute the features of every image and stack them side by side.

    Parameters
    ----------
    imgs : ndarray of shape (N, H, W, 3)
        The images, e.g. ``X_train`` from :func:`cs231n_lib.datasets.load_cifar10`
        (before any mean subtraction).
    feature_fns : list of callables
        Each takes one image (H, W, 3) and returns an array of shape (F_k,).
        Functions marked with :func:`batch_feature` (:func:`hog_feature`,
        :func:`color_histogram_hsv`, and ``functools.partial`` of them with keyword
        arguments) are called on chunks of ``batch_size`` images at a time; any other
        function, such as ``lambda im: color_histogram_hsv(im, nbin=20)``, is called
        once per image, which is much slower.
    verbose : bool, default=False
        Show a progress bar over the images (on stderr).
    batch_size : int, default=256
        Images per chunk; the memory used grows with it, not with N.

    Returns
    -------
    ndarray of shape (N, F), float64
        Row i holds the features of image i: the columns of ``feature_fns[0]``, then
        those of ``feature_fns[1]``, and so on, ``F = F_0 + F_1 + ...``.
    """
    imgs = check_images(imgs, "imgs", channels=3)
    batch_size = check_positive_int(batch_size, "batch_size")
    if callable(feature_fns):
        raise TypeError(
            "Expected feature_fns to be a list of feature functions, got a single "
            "function. Wrap it in a list: extract_features(imgs, [fn])."
        )
    feature_fns = list(feature_fns)
    if not feature_fns:
        raise ValueError(
            "Expected at least one feature function in feature_fns, got an empty list. "
            "For example: extract_features(imgs, [hog_feature, color_histogram_hsv])."
        )
    num_images = len(imgs)
    out = None
    with tqdm(total=num_images, disable=not verbose, unit="img", desc="features") as bar:
        for start in range(0, num_images, batch_size):
            chunk = imgs[start : start + batch_size]
            blocks = [_features_of_chunk(fn, k, chunk, start) for k, fn in enumerate(feature_fns)]
            if out is None:
                widths = [block.shape[1] for block in blocks]
                out = np.empty((num_images, sum(widths)))
            _check_widths(blocks, widths, feature_fns)
            out[start : start + len(chunk)] = np.hstack(blocks)
            bar.update(len(chunk))
    return out


def _name(fn, k):
    return f"feature_fns[{k}] ({getattr(fn, '__name__', type(fn).__name__)})"


def _features_of_chunk(fn, k, chunk, start):
    """(n, F_k) features of the chunk ``imgs[start:start + n]``, in one call or a loop."""
    if _supports_batch(fn):
        block = np.asarray(fn(chunk), dtype=np.float64)
        if block.ndim != 2 or len(block) != len(chunk):
            raise ValueError(
                f"{_name(fn, k)} is marked with batch_feature, so it should return an "
                f"array of shape ({len(chunk)}, F) for {len(chunk)} images, got shape "
                f"{block.shape}."
            )
        return block
    rows = [np.asarray(fn(im), dtype=np.float64) for im in chunk]
    for i, row in enumerate(rows):
        if row.ndim != 1:
            raise ValueError(
                f"{_name(fn, k)} returned an array of shape {row.shape} for image "
                f"{start + i}; expected a 1-D array of features. Return feats.ravel()."
            )
        if row.shape != rows[0].shape:
            raise ValueError(
                f"{_name(fn, k)} returned {row.size} features for image {start + i} but "
                f"{rows[0].size} for image {start}; it must return the same number for "
                "every image."
            )
    return np.stack(rows)


def _check_widths(blocks, widths, feature_fns):
    for k, (block, width) in enumerate(zip(blocks, widths, strict=True)):
        if block.shape[1] != width:
            raise ValueError(
                f"{_name(feature_fns[k], k)} returned {block.shape[1]} features per image "
                f"for a later chunk of images but {width} for the first; it must return "
                "the same number for every image."
            )


def standardize_features(F_train, *F_others, add_bias=True):
    """Centre and scale each feature with the training set's mean and standard deviation.

    Features of very different scales (HOG magnitudes and hue fractions, say)
    then weigh alike in a linear classifier. The statistics come from
    ``F_train`` alone, so no information leaks from validation or test data. A
    feature that is constant on the training set is only centred.

    Parameters
    ----------
    F_train : ndarray of shape (N, F)
        Training features.
    *F_others : ndarray of shape (N_i, F)
        Any other splits (validation, test), transformed the same way.
    add_bias : bool, default=True
        Append a column of ones (the bias trick), giving F + 1 columns.

    Returns
    -------
    list of ndarray
        The transformed ``F_train`` first, then each of ``F_others``.
    """
    arrays = check_feature_splits(F_train, F_others)
    F_train = arrays[0]
    mean = F_train.mean(axis=0)  # (F,)
    std = F_train.std(axis=0)
    std[std == 0] = 1.0
    out = []
    for F in arrays:
        Z = (F - mean) / std
        if add_bias:
            Z = np.hstack([Z, np.ones((len(Z), 1), dtype=Z.dtype)])
        out.append(Z)
    return out
