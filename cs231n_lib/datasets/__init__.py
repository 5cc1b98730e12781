"""CIFAR-10: load it, cut it into splits, and build the ``cifar-10-batches-py`` layout.

The loaders (:mod:`~cs231n_lib.datasets.cifar10`) read the layout that
``get_datasets.sh`` or ``python -m cs231n_lib.datasets`` builds
(:mod:`~cs231n_lib.datasets.build`) in the project's ``datasets/`` folder (a plain
data folder, not this package), or in ``$CS231N_DATA_DIR``. On Colab,
:func:`colab_setup` installs what is missing and builds the data in one call.

Examples
--------
>>> from cs231n_lib.datasets import get_cifar10_data
>>> data = get_cifar10_data(num_training=49000)  # doctest: +SKIP
>>> data["X_train"].shape  # doctest: +SKIP
(49000, 3073)
"""

from ._archive import DatasetError
from .build import build_dataset
from .cifar10 import (
    BATCHES_FOLDER,
    CIFAR10_CLASSES,
    WITHHELD_KEY,
    WITHHELD_LABEL,
    WITHHELD_NOTE,
    are_test_labels_withheld,
    default_data_dir,
    find_batches_dir,
    get_cifar10_data,
    get_cifar10_images,
    load_cifar10,
    load_cifar10_subsample,
    read_batch,
)
from .colab import SetupError, colab_setup

__all__ = [
    "BATCHES_FOLDER",
    "CIFAR10_CLASSES",
    "WITHHELD_KEY",
    "WITHHELD_LABEL",
    "WITHHELD_NOTE",
    "DatasetError",
    "SetupError",
    "are_test_labels_withheld",
    "build_dataset",
    "colab_setup",
    "default_data_dir",
    "find_batches_dir",
    "get_cifar10_data",
    "get_cifar10_images",
    "load_cifar10",
    "load_cifar10_subsample",
    "read_batch",
]
