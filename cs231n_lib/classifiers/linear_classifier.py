"""Linear classifiers trained by minibatch stochastic gradient descent."""

from __future__ import annotations

import numpy as np
from tqdm.auto import tqdm

from .._validation import (
    check_array_2d,
    check_labels,
    check_positive_float,
    check_positive_int,
    check_regularizer,
    check_rng,
    trusted_regularizer,
)
from .linear_svm import svm_loss_vectorized
from .softmax import softmax_loss_vectorized

__all__ = ["LinearClassifier", "LinearSVM", "Softmax"]


class LinearClassifier:
    """A linear classifier ``scores = X @ W``; subclasses choose the loss.

    Attributes
    ----------
    W : ndarray of shape (D, C) or None
        The weights; created by the first call to :meth:`train`.
    """

    def __init__(self):
        self.W = None

    def train(
        self,
        X,
        y,
        learning_rate=1e-3,
        reg=1e-5,
        num_iters=100,
        batch_size=200,
        verbose=False,
        rng=None,
        progress=False,
        regularizer="l2",
        beta=1.0,
    ):
        """Train by minibatch stochastic gradient descent.

        Parameters
        ----------
        X : ndarray of shape (N, D)
            Training data.
        y : ndarray of shape (N,)
            Labels, ``0 <= y[i] < C``.
        learning_rate : float, default=1e-3
        reg : float, default=1e-5
            Regularization strength.
        num_iters : int, default=100
            Number of steps.
        batch_size : int, default=200
            Examples per step, drawn with replacement.
        verbose : bool, default=False
            Print the loss every 100 iterations.
        rng : None, int or numpy.random.Generator
            Draws the initial W (when there is none yet) and the minibatches;
            ``None`` means seed 0, so the same call gives the same W.
        progress : bool, default=False
            Show a progress bar (on stderr, or as a widget in a notebook).
        regularizer : {"l2", "l1", "elastic_net"}, default="l2"
            The penalty of strength ``reg`` (see
            :func:`~cs231n_lib.classifiers.regularization_penalty`).
        beta : float, default=1.0
            The elastic net's weight of the L2 term.

        Returns
        -------
        list of float
            The loss at every iteration.
        """
        X = check_array_2d(X, "X", "(N, D)")
        num_train, dim = X.shape
        y = check_labels(y, num_train)
        num_iters = check_positive_int(num_iters, "num_iters", low=0)
        batch_size = check_positive_int(batch_size, "batch_size")
        learning_rate = check_positive_float(learning_rate, "learning_rate")
        regularizer, beta = check_regularizer(regularizer, beta)
        if num_train == 0:
            raise ValueError("Expected at least one training example, got X of shape (0, D).")
        rng = check_rng(rng)
        self._init_weights(dim, int(y.max()) + 1, X.dtype, rng)

        loss_history = []
        for it in tqdm(range(num_iters), desc=type(self).__name__, disable=not progress):
            # TODO: sample batch_size examples and their labels with replacement
            # (rng.integers), into X_batch of shape (batch_size, D) and y_batch.
            ### BEGIN SOLUTION
            idx = rng.integers(num_train, size=batch_size)
            X_batch, y_batch = X[idx], y[idx]
            ### END SOLUTION
            # regularizer and beta were checked once above: the loss need not check them.
            with (
                np.errstate(over="ignore", invalid="ignore"),
                trusted_regularizer(regularizer, beta),
            ):
                loss, grad = self.loss(X_batch, y_batch, reg, regularizer, beta)
            if not np.isfinite(loss):
                raise FloatingPointError(
                    f"Training diverged at iteration {it}: the loss is {loss}. The learning "
                    f"rate {learning_rate:g} is too large for reg={reg:g}; try a smaller one "
                    f"such as {learning_rate / 10:g}. W is left as it was before this step."
                )
            loss_history.append(loss)
            # TODO: update the weights self.W with a gradient-descent step.
            ### BEGIN SOLUTION
            self.W -= learning_rate * grad
            ### END SOLUTION
            if verbose and it % 100 == 0:
                print(f"iteration {it} / {num_iters}: loss {loss:f}")
        return loss_history

    def _init_weights(self, dim, num_classes, dtype, rng):
        """Create W as 0.001 * standard normal (D, C) unless a fitting W exists."""
        if self.W is None:
            W = 0.001 * rng.standard_normal((dim, num_classes))
            # Stored column by column (Fortran order), the layout of the gradient that
            # the vectorized losses return: the update then runs over contiguous memory.
            self.W = np.asfortranarray(W, dtype=dtype)
        elif self.W.shape[0] != dim or self.W.shape[1] < num_classes:
            raise ValueError(
                f"The classifier already has W of shape {self.W.shape}, which does not fit "
                f"data with D={dim} and labels up to {num_classes - 1}. Create a new "
                "classifier, or set W = None to start over."
            )

    def predict(self, X):
        """Predict the class of each row of X.

        Parameters
        ----------
        X : ndarray of shape (N, D)

        Returns
        -------
        ndarray of shape (N,), dtype int64
            The class with the highest score for each row.
        """
        if self.W is None:
            raise RuntimeError(
                f"This {type(self).__name__} has no weights yet: call train() before predict()."
            )
        X = check_array_2d(X, "X", f"(N, {self.W.shape[0]})")
        if X.shape[1] != self.W.shape[0]:
            raise ValueError(
                f"Expected X with D={self.W.shape[0]} columns, like the training data, got "
                f"shape {X.shape}."
            )
        y_pred = np.zeros(X.shape[0], dtype=np.int64)
        # TODO: compute the scores X @ W and store in y_pred the index of the highest
        # score of each row.
        ### BEGIN SOLUTION
        y_pred = np.argmax(X @ self.W, axis=1)
        ### END SOLUTION
        return y_pred.astype(np.int64)

    def loss(self, X_batch, y_batch, reg, regularizer="l2", beta=1.0):
        """The loss and its gradient on a minibatch; subclasses implement it.

        Parameters
        ----------
        X_batch : ndarray of shape (N, D)
        y_batch : ndarray of shape (N,)
        reg : float
        regularizer : {"l2", "l1", "elastic_net"}, default="l2"
        beta : float, default=1.0

        Returns
        -------
        loss : float
        dW : ndarray of shape (D, C)
        """
        raise NotImplementedError(
            "LinearClassifier is abstract: use LinearSVM or Softmax, or a subclass that "
            "defines loss()."
        )


class LinearSVM(LinearClassifier):
    """A linear classifier with the multiclass SVM (hinge) loss.

    Parameters
    ----------
    squared_hinge : bool, default=False
        Train with the squared hinge ``max(0, s_j - s_y + 1)^2`` instead.
    """

    def __init__(self, squared_hinge=False):
        super().__init__()
        if not isinstance(squared_hinge, bool | np.bool_):
            raise TypeError(f"Expected squared_hinge to be True or False, got {squared_hinge!r}.")
        self.squared_hinge = bool(squared_hinge)

    def loss(self, X_batch, y_batch, reg, regularizer="l2", beta=1.0):
        return svm_loss_vectorized(
            self.W,
            X_batch,
            y_batch,
            reg,
            squared_hinge=self.squared_hinge,
            regularizer=regularizer,
            beta=beta,
        )


class Softmax(LinearClassifier):
    """A linear classifier with the softmax (cross-entropy) loss."""

    def loss(self, X_batch, y_batch, reg, regularizer="l2", beta=1.0):
        return softmax_loss_vectorized(
            self.W, X_batch, y_batch, reg, regularizer=regularizer, beta=beta
        )
