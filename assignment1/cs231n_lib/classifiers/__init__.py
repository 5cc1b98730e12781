"""The models of assignment 1 and their losses."""

from .k_nearest_neighbor import KNearestNeighbor
from .linear_classifier import LinearClassifier, LinearSVM, Softmax
from .linear_svm import svm_loss_naive, svm_loss_vectorized
from .regularization import (
    REGULARIZERS,
    elastic_net_penalty,
    l1_penalty,
    l2_penalty,
    regularization_penalty,
)
from .softmax import softmax_loss_naive, softmax_loss_vectorized

__all__ = [
    "REGULARIZERS",
    "KNearestNeighbor",
    "LinearClassifier",
    "LinearSVM",
    "Softmax",
    "elastic_net_penalty",
    "l1_penalty",
    "l2_penalty",
    "regularization_penalty",
    "softmax_loss_naive",
    "softmax_loss_vectorized",
    "svm_loss_naive",
    "svm_loss_vectorized",
]
