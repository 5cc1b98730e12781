"""Decision regions of a classifier in the plane: static figures and an interactive explorer.

A linear classifier gives each class the score ``x @ W[:, c]``, a linear function of
the point, and predicts the class with the highest score: the plane is cut into
convex regions by straight lines. These plots draw the regions over 2-D toy data
(:mod:`cs231n_lib.toy_data`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from .._validation import (
    check_array_2d,
    check_choice,
    check_labels,
    check_positive_int,
    is_positive_float,
)
from ..toy_data import TOY_KINDS, TOY_LOSSES, ToyFit, add_bias, train_toy
from ._common import _axes, _figure

__all__ = ["explore_decision_regions", "plot_decision_regions", "plot_toy_grid"]

INSTALL_HINT = (
    "Showing the static figure: install ipywidgets (pip install ipywidgets) "
    "to change the settings interactively."
)


def _grid(X, resolution, margin=0.1):
    """Two axes of ``resolution`` points each, covering X (N, 2) with a margin around it."""
    low, high = X.min(axis=0), X.max(axis=0)  # (2,) each
    pad = np.maximum(margin * (high - low), 0.5)
    return [np.linspace(low[i] - pad[i], high[i] + pad[i], resolution) for i in range(2)]


def plot_decision_regions(model, X, y, ax=None, featurize=add_bias, resolution=150, title=None):
    """The class that ``model`` predicts at every point of the plane, with the data on top.

    Parameters
    ----------
    model : object with a ``predict`` method
        A trained classifier, e.g. ``LinearSVM``, that maps features of shape
        (M, D) to classes of shape (M,).
    X : array_like of shape (N, 2)
        Points in the plane (without the bias column).
    y : array_like of shape (N,)
        Their classes, ``0 <= y < C``.
    ax : matplotlib.axes.Axes, optional
    featurize : callable or None, default=add_bias
        Turns points of shape (M, 2) into the model's features (M, D); ``None``
        passes the points as they are.
    resolution : int, default=150
        Grid points along each axis (at least 2).
    title : str, optional

    Returns
    -------
    matplotlib.figure.Figure
        ``ax.collections[0]`` is the mesh of predicted classes (``get_array()``
        has shape (resolution, resolution), rows along the second coordinate),
        ``ax.collections[1]`` the points.
    """
    from matplotlib.colors import ListedColormap

    X = check_array_2d(X, "X", "(N, 2)")
    if X.shape[1] != 2 or X.shape[0] == 0:
        raise ValueError(
            f"Expected X of shape (N, 2) with N >= 1, points in the plane, got {X.shape}. "
            "Pass the data without the bias column; featurize adds it."
        )
    y = check_labels(y, X.shape[0])
    resolution = check_positive_int(resolution, "resolution", low=2)
    if not callable(getattr(model, "predict", None)):
        raise TypeError(
            f"Expected model to be a trained classifier with a predict method, got "
            f"{type(model).__name__}."
        )
    xs, ys = _grid(X, resolution)
    xx, yy = np.meshgrid(xs, ys)  # (resolution, resolution) each
    points = np.column_stack([xx.ravel(), yy.ravel()])  # (resolution**2, 2)
    features = points if featurize is None else featurize(points)
    Z = np.asarray(model.predict(features)).reshape(resolution, resolution)
    num_classes = int(max(Z.max(), y.max())) + 1
    colors = [f"C{c % 10}" for c in range(num_classes)]

    fig, ax = _axes(ax, figsize=(5, 5))
    step_x, step_y = xs[1] - xs[0], ys[1] - ys[0]  # each pixel is centred on its grid point
    ax.imshow(
        Z,
        origin="lower",
        extent=(xs[0] - step_x / 2, xs[-1] + step_x / 2, ys[0] - step_y / 2, ys[-1] + step_y / 2),
        cmap=ListedColormap(colors),
        vmin=-0.5,
        vmax=num_classes - 0.5,
        alpha=0.25,
        interpolation="nearest",
    )
    ax.scatter(X[:, 0], X[:, 1], c=[colors[c] for c in y], s=16, edgecolors="k", linewidths=0.5)
    ax.set(xlim=(xs[0], xs[-1]), ylim=(ys[0], ys[-1]), aspect="equal")
    if title:
        ax.set_title(title, fontsize="medium")
    return fig


def plot_toy_grid(fits, fig=None, ncols=None):
    """One panel of decision regions per trained model, titled with its loss and accuracy.

    Parameters
    ----------
    fits : sequence of ToyFit
        What :func:`cs231n_lib.toy_data.train_toy` returns, drawn row by row.
    fig : matplotlib.figure.Figure, optional
        An empty figure to draw on; by default a new one.
    ncols : int, optional
        Panels per row; by default one per kind of toy data (4), or fewer fits.

    Returns
    -------
    matplotlib.figure.Figure
        ``fig.axes[i]`` is the panel of ``fits[i]``.
    """
    if not isinstance(fits, Sequence) or not fits:
        raise ValueError(
            f"Expected fits to be a non-empty list of what train_toy returns, got {fits!r:.80}."
        )
    for i, fit in enumerate(fits):
        if not isinstance(fit, ToyFit):
            raise TypeError(
                f"Expected every fit to be a ToyFit (what train_toy returns), got "
                f"{type(fit).__name__} at index {i}."
            )
    if ncols is None:
        ncols = min(len(TOY_KINDS), len(fits))
    ncols = check_positive_int(ncols, "ncols")
    nrows = math.ceil(len(fits) / ncols)
    fig = _figure(fig, figsize=(3.6 * ncols, 3.9 * nrows))
    axes = fig.subplots(nrows, ncols, squeeze=False).ravel()
    for ax, fit in zip(axes, fits, strict=False):  # the last row may have spare axes
        plot_decision_regions(fit.model, fit.X, fit.y, ax=ax, title=fit.title)
        ax.set(xticks=[], yticks=[])  # the coordinates matter little, and ticks are slow
    for ax in axes[len(fits) :]:
        ax.remove()
    fig.set_layout_engine("constrained")
    return fig


def _import_widgets():
    """The ipywidgets module, or None when it is not installed."""
    try:
        import ipywidgets
    except ImportError:
        return None
    return ipywidgets


def _draw_one(kind, loss, learning_rate, reg, num_iters, rng):
    """Train on one kind and draw its regions on a new figure; the ToyFit, or None if diverged."""
    import matplotlib.pyplot as plt

    try:
        fit = train_toy(
            kind, loss=loss, learning_rate=learning_rate, reg=reg, num_iters=num_iters, rng=rng
        )
    except FloatingPointError as error:
        print(error)  # the message says which learning rate to try instead
        return None
    _fig, ax = plt.subplots(figsize=(5.5, 5.5))
    plot_decision_regions(fit.model, fit.X, fit.y, ax=ax, resolution=250, title=fit.title)
    return fit


def _log_slider(widgets, value, low, high, description):
    """A FloatLogSlider over [10**low, 10**high], widened to hold ``value``."""
    exponent = math.log10(value)
    return widgets.FloatLogSlider(
        value=value,
        base=10,
        min=min(low, math.floor(exponent)),
        max=max(high, math.ceil(exponent)),
        step=0.25,
        description=description,
        readout_format=".1e",
        continuous_update=False,
        style={"description_width": "initial"},
    )


def explore_decision_regions(
    kind="quadrants", loss="svm", learning_rate=0.1, reg=1e-3, num_iters=200, rng=0, widgets=None
):
    """Controls to train a linear classifier on toy data and see its decision regions.

    With ipywidgets: a dataset menu, a loss menu ("SVM (hinge)", "SVM (squared
    hinge)", "softmax") and log-scale sliders for the learning rate and the
    regularization strength; every change trains the model again (with
    :func:`~cs231n_lib.toy_data.train_toy`) and redraws the regions, titled with
    the final loss and accuracy. Without ipywidgets: one printed line says how
    to get them, and the static figure of every kind of data is drawn, for the
    SVM, softmax and ``loss``, with these settings.

    Parameters
    ----------
    kind : str, default="quadrants"
        The kind of data shown first, one of :data:`~cs231n_lib.toy_data.TOY_KINDS`.
    loss : {"svm", "svm_squared", "softmax"}, default="svm"
    learning_rate : float, default=0.1
    reg : float, default=1e-3
        Must be > 0 (the slider is on a log scale).
    num_iters : int, default=200
    rng : None or int, default=0
        The seed of every training run, so that each redraw uses the same data.
    widgets : module, False or None
        The ipywidgets module to build the controls with; ``False`` draws the
        static figure; ``None`` imports ipywidgets if it is installed.

    Returns
    -------
    ipywidgets.interactive or matplotlib.figure.Figure
        The controls (already displayed; ``.result`` is the last ``ToyFit``,
        or None if training diverged), or the static figure.
    """
    kinds, losses = dict(TOY_KINDS), dict(TOY_LOSSES)
    check_choice("kind", kind, kinds)
    check_choice("loss", loss, losses)
    for name, value in (("learning_rate", learning_rate), ("reg", reg)):
        if not is_positive_float(value):
            raise ValueError(f"Expected {name} > 0 (a log-scale slider), got {value!r}.")
    if widgets is None:
        widgets = _import_widgets()
    settings = {"learning_rate": learning_rate, "reg": reg, "num_iters": num_iters, "rng": rng}
    if not widgets:
        print(INSTALL_HINT)
        fits = [
            train_toy(k, loss=name, **settings)
            for name in dict.fromkeys(("svm", "softmax", loss))
            for k in kinds
        ]
        return plot_toy_grid(fits, ncols=len(kinds))
    from IPython.display import display

    def draw(kind, loss, learning_rate, reg):
        return _draw_one(kind, loss, learning_rate, reg, num_iters, rng)

    ui = widgets.interactive(
        draw,
        kind=widgets.Dropdown(
            options=[(f"{k}: {d}", k) for k, d in TOY_KINDS],
            value=kind,
            description="dataset",
            layout={"width": "420px"},
        ),
        loss=widgets.Dropdown(
            options=[(label, k) for k, label in TOY_LOSSES], value=loss, description="loss"
        ),
        learning_rate=_log_slider(widgets, learning_rate, -3, 1, "learning rate"),
        reg=_log_slider(widgets, reg, -5, 1, "regularization"),
    )
    display(ui)
    return ui
