"""Input checks shared by the public entry points.

Every check raises an error that says what was expected, what was received and
how to fix it. ``assert`` is kept for internal invariants only.
"""

from __future__ import annotations

import contextvars
import math
import numbers
from contextlib import contextmanager

import numpy as np


def check_array_2d(X, name="X", what="(N, D)"):
    """Return ``X`` as a floating-point ndarray of shape ``what``, or raise.

    Parameters
    ----------
    X : array_like
        The array to check.
    name : str
        The argument's name, used in the error message.
    what : str
        The expected shape in words, e.g. ``"(num_test, D)"``.

    Returns
    -------
    ndarray of shape (N, D)
        ``X`` itself when it is already a float array, otherwise a float64 copy.
    """
    if isinstance(X, np.ndarray) and X.ndim == 2 and X.dtype.kind == "f":
        return X  # the common case, checked cheaply: losses call this at every step
    X = np.asarray(X)
    if X.ndim != 2:
        hint = ""
        if X.ndim == 4:
            hint = f" Flatten each image first: {name}.reshape({name}.shape[0], -1)."
        elif X.ndim == 1:
            hint = f" For a single example use {name}.reshape(1, -1)."
        raise ValueError(
            f"Expected {name} to be a 2-D array of shape {what}, "
            f"got an array of shape {X.shape} instead.{hint}"
        )
    check_real(X, name)
    if not np.issubdtype(X.dtype, np.floating):
        X = X.astype(np.float64)
    return X


def check_real(X, name="X", what="real numbers"):
    """Raise a TypeError unless the ndarray ``X`` holds real numbers (not complex)."""
    if not np.issubdtype(X.dtype, np.number) or np.issubdtype(X.dtype, np.complexfloating):
        raise TypeError(
            f"Expected {name} to hold {what}, got dtype {X.dtype}. "
            f"Convert it with {name}.astype(np.float64)."
        )


def check_labels(y, num_examples, name="y"):
    """Return ``y`` as an int64 array of shape (N,) with labels ``>= 0``, or raise.

    Parameters
    ----------
    y : array_like of shape (N,)
        Class labels, integers in ``0 <= y < C``.
    num_examples : int
        N, the number of rows of the matching data array.
    name : str
        The argument's name, used in the error message.

    Returns
    -------
    ndarray of shape (N,), dtype int64
    """
    y = np.asarray(y)
    if y.dtype.kind in "iu" and y.shape == (num_examples,):
        y = y.astype(np.int64, copy=False)  # the common case, checked cheaply
        if y.size and y.min() < 0:
            raise ValueError(_negative_label_message(y, name))
        return y
    if y.ndim != 1 or y.shape[0] != num_examples:
        raise ValueError(
            f"Expected {name} to have shape ({num_examples},), one label per row of the "
            f"data, got shape {y.shape} instead."
        )
    if not np.issubdtype(y.dtype, np.number) or np.issubdtype(y.dtype, np.complexfloating):
        raise TypeError(f"Expected {name} to hold integer class labels, got dtype {y.dtype}.")
    fractional = y[np.mod(y, 1) != 0] if not np.issubdtype(y.dtype, np.integer) else y[:0]
    if fractional.size:
        raise ValueError(
            f"Expected {name} to hold integer class labels, got dtype {y.dtype} "
            f"with non-integer values such as {fractional[0]!r}."
        )
    y = y.astype(np.int64)
    if y.size and y.min() < 0:
        raise ValueError(_negative_label_message(y, name))
    return y


def check_label_range(y, num_classes, name, of):
    """Return the checked labels ``y`` (from :func:`check_labels`) if all are ``< num_classes``.

    ``of`` says where C comes from in the error, e.g. ``"the columns of W"``.
    """
    if y.size and y.max() >= num_classes:
        raise ValueError(
            f"Expected labels in 0 <= {name} < C = {num_classes} ({of}), got a label {y.max()}."
        )
    return y


def _negative_label_message(y, name):
    return (
        f"Expected class labels in {name} to be >= 0, got {y.min()}. "
        "Map your classes to 0, 1, ..., C-1."
    )


def check_positive_int(value, name, low=1, high=None):
    """Return ``value`` as an int in ``[low, high]``, or raise with the valid range."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(
            f"Expected {name} to be an integer, got {value!r} ({type(value).__name__})."
        )
    value = int(value)
    if value < low or (high is not None and value > high):
        bound = f"{low} <= {name}" + (f" <= {high}" if high is not None else "")
        raise ValueError(f"Expected {bound}, got {name}={value}.")
    return value


def check_choice(name, value, choices, hint=""):
    """Return ``value`` if it is one of ``choices``, or raise a ValueError that lists them.

    Parameters
    ----------
    name : str
        The argument's name, used in the error message.
    value : object
        The argument. A bool never matches a number (``True == 1`` in Python).
    choices : iterable
        The valid values, e.g. a tuple of names or the keys of a dict.
    hint : str, optional
        What to do, appended to the message.

    Returns
    -------
    object
        ``value`` itself.

    Examples
    --------
    >>> check_choice("init", "random", ("k-means++", "random"))
    'random'
    >>> check_choice("init", "kmeans", ("k-means++", "random"), hint="Use 'k-means++'.")
    Traceback (most recent call last):
        ...
    ValueError: Expected init to be one of 'k-means++', 'random', got 'kmeans'. Use 'k-means++'.
    """
    choices = tuple(choices)
    if not any(_same_choice(value, choice) for choice in choices):
        listed = ", ".join(map(repr, choices))
        raise ValueError(
            f"Expected {name} to be one of {listed}, got {value!r}." + (f" {hint}" if hint else "")
        )
    return value


def _same_choice(value, choice):
    if isinstance(value, bool) != isinstance(choice, bool):
        return False
    try:
        return bool(value == choice)
    except (TypeError, ValueError):  # e.g. an array compared with a name
        return False


def is_positive_float(value, allow_zero=False):
    """Whether ``value`` is a finite real number > 0 (or >= 0), not a bool."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        return False
    return math.isfinite(value) and (value >= 0 if allow_zero else value > 0)


def check_positive_float(value, name, allow_zero=False):
    """Return ``value`` as a float if it is finite and > 0 (or >= 0), or raise."""
    if not is_positive_float(value, allow_zero):
        bound = ">= 0" if allow_zero else "> 0"
        raise ValueError(f"Expected {name} {bound}, a finite number, got {value!r}.")
    return float(value)


def check_log_range(bounds, name, hint=""):
    """Return ``(low, high)`` as sorted floats, the range of a log-uniform draw, or raise.

    Parameters
    ----------
    bounds : sequence of two numbers
        Finite numbers > 0, in any order.
    name : str
        The argument's name, used in the error message.
    hint : str, optional
        What to do, appended to the message.

    Returns
    -------
    tuple of (float, float)
        ``low <= high``; draw with ``np.exp(rng.uniform(np.log(low), np.log(high)))``.
    """
    try:
        values = list(bounds)
    except TypeError:
        values = []
    if len(values) != 2 or not all(is_positive_float(v) for v in values):
        raise ValueError(
            f"Expected {name} to be a range (low, high) of numbers > 0 for a log-uniform draw, "
            f"got {bounds!r}." + (f" {hint}" if hint else "")
        )
    low, high = sorted(float(v) for v in values)
    return low, high


def check_rng(rng):
    """Turn ``rng`` into a ``numpy.random.Generator``.

    Parameters
    ----------
    rng : None, int or numpy.random.Generator
        ``None`` gives a generator seeded with 0, so that results are
        reproducible by default; an int is used as the seed; a Generator is
        returned as it is.

    Returns
    -------
    numpy.random.Generator
    """
    if rng is None:
        return np.random.default_rng(0)
    if isinstance(rng, np.random.Generator):
        return rng
    if isinstance(rng, numbers.Integral) and not isinstance(rng, bool):
        return np.random.default_rng(int(rng))
    raise TypeError(
        "Expected rng to be None, an int seed or a numpy.random.Generator "
        f"(np.random.default_rng(seed)), got {type(rng).__name__}."
    )


def check_loss_inputs(W, X, y, reg):
    """Check the arguments of a loss function ``(W, X, y, reg)``, or raise.

    Parameters
    ----------
    W : ndarray of shape (D, C)
    X : ndarray of shape (N, D)
    y : ndarray of shape (N,), labels in ``0 <= y < C``
    reg : float, ``>= 0``

    Returns
    -------
    W, X, y, reg
        ``W`` and ``X`` as float arrays, ``y`` as int64, ``reg`` as a float.
    """
    W = check_array_2d(W, "W", "(D, C)")
    X = check_array_2d(X, "X", "(N, D)")
    if X.shape[1] != W.shape[0]:
        raise ValueError(
            f"Expected X of shape (N, D) and W of shape (D, C) with the same D, got X "
            f"{X.shape} and W {W.shape}. Did you forget the bias column of ones "
            "(D = 3073 for CIFAR-10 images), or pass W transposed?"
        )
    y = check_label_range(check_labels(y, X.shape[0]), W.shape[1], "y", "the columns of W")
    return W, X, y, check_positive_float(reg, "reg", allow_zero=True)


# The names of the penalties (cs231n_lib.classifiers.regularization computes them).
REGULARIZERS = ("l2", "l1", "elastic_net")


def check_regularizer(regularizer, beta):
    """Check the choice of regularizer and the elastic net's ``beta``, or raise.

    Parameters
    ----------
    regularizer : str
        One of ``"l2"``, ``"l1"``, ``"elastic_net"``.
    beta : float
        The elastic net's weight of the L2 term, ``>= 0``.

    Returns
    -------
    regularizer, beta
        The name as given and ``beta`` as a float.
    """
    hint = ""
    if isinstance(regularizer, str) and regularizer.lower().replace("-", "_") in REGULARIZERS:
        hint = f"Write it in lower case: {regularizer.lower().replace('-', '_')!r}."
    check_choice("regularizer", regularizer, REGULARIZERS, hint)
    return regularizer, check_positive_float(beta, "beta", allow_zero=True)


# The (regularizer, beta) that LinearClassifier.train checked once, trusted by the loss
# and regularization_penalty it calls at every step, as scikit-learn skips validating
# nested calls. Only those very objects are trusted, and only within the block.
_TRUSTED_REGULARIZER = contextvars.ContextVar("cs231n_trusted_regularizer", default=None)


@contextmanager
def trusted_regularizer(regularizer, beta):
    """Within the block, :func:`check_regularizer_nested` trusts these already checked values.

    Parameters
    ----------
    regularizer, beta
        The values :func:`check_regularizer` returned.
    """
    token = _TRUSTED_REGULARIZER.set((regularizer, beta))
    try:
        yield
    finally:
        _TRUSTED_REGULARIZER.reset(token)


def check_regularizer_nested(regularizer, beta):
    """:func:`check_regularizer`, unless the caller checked these very objects already.

    What the losses and ``regularization_penalty`` call: called directly, they check
    their arguments; called by a training step (:func:`trusted_regularizer`), they
    do not check them again.
    """
    trusted = _TRUSTED_REGULARIZER.get()
    if trusted is not None and trusted[0] is regularizer and trusted[1] is beta:
        return regularizer, beta
    return check_regularizer(regularizer, beta)


def check_images(X, name="X", channels=None):
    """Return ``X`` as a real ndarray of shape (N, H, W, channels) with N >= 1, or raise.

    Parameters
    ----------
    X : array_like
        A stack of images.
    name : str
        The argument's name, used in the error message.
    channels : int, optional
        The number of channels required (3 for RGB); any number when None.

    Returns
    -------
    ndarray of shape (N, H, W, channels)
    """
    X = np.asarray(X)
    check_real(X, name)
    if X.ndim != 4 or (channels is not None and X.shape[-1] != channels):
        what = f"(N, H, W, {channels if channels is not None else 'C'})"
        hint = ""
        if X.ndim == 2:
            hint = f" If each row is a flattened image, reshape it: {name}.reshape(-1, 32, 32, 3)."
        elif X.ndim == 3:
            hint = f" For a single image use {name}[None]."
        elif X.ndim == 4 and X.shape[1] == channels:
            hint = f" If the channels come first, use {name}.transpose(0, 2, 3, 1)."
        raise ValueError(
            f"Expected {name} to be a 4-D array of shape {what}, a stack of images, got an "
            f"array of shape {X.shape} instead.{hint}"
        )
    if X.shape[0] == 0:
        raise ValueError(f"Expected at least one image in {name}, got shape {X.shape}.")
    return X


def check_feature_splits(F_train, F_others):
    """``[F_train, *F_others]`` as 2-D arrays, all with the columns of ``F_train``."""
    F_train = check_array_2d(F_train, "F_train", "(N, F)")
    arrays = [F_train] + [
        check_array_2d(F, f"F_others[{i}]", f"(N_{i}, {F_train.shape[1]})")
        for i, F in enumerate(F_others)
    ]
    for i, F in enumerate(arrays[1:]):
        if F.shape[1] != F_train.shape[1]:
            raise ValueError(
                f"Expected every split to have the {F_train.shape[1]} features of F_train, "
                f"got {F.shape[1]} in F_others[{i}]. Extract them with the same functions."
            )
    return arrays


def check_affine_inputs(x, w, b):
    """Check the inputs of an affine layer ``x @ w + b``, or raise.

    Parameters
    ----------
    x : ndarray of shape (N, D)
    w : ndarray of shape (D, H)
    b : ndarray of shape (H,)

    Returns
    -------
    x, w, b
        As float arrays.
    """
    x = check_array_2d(x, "x", "(N, D)")
    w = check_array_2d(w, "w", "(D, H)")
    b = np.asarray(b)
    if b.dtype.kind != "f":
        check_real(b, "b")
        b = b.astype(np.float64)
    if x.shape[1] != w.shape[0]:
        raise ValueError(
            f"Expected x of shape (N, D) and w of shape (D, H) with the same D, got x "
            f"{x.shape} and w {w.shape}. Pass w with one row per input feature (transpose "
            "it if it is (H, D))."
        )
    if b.shape != (w.shape[1],):
        raise ValueError(
            f"Expected b of shape ({w.shape[1]},), one bias per column of w, got shape {b.shape}."
        )
    return x, w, b


def check_upstream(dout, shape, layer):
    """Check that the upstream gradient ``dout`` has the shape of ``layer``'s output."""
    dout = np.asarray(dout)
    if dout.shape != tuple(shape):
        raise ValueError(
            f"Expected dout of shape {tuple(shape)}, the shape of {layer}'s output, got "
            f"{dout.shape}. Pass the gradient of the loss with respect to that output, "
            "with the cache of the same forward call."
        )
    check_real(dout, "dout")
    return dout


def check_scores_labels(scores, y):
    """Check the inputs of a loss on scores, or raise.

    Parameters
    ----------
    scores : ndarray of shape (N, C)
    y : ndarray of shape (N,), labels in ``0 <= y < C``

    Returns
    -------
    scores, y
        ``scores`` as a float array, ``y`` as int64.
    """
    scores = check_array_2d(scores, "scores", "(N, C)")
    if scores.shape[0] == 0:
        raise ValueError("Expected at least one row of scores, got shape (0, C).")
    y = check_label_range(
        check_labels(y, scores.shape[0]), scores.shape[1], "y", "the columns of scores"
    )
    return scores, y
