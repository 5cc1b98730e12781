"""kNN on the real CIFAR-10 (built once from the shared archive)."""

import numpy as np
import pytest

from cs231n_lib.classifiers import KNearestNeighbor
from cs231n_lib.cross_validation import best_k, cross_validate_knn
from cs231n_lib.datasets import load_cifar10_subsample

pytestmark = pytest.mark.cifar


@pytest.fixture(scope="module")
def subsample(cifar_root):
    """The first 5,000 training and 500 test images, flattened, as in the notebook."""
    return load_cifar10_subsample(5000, 500, root=cifar_root)


@pytest.fixture(scope="module")
def trained(subsample):
    X_train, y_train, X_test, y_test = subsample
    knn = KNearestNeighbor().train(X_train, y_train)
    return knn, knn.compute_distances_no_loops(X_test), y_test


def test_one_nearest_neighbour_accuracy_is_about_27_percent(trained):
    knn, dists, y_test = trained
    accuracy = np.mean(knn.predict_labels(dists, k=1) == y_test)
    assert 0.25 <= accuracy <= 0.30, f"k=1 accuracy {accuracy:.3f}"


def test_loop_versions_agree_with_no_loops_on_real_images(subsample, trained):
    knn, dists, _ = trained
    X_test = subsample[2][:20]
    two = knn.compute_distances_two_loops(X_test)
    one = knn.compute_distances_one_loop(X_test)
    assert np.linalg.norm(two - dists[:20], ord="fro") < 1e-3
    assert np.linalg.norm(one - dists[:20], ord="fro") < 1e-3


def test_cross_validated_k_beats_28_percent_on_test(subsample, trained):
    X_train, y_train, _, y_test = subsample
    knn, dists, _ = trained
    results = cross_validate_knn(
        X_train, y_train, [1, 3, 5, 8, 10, 12, 15, 20, 50, 100], num_folds=5, progress=False
    )
    k = best_k(results)
    assert k > 1, f"cross-validation chose k={k}: {results}"
    accuracy = np.mean(knn.predict_labels(dists, k=k) == y_test)
    assert accuracy > 0.28, f"test accuracy {accuracy:.3f} with k={k}"
