"""k-fold splitting, cross-validation and the choice of k."""

import numpy as np
import pytest
from scipy.spatial.distance import cdist

from cs231n_lib.cross_validation import best_k, cross_validate, cross_validate_knn, split_folds


@pytest.mark.parametrize(("n", "num_folds"), [(10, 3), (10, 5), (7, 7), (5000, 5), (23, 4)])
def test_fold_sizes_follow_array_split(n, num_folds):
    X = np.arange(2 * n, dtype=float).reshape(n, 2)
    y = np.arange(n) % 3
    X_folds, y_folds = split_folds(X, y, num_folds)
    expected = [len(a) for a in np.array_split(np.arange(n), num_folds)]
    assert [len(f) for f in X_folds] == expected == [len(f) for f in y_folds]
    np.testing.assert_array_equal(np.concatenate(X_folds), X)  # consecutive, nothing lost
    np.testing.assert_array_equal(np.concatenate(y_folds), y)


@pytest.mark.parametrize(
    ("num_folds", "match"), [(1, "2 <= num_folds <= 4"), (5, "2 <= num_folds <= 4")]
)
def test_split_folds_rejects_bad_fold_counts(num_folds, match):
    with pytest.raises(ValueError, match=match):
        split_folds(np.zeros((4, 2)), np.zeros(4, dtype=int), num_folds)


def test_cross_validate_trains_on_other_folds_and_scores_held_out_fold():
    X = np.arange(10, dtype=float).reshape(10, 1)
    y = np.array([0, 0, 1, 1, 1, 1, 1, 1, 1, 1])
    seen = []

    def fit_predict(X_tr, y_tr, X_val):
        seen.append((X_tr[:, 0].tolist(), X_val[:, 0].tolist()))
        majority = np.bincount(y_tr).argmax()  # predicts the training majority
        return np.full(len(X_val), majority)

    accuracies = cross_validate(fit_predict, X, y, num_folds=5)
    assert seen[0] == ([2, 3, 4, 5, 6, 7, 8, 9], [0, 1])
    assert seen[4] == ([0, 1, 2, 3, 4, 5, 6, 7], [8, 9])
    # The folds hold labels 00, 11, 11, 11, 11: the training majority is always 1.
    assert accuracies == [0.0, 1.0, 1.0, 1.0, 1.0]


def test_cross_validate_checks_prediction_shape():
    with pytest.raises(ValueError, match=r"expected \(2,\)"):
        cross_validate(lambda a, b, c: np.zeros(1), np.zeros((10, 1)), np.zeros(10, int))


def reference_knn_accuracy(X_tr, y_tr, X_val, y_val, k):
    """A kNN written independently: scipy distances, Python vote counting."""
    order = np.argsort(cdist(X_val, X_tr), axis=1, kind="stable")[:, :k]
    y_pred = []
    for row in y_tr[order]:
        counts = np.bincount(row)
        y_pred.append(int(np.flatnonzero(counts == counts.max())[0]))
    return float(np.mean(np.array(y_pred) == y_val))


@pytest.mark.parametrize("seed", range(3))
def test_cross_validate_knn_matches_a_reference(seed):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(53, 4))
    y = rng.integers(0, 3, size=53)
    k_choices = [1, 2, 5, 9]
    results = cross_validate_knn(X, y, k_choices, num_folds=4, progress=False)
    assert sorted(results) == k_choices
    X_folds, y_folds = np.array_split(X, 4), np.array_split(y, 4)
    for k in k_choices:
        expected = []
        for i in range(4):
            X_tr = np.concatenate(X_folds[:i] + X_folds[i + 1 :])
            y_tr = np.concatenate(y_folds[:i] + y_folds[i + 1 :])
            expected.append(reference_knn_accuracy(X_tr, y_tr, X_folds[i], y_folds[i], k))
        np.testing.assert_allclose(results[k], expected, err_msg=f"k={k}")


def noisy_blobs(seed, n=1000, flip=0.3):
    """Two well separated Gaussian blobs with 30% of the labels flipped at random.

    1-NN copies the noise (accuracy about 0.7^2 + 0.3^2 = 0.58); a large k votes
    it away (accuracy about 0.7): cross-validation must prefer a large k.
    """
    rng = np.random.default_rng(seed)
    y_true = rng.integers(0, 2, size=n)
    X = rng.normal(size=(n, 2)) + 6.0 * y_true[:, None]
    flipped = rng.random(n) < flip
    return X, np.where(flipped, 1 - y_true, y_true)


@pytest.mark.parametrize("seed", range(4))
def test_cross_validation_picks_large_k_on_noisy_labels(seed):
    X, y = noisy_blobs(seed)
    results = cross_validate_knn(X, y, [1, 3, 51, 151], num_folds=5, progress=False)
    assert best_k(results) in (51, 151)
    assert np.mean(results[1]) < np.mean(results[best_k(results)]) - 0.05


def test_cross_validate_knn_rejects_k_larger_than_a_training_fold():
    X, y = noisy_blobs(0, n=20)
    with pytest.raises(ValueError, match="every k <= 16"):
        cross_validate_knn(X, y, [1, 17], num_folds=5, progress=False)


def test_best_k_takes_highest_mean_and_breaks_ties_toward_smaller_k():
    assert best_k({1: [0.2, 0.4], 5: [0.5, 0.5], 10: [0.4, 0.4]}) == 5
    assert best_k({10: [0.5, 0.3], 3: [0.4, 0.4], 8: [0.1, 0.1]}) == 3  # tie 10 vs 3
    with pytest.raises(ValueError, match="empty"):
        best_k({})
