"""cs231n_lib: image classification on CIFAR-10, the code of assignment 1.

Modules
-------
data
    Load CIFAR-10 and cut it into splits.
get_datasets
    Build the ``cifar-10-batches-py`` layout (what ``get_datasets.sh`` runs).
classifiers
    The models: :class:`~cs231n_lib.classifiers.KNearestNeighbor`.
gradient_check
    Numerical gradients and relative errors.
cross_validation
    k-fold splitting, cross-validation and the choice of hyper-parameters.
vis
    Plots (imports matplotlib, so it is not imported here).
"""

from .classifiers import KNearestNeighbor
from .cross_validation import best_k, cross_validate, cross_validate_knn, split_folds
from .data import CIFAR10_CLASSES, get_cifar10_data, load_cifar10, load_cifar10_subsample
from .gradient_check import eval_numerical_gradient, grad_check_sparse, rel_error

__version__ = "0.1.0"

__all__ = [
    "CIFAR10_CLASSES",
    "KNearestNeighbor",
    "best_k",
    "cross_validate",
    "cross_validate_knn",
    "eval_numerical_gradient",
    "get_cifar10_data",
    "grad_check_sparse",
    "load_cifar10",
    "load_cifar10_subsample",
    "rel_error",
    "split_folds",
]
