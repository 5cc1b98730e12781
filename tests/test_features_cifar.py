"""HOG + hue-histogram features on the real CIFAR-10, with a tuned LinearSVM."""

import numpy as np
import pytest

from cs231n_lib.classifiers import LinearSVM
from cs231n_lib.cross_validation import tune_linear_classifier
from cs231n_lib.datasets import get_cifar10_images
from cs231n_lib.features import (
    color_histogram_hsv,
    extract_features,
    hog_feature,
    standardize_features,
)

pytestmark = pytest.mark.cifar


@pytest.fixture(scope="module")
def features(cifar_root):
    """Standardized HOG + 10-bin hue features with a bias column (155), and the labels."""
    images = get_cifar10_images(root=cifar_root)
    fns = [hog_feature, color_histogram_hsv]
    raw = [extract_features(images[f"X_{split}"], fns) for split in ("train", "val", "test")]
    F_train, F_val, F_test = standardize_features(*raw)
    return F_train, images["y_train"], F_val, images["y_val"], F_test, images["y_test"]


def test_features_have_the_course_dimensions(features):
    F_train, _, F_val, _, F_test, _ = features
    assert F_train.shape == (49000, 144 + 10 + 1)
    assert F_val.shape == (1000, 155)
    assert F_test.shape == (1000, 155)
    np.testing.assert_allclose(F_train[:, :-1].mean(axis=0), 0, atol=1e-10)
    np.testing.assert_allclose(F_train[:, :-1].std(axis=0), 1, rtol=1e-10)


def test_tuned_linear_svm_on_features_reaches_44_percent(features):
    F_train, y_train, F_val, y_val, F_test, y_test = features
    _, best_val, best = tune_linear_classifier(
        LinearSVM,
        F_train,
        y_train,
        F_val,
        y_val,
        learning_rates=[1e-4, 1e-3],
        regs=[0.1, 10.0],
        num_iters=1500,
        rng=0,
        progress=False,
    )
    assert best_val >= 0.44, best_val  # the course expects about 0.44
    assert np.mean(best.predict(F_test) == y_test) >= 0.42
