"""cs231n_lib: image classification on CIFAR-10, the code of assignment 1.

Modules
-------
data
    Load CIFAR-10 and cut it into splits.
get_datasets
    Build the ``cifar-10-batches-py`` layout (what ``get_datasets.sh`` runs).
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
"""

from .classifiers import (
    KNearestNeighbor,
    LinearSVM,
    Softmax,
    TwoLayerNet,
    softmax_loss_naive,
    softmax_loss_vectorized,
    svm_loss_naive,
    svm_loss_vectorized,
)
from .cross_validation import (
    best_k,
    cross_validate,
    cross_validate_knn,
    split_folds,
    tune_linear_classifier,
)
from .data import (
    CIFAR10_CLASSES,
    get_cifar10_data,
    get_cifar10_images,
    load_cifar10,
    load_cifar10_subsample,
)
from .features import color_histogram_hsv, extract_features, hog_feature, standardize_features
from .gradient_check import (
    eval_numerical_gradient,
    eval_numerical_gradient_array,
    grad_check_array,
    grad_check_sparse,
    rel_error,
)
from .net_search import tune_two_layer_net

__version__ = "0.1.0"

__all__ = [
    "CIFAR10_CLASSES",
    "KNearestNeighbor",
    "LinearSVM",
    "Softmax",
    "TwoLayerNet",
    "best_k",
    "color_histogram_hsv",
    "cross_validate",
    "cross_validate_knn",
    "eval_numerical_gradient",
    "eval_numerical_gradient_array",
    "extract_features",
    "get_cifar10_data",
    "get_cifar10_images",
    "grad_check_array",
    "grad_check_sparse",
    "hog_feature",
    "load_cifar10",
    "load_cifar10_subsample",
    "rel_error",
    "softmax_loss_naive",
    "softmax_loss_vectorized",
    "split_folds",
    "standardize_features",
    "svm_loss_naive",
    "svm_loss_vectorized",
    "tune_linear_classifier",
    "tune_two_layer_net",
]
