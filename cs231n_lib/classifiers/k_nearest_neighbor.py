"""A k-nearest-neighbour classifier with the L2 (Euclidean) distance."""

from __future__ import annotations

import numpy as np

from .._validation import check_array_2d, check_choice, check_labels, check_positive_int

__all__ = ["KNearestNeighbor"]


class KNearestNeighbor:
    """Classify each example by a majority vote of its ``k`` nearest training examples.

    Training only memorizes the data (a copy of it, with each example's squared
    norm); all the work happens at prediction time, which is why the cost of
    classifying grows with the size of the training set.

    Attributes
    ----------
    X_train : ndarray of shape (num_train, D)
        A copy of the training data.
    y_train : ndarray of shape (num_train,)
    train_sq : ndarray of shape (num_train,)
        The squared L2 norm of each training example. Every call of
        :meth:`compute_distances_no_loops` needs them, so :meth:`train`
        computes them once.
    """

    def __init__(self):
        self.X_train = None
        self.y_train = None
        self.train_sq = None
        self._train_augmented = None

    def train(self, X, y):
        """Memorize (a copy of) the training data.

        Parameters
        ----------
        X : ndarray of shape (num_train, D)
            One flattened training example a row.
        y : ndarray of shape (num_train,)
            Labels in ``0 <= y < C``.

        Returns
        -------
        self
        """
        X = check_array_2d(X, "X", "(num_train, D)")
        if X.shape[0] == 0:
            raise ValueError("Expected at least one training example, got X of shape (0, D).")
        y = check_labels(y, X.shape[0])
        # Keep each training example t as a row [t, 1, ||t||^2]: with a test row
        # [-2x, ||x||^2, 1], one matrix product then gives ||x||^2 - 2 x.t + ||t||^2,
        # the squared distance (see compute_distances_no_loops). X_train and
        # train_sq are views into that matrix, so the data is stored once.
        num_train, dim = X.shape
        self._train_augmented = np.empty((num_train, dim + 2), dtype=X.dtype)
        self.X_train = self._train_augmented[:, :dim]
        self.X_train[...] = X
        self._train_augmented[:, dim] = 1.0
        self.train_sq = self._train_augmented[:, dim + 1]
        np.einsum("ij,ij->i", X, X, out=self.train_sq)
        self.y_train = y
        return self

    def predict(self, X, k=1, num_loops=0):
        """Predict a label for each test example.

        Parameters
        ----------
        X : ndarray of shape (num_test, D)
            One flattened test example a row.
        k : int, default=1
            Number of neighbours that vote, ``1 <= k <= num_train``.
        num_loops : {0, 1, 2}, default=0
            Which distance implementation to use: 0 is the vectorized one,
            1 and 2 the teaching versions with one or two Python loops.

        Returns
        -------
        y_pred : ndarray of shape (num_test,), dtype int64
        """
        methods = {
            0: self.compute_distances_no_loops,
            1: self.compute_distances_one_loop,
            2: self.compute_distances_two_loops,
        }
        check_choice(
            "num_loops",
            num_loops,
            methods,
            "Use 0 (the vectorized version) unless you are checking a loop version.",
        )
        self._check_k(k)
        dists = methods[num_loops](X)
        return self.predict_labels(dists, k=k)

    def compute_distances_two_loops(self, X):
        """L2 distances between test and training examples, with a loop over both.

        Parameters
        ----------
        X : ndarray of shape (num_test, D)

        Returns
        -------
        dists : ndarray of shape (num_test, num_train)
            ``dists[i, j]`` is the Euclidean distance between ``X[i]`` and
            ``X_train[j]``.
        """
        X = self._check_test_data(X)
        num_test, num_train = X.shape[0], self.X_train.shape[0]
        dists = np.zeros((num_test, num_train))
        for i in range(num_test):
            for j in range(num_train):
                # TODO: compute the L2 distance between the i-th test example and the
                # j-th training example and store it in dists[i, j]. Do not loop over
                # the dimensions, and do not use np.linalg.norm().
                ### BEGIN SOLUTION
                diff = X[i] - self.X_train[j]  # (D,)
                dists[i, j] = np.sqrt(np.dot(diff, diff))
                ### END SOLUTION
        return dists

    def compute_distances_one_loop(self, X):
        """L2 distances between test and training examples, with a loop over the test data.

        Parameters
        ----------
        X : ndarray of shape (num_test, D)

        Returns
        -------
        dists : ndarray of shape (num_test, num_train)
        """
        X = self._check_test_data(X)
        num_test, num_train = X.shape[0], self.X_train.shape[0]
        dists = np.zeros((num_test, num_train))
        for i in range(num_test):
            # TODO: compute the L2 distances between the i-th test example and every
            # training example at once (broadcasting), and store them in dists[i, :].
            # Do not use np.linalg.norm().
            ### BEGIN SOLUTION
            diff = self.X_train - X[i]  # (num_train, D)
            dists[i, :] = np.sqrt(np.einsum("ij,ij->i", diff, diff))
            ### END SOLUTION
        return dists

    def compute_distances_no_loops(self, X):
        """L2 distances between test and training examples, without any Python loop.

        Parameters
        ----------
        X : ndarray of shape (num_test, D)

        Returns
        -------
        dists : ndarray of shape (num_test, num_train)
            Never negative and never NaN.
        """
        X = self._check_test_data(X)
        num_test, num_train = X.shape[0], self.X_train.shape[0]
        dists = np.zeros((num_test, num_train), dtype=self.X_train.dtype)
        # TODO: compute all the L2 distances without any explicit loop, using only
        # basic array operations: expand ||x - t||^2 = ||x||^2 - 2 x.t + ||t||^2 into
        # one matrix multiplication and two broadcast sums (train() has already
        # stored the ||t||^2 of the training examples in self.train_sq). Rounding can
        # make a squared distance slightly negative: clamp it at 0 before the square
        # root, and store the distances in dists. Do not use scipy or np.linalg.norm().
        ### BEGIN SOLUTION
        # All the arithmetic happens in one matrix product: each test row becomes
        # [-2x, ||x||^2, 1] and meets the training rows [t, 1, ||t||^2] that train()
        # stored, giving ||x||^2 - 2 x.t + ||t||^2 with no (num_test, num_train)
        # temporary. Only the clamp and the square root remain, both in place.
        dim = X.shape[1]
        test_augmented = np.empty((num_test, dim + 2), dtype=self._train_augmented.dtype)
        np.multiply(X, -2.0, out=test_augmented[:, :dim])
        np.einsum("ij,ij->i", X, X, out=test_augmented[:, dim])
        test_augmented[:, dim + 1] = 1.0
        np.matmul(test_augmented, self._train_augmented.T, out=dists)  # (num_test, num_train)
        np.maximum(dists, 0.0, out=dists)  # rounding can make tiny distances negative
        np.sqrt(dists, out=dists)
        ### END SOLUTION
        return dists

    def predict_labels(self, dists, k=1):
        """Predict a label for each test example from its distances to the training data.

        Parameters
        ----------
        dists : ndarray of shape (num_test, num_train)
            ``dists[i, j]`` is the distance between test example i and training
            example j.
        k : int, default=1
            Number of neighbours that vote.

        Returns
        -------
        y_pred : ndarray of shape (num_test,), dtype int64
            The most common label among the k nearest neighbours; a tie between
            labels goes to the smaller label. Between training examples at the
            same distance, the one that comes first in the training data is nearer.
        """
        self._check_trained()
        dists = check_array_2d(dists, "dists", "(num_test, num_train)")
        if dists.shape[1] != self.X_train.shape[0]:
            raise ValueError(
                f"Expected dists of shape (num_test, {self.X_train.shape[0]}), one column "
                f"per training example, got {dists.shape}. Compute dists with this "
                "classifier's compute_distances_* methods."
            )
        if np.isnan(dists).any():
            raise ValueError(
                "dists contains NaN. Clamp squared distances at 0 before the square root."
            )
        k = self._check_k(k)
        num_test = dists.shape[0]
        y_pred = np.zeros(num_test, dtype=np.int64)
        # TODO: for each test example, find the labels of its k nearest training
        # examples and store the most common one in y_pred[i]. Hints: sort the row with
        # np.argsort(dists[i], kind="stable"), so that of two training examples at the
        # same distance the earlier one comes first; count the votes with np.bincount
        # and take np.argmax of the counts, which returns the first, i.e. the smaller,
        # label when two labels have the same number of votes.
        ### BEGIN SOLUTION
        # Only the set of the k nearest matters, not their order, and np.argpartition
        # finds it in linear time. Where other training examples tie with the k-th
        # distance, the earlier ones are nearer: a stable sort decides those rows.
        nearest = np.argpartition(dists, k - 1, axis=1)[:, :k]  # (num_test, k)
        kth = np.take_along_axis(dists, nearest, axis=1).max(axis=1)  # (num_test,)
        ties = np.count_nonzero(dists <= kth[:, None], axis=1) > k
        if ties.any():
            nearest[ties] = np.argsort(dists[ties], axis=1, kind="stable")[:, :k]
        closest_y = self.y_train[nearest]  # (num_test, k)
        num_classes = int(self.y_train.max()) + 1
        # Count the votes of every row at once: row i's label c lands in bin i*C + c.
        flat = (np.arange(num_test)[:, None] * num_classes + closest_y).ravel()
        votes = np.bincount(flat, minlength=num_test * num_classes)
        votes = votes.reshape(num_test, num_classes)  # (num_test, C)
        y_pred = np.argmax(votes, axis=1)  # argmax takes the first, i.e. smaller, label
        ### END SOLUTION
        return y_pred.astype(np.int64)

    def _check_trained(self):
        if self.X_train is None:
            raise RuntimeError(
                "This KNearestNeighbor has no training data yet: call train(X_train, "
                "y_train) before predicting."
            )

    def _check_test_data(self, X):
        self._check_trained()
        X = check_array_2d(X, "X", "(num_test, D)")
        if X.shape[1] != self.X_train.shape[1]:
            raise ValueError(
                f"Expected X to have D={self.X_train.shape[1]} columns like the training "
                f"data, got {X.shape[1]}. Preprocess test data exactly as the training data."
            )
        return X

    def _check_k(self, k):
        self._check_trained()
        return check_positive_int(k, "k", 1, self.X_train.shape[0])
