"""Images: grids of images, samples of each class, the weights as templates."""

from __future__ import annotations

import math
import numbers

import numpy as np

from .._validation import (
    check_array_2d,
    check_images,
    check_labels,
    check_positive_int,
    check_rng,
)
from ._common import _figure

__all__ = ["plot_weight_templates", "show_class_samples", "visualize_grid"]


def _rescale(a, ubound):
    """``a`` mapped linearly so that its min is 0 and its max is ``ubound``.

    A constant array has no range to stretch: it becomes all zeros (instead of 0 / 0).
    """
    a = np.asarray(a, dtype=np.float64)
    low, high = a.min(), a.max()
    if high == low:
        return np.zeros_like(a)
    return ubound * (a - low) / (high - low)


def _grid_shape(n):
    """(rows, cols) of the most square grid with ``cols >= rows`` that holds ``n`` cells."""
    cols = math.isqrt(n - 1) + 1  # ceil(sqrt(n)) for n >= 1
    return -(-n // cols), cols


def visualize_grid(Xs, ubound=255.0, padding=1):
    """Tile images into one image, each rescaled on its own to ``[0, ubound]``.

    Images fill a near-square grid row by row: ``cols = ceil(sqrt(N))`` and
    ``rows = ceil(N / cols)`` (so 2 images make one row of 2, 5 images two rows
    of 3). Padding and cells left empty are 0.

    Parameters
    ----------
    Xs : array_like of shape (N, H, W, C)
        N images, e.g. the first-layer weights of a network as images.
    ubound : float, default=255.0
        Each image's maximum maps to ``ubound`` and its minimum to 0. A constant
        image (max == min) becomes all zeros.
    padding : int, default=1
        Pixels of 0 between neighbouring images (none around the border).

    Returns
    -------
    ndarray of shape (grid_h, grid_w, C), float64
        ``grid_h = rows * H + (rows - 1) * padding`` and likewise ``grid_w``.
        Show it with ``plt.imshow(grid.astype("uint8"))`` for ``ubound=255``.
    """
    Xs = check_images(Xs, "Xs")
    if (
        not isinstance(ubound, numbers.Real)
        or isinstance(ubound, bool)
        or not math.isfinite(ubound)
        or ubound <= 0
    ):
        raise ValueError(f"Expected ubound to be a positive finite number, got {ubound!r}.")
    padding = check_positive_int(padding, "padding", low=0)
    N, H, W, C = Xs.shape
    rows, cols = _grid_shape(N)
    grid = np.zeros((rows * H + (rows - 1) * padding, cols * W + (cols - 1) * padding, C))
    for i in range(N):
        top = (i // cols) * (H + padding)
        left = (i % cols) * (W + padding)
        grid[top : top + H, left : left + W] = _rescale(Xs[i], ubound)
    return grid


def _to_uint8(images):
    """Pixel values in 0..255 as uint8 for ``imshow``: clipped, floats rounded."""
    images = np.asarray(images)
    if images.dtype == np.uint8:
        return images
    if np.issubdtype(images.dtype, np.floating):
        images = np.rint(images)
    return np.clip(images, 0, 255).astype(np.uint8)


def _check_classes(classes, num_classes=None, name="classes"):
    """``classes`` as a list of str (one per class when ``num_classes`` is given), or raise."""
    if isinstance(classes, str) or not hasattr(classes, "__len__"):
        raise TypeError(
            f"Expected {name} to be a list of class names such as ['plane', 'car'], "
            f"got {type(classes).__name__}."
        )
    classes = [str(c) for c in classes]
    if not classes:
        raise ValueError(f"Expected at least one name in {name}, got an empty list.")
    if num_classes is not None and len(classes) != num_classes:
        raise ValueError(
            f"Expected one name per class in {name}: {num_classes} names, got {len(classes)}."
        )
    return classes


def _sample_per_class(y, num_classes, per_class, rng):
    """For each class c, up to ``per_class`` indices of ``y == c``, drawn without replacement."""
    chosen = []
    for c in range(num_classes):
        idxs = np.flatnonzero(y == c)
        k = min(per_class, idxs.size)
        chosen.append(rng.choice(idxs, size=k, replace=False) if k else idxs)
    return chosen


def show_class_samples(X, y, classes, per_class=7, rng=None, fig=None):
    """A grid of random examples: one column per class, with its name on top.

    Parameters
    ----------
    X : array_like of shape (N, H, W, 3)
        Images, uint8 or floats in 0..255 (e.g. (N, 32, 32, 3) for CIFAR-10).
        Floats are rounded and clipped to 0..255 for display, so mean-subtracted
        images must have the mean added back first.
    y : array_like of shape (N,)
        Labels, integers in ``0 <= y < C``.
    classes : list of str of length C
        Class names, ``classes[c]`` for label ``c``.
    per_class : int, default=7
        Examples per class (rows). A class with fewer examples shows all it
        has; the rest of its column stays blank.
    rng : None, int or numpy.random.Generator, default=None
        Draws the examples, without replacement. ``None`` means seed 0.
    fig : matplotlib.figure.Figure, optional
        An empty figure to draw on; by default a new one.

    Returns
    -------
    matplotlib.figure.Figure
        ``per_class * C`` axes, row-major: ``fig.axes[r * C + c]`` is row ``r``
        of class ``c``.
    """
    X = check_images(X, "X", channels=3)
    y = check_labels(y, X.shape[0])
    classes = _check_classes(classes)
    C = len(classes)
    if y.max() >= C:
        raise ValueError(
            f"Expected labels in y to be < len(classes) = {C}, got a label {y.max()}. "
            "Pass one name per class in classes."
        )
    per_class = check_positive_int(per_class, "per_class")
    chosen = _sample_per_class(y, C, per_class, check_rng(rng))
    fig = _figure(fig, figsize=(1.1 * C, 1.1 * per_class + 0.3))
    axes = fig.subplots(per_class, C, squeeze=False)
    for c, idxs in enumerate(chosen):
        axes[0, c].set_title(classes[c])
        for r, i in enumerate(idxs):
            axes[r, c].imshow(_to_uint8(X[i]))
    for ax in axes.flat:
        ax.axis("off")
    return fig


def _weight_images(W, image_shape):
    """The columns of W (bias row dropped) as images, min-max rescaled over all of W.

    Returns an ndarray of shape (C, *image_shape), float64 in 0..255.
    """
    W = check_array_2d(W, name="W", what="(D, C)")
    D, C = W.shape
    size = math.prod(image_shape)
    if D not in (size, size + 1):
        hint = " It looks transposed: pass W.T." if C in (size, size + 1) else ""
        raise ValueError(
            f"Expected W of shape (D, C) with D = {size} (prod of image_shape={image_shape}) "
            f"or D = {size + 1} (with a bias row, last), got shape {W.shape}.{hint}"
        )
    W = W[:size]  # (D, C) without the bias row, which is no image
    return _rescale(W, 255.0).T.reshape(C, *image_shape)


def plot_weight_templates(W, classes=None, image_shape=(32, 32, 3), fig=None):
    """Each class's weights as an image: the template the linear classifier matches.

    All templates share one scale: W (without the bias row) is rescaled with its
    global min and max to 0..255, as in the course, so that brighter means a
    larger weight in every panel alike.

    Parameters
    ----------
    W : array_like of shape (D, C)
        Weights of a linear classifier, ``scores = X @ W``. ``D`` is
        ``prod(image_shape)`` (3072 for CIFAR-10), or one more when the last row
        is the bias (from the bias trick); that row is dropped.
    classes : list of str of length C, optional
        Panel titles; by default ``"class 0"``, ``"class 1"``, ...
    image_shape : tuple of int, default=(32, 32, 3)
        ``(H, W, 3)`` for colour, ``(H, W)`` for grayscale; each column of W is
        reshaped to it in C order, as ``X.reshape(N, -1)`` flattened the images.
    fig : matplotlib.figure.Figure, optional
        An empty figure to draw on; by default a new one.

    Returns
    -------
    matplotlib.figure.Figure
        One axes per class, in class order (up to 5 per row), each showing a
        uint8 image.
    """
    image_shape = tuple(image_shape)
    if len(image_shape) not in (2, 3) or (len(image_shape) == 3 and image_shape[2] != 3):
        raise ValueError(f"Expected image_shape to be (H, W, 3) or (H, W), got {image_shape}.")
    images = np.rint(_weight_images(W, image_shape)).astype(np.uint8)  # (C, *image_shape)
    C = images.shape[0]
    classes = [f"class {c}" for c in range(C)] if classes is None else classes
    classes = _check_classes(classes, C)
    cols = min(C, 5)
    rows = -(-C // cols)
    fig = _figure(fig, figsize=(2 * cols, 2.2 * rows))
    for c in range(C):
        ax = fig.add_subplot(rows, cols, c + 1)
        if images.ndim == 3:  # grayscale: keep the shared 0..255 scale, no per-panel stretch
            ax.imshow(images[c], cmap="gray", vmin=0, vmax=255)
        else:
            ax.imshow(images[c])
        ax.set_title(classes[c])
        ax.axis("off")
    return fig
