"""Tests of the image features against per-pixel loops, matplotlib + np.histogram and skimage."""

import functools
import math

import matplotlib.colors
import numpy as np
import pytest
from skimage.feature import hog as skimage_hog

from cs231n_lib.features import (
    batch_feature,
    color_histogram_hsv,
    extract_features,
    hog_feature,
    standardize_features,
)

SEEDS = range(4)


def random_images(seed, n=3, height=32, width=32, dtype=np.uint8):
    """Random 8-bit pixel values, as ``dtype``."""
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, size=(n, height, width, 3)).astype(dtype)


def blocky_images(seed, n=3):
    """Constant 4 x 4 blocks: many zero gradients, and many exactly horizontal or
    vertical ones, pointing both ways (orientations 0, 90 and exactly 180 degrees)."""
    rng = np.random.default_rng(seed)
    small = rng.integers(0, 4, size=(n, 8, 8, 3)) * 60
    return np.kron(small, np.ones((1, 4, 4, 1), dtype=np.int64)).astype(np.uint8)


# --- references -------------------------------------------------------------------


def reference_gray(im):
    """The docstring's gray level, pixel by pixel, in Python floats."""
    if im.ndim == 2:
        return [[float(v) for v in row] for row in im]
    return [
        [(299 * float(p[0]) + 587 * float(p[1]) + 114 * float(p[2])) / 1000 for p in row]
        for row in im
    ]


def reference_hog(im):
    """hog_feature's definition, step by step, with a Python loop over the pixels."""
    g = reference_gray(im)
    height, width = len(g), len(g[0])
    hist = np.zeros((height // 8, width // 8, 9))
    for i in range(height):
        for j in range(width):
            gx = g[i][j + 1] - g[i][j - 1] if 0 < j < width - 1 else 0.0
            gy = g[i + 1][j] - g[i - 1][j] if 0 < i < height - 1 else 0.0
            magnitude = math.sqrt(gx * gx + gy * gy)
            theta = math.degrees(math.atan2(gy, gx)) % 180.0  # in [0, 180]
            b = int(theta // 20) % 9  # an angle rounded up to 180.0 is 0 degrees
            hist[i // 8, j // 8, b] += magnitude
    return (hist / 64).ravel()


def reference_hue_histogram(im, nbin=10, xmin=0, xmax=255, normalized=True):
    """The course's definition: matplotlib's hue, then np.histogram."""
    hue = matplotlib.colors.rgb_to_hsv(im / xmax)[..., 0] * xmax
    counts, edges = np.histogram(hue, bins=np.linspace(xmin, xmax, nbin + 1))
    if not normalized:
        return counts.astype(float)
    density, edges = np.histogram(hue, bins=edges, density=True)
    return density * np.diff(edges)


# --- hog_feature ---------------------------------------------------------------------


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize(
    "make",
    [
        random_images,
        blocky_images,
        lambda seed: random_images(seed, dtype=np.float64) / 7.0,  # non-integer levels
        lambda seed: random_images(seed, height=16, width=24),
    ],
    ids=["uint8", "blocky", "float", "16x24"],
)
def test_hog_matches_pixel_loop(seed, make):
    images = make(seed)
    feats = hog_feature(images)
    for im, row in zip(images, feats, strict=True):
        expected = reference_hog(im)
        np.testing.assert_allclose(
            row,
            expected,
            rtol=1e-10,
            atol=1e-10,
            err_msg="hog_feature disagrees with the pixel loop",
        )


@pytest.mark.parametrize("seed", SEEDS)
def test_hog_of_gray_image_matches_pixel_loop(seed):
    gray = np.random.default_rng(seed).normal(100, 40, size=(32, 32))
    np.testing.assert_allclose(hog_feature(gray), reference_hog(gray), rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("make", [random_images, blocky_images])
def test_hog_stack_equals_one_image_at_a_time(seed, make):
    images = make(seed, n=7)
    stacked = hog_feature(images)
    assert stacked.shape == (7, 144)
    single = np.stack([hog_feature(im) for im in images])
    np.testing.assert_allclose(stacked, single, rtol=0, atol=1e-12)


def edge_image(axis, dark_first=True):
    """32 x 32 gray image, 0 on one half and 255 on the other, split at index 16."""
    g = np.zeros((32, 32))
    half = (slice(None), slice(16, None)) if axis == 1 else (slice(16, None), slice(None))
    g[half] = 255.0
    return g if dark_first else 255.0 - g


@pytest.mark.parametrize("dark_first", [True, False])
def test_vertical_edge_goes_to_bin_0_in_the_cells_along_the_edge(dark_first):
    # The gradient is horizontal (pointing right, or left: 180 degrees, the same
    # orientation). Columns 15 and 16 have gx = +-255, in cell columns 1 and 2;
    # each cell holds 8 such pixels: a mean of 8 * 255 / 64.
    feats = hog_feature(edge_image(axis=1, dark_first=dark_first)).reshape(4, 4, 9)
    expected = np.zeros((4, 4, 9))
    expected[:, 1:3, 0] = 8 * 255 / 64
    np.testing.assert_array_equal(feats, expected)


@pytest.mark.parametrize("dark_first", [True, False])
def test_horizontal_edge_goes_to_bin_4_in_the_cells_along_the_edge(dark_first):
    feats = hog_feature(edge_image(axis=0, dark_first=dark_first)).reshape(4, 4, 9)
    expected = np.zeros((4, 4, 9))
    expected[1:3, :, 4] = 8 * 255 / 64  # 90 degrees is in bin 4, [80, 100)
    np.testing.assert_array_equal(feats, expected)


def test_diagonal_ramp_goes_to_bin_2_inside_the_image():
    # g = i + j: gx = gy = 2 inside (45 degrees, bin 2); on the first and last rows
    # gy = 0 (bin 0), on the first and last columns gx = 0 (bin 4); corners are 0.
    i, j = np.indices((32, 32))
    feats = hog_feature((i + j).astype(float)).reshape(4, 4, 9)
    assert feats[1, 1, 2] == pytest.approx(2 * math.sqrt(2))
    np.testing.assert_array_equal(np.flatnonzero(feats[1, 1]), [2])
    # Top-left cell: 7 x 7 inner pixels at 45 degrees, 7 on row 0 (bin 0), 7 on column 0.
    np.testing.assert_allclose(
        feats[0, 0, [0, 2, 4]], [7 * 2 / 64, 49 * 2 * math.sqrt(2) / 64, 7 * 2 / 64]
    )


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("factor", [2.0, 3.0, 0.25])
def test_hog_is_linear_in_the_intensity(seed, factor):
    # Integer or power-of-two factors keep the gray levels exact, so the zero
    # gradients stay exactly zero and no pixel changes bin through rounding.
    images = random_images(seed, dtype=np.float64)
    np.testing.assert_allclose(
        hog_feature(factor * images), factor * hog_feature(images), rtol=1e-12, atol=1e-12
    )


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("offset", [37.0, -12.0])
def test_hog_ignores_a_constant_added_to_the_image(seed, offset):
    images = random_images(seed, dtype=np.float64)
    np.testing.assert_allclose(
        hog_feature(images + offset), hog_feature(images), rtol=1e-9, atol=1e-9
    )


@pytest.mark.parametrize("seed", SEEDS)
def test_rgb_with_equal_channels_equals_gray(seed):
    gray = np.random.default_rng(seed).integers(0, 256, size=(32, 32)).astype(np.uint8)
    rgb = np.repeat(gray[:, :, None], 3, axis=2)
    np.testing.assert_array_equal(hog_feature(rgb), hog_feature(gray))


def test_hog_gray_weights_are_the_standard_ones():
    # A pure red, green or blue image split in two: the edge height is 0.299,
    # 0.587 or 0.114 times 255 (the course's code had 0.144 for blue).
    for channel, weight in enumerate([0.299, 0.587, 0.114]):
        im = np.zeros((32, 32, 3))
        im[:, 16:, channel] = 255
        feats = hog_feature(im).reshape(4, 4, 9)
        assert feats[0, 1, 0] == pytest.approx(8 * 255 * weight / 64, rel=1e-12)


@pytest.mark.parametrize(
    ("im", "shape"),
    [
        (np.zeros((32, 32, 3)), (144,)),
        (np.zeros((32, 32)), (144,)),
        (np.zeros((5, 32, 32, 3), dtype=np.uint8), (5, 144)),
        (np.zeros((16, 40, 3)), (2 * 5 * 9,)),
    ],
)
def test_hog_output_shapes(im, shape):
    feats = hog_feature(im)
    assert feats.shape == shape
    assert feats.dtype == np.float64


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("scale", [1.0, 2.0**-23])
def test_hog_matches_skimage_after_per_cell_l1_normalization(seed, scale):
    # What skimage.feature.hog (0.26) computes with these settings: the same gray
    # image's central differences (zero on the border), magnitude np.hypot,
    # orientation arctan2 in degrees % 180, hard 20-degree bins [20i, 20(i+1)), and
    # the *mean* magnitude per bin over each 8 x 8 cell, accumulated in float32.
    # Then, with one-cell blocks and 'L1', each cell is divided by (its sum + 1e-5).
    # The differences: skimage normalizes, works in float32 (about 1e-7), and puts
    # an orientation that rounds to exactly 180 degrees in no bin (we: bin 0; no
    # such pixel here). At scale 2**-23 the cell sums are near 1e-5, so the eps
    # matters and a wrong overall scale (a sum instead of a mean) would show.
    rng = np.random.default_rng(seed)
    small = rng.integers(0, 256, size=(8, 8, 3)).astype(float)
    smooth = np.kron(small, np.ones((4, 4, 1)))  # large flat areas, as in photos
    smooth += rng.integers(0, 8, size=smooth.shape)  # and some texture
    for im in [smooth, rng.integers(0, 256, size=(32, 32, 3)).astype(float)]:
        gray = (299 * im[..., 0] + 587 * im[..., 1] + 114 * im[..., 2]) / 1000 * scale
        expected = skimage_hog(
            gray,
            orientations=9,
            pixels_per_cell=(8, 8),
            cells_per_block=(1, 1),
            block_norm="L1",
            feature_vector=True,
        )
        ours = hog_feature(gray).reshape(16, 9)
        ours = ours / (ours.sum(axis=1, keepdims=True) + 1e-5)
        assert np.abs(expected).max() > 0.05
        np.testing.assert_allclose(
            ours.ravel(), expected, rtol=0, atol=5e-7, err_msg="hog_feature disagrees with skimage"
        )
        # Our RGB path gives the same as our gray path on that gray image.
        np.testing.assert_allclose(hog_feature(im) * scale, hog_feature(gray), rtol=1e-12)


@pytest.mark.parametrize(
    ("im", "error", "match"),
    [
        (
            np.zeros((30, 32, 3)),
            ValueError,
            r"multiples of the cell size 8.*30 x 32.*im\[:24, :32\]",
        ),
        (np.zeros((5, 32, 32)), ValueError, r"shape \(5, 32, 32\).*np.repeat"),
        (np.zeros(3072), ValueError, r"reshape\(-1, 32, 32, 3\)"),
        (np.zeros((8, 3072)), ValueError, r"shape \(8, 3072\).*reshape\(-1, 32, 32, 3\)"),
        (np.zeros((32, 32, 4)), ValueError, r"shape \(32, 32, 4\).*im\[\.\.\., :3\]"),
        (np.zeros((32, 32), dtype=complex), TypeError, "real pixel values"),
        (np.full((32, 32), np.nan), ValueError, "finite"),
    ],
)
def test_hog_errors_explain_the_fix(im, error, match):
    with pytest.raises(error, match=match):
        hog_feature(im)


# --- color_histogram_hsv ---------------------------------------------------------------


def every_color_on_a_grid():
    """All 32**3 colours with channels in 0, 8, ..., 248, as 32 images of 32 x 32.

    Many of them have a hue exactly on a bin edge: (48, 32, 8), for instance, has
    hue (32 - 8) / (48 - 8) / 6 = 0.1, i.e. 25.5 = the first inner edge for xmax 255.
    """
    levels = np.arange(0, 256, 8)
    colors = np.stack(np.meshgrid(levels, levels, levels, indexing="ij"), axis=-1)
    return colors.reshape(32, 32, 32, 3).astype(np.uint8)


@pytest.mark.parametrize("normalized", [True, False])
@pytest.mark.parametrize(("nbin", "xmin"), [(10, 0), (7, 0), (40, 0), (6, 30)])
def test_hue_histogram_matches_matplotlib_and_np_histogram_on_edges(nbin, xmin, normalized):
    images = every_color_on_a_grid()
    hue = matplotlib.colors.rgb_to_hsv(images / 255)[..., 0] * 255
    if (nbin, xmin) == (10, 0):
        assert np.isin(hue, np.linspace(0, 255, 11)[1:-1]).sum() > 100, "no hue on an edge"
    feats = color_histogram_hsv(images, nbin=nbin, xmin=xmin, normalized=normalized)
    expected = [reference_hue_histogram(im, nbin, xmin, 255, normalized) for im in images]
    np.testing.assert_allclose(feats, expected, rtol=0, atol=1e-12)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize(
    ("dtype", "scale", "xmax"),
    [
        (np.uint8, 1, 255),
        (np.float64, 1, 255),
        (np.float32, 1, 255),
        (np.float64, 1 / 255, 1.0),
        (np.int64, 1, 300),
    ],
    ids=["uint8", "float64", "float32", "float64-unit", "int64-xmax300"],
)
def test_hue_histogram_matches_reference_for_dtypes(seed, dtype, scale, xmax):
    images = (random_images(seed, n=4) * scale).astype(dtype)
    images[0, :8] = images[0, :8, :, :1]  # some gray pixels: hue 0
    for normalized in [True, False]:
        feats = color_histogram_hsv(images, xmax=xmax, normalized=normalized)
        expected = [reference_hue_histogram(im, 10, 0, xmax, normalized) for im in images]
        np.testing.assert_allclose(feats, expected, rtol=0, atol=1e-12)


@pytest.mark.parametrize("seed", SEEDS)
def test_hue_histogram_sums(seed):
    images = random_images(seed, n=5, height=16, width=24)
    np.testing.assert_allclose(color_histogram_hsv(images).sum(axis=1), 1.0, rtol=0, atol=1e-12)
    counts = color_histogram_hsv(images, nbin=13, normalized=False)
    np.testing.assert_array_equal(counts.sum(axis=1), 16 * 24)


@pytest.mark.parametrize("seed", SEEDS)
def test_hue_histogram_stack_equals_one_image_at_a_time(seed):
    images = random_images(seed, n=6, dtype=np.float64)
    stacked = color_histogram_hsv(images, nbin=12)
    assert stacked.shape == (6, 12)
    single = np.stack([color_histogram_hsv(im, nbin=12) for im in images])
    np.testing.assert_allclose(stacked, single, rtol=0, atol=1e-12)


def test_hue_histogram_of_pure_colors():
    im = np.zeros((4, 4, 3), dtype=np.uint8)
    im[:2, :, 0] = 255  # red: hue 0
    im[2:, :, 2] = 255  # blue: hue 2/3, 170 of 255, in bin 6 of [153, 178.5)
    np.testing.assert_array_equal(
        color_histogram_hsv(im, normalized=False), [8, 0, 0, 0, 0, 0, 8, 0, 0, 0]
    )


@pytest.mark.parametrize(
    ("im", "kwargs", "error", "match"),
    [
        (-np.ones((32, 32, 3)), {}, ValueError, r"pixel values in \[0, xmax\].*mean-subtracted"),
        (np.full((32, 32, 3), 2.0), {"xmax": 1.0}, ValueError, r"values in \[0.0, 2.0\]"),
        (np.full((32, 32, 3), np.nan), {}, ValueError, r"pixel values in \[0, xmax\]"),
        (np.zeros((32, 32, 3)), {"xmin": 255}, ValueError, "xmin < xmax"),
        (np.zeros((32, 32, 3)), {"nbin": 0}, ValueError, "1 <= nbin"),
        (np.zeros((32, 32)), {}, ValueError, r"shape \(H, W, 3\).*got .*\(32, 32\)"),
    ],
)
def test_hue_histogram_errors_explain_the_fix(im, kwargs, error, match):
    with pytest.raises(error, match=match):
        color_histogram_hsv(im, **kwargs)


# --- extract_features -------------------------------------------------------------------


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize(("num_images", "batch_size"), [(10, 3), (7, 7), (5, 256), (9, 1)])
def test_extract_features_columns_and_chunks(seed, num_images, batch_size):
    images = random_images(seed, n=num_images)
    feats = extract_features(images, [hog_feature, color_histogram_hsv], batch_size=batch_size)
    assert feats.shape == (num_images, 144 + 10)
    assert feats.dtype == np.float64
    np.testing.assert_array_equal(feats[:, :144], hog_feature(images))
    np.testing.assert_array_equal(feats[:, 144:], color_histogram_hsv(images))
    swapped = extract_features(images, [color_histogram_hsv, hog_feature], batch_size=batch_size)
    np.testing.assert_array_equal(swapped, np.hstack([feats[:, 144:], feats[:, :144]]))


@pytest.mark.parametrize("seed", SEEDS)
def test_plain_functions_are_called_once_per_image_with_the_same_results(seed):
    images = random_images(seed, n=6)
    calls = []

    def hue20(im):
        calls.append(im.shape)
        return color_histogram_hsv(im, nbin=20)

    looped = extract_features(
        images, [hog_feature, hue20, lambda im: im.mean(axis=(0, 1))], batch_size=4
    )
    assert calls == [(32, 32, 3)] * 6
    batched = extract_features(
        images, [hog_feature, functools.partial(color_histogram_hsv, nbin=20)]
    )
    np.testing.assert_allclose(looped[:, :164], batched, rtol=0, atol=1e-12)
    np.testing.assert_allclose(looped[:, 164:], images.mean(axis=(1, 2)), rtol=1e-12)


def test_marked_functions_and_their_partials_receive_chunks():
    shapes = []

    @batch_feature
    def spy(images, width=2):
        shapes.append(images.shape)
        return np.zeros((len(images), width))

    images = random_images(0, n=5)
    feats = extract_features(images, [spy, functools.partial(spy, width=3)], batch_size=2)
    assert feats.shape == (5, 5)
    assert shapes == [(2, 32, 32, 3)] * 4 + [(1, 32, 32, 3)] * 2


def test_verbose_shows_progress_on_stderr(capsys):
    images = random_images(0, n=5)
    quiet = extract_features(images, [hog_feature], batch_size=2)
    assert capsys.readouterr().err == ""
    loud = extract_features(images, [hog_feature], verbose=True, batch_size=2)
    err = capsys.readouterr().err
    assert "5/5" in err
    np.testing.assert_array_equal(quiet, loud)


@pytest.mark.parametrize(
    ("imgs", "fns", "kwargs", "error", "match"),
    [
        (np.zeros((4, 3072)), [hog_feature], {}, ValueError, r"reshape\(-1, 32, 32, 3\)"),
        (np.zeros((32, 32, 3)), [hog_feature], {}, ValueError, r"imgs\[None\]"),
        (np.zeros((0, 32, 32, 3)), [hog_feature], {}, ValueError, "at least one image"),
        (np.zeros((2, 32, 32, 3)), [], {}, ValueError, "at least one feature function"),
        (np.zeros((2, 32, 32, 3)), hog_feature, {}, TypeError, r"Wrap it in a list"),
        (np.zeros((2, 32, 32, 3)), [hog_feature], {"batch_size": 0}, ValueError, "1 <= batch_size"),
        (
            np.zeros((2, 32, 32, 3)),
            [lambda im: im[:2, :2, 0]],
            {},
            ValueError,
            r"feature_fns\[0\] \(<lambda>\) returned an array of shape \(2, 2\).*1-D",
        ),
        (
            np.zeros((2, 32, 32, 3)),
            [hog_feature, lambda im: 1.0],
            {},
            ValueError,
            r"feature_fns\[1\].*shape \(\)",
        ),
        (
            np.arange(3)[:, None, None, None] * np.ones((3, 32, 32, 3)),
            [lambda im: np.zeros(int(im[0, 0, 0]) + 1)],
            {},
            ValueError,
            r"feature_fns\[0\] \(<lambda>\) returned 2 features for image 1 but 1 for image 0",
        ),
        (
            np.arange(3)[:, None, None, None] * np.ones((3, 32, 32, 3)),
            [lambda im: np.zeros(int(im[0, 0, 0]) + 1)],
            {"batch_size": 1},
            ValueError,
            "2 features per image for a later chunk of images but 1 for the first",
        ),
        (
            np.zeros((2, 32, 32, 3)),
            [batch_feature(lambda ims: np.zeros(3))],
            {},
            ValueError,
            r"marked with batch_feature.*shape \(2, F\).*got shape \(3,\)",
        ),
    ],
)
def test_extract_features_errors_explain_the_fix(imgs, fns, kwargs, error, match):
    with pytest.raises(error, match=match):
        extract_features(imgs, fns, **kwargs)


@pytest.mark.parametrize("seed", SEEDS)
def test_standardize_uses_training_statistics_only(seed):
    rng = np.random.default_rng(seed)
    F_train = rng.normal(5.0, 3.0, size=(50, 4))
    F_train[:, 2] = 7.0  # constant on the training set: centred, not scaled
    F_val = rng.normal(size=(8, 4))
    Z_train, Z_val = standardize_features(F_train, F_val)
    assert Z_train.shape == (50, 5)
    np.testing.assert_array_equal(Z_train[:, -1], 1.0)
    np.testing.assert_allclose(Z_train[:, [0, 1, 3]].mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(Z_train[:, [0, 1, 3]].std(axis=0), 1, rtol=1e-12)
    np.testing.assert_array_equal(Z_train[:, 2], 0.0)
    mean, std = F_train.mean(axis=0), F_train.std(axis=0)
    std[2] = 1.0
    np.testing.assert_allclose(Z_val[:, :-1], (F_val - mean) / std, rtol=1e-12)
    (only,) = standardize_features(F_train, add_bias=False)
    np.testing.assert_allclose(only, Z_train[:, :-1], rtol=0, atol=0)


def test_standardize_rejects_mismatched_splits():
    with pytest.raises(ValueError, match="the 4 features of F_train, got 3 in F_others"):
        standardize_features(np.ones((5, 4)), np.ones((2, 4)), np.ones((2, 3)))
    with pytest.raises(ValueError, match="2-D array"):
        standardize_features(np.ones(5))
