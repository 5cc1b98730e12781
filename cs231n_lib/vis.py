"""Plots for the notebooks and the demo.

Every function draws on ``ax`` when one is given (else on a new figure) and
returns the figure, so that it can be shown in a notebook or saved to a file.
"""

from __future__ import annotations

import numpy as np

from .cross_validation import best_k

__all__ = ["plot_cross_validation"]


def _axes(ax, figsize=(7, 4.5)):
    import matplotlib.pyplot as plt

    if ax is None:
        _fig, ax = plt.subplots(figsize=figsize)
    return ax.figure, ax


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
