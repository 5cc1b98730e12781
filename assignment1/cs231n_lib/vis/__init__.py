"""Plots for the notebooks and the demo.

Single-panel plots draw on ``ax`` when one is given (else on a new figure);
multi-panel plots draw on ``fig`` when one is given (an empty
``matplotlib.figure.Figure``, else a new one). Every plot returns the figure,
so that it can be shown in a notebook or saved to a file. ``visualize_grid``
draws nothing: it returns an image array for ``imshow``.

matplotlib is imported inside the functions, so importing this module is cheap.
"""

from .curves import (
    plot_cross_validation,
    plot_hyperparameter_search,
    plot_loss,
    plot_weight_histogram,
)
from .images import plot_weight_templates, show_class_samples, visualize_grid
from .network import plot_net_search, plot_training_history, show_net_weights
from .optimization import plot_random_search

__all__ = [
    "plot_cross_validation",
    "plot_hyperparameter_search",
    "plot_loss",
    "plot_net_search",
    "plot_random_search",
    "plot_training_history",
    "plot_weight_histogram",
    "plot_weight_templates",
    "show_class_samples",
    "show_net_weights",
    "visualize_grid",
]
