"""k-fold cross-validation and the choice of hyper-parameters."""

from __future__ import annotations

import numpy as np
from tqdm.auto import tqdm

from ._validation import check_array_2d, check_labels, check_positive_int
from .classifiers.k_nearest_neighbor import KNearestNeighbor

__all__ = ["best_k", "cross_validate", "cross_validate_knn", "split_folds"]


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
        ### BEGIN SOLUTION
        X_tr, X_val = _train_val(X_folds, i)
        y_tr, y_val = _train_val(y_folds, i)
        classifier.train(X_tr, y_tr)
        dists = classifier.compute_distances_no_loops(X_val)  # (N_val, N_train)
        for k in k_choices:
            y_pred = classifier.predict_labels(dists, k=k)
            results[k].append(float(np.mean(y_pred == y_val)))
        ### END SOLUTION
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
    """
    if not results:
        raise ValueError("Expected at least one k in results, got an empty dict.")
    means = {k: float(np.mean(accs)) for k, accs in results.items()}
    return min(means, key=lambda k: (-means[k], k))
