"""cs231n_lib: image classification on CIFAR-10, the code of assignment 1.

Modules
-------
data
    Load CIFAR-10 and cut it into splits.
get_datasets
    Build the ``cifar-10-batches-py`` layout (used by ``get_datasets.sh``).
classifiers
    The models: :class:`~cs231n_lib.classifiers.KNearestNeighbor`, ...
gradient_check
    Numerical gradients and relative errors.
cross_validation
    k-fold splitting, cross-validation and hyper-parameter choice.
vis
    Plots.
"""

__version__ = "0.1.0"
