"""A two-layer fully connected neural network, trained by minibatch SGD.

The network is ``affine - ReLU - affine - softmax``: for a row ``x`` of D features,
``hidden = max(0, x @ W1 + b1)`` holds H hidden units, ``scores = hidden @ W2 + b2``
one score per class, and the loss is the softmax loss of the scores plus the L2
regularization ``reg * (sum(W1 * W1) + sum(W2 * W2))`` (no factor 1/2, as for the
linear classifiers; the biases are not regularized).
"""

from __future__ import annotations

import numpy as np
from tqdm.auto import tqdm

from .._validation import (
    check_array_2d,
    check_label_range,
    check_labels,
    check_positive_float,
    check_positive_int,
    check_rng,
)
from .layers import (
    affine_backward,
    affine_forward,
    relu_backward,
    relu_forward,
    softmax_loss,
)
from .optim import sgd, sgd_momentum

__all__ = ["TwoLayerNet"]

# Training accuracy is measured on this many training examples, drawn once.
TRAIN_ACCURACY_SAMPLE = 1000


class TwoLayerNet:
    """``affine - ReLU - affine - softmax``, with weights W1, b1, W2, b2.

    Parameters
    ----------
    input_size : int
        D, the number of input features (3072 for a flattened CIFAR-10 image).
    hidden_size : int
        H, the number of hidden units.
    num_classes : int
        C.
    std : float
        The weights start as ``std * standard normal``, the biases as zeros.
    rng : None, int or numpy.random.Generator
        Draws the initial weights; ``None`` means seed 0.
    dtype : numpy floating dtype, default=np.float64
        Of the parameters. ``np.float32`` halves the time of a training step on
        float32 data; keep float64 for gradient checks.

    Attributes
    ----------
    params : dict of str to ndarray
        ``W1`` (D, H), ``b1`` (H,), ``W2`` (H, C), ``b2`` (C,).
    """

    def __init__(self, input_size, hidden_size, num_classes, std, rng=None, dtype=np.float64):
        input_size = check_positive_int(input_size, "input_size")
        hidden_size = _check_hidden_size(hidden_size)
        num_classes = check_positive_int(num_classes, "num_classes")
        std = check_positive_float(std, "std")
        rng = check_rng(rng)
        dtype = np.dtype(dtype)
        if dtype.kind != "f":
            raise TypeError(f"Expected a floating-point dtype such as np.float64, got {dtype}.")
        self.params = {
            "W1": (std * rng.standard_normal((input_size, hidden_size))).astype(dtype),
            "b1": np.zeros(hidden_size, dtype),
            "W2": (std * rng.standard_normal((hidden_size, num_classes))).astype(dtype),
            "b2": np.zeros(num_classes, dtype),
        }

    @property
    def input_size(self):
        return self.params["W1"].shape[0]

    @property
    def num_classes(self):
        return self.params["W2"].shape[1]

    def loss(self, X, y=None, reg=0.0):
        """The scores, or the loss and the gradient of every parameter.

        Parameters
        ----------
        X : ndarray of shape (N, D)
        y : ndarray of shape (N,), optional
            Labels, ``0 <= y[i] < C``. Without them, only the scores are computed.
        reg : float, default=0.0
            L2 regularization strength, applied to W1 and W2.

        Returns
        -------
        scores : ndarray of shape (N, C)
            When ``y`` is None.
        loss : float
            When ``y`` is given: the mean softmax loss plus the regularization.
        grads : dict of str to ndarray
            When ``y`` is given: the gradient of the loss with respect to each entry of
            ``params``, with the same keys and shapes.
        """
        X = self._check_X(X)
        reg = check_positive_float(reg, "reg", allow_zero=True)
        W1, b1, W2, b2 = (self.params[k] for k in ("W1", "b1", "W2", "b2"))
        # TODO: the forward pass, with the layers of cs231n_lib/classifiers/layers.py:
        # affine - ReLU (hidden, of shape (N, H)), then affine: scores, of shape (N, C).
        # Keep the caches for the backward pass.
        raise NotImplementedError(
            "TwoLayerNet.loss: write the code for the TODO above, in cs231n_lib/classifiers/neural_net.py."
        )
        if y is None:
            return scores
        y = self._check_y(y, X.shape[0], "y")
        grads = {}
        # TODO: the loss (softmax_loss of the scores, plus reg * (sum of W1 squared +
        # sum of W2 squared)), then the backward pass, layer by layer in reverse: store
        # in grads["W1"], grads["b1"], grads["W2"] and grads["b2"] the gradient of the
        # loss with respect to each. Both weight gradients get the gradient of their
        # regularization term.
        raise NotImplementedError(
            "TwoLayerNet.loss: write the code for the TODO above, in cs231n_lib/classifiers/neural_net.py."
        )
        return loss, grads

    def train(
        self,
        X,
        y,
        X_val=None,
        y_val=None,
        learning_rate=1e-3,
        learning_rate_decay=0.95,
        reg=5e-6,
        num_iters=100,
        batch_size=200,
        momentum=0.0,
        verbose=False,
        rng=None,
        progress=False,
    ):
        """Train by minibatch stochastic gradient descent.

        Parameters
        ----------
        X : ndarray of shape (N, D)
            Training data.
        y : ndarray of shape (N,)
            Labels, ``0 <= y[i] < C``.
        X_val : ndarray of shape (N_val, D), optional
        y_val : ndarray of shape (N_val,), optional
            Validation data, whose accuracy is recorded after every epoch.
        learning_rate : float, default=1e-3
        learning_rate_decay : float, default=0.95
            After every epoch (``max(N // batch_size, 1)`` iterations) the learning
            rate is multiplied by it.
        reg : float, default=5e-6
            L2 regularization strength.
        num_iters : int, default=100
        batch_size : int, default=200
            Examples per step, drawn with replacement.
        momentum : float, default=0.0
            With 0, plain SGD (:func:`~cs231n_lib.classifiers.optim.sgd`); otherwise
            :func:`~cs231n_lib.classifiers.optim.sgd_momentum` with this momentum.
        verbose : bool, default=False
            Print the loss every 100 iterations.
        rng : None, int or numpy.random.Generator
            Draws the minibatches; ``None`` means seed 0.
        progress : bool, default=False
            Show a progress bar.

        Returns
        -------
        dict
            ``loss_history`` (the loss at every iteration), ``train_acc_history`` and
            ``val_acc_history`` (the accuracy after every epoch, on up to 1,000
            training examples drawn once, and on the validation set).
        """
        X = self._check_X(X)
        num_train = X.shape[0]
        y = self._check_y(y, num_train, "y")
        if (X_val is None) != (y_val is None):
            raise ValueError("Pass both X_val and y_val, or neither.")
        if X_val is not None:
            X_val = self._check_X(X_val, "X_val")
            y_val = self._check_y(y_val, X_val.shape[0], "y_val")
        learning_rate = check_positive_float(learning_rate, "learning_rate")
        learning_rate_decay = check_positive_float(learning_rate_decay, "learning_rate_decay")
        reg = check_positive_float(reg, "reg", allow_zero=True)
        num_iters = check_positive_int(num_iters, "num_iters", low=0)
        batch_size = check_positive_int(batch_size, "batch_size")
        momentum = check_positive_float(momentum, "momentum", allow_zero=True)
        rng = check_rng(rng)
        initial_learning_rate = learning_rate
        iterations_per_epoch = max(num_train // batch_size, 1)
        sample = rng.choice(num_train, min(TRAIN_ACCURACY_SAMPLE, num_train), replace=False)
        X_sample, y_sample = X[sample], y[sample]
        velocities = {name: np.zeros_like(w) for name, w in self.params.items()}
        history = {"loss_history": [], "train_acc_history": [], "val_acc_history": []}

        for it in tqdm(range(num_iters), desc="TwoLayerNet", disable=not progress):
            idx = rng.integers(num_train, size=batch_size)
            X_batch, y_batch = X[idx], y[idx]
            with np.errstate(over="ignore", invalid="ignore"):
                loss, grads = self.loss(X_batch, y_batch, reg=reg)
            if not np.isfinite(loss):
                decayed = (
                    f" (decayed to {learning_rate:g} by this step)"
                    if learning_rate != initial_learning_rate
                    else ""
                )
                raise FloatingPointError(
                    f"Training diverged at iteration {it}: the loss is {loss}. The learning "
                    f"rate {initial_learning_rate:g}{decayed} is too large for reg={reg:g} "
                    f"and momentum={momentum:g}; try a smaller one such as "
                    f"{initial_learning_rate / 10:g}. The parameters are left as they were "
                    "before this step."
                )
            history["loss_history"].append(loss)
            # TODO: update every parameter in self.params with its gradient in grads:
            # sgd when momentum is 0, otherwise sgd_momentum, keeping each parameter's
            # velocity in velocities (from cs231n_lib/classifiers/optim.py).
            raise NotImplementedError(
                "TwoLayerNet.train: write the code for the TODO above, in cs231n_lib/classifiers/neural_net.py."
            )
            if verbose and it % 100 == 0:
                print(f"iteration {it} / {num_iters}: loss {loss:f}")
            if (it + 1) % iterations_per_epoch == 0:  # the end of an epoch
                with np.errstate(over="ignore", invalid="ignore"):  # diverging: see above
                    history["train_acc_history"].append(
                        float(np.mean(self.predict(X_sample) == y_sample))
                    )
                    if X_val is not None:
                        history["val_acc_history"].append(
                            float(np.mean(self.predict(X_val) == y_val))
                        )
                # TODO: decay the learning rate (multiply it by learning_rate_decay).
                raise NotImplementedError(
                    "TwoLayerNet.train: write the code for the TODO above, in cs231n_lib/classifiers/neural_net.py."
                )
        return history

    def predict(self, X):
        """The class with the highest score for each row of X.

        Parameters
        ----------
        X : ndarray of shape (N, D)

        Returns
        -------
        ndarray of shape (N,), dtype int64
        """
        X = self._check_X(X)
        y_pred = np.zeros(X.shape[0], dtype=np.int64)
        # TODO: store in y_pred the class with the highest score for each row (self.loss
        # gives the scores).
        raise NotImplementedError(
            "TwoLayerNet.predict: write the code for the TODO above, in cs231n_lib/classifiers/neural_net.py."
        )
        return np.asarray(y_pred).astype(np.int64)

    def _check_X(self, X, name="X"):
        X = check_array_2d(X, name, f"(N, {self.input_size})")
        if X.shape[1] != self.input_size:
            hint = ""
            if X.shape[1] == self.input_size + 1:
                hint = " Load the data without the bias column: the net has its own biases."
            raise ValueError(
                f"Expected {name} with D={self.input_size} columns, the input_size of this "
                f"net, got shape {X.shape}.{hint}"
            )
        return X

    def _check_y(self, y, num_examples, name):
        return check_label_range(
            check_labels(y, num_examples, name), self.num_classes, name, "the classes of this net"
        )


def _check_hidden_size(hidden_size):
    if isinstance(hidden_size, bool) or not isinstance(hidden_size, int | np.integer):
        raise TypeError(
            f"Expected hidden_size to be a positive int, the number of hidden units, got "
            f"{hidden_size!r} ({type(hidden_size).__name__}). Write e.g. hidden_size=100"
            + (f" or int({hidden_size!r})." if isinstance(hidden_size, float) else ".")
        )
    if hidden_size < 1:
        raise ValueError(
            f"Expected hidden_size >= 1, the number of hidden units, got {hidden_size}."
        )
    return int(hidden_size)
