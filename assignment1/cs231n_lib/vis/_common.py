"""What every plot shares: where to draw."""

from __future__ import annotations


def _axes(ax, figsize=(7, 4.5)):
    import matplotlib.pyplot as plt

    if ax is None:
        _fig, ax = plt.subplots(figsize=figsize)
    return ax.figure, ax


def _figure(fig, figsize):
    """``fig`` checked to be an empty figure, or a new figure of size ``figsize``."""
    import matplotlib.pyplot as plt
    from matplotlib.figure import FigureBase

    if fig is None:
        return plt.figure(figsize=figsize)
    if not isinstance(fig, FigureBase):
        raise TypeError(
            "Expected fig to be a matplotlib Figure (plt.figure()) or None, "
            f"got {type(fig).__name__}. To draw on one Axes, use a single-panel plot."
        )
    if fig.axes:
        raise ValueError(
            f"Expected an empty figure, got one that already has {len(fig.axes)} axes. "
            "Pass a new figure (plt.figure()) or fig=None."
        )
    return fig
