"""Mini-batch k-means in numpy: the visual vocabulary of the bag-of-words features."""

from __future__ import annotations

import numpy as np
from tqdm.auto import tqdm

from .._validation import check_array_2d, check_choice, check_positive_int, check_rng

__all__ = ["assign_clusters", "kmeans", "squared_distances"]

#: Rows of X handled at once by assign_clusters: (chunk, K) distances at a time.
_CHUNK = 4096


def squared_distances(X, centroids):
    """Squared L2 distances between every row of ``X`` and every centroid.

    Computed as in the no-loop kNN distances: each row of X becomes
    ``[-2x, ||x||^2, 1]`` and each centroid ``[c, 1, ||c||^2]``, so that one
    matrix product gives ``||x||^2 - 2 x.c + ||c||^2``, with no (M, K, D)
    temporary. Rounding can make a tiny distance negative, so it is clamped at 0.

    Parameters
    ----------
    X : ndarray of shape (M, D)
    centroids : ndarray of shape (K, D)

    Returns
    -------
    ndarray of shape (M, K)
        Never negative; the dtype of ``X @ centroids.T``.
    """
    X = check_array_2d(X, "X", "(M, D)")
    centroids = check_array_2d(centroids, "centroids", f"(K, {X.shape[1]})")
    if centroids.shape[1] != X.shape[1]:
        raise ValueError(
            f"Expected X (M, D) and centroids (K, D) with the same D, got X {X.shape} and "
            f"centroids {centroids.shape}."
        )
    dtype = np.result_type(X.dtype, centroids.dtype)
    num, dim = X.shape
    left = np.empty((num, dim + 2), dtype)
    np.multiply(X, -2.0, out=left[:, :dim])
    np.einsum("ij,ij->i", X, X, out=left[:, dim])
    left[:, dim + 1] = 1.0
    right = np.empty((len(centroids), dim + 2), dtype)
    right[:, :dim] = centroids
    right[:, dim] = 1.0
    np.einsum("ij,ij->i", centroids, centroids, out=right[:, dim + 1])
    dists = left @ right.T  # (M, K)
    np.maximum(dists, 0.0, out=dists)
    return dists


def assign_clusters(X, centroids):
    """The nearest centroid of each row of X, and the squared distance to it.

    Parameters
    ----------
    X : ndarray of shape (M, D)
    centroids : ndarray of shape (K, D)

    Returns
    -------
    labels : ndarray of shape (M,), int64
        ``0 <= labels[i] < K``; ties go to the lowest index.
    min_dists : ndarray of shape (M,)
        ``||X[i] - centroids[labels[i]]||^2``.
    """
    X = check_array_2d(X, "X", "(M, D)")
    labels = np.empty(len(X), np.int64)
    min_dists = np.empty(len(X), np.result_type(X.dtype, centroids.dtype))
    for start in range(0, len(X), _CHUNK):  # bounded memory: (_CHUNK, K) at a time
        dists = squared_distances(X[start : start + _CHUNK], centroids)
        idx = dists.argmin(axis=1)
        labels[start : start + len(idx)] = idx
        min_dists[start : start + len(idx)] = dists[np.arange(len(idx)), idx]
    return labels, min_dists


def kmeans(
    X, num_clusters, num_epochs=10, batch_size=10000, init="k-means++", rng=None, progress=False
):
    """Cluster the rows of X with mini-batch k-means (Sculley, WWW 2010).

    The centroids start at ``K`` rows of X, chosen by k-means++ (Arthur and
    Vassilvitskii, 2007: each next one at random with probability proportional to
    its squared distance to the nearest one chosen so far, so that they spread over
    the clusters) or uniformly at random (``init="random"``). Each epoch visits the
    rows in a new random order, ``batch_size`` at a time; each centroid moves
    towards the mean of the rows of the batch that are nearest to it, by the
    fraction (rows it got in this batch) / (rows it got so far), so that it is
    always the running mean of every row it was ever given. With ``batch_size >=
    M`` the first epoch is one step of Lloyd's algorithm. A centroid that got no
    row in a whole epoch (an empty cluster) is moved to a random row of X and
    starts afresh.

    Parameters
    ----------
    X : ndarray of shape (M, D)
        The points, e.g. whitened patches; float32 is twice as fast as float64.
    num_clusters : int
        K, at most M.
    num_epochs : int, default=10
        Passes over the data.
    batch_size : int, default=10000
        Rows per update; memory grows as (batch_size, K).
    init : {"k-means++", "random"}, default="k-means++"
        How to choose the initial centroids. k-means++ costs K passes over X (a
        matrix-vector product each); "random" is free and works as well when K is
        large compared with the number of true clusters, as for a vocabulary.
    rng : None, int or numpy.random.Generator
        Draws the initial centroids, the order of the rows and the re-seeded
        centroids; ``None`` means seed 0.
    progress : bool, default=False
        Show a progress bar over the epochs (on stderr).

    Returns
    -------
    centroids : ndarray of shape (K, D)
        The dtype of X.
    inertia : float
        The sum over the rows of X of the squared distance to the nearest centroid.
    """
    X = check_array_2d(X, "X", "(M, D)")
    num = len(X)
    num_clusters = check_positive_int(num_clusters, "num_clusters")
    if num_clusters > num:
        raise ValueError(
            f"Expected num_clusters <= the number of points M={num}, got num_clusters="
            f"{num_clusters}. Give kmeans more points (sample more patches) or ask for "
            "fewer clusters."
        )
    num_epochs = check_positive_int(num_epochs, "num_epochs", low=0)
    batch_size = check_positive_int(batch_size, "batch_size")
    check_choice("init", init, ("k-means++", "random"))
    rng = check_rng(rng)

    if init == "random":
        centroids = X[rng.choice(num, size=num_clusters, replace=False)].copy()  # (K, D)
    else:
        centroids = _kmeans_plus_plus(X, num_clusters, rng)
    counts = np.zeros(num_clusters)  # rows given to each centroid so far
    for _ in tqdm(range(num_epochs), desc="k-means", unit="epoch", disable=not progress):
        order = rng.permutation(num)
        hits = np.zeros(num_clusters, np.int64)  # rows given in this epoch
        for start in range(0, num, batch_size):
            batch = X[order[start : start + batch_size]]  # (B, D)
            labels, _ = assign_clusters(batch, centroids)
            _update(centroids, counts, batch, labels)
            hits += np.bincount(labels, minlength=num_clusters)
        empty = np.flatnonzero(hits == 0)
        if empty.size:
            centroids[empty] = X[rng.choice(num, size=empty.size, replace=False)]
            counts[empty] = 0
    _, min_dists = assign_clusters(X, centroids)
    return centroids, float(min_dists.sum(dtype=np.float64))


def _update(centroids, counts, batch, labels):
    """Move each centroid to the running mean of all the rows it was given, in place."""
    num_clusters = len(centroids)
    batch_counts = np.bincount(labels, minlength=num_clusters)  # (K,)
    # The sum of the rows given to each centroid, as one product with a one-hot
    # (K, B) matrix: much faster than np.add.at for thousands of rows.
    one_hot = np.zeros((num_clusters, len(batch)), batch.dtype)
    one_hot[labels, np.arange(len(batch))] = 1.0
    sums = one_hot @ batch  # (K, D)
    counts += batch_counts
    hit = batch_counts > 0
    step = (sums[hit] - batch_counts[hit, None] * centroids[hit]) / counts[hit, None]
    centroids[hit] += step.astype(centroids.dtype)


def _kmeans_plus_plus(X, num_clusters, rng):
    """(K, D) initial centroids: rows of X drawn by greedy k-means++ seeding.

    As in scikit-learn, each step draws ``2 + log(K)`` candidates and keeps the one
    that lowers the sum of squared distances most, which makes a bad seeding (two
    centroids in one true cluster) much rarer than with one candidate.
    """
    num = len(X)
    num_candidates = 2 + int(np.log(num_clusters))
    sq_norms = np.einsum("ij,ij->i", X, X)  # (M,)

    def dists_to(rows):  # (M, L): ||x||^2 - 2 x.c + ||c||^2 for the rows c = X[rows]
        return np.maximum(sq_norms[:, None] - 2 * (X @ X[rows].T) + sq_norms[rows], 0.0)

    picks = [int(rng.integers(num))]
    nearest = dists_to(picks)[:, 0]  # (M,) squared distance to the nearest pick
    for _ in range(1, num_clusters):
        cumulative = np.cumsum(nearest, dtype=np.float64)
        if cumulative[-1] > 0:
            draws = rng.random(num_candidates) * cumulative[-1]
            candidates = np.minimum(np.searchsorted(cumulative, draws, side="right"), num - 1)
        else:  # fewer distinct rows than clusters: any rows will do
            candidates = rng.integers(num, size=num_candidates)
        trial = np.minimum(nearest[:, None], dists_to(candidates))  # (M, L)
        best = int(trial.sum(axis=0, dtype=np.float64).argmin())
        picks.append(int(candidates[best]))
        nearest = trial[:, best].copy()
    return X[picks].copy()
