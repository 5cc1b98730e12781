"""Histogram of oriented gradients (HOG), vectorized over a stack of images."""

from __future__ import annotations

import numpy as np

from ._batch import _check_images, batch_feature

__all__ = ["HOG_CELL_SIZE", "HOG_NUM_BINS", "hog_feature"]

#: Side of the square cells of :func:`hog_feature`, in pixels.
HOG_CELL_SIZE = 8
#: Number of orientation bins of :func:`hog_feature`, each 180 / 9 = 20 degrees wide.
HOG_NUM_BINS = 9


@batch_feature
def hog_feature(im):
    """Histogram of oriented gradients (HOG) of an image, cell by cell.

    The definition, step by step, for an image of H x W pixels:

    1. Gray level ``g = 0.299 R + 0.587 G + 0.114 B``, computed in float64 as
       ``(299 R + 587 G + 114 B) / 1000`` (exact up to that one division for
       integer pixels); a gray image is used as it is. (The course's original code
       had the typo 0.144 for blue; the standard weight is 0.114.)
    2. Central differences, zero on the border, as ``skimage.feature.hog``:
       ``gx[i, j] = g[i, j+1] - g[i, j-1]`` for ``0 < j < W-1``, ``gx[:, 0] =
       gx[:, W-1] = 0``; ``gy[i, j] = g[i+1, j] - g[i-1, j]`` for ``0 < i < H-1``,
       ``gy[0, :] = gy[H-1, :] = 0``. Rows go down the image, so ``gy > 0`` where it
       gets brighter downwards.
    3. Magnitude ``m = sqrt(gx**2 + gy**2)``.
    4. Unsigned orientation ``theta = atan2(gy, gx)`` in degrees, modulo 180, in
       ``[0, 180)``: a gradient and its opposite share an orientation, so
       horizontal gradients, to the right or to the left, have ``theta = 0``.
    5. Hard assignment to one of 9 bins of 20 degrees: ``b = floor(theta / 20)``;
       bin 0 holds ``[0, 20)``, bin 4 (vertical gradients: horizontal edges) holds
       ``[80, 100)``.
    6. Cells of 8 x 8 pixels; ``hist[cell, b]`` is the **mean** over the cell's 64
       pixels of ``m`` times (pixel in bin b), i.e. the sum of the magnitudes of
       the cell's pixels in bin b, divided by 64. Pixels with ``m = 0`` add nothing,
       whatever their orientation.
    7. Output order: cells row-major (the cell in cell-row r and cell-column c is
       number ``r * (W // 8) + c``), then the 9 bins of that cell.

    Orientations are computed in floating point, so a pixel within about 1e-13
    degrees of a bin boundary may land on either side of it.

    Parameters
    ----------
    im : ndarray of shape (H, W, 3), (H, W) or (N, H, W, 3)
        One RGB image, one gray image, or a stack of N RGB images, any real dtype.
        H and W must be multiples of 8.

    Returns
    -------
    ndarray of shape (F,) or (N, F), float64
        ``F = (H // 8) * (W // 8) * 9``: 144 for a 32 x 32 image.
    """
    stack, single = _check_images(im, allow_gray=True)
    num_images, height, width = stack.shape[:3]
    if height % HOG_CELL_SIZE or width % HOG_CELL_SIZE:
        raise ValueError(
            f"hog_feature needs image sides that are multiples of the cell size "
            f"{HOG_CELL_SIZE}, got an image of {height} x {width} pixels. Crop or pad "
            f"the images, e.g. im[:{height - height % HOG_CELL_SIZE}, "
            f":{width - width % HOG_CELL_SIZE}] (with a first ':, ' for a stack)."
        )
    g = _gray(stack)  # (N, H, W)
    if not np.isfinite(g.sum()):
        raise ValueError(
            "hog_feature needs finite pixel values, but im contains NaN or inf (or values "
            "so large that their sum overflows)."
        )
    gx, gy = _central_gradients(g)
    hist = _cell_histograms(gx, gy)  # (N, num_cells, 9)
    feats = hist.reshape(num_images, -1)
    return feats[0] if single else feats


def _gray(stack):
    """(N, H, W, 3) RGB or (N, H, W) gray -> (N, H, W) float64 gray levels."""
    if stack.ndim == 3:
        return stack.astype(np.float64)
    # Integer weights keep the sum exact for integer pixels; one rounding at the end.
    g = np.multiply(stack[..., 0], 299.0, dtype=np.float64)
    g += np.multiply(stack[..., 1], 587.0, dtype=np.float64)
    g += np.multiply(stack[..., 2], 114.0, dtype=np.float64)
    g /= 1000.0
    return g


def _central_gradients(g):
    """Central differences of (N, H, W) gray levels, zero on the image border."""
    gx = np.empty_like(g)
    np.subtract(g[:, :, 2:], g[:, :, :-2], out=gx[:, :, 1:-1])
    gx[:, :, 0] = gx[:, :, -1] = 0.0
    gy = np.empty_like(g)
    np.subtract(g[:, 2:, :], g[:, :-2, :], out=gy[:, 1:-1, :])
    gy[:, 0, :] = gy[:, -1, :] = 0.0
    return gx, gy


def _cell_histograms(gx, gy):
    """Mean magnitude per (cell, orientation bin) of (N, H, W) gradients: (N, cells, 9).

    Overwrites ``gx`` and ``gy``.
    """
    num_images, height, width = gx.shape
    # atan2 lies in [-pi, pi]; scaled to [0, 18] it gives 18 slots of 20 degrees
    # (slot 18 only for exactly 180 degrees). Slots s and s + 9 are opposite
    # directions, the same orientation: they are merged after counting, which
    # avoids a modulo per pixel.
    slot = np.arctan2(gy, gx)
    slot *= HOG_NUM_BINS / np.pi
    slot += HOG_NUM_BINS
    index = slot.astype(np.intp)  # floor, as slot >= 0
    magnitude = np.multiply(gx, gx, out=gx)
    magnitude += np.multiply(gy, gy, out=gy)
    np.sqrt(magnitude, out=magnitude)
    num_slots = 2 * HOG_NUM_BINS + 1
    cells_per_row = width // HOG_CELL_SIZE
    num_cells = (height // HOG_CELL_SIZE) * cells_per_row
    rows, cols = np.indices((height, width)) // HOG_CELL_SIZE
    index += (rows * cells_per_row + cols) * num_slots  # row-major cells
    index += (np.arange(num_images) * (num_cells * num_slots))[:, None, None]
    sums = np.bincount(
        index.ravel(), weights=magnitude.ravel(), minlength=num_images * num_cells * num_slots
    )
    sums = sums.reshape(num_images, num_cells, num_slots)
    hist = sums[:, :, :HOG_NUM_BINS] + sums[:, :, HOG_NUM_BINS:-1]
    hist[:, :, 0] += sums[:, :, -1]
    hist /= HOG_CELL_SIZE * HOG_CELL_SIZE
    return hist
