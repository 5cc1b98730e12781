"""Unit tests of KNearestNeighbor on small synthetic data."""

import numpy as np
import pytest
from scipy.spatial.distance import cdist

from cs231n_lib.classifiers import KNearestNeighbor

VARIANTS = [
    "compute_distances_two_loops",
    "compute_distances_one_loop",
    "compute_distances_no_loops",
]


def make_data(seed, num_train=40, num_test=15, dim=7, num_classes=4):
    rng = np.random.default_rng(seed)
    X_train = rng.normal(size=(num_train, dim))
    y_train = rng.integers(0, num_classes, size=num_train)
    X_test = rng.normal(size=(num_test, dim))
    return X_train, y_train, X_test


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize(("num_train", "num_test", "dim"), [(40, 15, 7), (1, 1, 1), (300, 3, 50)])
def test_distances_match_cdist(seed, variant, num_train, num_test, dim):
    X_train, y_train, X_test = make_data(seed, num_train, num_test, dim)
    knn = KNearestNeighbor().train(X_train, y_train)
    dists = getattr(knn, variant)(X_test)
    expected = cdist(X_test, X_train)
    assert dists.shape == (num_test, num_train)
    np.testing.assert_allclose(
        dists, expected, rtol=1e-10, atol=1e-10, err_msg=f"{variant} disagrees with cdist"
    )


@pytest.mark.parametrize("seed", range(3))
def test_three_variants_agree_on_image_like_data(seed):
    # Pixel values 0..255 in 3072 dimensions, as in CIFAR-10 (the no-loop
    # expansion loses a little precision there, but far less than 1e-3).
    rng = np.random.default_rng(seed)
    X_train = rng.integers(0, 256, size=(60, 3072)).astype(np.float64)
    X_test = rng.integers(0, 256, size=(9, 3072)).astype(np.float64)
    knn = KNearestNeighbor().train(X_train, rng.integers(0, 10, size=60))
    two, one, none = (getattr(knn, v)(X_test) for v in VARIANTS)
    assert np.linalg.norm(two - one, ord="fro") < 1e-3
    assert np.linalg.norm(two - none, ord="fro") < 1e-3


def test_no_loop_distances_never_negative_or_nan():
    # Large, nearly identical vectors: ||x||^2 + ||t||^2 - 2 x.t cancels badly and
    # rounds below zero, where a square root without the clamp gives NaN.
    rng = np.random.default_rng(0)
    X_train = 1e6 + rng.normal(scale=1e-3, size=(200, 64))
    X_test = X_train[:50].copy()
    raw = (X_test**2).sum(1)[:, None] + (X_train**2).sum(1) - 2 * X_test @ X_train.T
    assert raw.min() < 0, "the data should provoke negative rounding"
    knn = KNearestNeighbor().train(X_train, np.zeros(200, dtype=int))
    dists = knn.compute_distances_no_loops(X_test)
    assert np.all(np.isfinite(dists))
    assert dists.min() >= 0.0


def test_float32_input_keeps_float32():
    X_train, y_train, X_test = make_data(0)
    knn = KNearestNeighbor().train(X_train.astype(np.float32), y_train)
    dists = knn.compute_distances_no_loops(X_test.astype(np.float32))
    assert dists.dtype == np.float32
    np.testing.assert_allclose(dists, cdist(X_test, X_train), rtol=1e-4, atol=1e-4)


def classifier_with_labels(labels):
    labels = np.asarray(labels)
    return KNearestNeighbor().train(np.zeros((len(labels), 1)), labels)


def test_predict_labels_majority_vote():
    knn = classifier_with_labels([0, 1, 1, 2, 2])
    dists = np.array(
        [
            [0.1, 0.2, 0.3, 5.0, 6.0],  # nearest 3: 0, 1, 1 -> 1
            [9.0, 8.0, 7.0, 0.5, 0.6],
        ]
    )  # nearest 3: 2, 2, 1 -> 2
    np.testing.assert_array_equal(knn.predict_labels(dists, k=3), [1, 2])
    np.testing.assert_array_equal(knn.predict_labels(dists, k=1), [0, 2])


def test_predict_labels_breaks_vote_ties_toward_smaller_label():
    knn = classifier_with_labels([3, 1, 2, 0])
    # Each of the two nearest carries one vote: the smaller label wins, whatever the order.
    dists = np.array(
        [
            [0.1, 0.2, 9.0, 9.0],  # votes 3 and 1 -> 1
            [9.0, 9.0, 0.2, 0.1],  # votes 0 and 2 -> 0
            [0.3, 0.4, 0.1, 0.2],
        ]
    )  # k=4: one vote each -> 0
    np.testing.assert_array_equal(knn.predict_labels(dists[:2], k=2), [1, 0])
    np.testing.assert_array_equal(knn.predict_labels(dists[2:], k=4), [0])


def test_predict_labels_equal_distances_prefer_earlier_training_example():
    knn = classifier_with_labels([4, 2, 7])
    dists = np.array([[1.0, 1.0, 1.0]])
    assert knn.predict_labels(dists, k=1)[0] == 4


def test_predict_returns_int_labels_and_all_loop_counts_agree():
    X_train, y_train, X_test = make_data(1, num_train=50, num_test=20)
    knn = KNearestNeighbor().train(X_train, y_train)
    used = []
    for name in VARIANTS:  # record which distance method each prediction runs
        method = getattr(knn, name)
        setattr(knn, name, lambda X, name=name, method=method: used.append(name) or method(X))
    predictions = [knn.predict(X_test, k=3, num_loops=n) for n in (0, 1, 2)]
    assert used == VARIANTS[::-1]  # num_loops 0, 1, 2
    for y_pred in predictions:
        assert y_pred.dtype == np.int64
        assert y_pred.shape == (20,)
        np.testing.assert_array_equal(y_pred, predictions[0])
    expected = reference_predict_labels(cdist(X_test, X_train), y_train, 3)
    np.testing.assert_array_equal(predictions[0], expected)


def test_one_nearest_neighbour_recovers_training_labels():
    X_train, y_train, _ = make_data(2, num_train=60)
    knn = KNearestNeighbor().train(X_train, y_train)
    np.testing.assert_array_equal(knn.predict(X_train, k=1), y_train)


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda knn, X: knn.predict(X, num_loops=3), ValueError, "one of 0, 1, 2, got 3. Use 0"),
        (lambda knn, X: knn.predict(X, num_loops=True), ValueError, "num_loops.*got True"),
        (lambda knn, X: knn.predict(X, k=0), ValueError, r"1 <= k <= 10, got k=0"),
        (lambda knn, X: knn.predict(X, k=11), ValueError, r"1 <= k <= 10, got k=11"),
        (lambda knn, X: knn.predict(X, k=2.5), TypeError, "k to be an integer"),
        (lambda knn, X: knn.predict(X[0]), ValueError, r"2-D array.*reshape\(1, -1\)"),
        (
            lambda knn, X: knn.predict(X.reshape(4, 1, 3, 1)),
            ValueError,
            r"got an array of shape \(4, 1, 3, 1\).*Flatten",
        ),
        (lambda knn, X: knn.predict(X[:, :2]), ValueError, "D=3 columns.*got 2"),
        (
            lambda knn, X: knn.predict_labels(np.zeros((4, 9))),
            ValueError,
            r"shape \(num_test, 10\)",
        ),
    ],
)
def test_invalid_input_errors_explain_the_fix(call, error, match):
    knn = KNearestNeighbor().train(np.zeros((10, 3)), np.arange(10) % 2)
    with pytest.raises(error, match=match):
        call(knn, np.ones((4, 3)))


def test_predict_before_train_says_call_train():
    with pytest.raises(RuntimeError, match="call train"):
        KNearestNeighbor().predict(np.ones((2, 3)))


@pytest.mark.parametrize(
    ("X", "y", "match"),
    [
        (np.zeros((5, 3)), np.zeros(4), r"shape \(5,\)"),
        (np.zeros((5, 3)), np.full(5, -1), ">= 0"),
        (np.zeros((5, 3)), np.full(5, 0.5), "integer class labels"),
        (np.zeros((0, 3)), np.zeros(0), "at least one training example"),
    ],
)
def test_train_validates_labels(X, y, match):
    with pytest.raises(ValueError, match=match):
        KNearestNeighbor().train(X, y)


def reference_predict_labels(dists, y_train, k):
    """Sort every row (ties: earlier training example first), count votes in Python."""
    y_pred = []
    for row in dists:
        votes = np.bincount(y_train[np.argsort(row, kind="stable")[:k]])
        y_pred.append(int(np.flatnonzero(votes == votes.max())[0]))
    return np.array(y_pred)


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("k", [1, 2, 3, 7, 30])
def test_predict_labels_matches_reference_with_many_distance_ties(seed, k):
    # Small integer distances: most rows have ties at the k-th distance.
    rng = np.random.default_rng(seed)
    y_train = rng.integers(0, 5, size=30)
    dists = rng.integers(0, 4, size=(25, 30)).astype(float)
    knn = classifier_with_labels(y_train)
    np.testing.assert_array_equal(
        knn.predict_labels(dists, k=k), reference_predict_labels(dists, y_train, k)
    )


def test_predict_labels_rejects_nan_distances():
    knn = classifier_with_labels([0, 1])
    with pytest.raises(ValueError, match=r"NaN.*Clamp"):
        knn.predict_labels(np.array([[0.0, np.nan]]))
