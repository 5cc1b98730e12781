"""Load CIFAR-10 from the official ``cifar-10-batches-py`` layout and split it.

The layout is made by ``get_datasets.sh`` at the root of the project: five
training batches ``data_batch_1`` .. ``data_batch_5``, one ``test_batch`` and
``batches.meta``. Each batch is a pickled dict whose ``data`` entry is a uint8
array of shape (10000, 3072): the 1024 red values of an image, then its 1024
green values, then its 1024 blue values (channel-major order).

While grading, the notebooks read a copy of the data whose ``test_batch`` has its
labels withheld: every test label is :data:`WITHHELD_LABEL` (-1), the batch says so
with the key ``labels_withheld``, and :func:`are_test_labels_withheld` tells a notebook.
The grader scores the test predictions itself.
"""

from __future__ import annotations

import os
import pickle
from pathlib import Path

import numpy as np

from .._validation import check_positive_int, check_rng

__all__ = [
    "BATCHES_FOLDER",
    "CIFAR10_CLASSES",
    "WITHHELD_KEY",
    "WITHHELD_LABEL",
    "WITHHELD_NOTE",
    "are_test_labels_withheld",
    "default_data_dir",
    "find_batches_dir",
    "get_cifar10_data",
    "get_cifar10_images",
    "load_cifar10",
    "load_cifar10_subsample",
    "read_batch",
]

#: The ten CIFAR-10 classes in label order: ``CIFAR10_CLASSES[y]`` names label ``y``.
CIFAR10_CLASSES = (
    "airplane",
    "automobile",
    "bird",
    "cat",
    "deer",
    "dog",
    "frog",
    "horse",
    "ship",
    "truck",
)

#: The folder that holds the batches, inside the data directory.
BATCHES_FOLDER = "cifar-10-batches-py"
TRAIN_BATCHES = tuple(f"data_batch_{i}" for i in range(1, 6))
TEST_BATCH = "test_batch"
META_FILE = "batches.meta"
IMAGE_SHAPE = (32, 32, 3)

#: The label of every test image while grading, when the test labels are withheld.
WITHHELD_LABEL = -1
#: The key of a batch dict that marks its labels as withheld (all :data:`WITHHELD_LABEL`).
WITHHELD_KEY = "labels_withheld"
#: What the notebooks print instead of a test accuracy when the labels are withheld.
WITHHELD_NOTE = "test labels are withheld while grading: the grader scores these predictions itself"

# cs231n_lib/datasets/cifar10.py -> the project root, whose datasets/ folder holds the data
# (a plain folder, not this package).
_PROJECT_ROOT = Path(__file__).resolve().parents[2]


def default_data_dir():
    """Return the data directory: ``$CS231N_DATA_DIR``, else ``datasets/`` in the project.

    Returns
    -------
    pathlib.Path
        The folder in which ``get_datasets.sh`` puts ``cifar-10-batches-py/``.
    """
    env = os.environ.get("CS231N_DATA_DIR")
    return Path(env).expanduser() if env else _PROJECT_ROOT / "datasets"


def _missing_message(where):
    return (
        f"CIFAR-10 was not found in {where}. Run `bash get_datasets.sh` at the root of the "
        "project to download it (or `bash get_datasets.sh --from ARCHIVE` to build it from "
        "a local copy), or pass the folder that holds cifar-10-batches-py/ as root, or set "
        "the environment variable CS231N_DATA_DIR to it."
    )


def find_batches_dir(root=None):
    """Return the ``cifar-10-batches-py`` folder for ``root``, or raise.

    Parameters
    ----------
    root : str or path-like, optional
        Either the batches folder itself or the folder that contains it.
        Defaults to :func:`default_data_dir`.

    Returns
    -------
    pathlib.Path

    Raises
    ------
    FileNotFoundError
        If no batches are there; the message says how to get them.
    """
    root = default_data_dir() if root is None else Path(root).expanduser()
    for candidate in (root / BATCHES_FOLDER, root):
        if (candidate / TEST_BATCH).is_file():
            missing = [n for n in (*TRAIN_BATCHES, TEST_BATCH) if not (candidate / n).is_file()]
            if missing:
                raise FileNotFoundError(
                    f"{candidate} is incomplete: {', '.join(missing)} missing. Delete the "
                    "folder and run `bash get_datasets.sh` again."
                )
            return candidate
    raise FileNotFoundError(_missing_message(root))


_REQUIRED = object()


def _get(d, key, default=_REQUIRED):
    """Look ``key`` up in a batch dict whose keys may be str or bytes (Python 2 pickles)."""
    if key in d:
        return d[key]
    if default is _REQUIRED or key.encode("ascii") in d:
        return d[key.encode("ascii")]
    return default


def _load_batch(path):
    """The dict pickled in a batch file (instructor data: the official files or a copy)."""
    with open(path, "rb") as f:
        # latin1 is what decodes the Python 2 strings of the official release.
        return pickle.load(f, encoding="latin1")


def read_batch(path):
    """Read one batch file.

    Parameters
    ----------
    path : str or path-like
        A file such as ``data_batch_1`` or ``test_batch``.

    Returns
    -------
    data : ndarray of shape (N, 3072), dtype uint8
        One image a row, channel-major (all red values, then green, then blue).
    labels : ndarray of shape (N,), dtype int64
        In ``0 <= labels < 10``; all :data:`WITHHELD_LABEL` (-1) in a batch whose
        labels are withheld (see :func:`are_test_labels_withheld`).
    """
    batch = _load_batch(path)
    data = np.asarray(_get(batch, "data"))
    labels = np.asarray(_get(batch, "labels"), dtype=np.int64)
    if data.dtype != np.uint8 or data.ndim != 2 or data.shape[1] != 3072:
        raise ValueError(
            f"{path}: expected data of dtype uint8 and shape (N, 3072), got {data.dtype} "
            f"{data.shape}. The file is not a CIFAR-10 batch: rebuild the dataset with "
            "`bash get_datasets.sh`."
        )
    if labels.shape != (data.shape[0],):
        raise ValueError(f"{path}: {data.shape[0]} images but {labels.shape[0]} labels.")
    if _get(batch, WITHHELD_KEY, False):
        labels = np.full(data.shape[0], WITHHELD_LABEL, dtype=np.int64)
    return data, labels


def are_test_labels_withheld(root=None):
    """Whether the test labels are withheld, as they are while grading.

    The autograder's copy of the data keeps the test images but not their labels:
    every test label the loaders return is then :data:`WITHHELD_LABEL` (-1), and a
    notebook prints :data:`WITHHELD_NOTE` instead of a test accuracy. The grader
    scores the test predictions itself. The validation labels are always there.

    Parameters
    ----------
    root : str or path-like, optional
        Where the data is, as in :func:`load_cifar10`.

    Returns
    -------
    bool
    """
    batch = _load_batch(find_batches_dir(root) / TEST_BATCH)
    return bool(_get(batch, WITHHELD_KEY, False))


def _to_images(data, dtype):
    """(N, 3072) channel-major uint8 rows -> (N, 32, 32, 3) images of ``dtype``."""
    return data.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1).astype(dtype)


def load_cifar10(root=None, dtype=np.float64):
    """Load all of CIFAR-10.

    Parameters
    ----------
    root : str or path-like, optional
        The ``cifar-10-batches-py`` folder or its parent. Defaults to
        :func:`default_data_dir`.
    dtype : numpy dtype, default=np.float64
        The dtype of the returned images (``np.uint8`` keeps them small).

    Returns
    -------
    X_train : ndarray of shape (50000, 32, 32, 3)
        Pixel values 0..255, in the channel order red, green, blue.
    y_train : ndarray of shape (50000,), dtype int64
        Labels in ``0 <= y < 10``; :data:`CIFAR10_CLASSES` names them.
    X_test : ndarray of shape (10000, 32, 32, 3)
    y_test : ndarray of shape (10000,), dtype int64
        All :data:`WITHHELD_LABEL` (-1) while grading (see :func:`are_test_labels_withheld`).
    """
    folder = find_batches_dir(root)
    parts = [read_batch(folder / name) for name in TRAIN_BATCHES]
    X_train = _to_images(np.concatenate([p[0] for p in parts]), dtype)
    y_train = np.concatenate([p[1] for p in parts])
    data, y_test = read_batch(folder / TEST_BATCH)
    return X_train, y_train, _to_images(data, dtype), y_test


def load_cifar10_subsample(num_training=5000, num_test=500, root=None, dtype=np.float64):
    """The first training and test images, flattened: the data of the kNN lesson.

    Parameters
    ----------
    num_training : int, default=5000
        How many of the first training images to keep.
    num_test : int, default=500
        How many of the first test images to keep.
    root : str or path-like, optional
        Where the data is, as in :func:`load_cifar10`.
    dtype : numpy dtype, default=np.float64

    Returns
    -------
    X_train : ndarray of shape (num_training, 3072)
        Pixel values 0..255, one flattened image a row.
    y_train : ndarray of shape (num_training,), dtype int64
    X_test : ndarray of shape (num_test, 3072)
    y_test : ndarray of shape (num_test,), dtype int64
        All :data:`WITHHELD_LABEL` (-1) while grading (see :func:`are_test_labels_withheld`).
    """
    X_train, y_train, X_test, y_test = load_cifar10(root, dtype=np.uint8)
    num_training = check_positive_int(num_training, "num_training", 1, len(X_train))
    num_test = check_positive_int(num_test, "num_test", 1, len(X_test))
    return (
        _flatten(X_train[:num_training], dtype),
        y_train[:num_training].copy(),
        _flatten(X_test[:num_test], dtype),
        y_test[:num_test].copy(),
    )


def get_cifar10_data(
    num_training=49000,
    num_validation=1000,
    num_test=1000,
    num_dev=500,
    subtract_mean=True,
    add_bias=True,
    rng=None,
    root=None,
    dtype=np.float64,
):
    """Load CIFAR-10 and cut it into flattened train, validation, test and dev splits.

    Parameters
    ----------
    num_training : int, default=49000
        The first ``num_training`` training images form the training split.
    num_validation : int, default=1000
        The next ``num_validation`` training images form the validation split.
    num_test : int, default=1000
        The first ``num_test`` test images form the test split.
    num_dev : int, default=500
        Size of the dev split: a sample without replacement of the training
        split, small enough for slow (naive) code.
    subtract_mean : bool, default=True
        Subtract the mean training image from every split.
    add_bias : bool, default=True
        Append a column of ones (the bias trick), so that D = 3073.
    rng : None, int or numpy.random.Generator
        Draws the dev split; ``None`` means seed 0.
    root : str or path-like, optional
        Where the data is, as in :func:`load_cifar10`.
    dtype : numpy dtype, default=np.float64

    Returns
    -------
    dict
        ``X_train`` (num_training, D), ``y_train`` (num_training,), and likewise
        ``X_val``/``y_val``, ``X_test``/``y_test``, ``X_dev``/``y_dev``; with
        ``subtract_mean``, also ``mean_image`` of shape (3072,). While grading
        ``y_test`` is all :data:`WITHHELD_LABEL` (see :func:`are_test_labels_withheld`).
    """
    rng = check_rng(rng)
    # Load as uint8 and convert split by split: the float copy of all 60,000 images
    # is never made, which keeps the peak memory near the size of the result.
    splits = _splits(num_training, num_validation, num_test, root)
    num_training = len(splits["train"][1])
    num_dev = check_positive_int(num_dev, "num_dev", 0, num_training)
    dev = rng.choice(num_training, num_dev, replace=False)
    splits["dev"] = (splits["train"][0][dev], splits["train"][1][dev])
    out = {}
    mean_image = None
    if subtract_mean:
        mean_image = splits["train"][0].reshape(num_training, -1).mean(axis=0, dtype=np.float64)
        out["mean_image"] = mean_image.astype(dtype)  # (3072,)
    for name, (images, labels) in splits.items():
        out[f"X_{name}"] = _flatten(images, dtype, mean_image, add_bias)
        out[f"y_{name}"] = labels.copy()
    return out


def get_cifar10_images(
    num_training=49000, num_validation=1000, num_test=1000, root=None, dtype=np.uint8
):
    """Load CIFAR-10 as images, cut into train, validation and test splits.

    The splits are those of :func:`get_cifar10_data`, but the images keep their
    shape and pixel values, as feature extractors need them.

    Parameters
    ----------
    num_training : int, default=49000
        The first ``num_training`` training images form the training split.
    num_validation : int, default=1000
        The next ``num_validation`` training images form the validation split.
    num_test : int, default=1000
        The first ``num_test`` test images form the test split.
    root : str or path-like, optional
        Where the data is, as in :func:`load_cifar10`.
    dtype : numpy dtype, default=np.uint8

    Returns
    -------
    dict
        ``X_train`` of shape (num_training, 32, 32, 3) with pixel values 0..255,
        ``y_train`` of shape (num_training,), and likewise ``X_val``/``y_val``
        and ``X_test``/``y_test``. While grading ``y_test`` is all
        :data:`WITHHELD_LABEL` (see :func:`are_test_labels_withheld`).
    """
    out = {}
    for name, (images, labels) in _splits(num_training, num_validation, num_test, root).items():
        out[f"X_{name}"] = images.astype(dtype)
        out[f"y_{name}"] = labels.copy()
    return out


def _splits(num_training, num_validation, num_test, root):
    """{"train"/"val"/"test": (uint8 images (N, 32, 32, 3), labels (N,))}, as views."""
    X_train, y_train, X_test, y_test = load_cifar10(root, dtype=np.uint8)
    num_training = check_positive_int(num_training, "num_training", 1, len(X_train))
    num_validation = check_positive_int(
        num_validation, "num_validation", 0, len(X_train) - num_training
    )
    num_test = check_positive_int(num_test, "num_test", 0, len(X_test))
    val = slice(num_training, num_training + num_validation)
    return {
        "train": (X_train[:num_training], y_train[:num_training]),
        "val": (X_train[val], y_train[val]),
        "test": (X_test[:num_test], y_test[:num_test]),
    }


def _flatten(images, dtype, mean_image=None, add_bias=False):
    """(N, 32, 32, 3) uint8 -> (N, 3072) or, with the bias column, (N, 3073) of ``dtype``."""
    num, dim = images.shape[0], int(np.prod(images.shape[1:]))
    X = np.empty((num, dim + add_bias), dtype=dtype)
    X[:, :dim] = images.reshape(num, dim)
    if mean_image is not None:
        X[:, :dim] -= mean_image
    if add_bias:
        X[:, dim] = 1.0
    return X
