"""Tests of the bag-of-visual-words features: patches, whitening, k-means, encoding."""

import time

import numpy as np
import pytest
from scipy.optimize import linear_sum_assignment
from scipy.spatial.distance import cdist

from cs231n_lib.classifiers import LinearSVM, Softmax
from cs231n_lib.datasets import get_cifar10_images
from cs231n_lib.features import (
    BagOfWords,
    apply_zca,
    assign_clusters,
    extract_patches,
    fit_zca,
    kmeans,
    normalize_patches,
    num_patch_positions,
    quadrant_sum_pool,
    sample_patches,
    squared_distances,
    standardize_features,
    triangle_encode,
    whiten_features,
)

SEEDS = range(5)


def random_images(seed, n=6, size=32):
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, size=(n, size, size, 3), dtype=np.uint8)


def smooth_images(seed, n=12, size=32):
    """Images with structure (blurred noise), so that patches are correlated."""
    rng = np.random.default_rng(seed)
    small = rng.integers(0, 256, size=(n, size // 4, size // 4, 3)).astype(np.float64)
    big = np.kron(small, np.ones((1, 4, 4, 1)))
    big += rng.normal(scale=10, size=big.shape)
    return np.clip(big, 0, 255).astype(np.uint8)


# --- patches ------------------------------------------------------------------------


@pytest.mark.parametrize("stride", [1, 2, 3])
@pytest.mark.parametrize("patch_size", [1, 6])
def test_extract_patches_matches_slicing(patch_size, stride):
    images = random_images(0, n=2, size=11)
    patches = extract_patches(images, patch_size, stride)
    grid = num_patch_positions(11, patch_size, stride)
    assert patches.shape == (2, grid, grid, 3 * patch_size**2)
    assert patches.dtype == np.float32
    for i in range(2):
        for a in range(grid):
            for b in range(grid):
                r, c = a * stride, b * stride
                expected = images[i, r : r + patch_size, c : c + patch_size].ravel()
                np.testing.assert_array_equal(patches[i, a, b], expected)


def test_num_patch_positions():
    assert num_patch_positions(32, 6, 1) == 27
    assert num_patch_positions(32, 6, 2) == 14


@pytest.mark.parametrize("seed", SEEDS)
def test_sample_patches_are_patches_of_the_images(seed):
    images = random_images(seed, n=3, size=10)
    patches = sample_patches(images, 50, patch_size=4, rng=seed)
    assert patches.shape == (50, 48)
    assert patches.dtype == np.float32
    every = extract_patches(images, 4, 1).reshape(-1, 48)  # all patches of all images
    found = (cdist(patches, every) == 0).any(axis=1)
    assert found.all()
    np.testing.assert_array_equal(patches, sample_patches(images, 50, patch_size=4, rng=seed))


@pytest.mark.parametrize("seed", SEEDS)
def test_normalize_patches_zero_mean_unit_variance(seed):
    rng = np.random.default_rng(seed)
    patches = rng.integers(0, 256, size=(500, 108)).astype(np.float32)  # high contrast
    out = normalize_patches(patches)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out.mean(axis=1), 0, atol=1e-5)
    # var / (var + 10) with var ~ 5000: unit variance to within 0.5%.
    np.testing.assert_allclose(out.var(axis=1), 1, rtol=5e-3)
    reference = (patches - patches.mean(1, keepdims=True)) / np.sqrt(
        patches.astype(np.float64).var(1, keepdims=True) + 10
    )
    np.testing.assert_allclose(out, reference, rtol=1e-5, atol=1e-5)


def test_normalize_patches_keeps_flat_patches_flat():
    flat = np.full((2, 108), 128.0, dtype=np.float32)
    np.testing.assert_array_equal(normalize_patches(flat), 0)


@pytest.mark.parametrize("seed", SEEDS)
def test_whitened_patches_have_identity_covariance(seed):
    patches = sample_patches(smooth_images(seed), 20000, rng=seed)
    mean, P = fit_zca(patches, eps=1e-6)
    np.testing.assert_allclose(P, P.T, atol=1e-6)
    white = apply_zca(patches, mean, P).astype(np.float64)
    cov = np.cov(white, rowvar=False, bias=True)
    worst = np.abs(cov - np.eye(108)).max()
    assert worst < 1e-2, f"whitened covariance differs from the identity by {worst:.3g}"
    np.testing.assert_allclose(white.mean(axis=0), 0, atol=1e-3)


def test_zca_eps_damps_small_directions():
    rng = np.random.default_rng(0)
    scales = np.array([10.0, 1.0, 0.1])
    X = rng.normal(size=(50000, 3)) * scales
    mean, P = fit_zca(X, eps=0.1)
    cov = np.cov(apply_zca(X, mean, P).astype(np.float64), rowvar=False, bias=True)
    lam = X.var(axis=0)
    np.testing.assert_allclose(np.diag(cov), lam / (lam + 0.1), rtol=1e-3, atol=1e-4)


def test_zca_eps_zero_on_singular_covariance_raises():
    patches = normalize_patches(sample_patches(random_images(0), 500))
    with pytest.raises(ValueError, match="eps > 0"):
        fit_zca(patches, eps=0)


# --- k-means ------------------------------------------------------------------------


def test_squared_distances_match_cdist():
    rng = np.random.default_rng(0)
    X, C = rng.normal(size=(40, 7)), rng.normal(size=(9, 7))
    d2 = squared_distances(X, C)
    np.testing.assert_allclose(d2, cdist(X, C, "sqeuclidean"), rtol=1e-10, atol=1e-10)
    assert squared_distances(X, X).min() >= 0  # clamped: the diagonal is exactly >= 0


def blobs(seed, num_clusters=5, dim=3, num=1500):
    rng = np.random.default_rng(seed)
    centers = rng.normal(size=(num_clusters, dim)) * 20
    X = centers[rng.integers(num_clusters, size=num)] + rng.normal(size=(num, dim))
    return X.astype(np.float32), centers


@pytest.mark.parametrize("batch_size", [100, 10000])
@pytest.mark.parametrize("seed", SEEDS)
def test_kmeans_recovers_separated_clusters(seed, batch_size):
    X, centers = blobs(seed)
    C, inertia = kmeans(X, 5, num_epochs=10, batch_size=batch_size, rng=seed)
    assert C.shape == (5, 3)
    assert C.dtype == np.float32
    dist = cdist(C, centers)
    rows, cols = linear_sum_assignment(dist)  # match up to a permutation
    worst = dist[rows, cols].max()
    assert worst < 0.3, f"a centroid is {worst:.3g} from its true center (noise 1, spread 20)"
    _, min_dists = assign_clusters(X, C)
    np.testing.assert_allclose(inertia, min_dists.sum(dtype=np.float64), rtol=1e-6)


@pytest.mark.parametrize("seed", range(10))
def test_kmeans_reseeds_empty_clusters(seed):
    # Two distinct points, 50 copies each: random seeding puts both centroids on the
    # same point half the time; all points then go to the first one (ties go to the
    # lowest index), the second is empty and must be moved to a random point.
    X = np.repeat(np.array([[0.0, 0.0], [10.0, 0.0]], np.float32), 50, axis=0)
    C, _ = kmeans(X, 2, num_epochs=40, batch_size=100, init="random", rng=seed)
    labels, _ = assign_clusters(X, C)
    assert np.bincount(labels, minlength=2).tolist() == [50, 50]
    assert np.isfinite(C).all()


def test_kmeans_same_seed_same_centroids():
    X, _ = blobs(0)
    C1, i1 = kmeans(X, 4, rng=3)
    C2, i2 = kmeans(X, 4, rng=np.random.default_rng(3))
    np.testing.assert_array_equal(C1, C2)
    assert i1 == i2


def test_kmeans_errors():
    X, _ = blobs(0, num=10)
    with pytest.raises(ValueError, match="num_clusters <= the number of points M=10"):
        kmeans(X, 11)
    with pytest.raises(ValueError, match="init"):
        kmeans(X, 2, init="kmeans")
    with pytest.raises(ValueError, match="same D"):
        squared_distances(X, np.zeros((2, 4)))


# --- encoding and pooling -----------------------------------------------------------


def test_triangle_encode_by_hand():
    dists = np.array([[1.0, 2.0, 3.0], [4.0, 4.0, 4.0], [0.0, 3.0, 9.0]])
    # Row means 2, 4 and 4.
    expected = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 0.0], [4.0, 1.0, 0.0]])
    np.testing.assert_array_equal(triangle_encode(dists), expected)
    triangle_encode(dists, out=dists)  # in place
    np.testing.assert_array_equal(dists, expected)


def test_quadrant_sum_pool_by_hand():
    codes = np.arange(16.0).reshape(1, 4, 4, 1)
    # [[ 0  1  2  3]
    #  [ 4  5  6  7]
    #  [ 8  9 10 11]
    #  [12 13 14 15]]
    expected = [[0 + 1 + 4 + 5, 2 + 3 + 6 + 7, 8 + 9 + 12 + 13, 10 + 11 + 14 + 15]]
    np.testing.assert_array_equal(quadrant_sum_pool(codes), expected)


def test_quadrant_sum_pool_odd_grid_and_channels():
    codes = np.arange(18.0).reshape(1, 3, 3, 2)  # K=2; the middle row/column goes first
    pooled = quadrant_sum_pool(codes)
    assert pooled.shape == (1, 8)
    word0 = codes[0, :, :, 0]  # [[0 2 4] [6 8 10] [12 14 16]]
    expected0 = [0 + 2 + 6 + 8, 4 + 10, 12 + 14, 16]
    np.testing.assert_array_equal(pooled[0, 0::2], expected0)
    # Word 1 is word 0 plus one in every cell: add the number of cells per quadrant.
    np.testing.assert_array_equal(pooled[0, 1::2], np.add(expected0, [4, 2, 2, 1]))
    assert word0.sum() == sum(expected0)


def test_quadrant_sum_pool_rejects_a_one_row_grid():
    with pytest.raises(ValueError, match="G_h, G_w >= 2"):
        quadrant_sum_pool(np.zeros((2, 1, 5, 3)))


# --- the extractor ------------------------------------------------------------------


def small_bow(**kwargs):
    options = {"num_words": 20, "stride": 3, "kmeans_epochs": 3, "kmeans_batch_size": 500}
    return BagOfWords(**{**options, **kwargs})


def test_bow_shapes_and_values():
    images = smooth_images(0)
    bow = small_bow().fit(images, num_patches=2000, rng=0)
    F = bow.transform(images)
    assert F.shape == (len(images), 80)
    assert F.dtype == np.float32
    assert bow.num_features == 80
    assert bow.centroids_.shape == (20, 108)
    assert bow.zca_.shape == (108, 108)
    assert (F >= 0).all()
    assert (F.sum(axis=1) > 0).all()


def test_bow_transform_matches_a_direct_computation():
    images = smooth_images(1, n=3)
    bow = small_bow(stride=2).fit(images, num_patches=1000, rng=1)
    patches = extract_patches(images, 6, 2).astype(np.float64)  # (3, 14, 14, 108)
    flat = patches.reshape(-1, 108)
    flat = (flat - flat.mean(1, keepdims=True)) / np.sqrt(flat.var(1, keepdims=True) + 10)
    white = (flat - bow.zca_mean_) @ bow.zca_.astype(np.float64)
    z = cdist(white, bow.centroids_.astype(np.float64))
    f = np.maximum(0, z.mean(axis=1, keepdims=True) - z).reshape(3, 14, 14, 20)
    expected = np.concatenate(
        [
            f[:, :7, :7].sum((1, 2)),
            f[:, :7, 7:].sum((1, 2)),
            f[:, 7:, :7].sum((1, 2)),
            f[:, 7:, 7:].sum((1, 2)),
        ],
        axis=1,
    )
    np.testing.assert_allclose(bow.transform(images), expected, rtol=1e-3, atol=1e-2)


def test_bow_is_deterministic_for_a_seed():
    images = smooth_images(2)
    F1 = small_bow().fit(images, num_patches=2000, rng=5).transform(images)
    F2 = small_bow().fit(images, num_patches=2000, rng=5).transform(images)
    F3 = small_bow().fit(images, num_patches=2000, rng=6).transform(images)
    np.testing.assert_array_equal(F1, F2)
    assert not np.allclose(F1, F3)


@pytest.mark.parametrize("batch_size", [1, 5, 7, 100])
def test_bow_transform_independent_of_batch_size(batch_size):
    images = smooth_images(3)
    bow = small_bow().fit(images, num_patches=2000, rng=0)
    np.testing.assert_allclose(
        bow.transform(images, batch_size=batch_size),
        bow.transform(images, batch_size=4),
        # float32 products: BLAS may block a batch of another shape differently, which
        # moves the last digits (seen up to 8e-5 relative on an AMD EPYC).
        rtol=2e-4,
        atol=1e-4,
    )


@pytest.mark.parametrize("n_jobs", [2, 3])
def test_bow_transform_same_with_threads(n_jobs):
    images = smooth_images(4, n=9)
    bow = small_bow().fit(images, num_patches=2000, rng=0)
    serial = bow.transform(images, batch_size=2, n_jobs=1)
    threaded = bow.transform(images, batch_size=2, n_jobs=n_jobs)
    # One BLAS thread per chunk against the default threads: see the batch-size test.
    np.testing.assert_allclose(threaded, serial, rtol=2e-4, atol=1e-4)
    assert (serial > 0).any()


def test_bow_transform_error_in_a_thread_stops_the_rest(monkeypatch):
    images = smooth_images(5, n=200)
    bow = small_bow().fit(images, num_patches=2000, rng=0)
    calls = []

    def encode_chunk(chunk):
        calls.append(len(chunk))
        if len(calls) == 2:
            raise MemoryError("chunk 2 failed")
        time.sleep(0.01)
        return np.zeros((len(chunk), bow.num_features), np.float32)

    monkeypatch.setattr(bow, "_encode_chunk", encode_chunk)
    with pytest.raises(MemoryError, match="chunk 2 failed"):
        bow.transform(images, batch_size=2, n_jobs=2)  # 100 chunks
    assert len(calls) < 20, f"{len(calls)} of 100 chunks ran after the error"


def test_bow_errors():
    images = smooth_images(0)
    with pytest.raises(ValueError, match=r"num_patches >= num_words"):
        small_bow(num_words=50).fit(images, num_patches=40)
    with pytest.raises(ValueError, match=r"\(N, H, W, 3\)"):
        small_bow().fit(images[..., 0], num_patches=100)
    with pytest.raises(ValueError, match="channels come first"):
        small_bow().fit(images.transpose(0, 3, 1, 2), num_patches=100)
    with pytest.raises(RuntimeError, match="call fit"):
        small_bow().transform(images)
    bow = small_bow().fit(images, num_patches=500)
    with pytest.raises(ValueError, match="size of the images given to fit"):
        bow.transform(random_images(0, size=16))
    with pytest.raises(ValueError, match="patch_size <= the image height"):
        small_bow(patch_size=8).fit(random_images(0, size=6), num_patches=100)
    with pytest.raises(TypeError, match="rng"):
        small_bow().fit(images, num_patches=100, rng="seed")
    with pytest.raises(ValueError, match="n_jobs"):
        bow.transform(images, n_jobs=0)


# --- whitening of features ----------------------------------------------------------


def correlated_features(seed, num=3000, dim=40):
    """(num, dim) features mixed from dim latent ones with singular values 1 to 1000,
    and labels of 4 classes that a linear rule on the latent features gives."""
    rng = np.random.default_rng(seed)
    latent = rng.standard_normal((num, dim))
    q1, _ = np.linalg.qr(rng.standard_normal((dim, dim)))
    q2, _ = np.linalg.qr(rng.standard_normal((dim, dim)))
    mixing = q1 @ np.diag(np.logspace(0, 3, dim)) @ q2
    labels = (latent @ rng.standard_normal((dim, 4))).argmax(axis=1)
    return latent @ mixing, labels


@pytest.mark.parametrize("seed", SEEDS)
def test_whitened_features_have_identity_second_moments(seed):
    F, _ = correlated_features(seed)
    F_val = F[:100] + 1.0
    Z, Z_val = whiten_features(F, F_val, eps=1e-12)
    np.testing.assert_allclose(Z.T @ Z / len(Z), np.eye(F.shape[1]), atol=1e-6)
    # One linear map for every split: Z = F @ T, and the same T gives Z_val.
    T = np.linalg.lstsq(F, Z, rcond=None)[0]
    np.testing.assert_allclose(F @ T, Z, atol=1e-8)
    np.testing.assert_allclose(F_val @ T, Z_val, atol=1e-7)


def test_whiten_features_eps_damps_weak_directions():
    F, _ = correlated_features(0)
    F = F / np.sqrt(np.mean(F**2))  # mean second moment s = 1
    (Z,) = whiten_features(F, eps=0.1)
    lam = np.linalg.eigvalsh(F.T @ F / len(F))
    expected = np.sort(lam / (lam + 0.1))
    np.testing.assert_allclose(np.linalg.eigvalsh(Z.T @ Z / len(Z)), expected, atol=1e-8)
    assert expected[0] < 0.01
    assert expected[-1] > 0.99


def test_whiten_features_dtypes_and_errors():
    F, _ = correlated_features(1, num=200, dim=10)
    Z32, Z32b = whiten_features(F.astype(np.float32), F[:5].astype(np.float32))
    assert Z32.dtype == np.float32
    assert Z32.shape == (200, 10)
    assert Z32b.shape == (5, 10)
    (Z64,) = whiten_features(F)
    assert Z64.dtype == np.float64
    _, Z32d = whiten_features(F.astype(np.float32), F[:5])  # float64 other split
    assert Z32d.dtype == np.float32
    np.testing.assert_allclose(Z32d, Z32b, rtol=1e-5, atol=1e-5)
    with pytest.raises(ValueError, match="eps > 0"):
        whiten_features(F[:5], eps=0)  # 5 rows, 10 features: singular
    with pytest.raises(ValueError, match="10 features of F_train"):
        whiten_features(F, F[:, :9])
    with pytest.raises(ValueError, match="all-zero"):
        whiten_features(np.zeros((5, 3)))


def test_sgd_on_whitened_features_fits_what_raw_features_do_not():
    F, y = correlated_features(2)
    (Z,) = whiten_features(F, eps=1e-6)

    def best_train_accuracy(X):  # the best of a grid of learning rates, 300 steps each
        accuracies = []
        for lr in 10.0 ** np.arange(-9, 1):
            model = Softmax()
            try:
                model.train(X, y, learning_rate=lr, reg=0.0, num_iters=300, batch_size=100, rng=0)
            except FloatingPointError:  # diverged
                continue
            accuracies.append(np.mean(model.predict(X) == y))
        return max(accuracies)

    raw, white = best_train_accuracy(F), best_train_accuracy(Z)
    assert white > 0.9, white
    assert white > raw + 0.1, (raw, white)


# --- real data ----------------------------------------------------------------------


@pytest.mark.cifar
def test_bow_on_cifar_beats_chance_by_far(cifar_root):
    data = get_cifar10_images(num_training=5000, num_validation=1000, num_test=0, root=cifar_root)
    bow = BagOfWords(num_words=100, stride=2, kmeans_epochs=5)
    bow.fit(data["X_train"], num_patches=20000, rng=0)
    F_train, F_val = standardize_features(
        bow.transform(data["X_train"]), bow.transform(data["X_val"])
    )
    model = LinearSVM()
    model.train(
        F_train,
        data["y_train"],
        learning_rate=1e-3,
        reg=1e-2,
        num_iters=1000,
        batch_size=256,
        rng=0,
    )
    val_acc = np.mean(model.predict(F_val) == data["y_val"])
    assert val_acc > 0.35, f"validation accuracy {val_acc:.3f} with K=100 on 5,000 images"
