"""The models of assignment 1 and their losses."""

from .k_nearest_neighbor import KNearestNeighbor
from .layers import (
    affine_backward,
    affine_forward,
    affine_relu_backward,
    affine_relu_forward,
    relu_backward,
    relu_forward,
    softmax_loss,
    svm_loss,
)
from .linear_classifier import LinearClassifier, LinearSVM, Softmax
from .linear_svm import svm_loss_naive, svm_loss_vectorized
from .neural_net import TwoLayerNet
from .optim import sgd, sgd_momentum
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
    "TwoLayerNet",
    "affine_backward",
    "affine_forward",
    "affine_relu_backward",
    "affine_relu_forward",
    "elastic_net_penalty",
    "l1_penalty",
    "l2_penalty",
    "regularization_penalty",
    "relu_backward",
    "relu_forward",
    "sgd",
    "sgd_momentum",
    "softmax_loss",
    "softmax_loss_naive",
    "softmax_loss_vectorized",
    "svm_loss",
    "svm_loss_naive",
    "svm_loss_vectorized",
]
