"""Plots, drawn with the Agg backend (conftest.py selects it)."""

import matplotlib.pyplot as plt
import numpy as np
import pytest

from cs231n_lib.vis import plot_cross_validation


def test_cross_validation_plot_shows_means_and_best_k(tmp_path):
    results = {1: [0.2, 0.3], 5: [0.4, 0.5, 0.45], 3: [0.3, 0.3]}
    fig = plot_cross_validation(results)
    ax = fig.axes[0]
    line = ax.lines[0]  # the error-bar line through the means, sorted by k
    np.testing.assert_array_equal(line.get_xdata(), [1, 3, 5])
    np.testing.assert_allclose(line.get_ydata(), [0.25, 0.3, 0.45])
    assert "best k = 5" in [t.get_text() for t in ax.get_legend().get_texts()]
    path = tmp_path / "cv.png"
    fig.savefig(path)
    plt.close(fig)
    assert path.stat().st_size > 5000


def test_cross_validation_plot_draws_on_given_axes():
    fig, ax = plt.subplots()
    assert plot_cross_validation({2: [0.1]}, ax=ax, param_name="reg") is fig
    assert ax.get_xlabel() == "reg"
    plt.close(fig)
    with pytest.raises(ValueError, match="empty"):
        plot_cross_validation({})
