"""Optimization baselines: what the lecture tries before gradient descent.

Strategy 1, random search: draw many random ``W`` and keep the one with the lowest
loss. On CIFAR-10 it reaches about 15% accuracy after 1,000 tries, better than the
10% of chance but far below what a trained classifier gets.

Strategy 2, follow the numerical gradient: estimate the gradient by centred
differences (two loss evaluations per entry of ``W``) and step against it. It
lowers the loss, but one step costs ``2 * D * C`` evaluations of the loss on the
data, which is why gradient descent uses the analytic gradient on minibatches.

The losses follow the signature of the course's losses, ``loss_fn(W, X, y, reg)``
returning ``(loss, dW)`` (or only the loss), such as ``svm_loss_vectorized``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
from threadpoolctl import threadpool_limits
from tqdm.auto import tqdm

from ._validation import (
    check_array_2d,
    check_labels,
    check_positive_float,
    check_positive_int,
    check_rng,
)
from .gradient_check import eval_numerical_gradient

__all__ = [
    "NumericalDescentResult",
    "RandomSearchResult",
    "numerical_gradient_descent",
    "random_search",
    "time_loss",
]

# Tries whose scores come from one matrix product: their weights take at most
# this many numbers (16 MB in float64), so that X is read once per chunk.
_CHUNK_NUMBERS = 2**21


def _freeze(*arrays):
    for a in arrays:
        a.setflags(write=False)


@dataclass(frozen=True)
class RandomSearchResult:
    """What :func:`random_search` found; the arrays are read-only.

    Attributes
    ----------
    W : ndarray of shape (D, C)
        The weights with the lowest loss among all tries.
    losses : ndarray of shape (num_tries,)
        The loss of each try, in the order drawn.
    best_losses : ndarray of shape (num_tries,)
        ``best_losses[t]``, the lowest loss among tries ``0..t`` (non-increasing).
    best_accuracy : ndarray of shape (num_tries,)
        The accuracy, on the evaluation data, of the best ``W`` after try ``t``.
    best_try : int
        The index of ``W`` among the tries.
    num_classes : int
        C, so that chance accuracy is ``1 / num_classes``.
    seconds : float
        Wall-clock time of the whole search.
    """

    W: np.ndarray
    losses: np.ndarray
    best_losses: np.ndarray
    best_accuracy: np.ndarray
    best_try: int
    num_classes: int
    seconds: float

    def __post_init__(self):
        _freeze(self.W, self.losses, self.best_losses, self.best_accuracy)

    @property
    def accuracy(self):
        """float: the accuracy of ``W``, the best of all tries."""
        return float(self.best_accuracy[-1])


def _loss_value(out, what):
    """The loss as a float from ``loss`` or ``(loss, dW)``, or raise."""
    value = out[0] if isinstance(out, tuple) else out
    if np.ndim(value) != 0 or not np.isreal(value):
        raise TypeError(
            f"Expected {what} to return a scalar loss or a tuple (loss, dW), got "
            f"{out!r:.80}. Pass a loss such as svm_loss_vectorized."
        )
    return float(value)


def _check_data(X, y, num_classes, names=("X", "y")):
    X = check_array_2d(X, names[0], "(N, D)")
    if X.shape[0] == 0:
        raise ValueError(f"Expected at least one example in {names[0]}, got shape {X.shape}.")
    y = check_labels(y, X.shape[0], names[1])
    if num_classes is not None and y.max() >= num_classes:
        raise ValueError(
            f"Expected labels in 0 <= {names[1]} < num_classes = {num_classes}, got a label "
            f"{y.max()}. Pass the number of classes of the dataset (10 for CIFAR-10)."
        )
    return X, y


def _accuracy(W, X, y):
    return float(np.mean(np.argmax(X @ W, axis=1) == y))


def _check_scores_only(loss_fn, W, X, y, eye):
    """Raise unless ``loss_fn(W, X, y, 0)`` equals the loss of the scores ``X @ W``."""
    direct = _loss_value(loss_fn(W, X, y, 0.0), "loss_fn")
    via_scores = _loss_value(loss_fn(eye, X @ W, y, 0.0), "loss_fn")
    if not np.isclose(direct, via_scores, rtol=1e-6, atol=1e-9):
        raise ValueError(
            f"Expected loss_fn(W, X, y, 0.0) to depend on W and X only through the scores "
            f"X @ W, like the losses of a linear classifier, got {direct:g} for W and X but "
            f"{via_scores:g} for the identity and X @ W. random_search needs such a loss."
        )


def random_search(
    loss_fn,
    X,
    y,
    num_classes,
    num_tries=1000,
    scale=1e-4,
    X_eval=None,
    y_eval=None,
    rng=None,
    progress=False,
):
    """Strategy 1: try ``num_tries`` random weights and keep the one with the lowest loss.

    Each try draws ``W = scale * rng.standard_normal((D, C))``, the lecture's
    ``np.random.randn(10, 3073) * 0.0001`` with the course's (D, C) layout.

    The data loss of a linear classifier depends on ``X`` and ``W`` only through
    the scores ``X @ W``, so the loss of each try is computed as
    ``loss_fn(I, X @ W, y, 0.0)`` with ``I`` the (C, C) identity: the same number
    as ``loss_fn(W, X, y, 0.0)`` (checked on the first try), but the scores of
    many tries then come from one matrix product that reads ``X`` once, which is
    several times faster than one call per try.

    Parameters
    ----------
    loss_fn : callable
        ``loss_fn(W, X, y, reg)`` returning the loss or ``(loss, dW)``, such as
        ``svm_loss_vectorized``; called with ``reg = 0``.
    X : ndarray of shape (N, D)
        The data the loss is measured on (with the bias column, if any).
    y : ndarray of shape (N,)
        Labels, ``0 <= y[i] < C``.
    num_classes : int
        C, the number of columns of ``W``.
    num_tries : int, default=1000
    scale : float, default=1e-4
        The standard deviation of the entries of ``W``.
    X_eval : ndarray of shape (M, D), optional
        Data to measure the accuracy on, e.g. the validation set; by default ``X``.
    y_eval : ndarray of shape (M,), optional
        Its labels; required with ``X_eval``.
    rng : None, int or numpy.random.Generator
        Draws the weights; ``None`` means seed 0. Try ``t`` gets the ``t``-th
        (D, C) draw of the generator.
    progress : bool, default=False
        Show a progress bar over the tries.

    Returns
    -------
    RandomSearchResult
        ``.W`` the best weights, ``.accuracy`` their accuracy, and per try the
        loss, the best loss so far and the accuracy of the best W so far.
    """
    num_classes = check_positive_int(num_classes, "num_classes", low=2)
    X, y = _check_data(X, y, num_classes)
    X_eval, y_eval = _check_eval_data(X, y, X_eval, y_eval, num_classes)
    num_tries = check_positive_int(num_tries, "num_tries")
    scale = check_positive_float(scale, "scale")
    rng = check_rng(rng)
    dim = X.shape[1]
    dtype = np.float32 if X.dtype == np.float32 else np.float64
    eye = np.eye(num_classes, dtype=dtype)
    chunk = max(1, min(num_tries, _CHUNK_NUMBERS // (dim * num_classes)))

    start = time.perf_counter()
    losses, best_losses, best_accuracy = np.empty((3, num_tries))
    best_loss, best_W, best_try, accuracy = np.inf, None, -1, np.nan
    bar = tqdm(total=num_tries, desc="random search", disable=not progress)
    for first in range(0, num_tries, chunk):
        count = min(chunk, num_tries - first)
        Ws = scale * rng.standard_normal((count, dim, num_classes), dtype=dtype)  # (B, D, C)
        if first == 0:
            _check_scores_only(loss_fn, Ws[0], X, y, eye)
        losses[first : first + count] = _chunk_losses(loss_fn, Ws, X, y, eye, first, scale)
        for b in range(count):
            t = first + b
            if losses[t] < best_loss:
                best_loss, best_W, best_try = losses[t], Ws[b].copy(), t
                accuracy = _accuracy(best_W, X_eval, y_eval)
            best_losses[t], best_accuracy[t] = best_loss, accuracy
        bar.update(count)
    bar.close()
    return RandomSearchResult(
        W=best_W,
        losses=losses,
        best_losses=best_losses,
        best_accuracy=best_accuracy,
        best_try=best_try,
        num_classes=num_classes,
        seconds=time.perf_counter() - start,
    )


def _check_eval_data(X, y, X_eval, y_eval, num_classes):
    """``(X_eval, y_eval)`` checked against X, or ``(X, y)`` when both are None."""
    if (X_eval is None) != (y_eval is None):
        raise ValueError(
            "Expected X_eval and y_eval together (e.g. X_val and y_val), got only "
            f"{'X_eval' if y_eval is None else 'y_eval'}. Pass both, or neither to "
            "measure the accuracy on X and y."
        )
    if X_eval is None:
        return X, y
    X_eval, y_eval = _check_data(X_eval, y_eval, num_classes, ("X_eval", "y_eval"))
    if X_eval.shape[1] != X.shape[1]:
        raise ValueError(
            f"Expected X_eval with the D = {X.shape[1]} columns of X, got shape "
            f"{X_eval.shape}. Preprocess both the same way (bias column included)."
        )
    return X_eval, y_eval


def _chunk_losses(loss_fn, Ws, X, y, eye, first, scale):
    """The loss of each W in ``Ws`` (B, D, C), from one matrix product: shape (B,)."""
    count, dim, num_classes = Ws.shape
    stacked = Ws.transpose(1, 0, 2).reshape(dim, count * num_classes)  # (D, B * C)
    scores = (X @ stacked).reshape(X.shape[0], count, num_classes)  # (N, B, C)
    losses = np.array(
        [_loss_value(loss_fn(eye, scores[:, b], y, 0.0), "loss_fn") for b in range(count)]
    )
    if not np.isfinite(losses).all():
        t = first + int(np.argmin(np.isfinite(losses)))
        raise FloatingPointError(
            f"The loss of try {t} is {losses[t - first]}: the scores overflow. Use a smaller "
            f"scale than {scale:g}, such as the lecture's 1e-4."
        )
    return losses


@dataclass(frozen=True)
class NumericalDescentResult:
    """What :func:`numerical_gradient_descent` did; the arrays are read-only.

    Attributes
    ----------
    W : ndarray of shape (D, C)
        The weights after the last step.
    losses : ndarray of shape (num_steps + 1,)
        The loss before each step, then after the last one.
    step_seconds : ndarray of shape (num_steps,)
        Wall-clock seconds of each numerical gradient.
    analytic_seconds : ndarray of shape (num_steps,)
        Seconds of one call of ``loss_fn`` (loss and analytic gradient) at the
        same W, the fastest of 3; NaN if ``loss_fn`` returns no gradient.
    gradient_errors : ndarray of shape (num_steps,)
        ``||num - ana|| / (||num|| + ||ana||)`` between the numerical and the
        analytic gradient at each step (Frobenius norms; 0 when they are equal);
        NaN without an analytic gradient.
    num_evaluations : int
        Loss evaluations per numerical gradient: ``2 * W.size``.
    """

    W: np.ndarray
    losses: np.ndarray
    step_seconds: np.ndarray
    analytic_seconds: np.ndarray
    gradient_errors: np.ndarray
    num_evaluations: int

    def __post_init__(self):
        _freeze(self.W, self.losses, self.step_seconds, self.analytic_seconds, self.gradient_errors)

    @property
    def speedup(self):
        """float: median numerical step time over median analytic time (NaN without one)."""
        return float(np.median(self.step_seconds) / np.median(self.analytic_seconds))


def _timed(fn, repeats=1):
    """``(fn(), seconds)``: the result of the last call and the fastest of ``repeats`` calls."""
    best = np.inf
    for _ in range(repeats):
        start = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - start)
    return out, best


def _check_weights(W0, X, name="W0"):
    W = check_array_2d(W0, name, "(D, C)")
    if W.shape[0] != X.shape[1]:
        raise ValueError(
            f"Expected {name} of shape (D, C) with the D = {X.shape[1]} columns of X, got "
            f"{W.shape}. Slice the rows of W like the columns of X, or pass W transposed."
        )
    return W


def _relative_difference(a, b):
    den = np.linalg.norm(a) + np.linalg.norm(b)
    return float(np.linalg.norm(a - b) / den) if den > 0 else 0.0


def numerical_gradient_descent(
    loss_fn,
    W0,
    X,
    y,
    learning_rate,
    reg=0.0,
    num_steps=1,
    h=1e-5,
    verbose=False,
    progress=False,
):
    """Strategy 2: gradient descent on the numerical gradient, timing every step.

    Each step estimates the gradient with
    :func:`cs231n_lib.gradient_check.eval_numerical_gradient` (centred
    differences, ``2 * W.size`` calls of ``loss_fn``), times it, and moves
    ``W -= learning_rate * gradient``. When ``loss_fn`` also returns ``dW``, it
    is timed at the same W and compared with the numerical gradient.

    Parameters
    ----------
    loss_fn : callable
        ``loss_fn(W, X, y, reg)`` returning the loss or ``(loss, dW)``.
    W0 : ndarray of shape (D, C)
        The starting weights; not changed.
    X : ndarray of shape (N, D)
        Keep N and D small: a step evaluates the loss on all of X
        ``2 * D * C`` times.
    y : ndarray of shape (N,)
        Labels, ``0 <= y[i] < C``.
    learning_rate : float
    reg : float, default=0.0
        Regularization strength, passed to ``loss_fn``.
    num_steps : int, default=1
    h : float, default=1e-5
        The step of the centred differences.
    verbose : bool, default=False
        Print the loss and the timings after each step.
    progress : bool, default=False
        Show a progress bar over the steps.

    Returns
    -------
    NumericalDescentResult
        The final W, the losses, and per step the seconds of the numerical and
        the analytic gradient and the difference between them.
    """
    X, y = _check_data(X, y, None)
    # float64 whatever the data: with h = 1e-5, float32 would lose most digits of
    # the difference of two losses.
    W = np.array(_check_weights(W0, X), dtype=np.float64, order="C")
    if y.max() >= W.shape[1]:
        raise ValueError(
            f"Expected labels in 0 <= y < C = {W.shape[1]} (the columns of W0), got {y.max()}."
        )
    learning_rate = check_positive_float(learning_rate, "learning_rate")
    reg = check_positive_float(reg, "reg", allow_zero=True)
    num_steps = check_positive_int(num_steps, "num_steps")
    h = check_positive_float(h, "h")

    def loss_of(w):
        return _loss_value(loss_fn(w, X, y, reg), "loss_fn")

    losses, step_seconds, analytic_seconds, errors = [loss_of(W)], [], [], []
    for step in tqdm(range(num_steps), desc="numerical gradient", disable=not progress):
        # Tens of thousands of tiny products: one BLAS thread does them as fast, and
        # cannot stall waiting for a busy second core (one CI run saw a 23 s step take 272 s).
        with threadpool_limits(1, user_api="blas"):
            grad, seconds = _timed(lambda W=W: eval_numerical_gradient(loss_of, W, h=h))
            out, analytic = _timed(lambda W=W: loss_fn(W, X, y, reg), repeats=3)
        has_grad = isinstance(out, tuple) and len(out) == 2
        step_seconds.append(seconds)
        analytic_seconds.append(analytic if has_grad else np.nan)
        errors.append(_relative_difference(grad, out[1]) if has_grad else np.nan)
        W -= learning_rate * grad
        losses.append(loss_of(W))
        if not np.isfinite(losses[-1]):
            raise FloatingPointError(
                f"The loss is {losses[-1]} after step {step + 1}: the learning rate "
                f"{learning_rate:g} is too large; try {learning_rate / 10:g}."
            )
        if verbose:
            print(
                f"step {step + 1} / {num_steps}: loss {losses[-2]:.4f} -> {losses[-1]:.4f}, "
                f"numerical gradient {seconds:.2f} s, analytic {analytic * 1e3:.2f} ms"
            )
    return NumericalDescentResult(
        W=W,
        losses=np.array(losses),
        step_seconds=np.array(step_seconds),
        analytic_seconds=np.array(analytic_seconds),
        gradient_errors=np.array(errors),
        num_evaluations=2 * W.size,
    )


def time_loss(loss_fn, W, X, y, reg=0.0, repeats=3):
    """Seconds of one call ``loss_fn(W, X, y, reg)``, the fastest of ``repeats``.

    Multiplied by ``2 * W.size``, it estimates one numerical gradient on ``X``:
    e.g. on the whole training set, where it cannot be run.

    Parameters
    ----------
    loss_fn : callable
        ``loss_fn(W, X, y, reg)``.
    W : ndarray of shape (D, C)
    X : ndarray of shape (N, D)
    y : ndarray of shape (N,)
    reg : float, default=0.0
    repeats : int, default=3

    Returns
    -------
    float
    """
    X, y = _check_data(X, y, None)
    W = _check_weights(W, X, "W")
    reg = check_positive_float(reg, "reg", allow_zero=True)
    repeats = check_positive_int(repeats, "repeats")
    out, seconds = _timed(lambda: loss_fn(W, X, y, reg), repeats)
    _loss_value(out, "loss_fn")
    return seconds
