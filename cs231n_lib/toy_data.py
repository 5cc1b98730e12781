"""Two-dimensional toy data: the easy case and the hard cases for a linear classifier.

In two dimensions the geometric view of a linear classifier can be drawn: each
class's score is a linear function of the point, so the boundary between two
classes is a line. :func:`make_toy_2d` makes the lecture's examples, and
:func:`train_toy` trains the project's ``LinearSVM`` or ``Softmax`` on one of them
(:mod:`cs231n_lib.vis.regions` draws the result). :data:`LECTURE_SCORES` holds the
lecture's worked example of the SVM and softmax losses.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ._validation import (
    check_array_2d,
    check_choice,
    check_labels,
    check_positive_float,
    check_positive_int,
    check_rng,
)
from .classifiers import LinearSVM, Softmax

__all__ = [
    "LECTURE_LABELS",
    "LECTURE_SCORES",
    "TOY_KINDS",
    "TOY_LOSSES",
    "ToyFit",
    "add_bias",
    "make_toy_2d",
    "train_toy",
]

TOY_KINDS = (
    ("separable", "easy: blobs that a line can separate"),
    ("quadrants", "hard: class 1 in the 2nd and 4th quadrants"),
    ("ring", "hard: class 1 where 1 <= |x| <= 2"),
    ("three_modes", "hard: class 1 in three separate blobs"),
)
"""``(kind, description)`` for every kind that :func:`make_toy_2d` makes."""

TOY_LOSSES = (
    ("svm", "SVM (hinge)"),
    ("svm_squared", "SVM (squared hinge)"),
    ("softmax", "softmax"),
)
"""``(loss, label)`` for every loss that :func:`train_toy` trains with."""

LECTURE_SCORES = np.array([[3.2, 5.1, -1.7], [1.3, 4.9, 2.0], [2.2, 2.5, -3.1]])
"""The lecture's worked example, (3, 3): the scores of a cat, a car and a frog (rows) for
the classes cat, car, frog (columns). With X the identity, ``X @ W`` are these scores.
Read-only: take a ``.copy()`` to change it."""
LECTURE_SCORES.flags.writeable = False
LECTURE_LABELS = np.arange(3)
"""The correct classes of the rows of :data:`LECTURE_SCORES`: cat, car, frog. Read-only."""
LECTURE_LABELS.flags.writeable = False

_DESCRIPTIONS = dict(TOY_KINDS)
_LABELS = dict(TOY_LOSSES)
HALF_WIDTH = 3.0  # the hard cases fill the square [-3, 3]^2
MODE_CENTERS = 2.0 * np.array([[0.0, 1.0], [-0.866, -0.5], [0.866, -0.5]])  # (3, 2)


def add_bias(X):
    """``X`` with a column of ones appended, so that ``X @ W`` includes a bias.

    Parameters
    ----------
    X : array_like of shape (N, D)

    Returns
    -------
    ndarray of shape (N, D + 1), dtype float64

    Examples
    --------
    >>> add_bias([[2, 3], [4, 5]])
    array([[2., 3., 1.],
           [4., 5., 1.]])
    """
    X = check_array_2d(X, "X", "(N, D)")
    return np.hstack([X, np.ones((X.shape[0], 1))]).astype(np.float64, copy=False)


def _in_disks(X, centers, radius):
    """Whether each row of ``X`` (N, 2) lies within ``radius`` of one of ``centers``."""
    dists = np.linalg.norm(X[:, None, :] - centers[None, :, :], axis=2)  # (N, M)
    return (dists <= radius).any(axis=1)


def _in_disk(rng, num, center, radius):
    """``num`` points uniform in a disk: (num, 2)."""
    r = radius * np.sqrt(rng.random(num))  # sqrt: uniform in area, not in radius
    theta = 2 * np.pi * rng.random(num)
    return center + np.column_stack([r * np.cos(theta), r * np.sin(theta)])


def _in_square_where(rng, num, keep):
    """``num`` points uniform in [-3, 3]^2 where ``keep(X)`` holds, by rejection: (num, 2)."""
    points = np.empty((0, 2))
    while len(points) < num:
        X = rng.uniform(-HALF_WIDTH, HALF_WIDTH, size=(2 * num + 16, 2))
        points = np.vstack([points, X[keep(X)]])
    return points[:num]


def _class_sizes(num_points, num_classes):
    return [num_points // num_classes + (c < num_points % num_classes) for c in range(num_classes)]


def _ring_class_1(rng, num):
    r = np.sqrt(rng.uniform(1.0, 4.0, size=num))  # uniform in the annulus's area
    theta = 2 * np.pi * rng.random(num)
    return np.column_stack([r * np.cos(theta), r * np.sin(theta)])


def _off_ring(X):
    radius = np.linalg.norm(X, axis=1)
    return (radius < 1) | (radius > 2)


def _sample(kind, rng, sizes):
    """The points of each class, a list of (size, 2) arrays."""
    if kind == "separable":  # disjoint disks of radius 1.2, 2 from the origin: separable
        angles = np.pi / 2 + 2 * np.pi * np.arange(len(sizes)) / len(sizes)
        centers = 2.0 * np.column_stack([np.cos(angles), np.sin(angles)])
        return [_in_disk(rng, n, center, 1.2) for n, center in zip(sizes, centers, strict=True)]
    if kind == "quadrants":  # uniform in the square, then x1 gets the sign of its class
        X = rng.uniform(-HALF_WIDTH, HALF_WIDTH, size=(sum(sizes), 2))
        class_0 = np.arange(len(X)) < sizes[0]
        X[:, 1] = np.abs(X[:, 1]) * np.sign(X[:, 0]) * np.where(class_0, 1.0, -1.0)
        return [X[class_0], X[~class_0]]
    if kind == "ring":
        outside = _in_square_where(rng, sizes[0], _off_ring)
        return [outside, _ring_class_1(rng, sizes[1])]
    # three_modes: blobs of radius 0.7, and the rest keeps 0.3 away from them
    modes = np.vstack(
        [
            _in_disk(rng, n, c, 0.7)
            for n, c in zip(_class_sizes(sizes[1], 3), MODE_CENTERS, strict=True)
        ]
    )
    rest = _in_square_where(rng, sizes[0], lambda X: ~_in_disks(X, MODE_CENTERS, 1.0))
    return [rest, modes]


def make_toy_2d(kind, num_points=200, num_classes=None, rng=None):
    """Points in the plane and their classes, one of the kinds of :data:`TOY_KINDS`.

    ``"separable"`` puts each class in its own disk (the disks are apart, so a
    linear classifier can get every point right). The hard cases fill the square
    [-3, 3]^2 and have two classes of equal size (up to one point), so guessing
    gets 50%:

    - ``"quadrants"``: class 0 in the first and third quadrants (``x0 * x1 >= 0``),
      class 1 in the second and fourth;
    - ``"ring"``: class 1 where ``1 <= |x| <= 2``, class 0 inside and outside;
    - ``"three_modes"``: class 1 in three separate disks, class 0 everywhere else.

    Parameters
    ----------
    kind : str
        One of ``"separable"``, ``"quadrants"``, ``"ring"``, ``"three_modes"``.
    num_points : int, default=200
        N, the number of points (at least one per class).
    num_classes : int, optional
        C: 2 or 3 for ``"separable"`` (default 3), 2 for the other kinds.
    rng : None, int or numpy.random.Generator
        Draws the points; ``None`` means seed 0.

    Returns
    -------
    X : ndarray of shape (N, 2), dtype float64
    y : ndarray of shape (N,), dtype int64
        Labels in ``0 <= y < C``, in random order.
    """
    kind = check_choice("kind", kind, _DESCRIPTIONS)
    allowed = (2, 3) if kind == "separable" else (2,)
    if num_classes is None:
        num_classes = allowed[-1]
    if num_classes not in allowed or isinstance(num_classes, bool):
        raise ValueError(
            f"Expected num_classes in {list(allowed)} for kind={kind!r}, got {num_classes!r}. "
            "Only 'separable' has 3 classes; leave num_classes=None for the default."
        )
    num_points = check_positive_int(num_points, "num_points", low=num_classes)
    rng = check_rng(rng)
    parts = _sample(kind, rng, _class_sizes(num_points, num_classes))
    X = np.vstack(parts).astype(np.float64)
    y = np.concatenate([np.full(len(p), c, dtype=np.int64) for c, p in enumerate(parts)])
    order = rng.permutation(num_points)
    return X[order], y[order]


class ToyFit(NamedTuple):
    """What :func:`train_toy` returns: the model and how well it fits the data."""

    model: object  #: the trained LinearSVM or Softmax, W of shape (3, C)
    loss: float  #: the full loss (data loss + regularization) on all of X
    accuracy: float  #: the fraction of X classified correctly
    X: np.ndarray  #: (N, 2), the data without the bias column
    y: np.ndarray  #: (N,)
    kind: str  #: the kind of data, or "data" when X and y were given
    loss_type: str  #: "svm", "svm_squared" or "softmax"
    learning_rate: float
    reg: float

    @property
    def title(self):
        """E.g. ``"SVM (hinge) on quadrants\\nloss 1.000, accuracy 51%"``."""
        return (
            f"{_LABELS[self.loss_type]} on {self.kind}\n"
            f"loss {self.loss:.3f}, accuracy {self.accuracy:.0%}"
        )


def _new_model(loss):
    if loss == "softmax":
        return Softmax()
    return LinearSVM(squared_hinge=True) if loss == "svm_squared" else LinearSVM()


def train_toy(data, loss="svm", learning_rate=0.1, reg=1e-3, num_iters=200, batch_size=100, rng=0):
    """Train a linear classifier (with a bias) on toy data, by :meth:`LinearClassifier.train`.

    Parameters
    ----------
    data : str or tuple (X, y)
        A kind of :data:`TOY_KINDS` (made by :func:`make_toy_2d` with ``rng``), or
        ``X`` of shape (N, 2) and ``y`` of shape (N,).
    loss : {"svm", "svm_squared", "softmax"}, default="svm"
        ``LinearSVM``, ``LinearSVM(squared_hinge=True)`` or ``Softmax``.
    learning_rate : float, default=0.1
    reg : float, default=1e-3
        Regularization strength, ``>= 0``.
    num_iters : int, default=200
    batch_size : int, default=100
    rng : None, int or numpy.random.Generator, default=0
        Draws the data (for a kind), the initial weights and the minibatches.

    Returns
    -------
    ToyFit
        The model, its loss (with regularization) and accuracy on the whole data,
        and the settings; ``fit.title`` says it in two lines.
    """
    check_choice("loss", loss, _LABELS)
    reg = check_positive_float(reg, "reg", allow_zero=True)
    rng = check_rng(rng)
    if isinstance(data, str):
        kind = check_choice("data", data, _DESCRIPTIONS, "Or pass a pair (X, y).")
        X, y = make_toy_2d(kind, rng=rng)
    else:
        try:
            X, y = data
        except (TypeError, ValueError):
            raise TypeError(
                f"Expected data to be one of {list(_DESCRIPTIONS)} or a pair (X, y), got "
                f"{type(data).__name__}."
            ) from None
        kind = "data"
        X = check_array_2d(X, "X", "(N, 2)")
        if X.shape[1] != 2:
            raise ValueError(f"Expected X of shape (N, 2), points in the plane, got {X.shape}.")
        y = check_labels(y, X.shape[0])
    Xb = add_bias(X)  # (N, 3)
    model = _new_model(loss)
    model.train(
        Xb,
        y,
        learning_rate=learning_rate,
        reg=reg,
        num_iters=num_iters,
        batch_size=batch_size,
        rng=rng,
    )
    final_loss = float(model.loss(Xb, y, reg)[0])
    accuracy = float(np.mean(model.predict(Xb) == y))
    return ToyFit(model, final_loss, accuracy, X, y, kind, loss, float(learning_rate), reg)
