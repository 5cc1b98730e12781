"""k-fold cross-validation and the choice of hyper-parameters."""

from __future__ import annotations

import itertools
import numbers

import numpy as np
from tqdm.auto import tqdm

from ._validation import (
    check_array_2d,
    check_choice,
    check_labels,
    check_log_range,
    check_positive_int,
    check_rng,
    is_positive_float,
)
from .classifiers.k_nearest_neighbor import KNearestNeighbor

__all__ = [
    "best_k",
    "cross_validate",
    "cross_validate_knn",
    "split_folds",
    "tune_linear_classifier",
]


def split_folds(X, y, num_folds=5):
    """Cut the data into ``num_folds`` consecutive folds of nearly equal size.

    Sizes follow ``np.array_split``: the first ``N % num_folds`` folds have one
    example more than the others.

    Parameters
    ----------
    X : ndarray of shape (N, D)
    y : ndarray of shape (N,)
    num_folds : int, default=5
        ``2 <= num_folds <= N``.

    Returns
    -------
    X_folds : list of ndarray of shape (N_i, D)
    y_folds : list of ndarray of shape (N_i,)

    Examples
    --------
    >>> X_folds, y_folds = split_folds(np.zeros((7, 2)), np.arange(7), num_folds=3)
    >>> [len(fold) for fold in X_folds]
    [3, 2, 2]
    >>> y_folds[1]
    array([3, 4])
    """
    X = check_array_2d(X)
    y = check_labels(y, X.shape[0])
    num_folds = check_positive_int(num_folds, "num_folds", 2, X.shape[0])
    return np.array_split(X, num_folds), np.array_split(y, num_folds)


def _train_val(folds, i):
    """Fold i as validation data, the other folds concatenated as training data."""
    return np.concatenate(folds[:i] + folds[i + 1 :]), folds[i]


def cross_validate(fit_predict, X, y, num_folds=5):
    """Accuracy of a model on each fold, trained on the other folds.

    Parameters
    ----------
    fit_predict : callable
        ``fit_predict(X_train, y_train, X_val)`` trains a fresh model and
        returns its predictions for ``X_val``, of shape (N_val,).
    X : ndarray of shape (N, D)
    y : ndarray of shape (N,)
    num_folds : int, default=5

    Returns
    -------
    list of float
        ``num_folds`` accuracies, fold 0 first.
    """
    X_folds, y_folds = split_folds(X, y, num_folds)
    accuracies = []
    for i in range(num_folds):
        X_tr, X_val = _train_val(X_folds, i)
        y_tr, y_val = _train_val(y_folds, i)
        y_pred = np.asarray(fit_predict(X_tr, y_tr, X_val))
        if y_pred.shape != y_val.shape:
            raise ValueError(
                f"fit_predict returned predictions of shape {y_pred.shape} for fold {i}, "
                f"expected {y_val.shape}: one label per row of X_val."
            )
        accuracies.append(float(np.mean(y_pred == y_val)))
    return accuracies


def cross_validate_knn(X, y, k_choices, num_folds=5, progress=True):
    """k-fold cross-validation of :class:`KNearestNeighbor` for several values of k.

    The distances of each fold are computed once and shared by all k.

    Parameters
    ----------
    X : ndarray of shape (N, D)
    y : ndarray of shape (N,)
    k_choices : sequence of int
        The values of k to try; each must be at most the size of a training fold.
    num_folds : int, default=5
    progress : bool, default=True
        Show a progress bar over folds.

    Returns
    -------
    dict
        ``{k: [accuracy on fold 0, ..., accuracy on fold num_folds-1]}``.
    """
    X_folds, y_folds = split_folds(X, y, num_folds)
    k_choices = [check_positive_int(k, "k") for k in k_choices]
    smallest_train = X.shape[0] - max(len(f) for f in y_folds)
    if not k_choices or max(k_choices) > smallest_train:
        raise ValueError(
            f"Expected a non-empty k_choices with every k <= {smallest_train}, the size of "
            f"the smallest training fold, got {k_choices}. Drop the larger values of k or "
            "use more data."
        )
    results = {k: [] for k in k_choices}
    classifier = KNearestNeighbor()
    for i in tqdm(range(num_folds), desc="cross-validation folds", disable=not progress):
        # TODO: train the classifier on every fold but fold i, compute the distances
        # between fold i and the training folds once, and for each k append the
        # accuracy on fold i to results[k].
        raise NotImplementedError(
            "cross_validate_knn: write the code for the TODO above, in cs231n_lib/cross_validation.py."
        )
    return results


def best_k(results):
    """The k with the highest mean accuracy; a tie goes to the smaller k.

    Parameters
    ----------
    results : dict
        ``{k: list of fold accuracies}``, as from :func:`cross_validate_knn`.

    Returns
    -------
    int

    Examples
    --------
    >>> best_k({1: [0.25, 0.75], 5: [0.5, 0.5], 10: [0.25, 0.5]})  # 1 and 5 tie at 0.5
    1
    """
    if not results:
        raise ValueError("Expected at least one k in results, got an empty dict.")
    means = {k: float(np.mean(accs)) for k, accs in results.items()}
    return min(means, key=lambda k: (-means[k], k))


def tune_linear_classifier(
    cls,
    X_train,
    y_train,
    X_val,
    y_val,
    learning_rates,
    regs,
    num_iters,
    search="grid",
    num_samples=None,
    rng=None,
    batch_size=200,
    progress=True,
):
    """Choose the learning rate and regularization strength on a validation set.

    Every setting trains a new ``cls()`` from the same seed, so each sees the
    same initial weights and the same minibatches, and the results do not
    depend on the order in which settings are tried.

    Parameters
    ----------
    cls : type
        A :class:`~cs231n_lib.classifiers.LinearClassifier` subclass, such as
        ``LinearSVM`` or ``Softmax``.
    X_train : ndarray of shape (N, D)
    y_train : ndarray of shape (N,)
    X_val : ndarray of shape (N_val, D)
    y_val : ndarray of shape (N_val,)
    learning_rates, regs : sequence of float
        With ``search="grid"``, the values to try (every pair is tried). With
        ``search="random"``, the bounds ``(low, high)`` of each range.
    num_iters : int
        Training iterations for each setting.
    search : {"grid", "random"}, default="grid"
    num_samples : int, optional
        With ``search="random"``, the number of settings to draw, each value
        log-uniformly between its bounds. Not used by the grid search.
    rng : None, int or numpy.random.Generator
        Draws the training seed and the random settings; ``None`` means seed 0.
    batch_size : int, default=200
    progress : bool, default=True
        Show a progress bar over settings.

    Returns
    -------
    results : dict
        ``{(learning_rate, reg): (train_accuracy, val_accuracy)}``. A setting
        whose training diverged has ``(nan, nan)``.
    best_val : float
        The highest validation accuracy.
    best_model : LinearClassifier
        The model trained with the best setting.
    """
    X_train = check_array_2d(X_train, "X_train")
    y_train = check_labels(y_train, X_train.shape[0], "y_train")
    X_val = check_array_2d(X_val, "X_val", f"(N_val, {X_train.shape[1]})")
    y_val = check_labels(y_val, X_val.shape[0], "y_val")
    num_iters = check_positive_int(num_iters, "num_iters")
    rng = check_rng(rng)
    settings = _search_settings(learning_rates, regs, search, num_samples, rng)
    train_seed = int(rng.integers(2**63))

    results = {}
    best_val, best_model = -1.0, None
    bar = tqdm(settings, desc=f"tuning {cls.__name__}", disable=not progress)
    for learning_rate, reg in bar:
        model = cls()
        try:
            # TODO: train the model on the training set with this learning rate and
            # regularization strength, num_iters and batch_size, and
            # rng=np.random.default_rng(train_seed). Compute its accuracy on the training
            # and the validation set into train_acc and val_acc.
            raise NotImplementedError(
                "tune_linear_classifier: write the code for the TODO above, in cs231n_lib/cross_validation.py."
            )
        except FloatingPointError:  # diverged: a learning rate too large
            train_acc = val_acc = float("nan")
        results[(learning_rate, reg)] = (train_acc, val_acc)
        if val_acc > best_val:
            best_val, best_model = val_acc, model
        bar.set_postfix(best_val=f"{best_val:.3f}")
    if best_model is None:
        raise FloatingPointError("Training diverged for every setting. Try smaller learning rates.")
    return results, best_val, best_model


def _search_settings(learning_rates, regs, search, num_samples, rng):
    """The (learning_rate, reg) pairs to try, as floats."""
    learning_rates = _positive_floats(learning_rates, "learning_rates")
    regs = _positive_floats(regs, "regs", allow_zero=True)
    if check_choice("search", search, ("grid", "random")) == "grid":
        if num_samples is not None:
            raise ValueError(
                "num_samples is only used by search='random'; the grid search tries every "
                f"pair of learning_rates and regs ({len(learning_rates) * len(regs)} here)."
            )
        return list(itertools.product(learning_rates, regs))
    hint = "search='random' draws from ranges; search='grid' tries lists of values."
    lr_range = check_log_range(learning_rates, "learning_rates", hint)
    reg_range = check_log_range(regs, "regs", hint)
    if num_samples is None:
        raise ValueError("search='random' needs num_samples, the number of settings to try.")
    num_samples = check_positive_int(num_samples, "num_samples")
    log_lr = rng.uniform(*np.log(lr_range), size=num_samples)
    log_reg = rng.uniform(*np.log(reg_range), size=num_samples)
    return [(float(a), float(b)) for a, b in zip(np.exp(log_lr), np.exp(log_reg), strict=True)]


def _positive_floats(values, name, allow_zero=False):
    """A non-empty list of finite floats > 0 (or >= 0)."""
    if isinstance(values, numbers.Real):
        values = [values]
    values = list(values)
    bad = [v for v in values if not is_positive_float(v, allow_zero)]
    if not values or bad:
        bound = ">= 0" if allow_zero else "> 0"
        raise ValueError(
            f"Expected {name} to be a non-empty list of numbers {bound}, got {values!r}."
        )
    return [float(v) for v in values]
