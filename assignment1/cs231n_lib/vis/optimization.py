"""Optimization baselines: how random search improves with the number of tries."""

from __future__ import annotations

import numpy as np

from ..baselines import RandomSearchResult
from ._common import _axes

__all__ = ["plot_random_search"]


def plot_random_search(result, ax=None, show_loss=True, log_x=True):
    """Accuracy of the best W so far over the number of random tries, with chance level.

    Parameters
    ----------
    result : RandomSearchResult
        As returned by :func:`cs231n_lib.baselines.random_search`.
    ax : matplotlib.axes.Axes, optional
    show_loss : bool, default=True
        Also draw, on a second y axis on the right, the loss of every try
        (dots) and the lowest loss so far (line).
    log_x : bool, default=True
        A logarithmic x axis: the best of n tries improves ever more slowly, and
        on a log axis the early improvements do not crowd into the left edge.

    Returns
    -------
    matplotlib.figure.Figure
        On ``ax``: ``lines[0]`` the best-so-far accuracy over tries 1 to
        num_tries, ``lines[1]`` chance (1 / C). With ``show_loss``, the twin
        axes (``fig.axes[-1]``) hold the per-try losses (``lines[0]``) and the
        lowest loss so far (``lines[1]``) and the legend of all four lines.
    """
    if not isinstance(result, RandomSearchResult):
        raise TypeError(
            "Expected result to be the RandomSearchResult that random_search returns, got "
            f"{type(result).__name__}."
        )
    fig, ax = _axes(ax)
    tries = np.arange(1, result.losses.size + 1)
    chance = 1.0 / result.num_classes
    ax.plot(
        tries,
        result.best_accuracy,
        color="C0",
        lw=2,
        drawstyle="steps-post",
        label=f"accuracy of the best W so far (final {result.accuracy:.3f})",
    )
    ax.axhline(chance, color="0.4", linestyle="--", label=f"chance (1/{result.num_classes})")
    ax.set_xlabel("number of random tries")
    ax.set_ylabel("accuracy")
    # The top third of the plot is left free for the legend.
    ax.set_ylim(0.0, 1.5 * max(1.5 * chance, float(np.nanmax(result.best_accuracy))))
    if log_x:
        ax.set_xscale("log")
    ax.set_title(f"Random search: best of {tries.size} random W")
    ax.grid(alpha=0.3)
    handles, labels = ax.get_legend_handles_labels()
    legend_ax = ax
    if show_loss:
        legend_ax = loss_ax = ax.twinx()
        loss_ax.plot(tries, result.losses, ".", color="C1", ms=3, alpha=0.3, label="loss of a try")
        loss_ax.plot(
            tries,
            result.best_losses,
            color="C1",
            lw=1.5,
            drawstyle="steps-post",
            label="lowest loss so far",
        )
        loss_ax.set_ylabel("loss", color="C1")
        low, high = float(result.losses.min()), float(result.losses.max())
        margin = (high - low) or 1.0
        loss_ax.set_ylim(low - 0.05 * margin, high + 0.6 * margin)
        more_handles, more_labels = loss_ax.get_legend_handles_labels()
        handles, labels = handles + more_handles, labels + more_labels
    # On the top axes, so that the loss dots do not cover the legend.
    legend_ax.legend(handles, labels, loc="upper center", ncol=2, fontsize="small")
    return fig
