"""Plots for the two-layer net: training curves, the search, first-layer weights."""

from __future__ import annotations

import numpy as np

from ._common import _figure
from .curves import _best_index, plot_loss
from .images import visualize_grid

__all__ = ["plot_net_search", "plot_training_history", "show_net_weights"]


def plot_training_history(history, fig=None, smooth=50):
    """The loss at every iteration, and the training and validation accuracy per epoch.

    Parameters
    ----------
    history : dict
        As :meth:`TwoLayerNet.train <cs231n_lib.classifiers.TwoLayerNet.train>` returns
        it: ``loss_history``, ``train_acc_history``, ``val_acc_history``.
    fig : matplotlib.figure.Figure, optional
        An empty figure to draw on; by default a new one.
    smooth : int, default=50
        Also draw the mean of the last ``smooth`` losses (when there are that many).

    Returns
    -------
    matplotlib.figure.Figure
        ``fig.axes[0]`` the loss (drawn by :func:`~cs231n_lib.vis.plot_loss`),
        ``fig.axes[1]`` the accuracies.
    """
    keys = ("loss_history", "train_acc_history", "val_acc_history")
    if not isinstance(history, dict) or not set(keys) <= set(history):
        raise ValueError(
            f"Expected history to be the dict that TwoLayerNet.train returns, with {keys}, "
            f"got {sorted(history) if isinstance(history, dict) else type(history).__name__}."
        )
    fig = _figure(fig, figsize=(12, 4.5))
    ax_loss, ax_acc = fig.subplots(1, 2)
    num_iters = np.size(history["loss_history"])
    plot_loss(
        history["loss_history"], ax=ax_loss, smooth=smooth if num_iters >= smooth > 1 else None
    )
    for key, label in (("train_acc_history", "training"), ("val_acc_history", "validation")):
        accs = np.asarray(history[key], dtype=float)
        if accs.size:
            ax_acc.plot(np.arange(1, accs.size + 1), accs, "-o", label=label)
    ax_acc.set(xlabel="epoch", ylabel="accuracy", title="Accuracy after each epoch")
    if ax_acc.lines:
        ax_acc.legend()
    ax_acc.grid(alpha=0.3)
    return fig


def plot_net_search(results, fig=None):
    """Validation accuracy of every setting of a search, over learning rate × reg.

    Each setting is a point on log-log axes, colored by its validation accuracy, its
    size growing with the hidden size and labeled with the hidden size and epochs;
    the best is starred. A second panel lists the settings from best to worst, with
    training and validation accuracy side by side (a large gap means overfitting).

    Parameters
    ----------
    results : dict
        ``{(hidden_size, learning_rate, reg, num_epochs): (train_acc, val_acc)}``, as
        from :func:`~cs231n_lib.net_search.tune_two_layer_net`; reg > 0.
    fig : matplotlib.figure.Figure, optional

    Returns
    -------
    matplotlib.figure.Figure
    """
    if not isinstance(results, dict) or not results:
        raise ValueError(
            "Expected results to be the non-empty dict that tune_two_layer_net returns."
        )
    try:
        rows = np.array([[*map(float, key), *map(float, value)] for key, value in results.items()])
    except (TypeError, ValueError):
        rows = None
    if rows is None or rows.ndim != 2 or rows.shape[1] != 6:
        raise ValueError(
            "Expected every entry of results to be (hidden_size, learning_rate, "
            "reg, num_epochs): (train_acc, val_acc)."
        )
    hidden, lrs, regs, epochs, train, val = rows.T
    if (regs <= 0).any():
        raise ValueError("Expected regs > 0 to draw them on a log axis; use 1e-8 for none.")
    fig = _figure(fig, figsize=(13, 4.8))
    ax, ax_rank = fig.subplots(1, 2, gridspec_kw={"width_ratios": [3, 2]})
    ok = np.isfinite(val)
    sizes = 40 + 160 * hidden / hidden.max()
    points = ax.scatter(lrs[ok], regs[ok], c=val[ok], s=sizes[ok], cmap="viridis", edgecolors="0.3")
    fig.colorbar(points, ax=ax, label="validation accuracy")
    if not ok.all():
        ax.scatter(lrs[~ok], regs[~ok], marker="x", color="0.5", label="diverged")
    for i in range(len(rows)):
        # Settings that share a learning rate and a reg stack their labels upwards.
        same = int(np.sum((lrs[:i] == lrs[i]) & (regs[:i] == regs[i])))
        ax.annotate(
            f"H={hidden[i]:.0f}, {epochs[i]:g} ep",
            (lrs[i], regs[i]),
            fontsize=7,
            xytext=(6, 4 + 9 * same),
            textcoords="offset points",
        )
    best = _best_index(val)
    if best is not None:
        ax.plot(
            lrs[best],
            regs[best],
            marker="*",
            ms=18,
            color="C3",
            mec="k",
            ls="none",
            label=f"best: {val[best]:.3f}",
        )
    ax.set(
        xscale="log",
        yscale="log",
        xlabel="learning rate",
        ylabel="regularization strength",
        title="Validation accuracy of each setting",
    )
    ax.legend(loc="best", fontsize="small")
    order = np.argsort(np.where(ok, -val, np.inf), kind="stable")
    positions = np.arange(len(order))
    ax_rank.barh(positions - 0.2, np.nan_to_num(train[order]), height=0.4, label="training")
    ax_rank.barh(positions + 0.2, np.nan_to_num(val[order]), height=0.4, label="validation")
    ax_rank.set_yticks(
        positions,
        [f"H={hidden[i]:.0f} lr={lrs[i]:.0e} reg={regs[i]:.0e}" for i in order],
        fontsize=7,
    )
    ax_rank.invert_yaxis()
    ax_rank.set(xlabel="accuracy", title="Settings, best first")
    ax_rank.legend(fontsize="small")
    fig.tight_layout()
    return fig


def show_net_weights(W1, image_shape=(32, 32, 3), fig=None, max_units=100):
    """The first layer's weights, one image per hidden unit.

    Parameters
    ----------
    W1 : ndarray of shape (D, H)
        ``D`` must be the number of values of an image of ``image_shape``.
    image_shape : tuple, default=(32, 32, 3)
    fig : matplotlib.figure.Figure, optional
    max_units : int, default=100
        Show at most this many units (the first ones).

    Returns
    -------
    matplotlib.figure.Figure
    """
    W1 = np.asarray(W1, dtype=float)
    size = int(np.prod(image_shape))
    if W1.ndim != 2 or W1.shape[0] != size:
        hint = (
            " Drop the bias row first: W1[:-1]." if W1.ndim == 2 and W1.shape[0] == size + 1 else ""
        )
        raise ValueError(
            f"Expected W1 of shape ({size}, H) for images of shape {image_shape}, "
            f"got {W1.shape}.{hint}"
        )
    units = W1[:, :max_units].T.reshape(-1, *image_shape)
    fig = _figure(fig, figsize=(7, 7))
    ax = fig.subplots()
    ax.imshow(visualize_grid(units, padding=3).astype("uint8"))
    ax.axis("off")
    ax.set_title(f"First-layer weights of {units.shape[0]} hidden units")
    return fig
