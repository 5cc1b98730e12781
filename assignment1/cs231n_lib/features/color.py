"""Histogram of hues, vectorized over a stack of images."""

from __future__ import annotations

import numpy as np

from .._validation import check_positive_int
from ._batch import _check_images, batch_feature

__all__ = ["color_histogram_hsv"]


@batch_feature
def color_histogram_hsv(im, nbin=10, xmin=0, xmax=255, normalized=True):
    """Histogram of the hues of an image's pixels.

    The hue is that of ``matplotlib.colors.rgb_to_hsv(im / xmax)``, scaled by
    ``xmax``: a value in ``[0, xmax]`` (0 for gray pixels). The histogram has
    ``nbin`` bins of equal width between ``xmin`` and ``xmax``, the edges of
    ``np.histogram(hue, bins=np.linspace(xmin, xmax, nbin + 1))``: bin k holds the
    hues in ``[edge[k], edge[k+1])``, the last bin also holds ``xmax``, and hues
    outside ``[xmin, xmax]`` are not counted. The hues are computed with the very
    arithmetic of matplotlib, so a hue on an edge (0.1 * 255 = 25.5 happens with
    8-bit pixels) falls in the same bin as in that reference.

    Parameters
    ----------
    im : ndarray of shape (H, W, 3) or (N, H, W, 3)
        One RGB image or a stack of N, any real dtype, values in ``[0, xmax]``.
    nbin : int, default=10
        Number of bins.
    xmin, xmax : float, default=0, 255
        The range of the bins; ``xmax`` is also the largest possible pixel value
        (255 for 8-bit images, 1.0 for images scaled to ``[0, 1]``).
    normalized : bool, default=True
        If True, each value is the fraction of the counted pixels that fall in the
        bin, so each histogram sums to 1 (it equals np.histogram's
        ``density=True`` value times the bin width, as in the course's code, up to
        rounding; NaN for an image with no pixel in range). If False, the number
        of pixels in each bin (where the course's code raised an error).

    Returns
    -------
    ndarray of shape (nbin,) or (N, nbin), float64
    """
    stack, single = _check_images(im, allow_gray=False)
    nbin = check_positive_int(nbin, "nbin")
    if not xmin < xmax:
        raise ValueError(f"Expected xmin < xmax, got xmin={xmin!r} and xmax={xmax!r}.")
    lowest, highest = stack.min(initial=0), stack.max(initial=0)
    if not (lowest >= 0 and highest <= xmax):  # also catches NaN
        raise ValueError(
            f"color_histogram_hsv expects pixel values in [0, xmax] = [0, {xmax}], got "
            f"values in [{lowest}, {highest}]. Pass the raw images (not mean-subtracted "
            "ones), with xmax their largest possible value (1.0 for images in [0, 1])."
        )
    hue = _hue(stack, xmax)  # (N, H, W)
    counts = _bin_counts(hue.reshape(len(stack), -1), nbin, xmin, xmax)  # (N, nbin)
    hist = counts.astype(np.float64)
    if normalized:
        with np.errstate(invalid="ignore", divide="ignore"):
            hist /= hist.sum(axis=1, keepdims=True)
    return hist[0] if single else hist


def _hue(stack, xmax):
    """Hue of (N, H, W, 3) pixels times ``xmax``, as matplotlib's rgb_to_hsv computes it.

    matplotlib sets ``h = (G - B) / delta`` where R is the largest channel, ``2 +
    (B - R) / delta`` where G is, ``4 + (R - G) / delta`` where B is (B wins ties,
    then G), with ``delta = max - min``, 0 where ``delta = 0``, and returns
    ``(h / 6) % 1``. The same operations in the same order give the same bits.
    """
    planes = np.divide(np.ascontiguousarray(np.moveaxis(stack, -1, 0)), xmax)  # (3, N, H, W)
    planes = planes.astype(np.promote_types(planes.dtype, np.float32), copy=False)
    r, g, b = planes
    top = np.maximum(r, g)
    np.maximum(top, b, out=top)
    delta = np.minimum(r, g)
    np.minimum(delta, b, out=delta)
    np.subtract(top, delta, out=delta)
    colored = delta > 0
    blue_max = b == top
    blue_max &= colored
    green_max = g == top
    green_max &= colored
    np.greater(green_max, blue_max, out=green_max)  # green_max and not blue_max
    h = np.subtract(g, b, out=top)  # red is the largest channel, unless a mask says not
    np.subtract(b, r, out=h, where=green_max)
    np.subtract(r, g, out=h, where=blue_max)
    np.divide(h, delta, out=h, where=colored)  # gray pixels keep h = G - B = 0
    offset = blue_max.view(np.int8) * np.int8(2)
    offset += green_max
    offset *= 2
    h += offset  # 2 where green is the largest, 4 where blue is: adding 0 changes nothing
    h /= 6.0
    np.add(h, 1.0, out=h, where=h < 0)  # (h / 6) % 1, since h / 6 >= -1/6
    h *= xmax
    return h


def _bin_counts(values, nbin, xmin, xmax):
    """Count (N, P) values into np.histogram's bins ``np.linspace(xmin, xmax, nbin + 1)``.

    Bin k holds ``edges[k] <= v < edges[k + 1]``, the last bin also ``v = xmax``;
    values below ``xmin`` are not counted (values above ``xmax`` do not occur).
    """
    lower_edges = np.linspace(xmin, xmax, nbin + 1)[:-1]
    # slot = how many lower edges are <= v: 0 below xmin, k + 1 in bin k.
    if nbin <= 16:  # a few comparisons per value cost less than a binary search
        slot = np.zeros(values.shape, np.int8)
        for edge in lower_edges:
            slot += values >= edge
    else:
        slot = np.searchsorted(lower_edges, values, side="right")
    num_images = len(values)
    index = slot + (np.arange(num_images) * (nbin + 1))[:, None]  # (N, P)
    counts = np.bincount(index.ravel(), minlength=num_images * (nbin + 1))
    return counts.reshape(num_images, nbin + 1)[:, 1:]
