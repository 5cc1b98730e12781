"""Curves: cross-validation, training loss, hyper-parameter search, weight histograms."""

from __future__ import annotations

import numpy as np

from .._validation import check_positive_int
from ..cross_validation import best_k
from ._common import _axes, _figure

__all__ = [
    "plot_cross_validation",
    "plot_hyperparameter_search",
    "plot_loss",
    "plot_weight_histogram",
]


def plot_cross_validation(results, ax=None, param_name="k", title=None):
    """Accuracy of every fold as dots, and its mean with the standard deviation as error bars.

    Parameters
    ----------
    results : dict
        ``{value: [accuracy of each fold]}``, as from
        :func:`cs231n_lib.cross_validation.cross_validate_knn`.
    ax : matplotlib.axes.Axes, optional
    param_name : str, default="k"
        The hyper-parameter's name, for the x axis.
    title : str, optional

    Returns
    -------
    matplotlib.figure.Figure
    """
    if not results:
        raise ValueError("Expected at least one entry in results, got an empty dict.")
    fig, ax = _axes(ax)
    values = sorted(results)
    for i, v in enumerate(values):
        accs = np.asarray(results[v], dtype=float)
        label = "one fold" if i == 0 else None
        ax.scatter([v] * len(accs), accs, color="0.6", s=12, zorder=2, label=label)
    means = np.array([np.mean(results[v]) for v in values])
    stds = np.array([np.std(results[v]) for v in values])
    ax.errorbar(values, means, yerr=stds, fmt="-o", capsize=4, zorder=3, label="mean ± std")
    best = best_k(results)
    ax.axvline(best, color="C3", linestyle=":", label=f"best {param_name} = {best}")
    ax.set_xlabel(param_name)
    ax.set_ylabel("cross-validation accuracy")
    ax.set_title(title or f"Cross-validation on {param_name}")
    ax.grid(alpha=0.3)
    ax.legend()
    return fig


def _moving_average(values, window):
    """Mean of each run of ``window`` consecutive values: shape (len(values) - window + 1,)."""
    return np.convolve(values, np.ones(window) / window, mode="valid")


def plot_loss(history, ax=None, smooth=None):
    """The training loss at every iteration, optionally with a moving average on top.

    Parameters
    ----------
    history : array_like of shape (num_iters,)
        The loss after each iteration, e.g. the ``loss_history`` that ``train``
        returns.
    ax : matplotlib.axes.Axes, optional
    smooth : int, optional
        If given, also draw the mean of the last ``smooth`` iterations
        (``1 <= smooth <= num_iters``), at the iteration that ends each window,
        so that the trend shows through the noise of minibatches.

    Returns
    -------
    matplotlib.figure.Figure
        ``ax.lines[0]`` is the raw loss, ``ax.lines[1]`` the moving average.
    """
    try:
        loss = np.asarray(history, dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise TypeError(
            f"Expected history to be a list or 1-D array of loss values, got {error}."
        ) from None
    if loss.ndim != 1 or loss.size == 0:
        raise ValueError(
            "Expected history to be a non-empty 1-D sequence of losses (one per iteration), "
            f"got shape {loss.shape}."
        )
    if smooth is not None:
        smooth = check_positive_int(smooth, "smooth", low=1, high=loss.size)
    fig, ax = _axes(ax)
    iterations = np.arange(loss.size)
    ax.plot(iterations, loss, lw=0.8, alpha=0.5 if smooth else 1.0, label="loss")
    if smooth:
        ax.plot(
            iterations[smooth - 1 :],
            _moving_average(loss, smooth),
            color="C3",
            lw=2,
            label=f"mean of the last {smooth} iterations",
        )
        ax.legend()
    ax.set_xlabel("iteration")
    ax.set_ylabel("loss")
    ax.set_title("Training loss")
    ax.grid(alpha=0.3)
    return fig


def _search_entry(key, value):
    """One entry ``(lr, reg): (train_acc, val_acc)`` as 4 floats, or raise naming the entry."""
    try:
        row = [float(v) for v in (*key, *value)]
    except (TypeError, ValueError):
        row = None
    if row is None or len(key) != 2 or len(row) != 4:
        raise ValueError(
            "Expected every entry of results to be (learning_rate, reg): (train_acc, "
            f"val_acc), got {key!r}: {value!r}."
        )
    return row


def _search_arrays(results):
    """``{(lr, reg): (train_acc, val_acc)}`` as 4 float arrays of shape (M,), or raise."""
    expected = "a dict {(learning_rate, reg): (train_acc, val_acc)}, as tune_linear_classifier"
    if not isinstance(results, dict):
        raise TypeError(f"Expected results to be {expected} returns, got {type(results).__name__}.")
    if not results:
        raise ValueError(f"Expected results to be {expected} returns, got an empty dict.")
    rows = np.array([_search_entry(key, value) for key, value in results.items()])  # (M, 4)
    if (rows[:, :2] <= 0).any():
        raise ValueError(
            "Expected learning rates and regularization strengths > 0, to draw them on log "
            f"axes, got {rows[:, :2].min()}. Leave reg = 0 out, or use a tiny value such as 1e-8."
        )
    return rows.T  # learning_rates, regs, train_accs, val_accs


def _best_index(val_accs):
    """Index of the highest finite validation accuracy (the first on a tie), None if all NaN."""
    finite = np.isfinite(val_accs)
    return int(np.argmax(np.where(finite, val_accs, -np.inf))) if finite.any() else None


def _search_panel(ax, lrs, regs, accs, best, best_label):
    """One scatter panel; NaN accuracies (diverged training) drawn as grey crosses."""
    ok = np.isfinite(accs)
    limits = {} if ok.any() else {"vmin": 0.0, "vmax": 1.0}  # nothing finite to autoscale on
    points = ax.scatter(
        lrs[ok], regs[ok], c=accs[ok], cmap="viridis", s=80, edgecolors="0.3", **limits
    )
    ax.figure.colorbar(points, ax=ax, label="accuracy")
    if not ok.all():
        ax.scatter(lrs[~ok], regs[~ok], marker="x", color="0.5", label="diverged (NaN)")
    if best is not None:
        ax.plot(
            lrs[best],
            regs[best],
            marker="*",
            ms=18,
            color="C3",
            mec="k",
            ls="none",
            label=best_label,
        )
    ax.set(xscale="log", yscale="log", xlabel="learning rate")
    ax.legend(loc="best", fontsize="small")


def plot_hyperparameter_search(results, fig=None):
    """Training and validation accuracy over learning rate × regularization strength.

    Two panels, each a scatter plot on log-log axes (so it suits a grid search
    and a random search alike) with points colored by accuracy and a colorbar
    of its own. Each panel's colors span its own range of accuracies, so that
    differences show even where validation accuracy varies little. The best
    validation accuracy (the first one in ``results`` on a tie) is marked with
    a red star in both panels. Settings whose training diverged (accuracy NaN,
    as ``tune_linear_classifier`` reports them) are grey crosses.

    Parameters
    ----------
    results : dict
        ``{(learning_rate, reg): (train_acc, val_acc)}``, as from
        ``tune_linear_classifier``; learning rates and regs must be > 0.
    fig : matplotlib.figure.Figure, optional
        An empty figure to draw on; by default a new one.

    Returns
    -------
    matplotlib.figure.Figure
        ``fig.axes[:2]`` are the training and validation panels, then their
        colorbars. In each panel, ``collections[0]`` holds the finite points,
        ``collections[1]`` the diverged ones (if any) and ``lines[0]`` the best
        point (absent if every setting diverged).
    """
    lrs, regs, train_accs, val_accs = _search_arrays(results)
    best = _best_index(val_accs)
    best_label = None
    if best is not None:
        best_label = (
            f"best val: {val_accs[best]:.3f} (train {train_accs[best]:.3f})\n"
            f"lr = {lrs[best]:.2e}, reg = {regs[best]:.2e}"
        )
    fig = _figure(fig, figsize=(12, 4.5))
    axes = fig.subplots(1, 2, sharex=True, sharey=True)
    for ax, accs, title in [
        (axes[0], train_accs, "Training accuracy"),
        (axes[1], val_accs, "Validation accuracy"),
    ]:
        _search_panel(ax, lrs, regs, accs, best, best_label)
        ax.set_title(title)
    axes[0].set_ylabel("regularization strength")
    return fig


def plot_weight_histogram(weights, ax=None, bins=81, drop_bias=True):
    """Histograms of the weights of several models, on one shared, symmetric range.

    The count axis is logarithmic, so that a spike of weights at 0 (what an L1
    penalty gives) and the tails show together.

    Parameters
    ----------
    weights : dict
        ``{label: W}`` with each ``W`` an array of shape (D, C).
    ax : matplotlib.axes.Axes, optional
    bins : int, default=81
        Number of bins; odd, so that one bin is centred on 0.
    drop_bias : bool, default=True
        Leave out the last row of each W (the bias, from the bias trick).

    Returns
    -------
    matplotlib.figure.Figure
    """
    if not isinstance(weights, dict) or not weights:
        raise ValueError(
            "Expected weights to be a non-empty dict {label: W}, e.g. "
            f"{{'L2': svm_l2.W, 'L1': svm_l1.W}}, got {weights!r:.60}."
        )
    bins = check_positive_int(bins, "bins", low=3)
    flat = {}
    for label, W in weights.items():
        W = np.asarray(W, dtype=float)
        if W.ndim != 2 or W.shape[0] < 1 + drop_bias:
            raise ValueError(f"Expected weights[{label!r}] of shape (D, C), got {W.shape}.")
        flat[label] = (W[:-1] if drop_bias else W).ravel()
    bound = max(float(np.abs(w).max()) for w in flat.values()) or 1.0
    edges = np.linspace(-bound, bound, bins + 1)
    fig, ax = _axes(ax)
    for label, w in flat.items():
        ax.hist(w, bins=edges, histtype="step", linewidth=1.5, label=label)
    ax.set_yscale("log")
    ax.set_xlabel("weight")
    ax.set_ylabel("number of weights")
    ax.set_title("Histogram of the weights")
    ax.grid(alpha=0.3)
    ax.legend()
    return fig
