"""cs231n_lib: image classification on CIFAR-10, the code of assignment 1.

Modules
-------
datasets
    Load CIFAR-10 and cut it into splits; ``python -m cs231n_lib.datasets`` (what
    ``get_datasets.sh`` runs) builds the ``cifar-10-batches-py`` layout.
classifiers
    The models and their losses: :class:`~cs231n_lib.classifiers.KNearestNeighbor`,
    :class:`~cs231n_lib.classifiers.LinearSVM`, :class:`~cs231n_lib.classifiers.Softmax`,
    :class:`~cs231n_lib.classifiers.TwoLayerNet` and its layers.
gradient_check
    Numerical gradients and relative errors.
cross_validation
    k-fold cross-validation, the choice of k, and hyper-parameter search for the
    linear classifiers.
net_search
    Hyper-parameter search for the two-layer net.
features
    HOG and hue-histogram image features, vectorized over stacks of images.
vis
    Plots (imports matplotlib, so it is not imported here).
check, submit
    ``python -m cs231n_lib.check`` runs the public checks of the notebooks;
    ``python -m cs231n_lib.submit`` writes the zip to hand in.

The names below are imported on first use (PEP 562), not when the package is: a
syntax error in one module then breaks only what uses it, and ``python -m
cs231n_lib.submit`` and ``python -m cs231n_lib.check`` run whatever state the
student's files are in.
"""

from __future__ import annotations

import importlib

__version__ = "0.1.0"

# Public name -> the submodule (relative to this package) that defines it.
_LAZY = {
    **dict.fromkeys(
        [
            "KNearestNeighbor",
            "LinearSVM",
            "Softmax",
            "TwoLayerNet",
            "softmax_loss_naive",
            "softmax_loss_vectorized",
            "svm_loss_naive",
            "svm_loss_vectorized",
        ],
        ".classifiers",
    ),
    **dict.fromkeys(
        ["best_k", "cross_validate", "cross_validate_knn", "split_folds", "tune_linear_classifier"],
        ".cross_validation",
    ),
    **dict.fromkeys(
        [
            "CIFAR10_CLASSES",
            "get_cifar10_data",
            "get_cifar10_images",
            "load_cifar10",
            "load_cifar10_subsample",
        ],
        ".datasets",
    ),
    **dict.fromkeys(
        ["color_histogram_hsv", "extract_features", "hog_feature", "standardize_features"],
        ".features",
    ),
    **dict.fromkeys(
        [
            "eval_numerical_gradient",
            "eval_numerical_gradient_array",
            "grad_check_array",
            "grad_check_sparse",
            "rel_error",
        ],
        ".gradient_check",
    ),
    "tune_two_layer_net": ".net_search",
}

__all__ = sorted(_LAZY)


def __getattr__(name):
    """Import the submodule defining public ``name`` on first use, and cache the value."""
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(__all__))
