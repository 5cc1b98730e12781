"""Plots, drawn with the Agg backend (conftest.py selects it)."""

import warnings

import matplotlib.pyplot as plt
import numpy as np
import pytest

from cs231n_lib.vis import (
    plot_cross_validation,
    plot_hyperparameter_search,
    plot_loss,
    plot_weight_histogram,
    plot_weight_templates,
    show_class_samples,
    visualize_grid,
)
from cs231n_lib.vis.curves import _best_index, _moving_average, _search_arrays
from cs231n_lib.vis.images import _grid_shape, _rescale, _sample_per_class, _to_uint8


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def saved_size(fig, path):
    """Save ``fig`` as a PNG at ``path`` and return the file's size in bytes."""
    fig.savefig(path)
    return path.stat().st_size


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


# visualize_grid and its helpers


@pytest.mark.parametrize(
    ("n", "shape"),
    [(1, (1, 1)), (2, (1, 2)), (3, (2, 2)), (4, (2, 2)), (5, (2, 3)), (7, (3, 3)), (10, (3, 4))],
)
def test_grid_shape_is_near_square(n, shape):
    assert _grid_shape(n) == shape


def test_rescale_maps_min_to_zero_and_max_to_ubound():
    a = np.array([[1.0, 3.0], [5.0, 9.0]])
    np.testing.assert_allclose(_rescale(a, 8.0), [[0.0, 2.0], [4.0, 8.0]])
    np.testing.assert_allclose(_rescale(np.array([-2, 0, 2]), 255.0), [0.0, 127.5, 255.0])


def test_rescale_of_a_constant_array_is_zero_without_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        np.testing.assert_array_equal(_rescale(np.full((2, 2), 7.0), 255.0), np.zeros((2, 2)))


def test_visualize_grid_places_and_pads_images_exactly():
    # Three 2x2 one-channel images, each with values {0, 1} (so rescaling to [0, 1] keeps them).
    Xs = np.array([[[0, 1], [1, 1]], [[1, 0], [0, 0]], [[0, 0], [0, 1]]], dtype=float)[..., None]
    grid = visualize_grid(Xs, ubound=1.0, padding=1)
    expected = np.array(
        [
            [0, 1, 0, 1, 0],
            [1, 1, 0, 0, 0],
            [0, 0, 0, 0, 0],
            [0, 0, 0, 0, 0],
            [0, 1, 0, 0, 0],
        ],
        dtype=float,
    )[..., None]
    np.testing.assert_array_equal(grid, expected)


def test_visualize_grid_rescales_each_image_on_its_own():
    Xs = np.stack([np.arange(4.0).reshape(2, 2), 10 + 2 * np.arange(4.0).reshape(2, 2)])
    Xs = np.repeat(Xs[..., None], 3, axis=-1)  # (2, 2, 2, 3)
    grid = visualize_grid(Xs, ubound=3.0, padding=0)
    assert grid.shape == (2, 4, 3)
    one = np.array([[0.0, 1.0], [2.0, 3.0]])
    np.testing.assert_allclose(grid[:, :2, 1], one)  # 0..3 stays 0..3
    np.testing.assert_allclose(grid[:, 2:, 2], one)  # 10..16 also becomes 0..3


def test_visualize_grid_padding_sets_size_and_constant_image_is_zero():
    Xs = np.full((5, 3, 4, 3), 42, dtype=np.uint8)
    grid = visualize_grid(Xs, padding=2)  # 2 rows x 3 cols
    assert grid.shape == (2 * 3 + 2, 3 * 4 + 2 * 2, 3)
    assert grid.dtype == np.float64
    np.testing.assert_array_equal(grid, 0.0)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"Xs": np.zeros((2, 2, 3))}, ValueError, r"4-D.*Xs\[None\]"),
        ({"Xs": np.zeros((0, 2, 2, 3))}, ValueError, "at least one image"),
        ({"Xs": np.array([[[["a"]]]])}, TypeError, "real numbers"),
        ({"Xs": np.zeros((1, 2, 2, 3)), "ubound": 0}, ValueError, "ubound"),
        ({"Xs": np.zeros((1, 2, 2, 3)), "padding": -1}, ValueError, "0 <= padding"),
        ({"Xs": np.zeros((1, 2, 2, 3)), "padding": 1.5}, TypeError, "padding"),
    ],
)
def test_visualize_grid_rejects_bad_input(kwargs, error, match):
    with pytest.raises(error, match=match):
        visualize_grid(**kwargs)


# show_class_samples


def test_to_uint8_rounds_and_clips_floats():
    out = _to_uint8(np.array([-5.0, 12.4, 12.6, 300.0]))
    assert out.dtype == np.uint8
    np.testing.assert_array_equal(out, [0, 12, 13, 255])
    np.testing.assert_array_equal(_to_uint8(np.array([-1, 256], dtype=np.int16)), [0, 255])
    images = np.zeros(3, dtype=np.uint8)
    assert _to_uint8(images) is images


def indexed_images(y):
    """Images whose pixels all equal their index, so a shown image tells which one it is."""
    return np.broadcast_to(
        np.arange(len(y), dtype=np.uint8)[:, None, None, None], (len(y), 4, 4, 3)
    ).copy()


def shown_indices(fig, C, per_class):
    """The index of the image in each cell, as per_class x C nested lists (None if blank)."""
    axes = np.array(fig.axes).reshape(per_class, C)
    return [
        [int(ax.images[0].get_array()[0, 0, 0]) if ax.images else None for ax in row]
        for row in axes
    ]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_sample_per_class_draws_without_replacement(seed):
    y = np.array([0, 1, 0, 2, 0, 1, 0])
    chosen = _sample_per_class(y, 4, 3, np.random.default_rng(seed))
    assert [len(c) for c in chosen] == [3, 2, 1, 0]
    for c, idxs in enumerate(chosen):
        assert len(set(idxs)) == len(idxs)
        np.testing.assert_array_equal(y[idxs], c)


def test_class_samples_one_column_per_class_with_its_name(tmp_path):
    y = np.repeat(np.arange(3), 10)
    X = indexed_images(y)
    classes = ["cat", "dog", "frog"]
    fig = show_class_samples(X, y, classes, per_class=4, rng=0)
    assert len(fig.axes) == 4 * 3
    assert [ax.get_title() for ax in fig.axes[:3]] == classes
    assert all(ax.get_title() == "" for ax in fig.axes[3:])
    shown = np.array(shown_indices(fig, 3, 4))  # (per_class, C)
    for c in range(3):
        np.testing.assert_array_equal(y[shown[:, c]], c, err_msg=f"column {c}")
        assert len(set(shown[:, c])) == 4, "sampled with replacement"
    assert saved_size(fig, tmp_path / "samples.png") > 3000


def test_class_samples_are_deterministic_for_a_seed_and_differ_between_seeds():
    y = np.repeat(np.arange(3), 20)
    X = indexed_images(y)

    def shown(rng):
        return shown_indices(show_class_samples(X, y, ["a", "b", "c"], 3, rng=rng), 3, 3)

    assert shown(5) == shown(5)
    assert shown(None) == shown(0) == shown(np.random.default_rng(0))
    assert shown(0) != shown(1)


def test_class_samples_show_what_there_is_for_small_classes():
    y = np.array([0, 0, 0, 0, 1])  # class 1 has one example, class 2 none
    fig = show_class_samples(indexed_images(y), y, ["a", "b", "c"], per_class=3)
    shown = shown_indices(fig, 3, 3)
    assert [row[1] for row in shown] == [4, None, None]
    assert [row[2] for row in shown] == [None, None, None]
    assert fig.axes[2].get_title() == "c"


def test_class_samples_display_float_images_as_clipped_uint8():
    X = np.full((2, 4, 4, 3), 300.0)
    X[1] = -7.0
    X[1, 0, 0, 0] = 99.6
    fig = show_class_samples(X, [0, 1], ["hot", "cold"], per_class=1)
    hot, cold = (ax.images[0].get_array() for ax in fig.axes)
    assert hot.dtype == cold.dtype == np.uint8
    np.testing.assert_array_equal(hot, 255)
    assert cold[0, 0, 0] == 100
    assert cold.max() == 100
    assert cold.min() == 0


def test_class_samples_draw_on_a_given_empty_figure():
    fig = plt.figure()
    assert show_class_samples(indexed_images([0]), [0], ["a"], per_class=1, fig=fig) is fig
    with pytest.raises(ValueError, match="empty figure"):
        show_class_samples(indexed_images([0]), [0], ["a"], per_class=1, fig=fig)
    with pytest.raises(TypeError, match="Figure"):
        show_class_samples(indexed_images([0]), [0], ["a"], per_class=1, fig=fig.axes[0])


@pytest.mark.parametrize(
    ("X", "y", "classes", "per_class", "error", "match"),
    [
        (np.zeros((2, 3, 4, 4)), [0, 1], ["a", "b"], 1, ValueError, "transpose"),
        (np.zeros((2, 48)), [0, 1], ["a", "b"], 1, ValueError, "reshape"),
        (np.zeros((2, 4, 4, 3)), [0, 2], ["a", "b"], 1, ValueError, r"< len\(classes\) = 2"),
        (np.zeros((2, 4, 4, 3)), [0], ["a", "b"], 1, ValueError, "one label per row"),
        (np.zeros((2, 4, 4, 3)), [0, 1], "ab", 1, TypeError, "list of class names"),
        (np.zeros((2, 4, 4, 3)), [0, 1], [], 1, ValueError, "empty list"),
        (np.zeros((2, 4, 4, 3)), [0, 1], ["a", "b"], 0, ValueError, "1 <= per_class"),
    ],
)
def test_class_samples_reject_bad_input(X, y, classes, per_class, error, match):
    with pytest.raises(error, match=match):
        show_class_samples(X, y, classes, per_class)


# plot_weight_templates


def expected_templates(W, image_shape):
    """Hand-written reference: the columns of W, min-max over all of W, rounded to uint8."""
    w = (W - W.min()) / (W.max() - W.min()) * 255
    return [np.rint(w[:, c]).astype(np.uint8).reshape(image_shape) for c in range(W.shape[1])]


@pytest.mark.parametrize("seed", [0, 1])
def test_weight_templates_show_globally_rescaled_columns_without_bias(seed):
    W = np.random.default_rng(seed).normal(size=(12, 3))
    W_with_bias = np.vstack([W, [1e6, -1e6, 0.0]])  # a bias row that would swamp the scale
    classes = ["plane", "car", "bird"]
    fig = plot_weight_templates(W_with_bias, classes, image_shape=(2, 2, 3))
    assert len(fig.axes) == 3
    assert [ax.get_title() for ax in fig.axes] == classes
    for c, (ax, want) in enumerate(zip(fig.axes, expected_templates(W, (2, 2, 3)), strict=True)):
        shown = ax.images[0].get_array()
        assert shown.dtype == np.uint8
        np.testing.assert_array_equal(shown, want, err_msg=f"template {c}")
    with_bias = [ax.images[0].get_array() for ax in fig.axes]
    without_bias = plot_weight_templates(W, classes, image_shape=(2, 2, 3))
    for a, b in zip(with_bias, without_bias.axes, strict=True):
        np.testing.assert_array_equal(a, b.images[0].get_array())


def test_weight_templates_default_titles_and_one_axes_per_class():
    fig = plot_weight_templates(np.arange(4 * 7.0).reshape(4, 7), image_shape=(2, 2))
    assert [ax.get_title() for ax in fig.axes] == [f"class {c}" for c in range(7)]
    image = fig.axes[0].images[0]
    assert image.get_cmap().name == "gray"
    assert image.get_clim() == (0, 255)  # the shared scale, not stretched per panel


def test_weight_templates_of_cifar_size_are_saved(tmp_path):
    W = np.random.default_rng(0).normal(scale=1e-3, size=(3073, 10))
    fig = plot_weight_templates(W, [f"c{i}" for i in range(10)])
    assert len(fig.axes) == 10
    assert fig.axes[0].images[0].get_array().shape == (32, 32, 3)
    assert saved_size(fig, tmp_path / "templates.png") > 5000


@pytest.mark.parametrize(
    ("W", "kwargs", "match"),
    [
        (np.zeros((11, 3)), {"image_shape": (2, 2, 3)}, r"D = 12 .* D = 13 .* got shape \(11, 3\)"),
        (np.zeros((3, 13)), {"image_shape": (2, 2, 3)}, r"W\.T"),
        (np.zeros(12), {"image_shape": (2, 2, 3)}, "2-D array"),
        (np.zeros((12, 3)), {"image_shape": (2, 2, 3), "classes": ["a"]}, "3 names, got 1"),
        (np.zeros((16, 3)), {"image_shape": (2, 2, 4)}, r"\(H, W, 3\) or \(H, W\)"),
    ],
)
def test_weight_templates_reject_bad_input(W, kwargs, match):
    with pytest.raises(ValueError, match=match):
        plot_weight_templates(W, **kwargs)


# plot_loss


def test_moving_average_by_hand():
    np.testing.assert_allclose(_moving_average(np.array([1.0, 2, 6, 3]), 2), [1.5, 4.0, 4.5])
    np.testing.assert_allclose(_moving_average(np.array([1.0, 2, 6, 3]), 4), [3.0])
    np.testing.assert_allclose(_moving_average(np.array([1.0, 2]), 1), [1.0, 2.0])


def test_loss_plot_draws_raw_and_smoothed_curves(tmp_path):
    history = [5.0, 4.0, 6.0, 2.0, 1.0]
    fig = plot_loss(history, smooth=3)
    ax = fig.axes[0]
    raw, smoothed = ax.lines
    np.testing.assert_array_equal(raw.get_xdata(), np.arange(5))
    np.testing.assert_array_equal(raw.get_ydata(), history)
    np.testing.assert_array_equal(smoothed.get_xdata(), [2, 3, 4])
    np.testing.assert_allclose(smoothed.get_ydata(), [5.0, 4.0, 3.0])
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("iteration", "loss")
    assert ax.get_legend() is not None
    assert saved_size(fig, tmp_path / "loss.png") > 5000


def test_loss_plot_without_smoothing_on_given_axes():
    fig, ax = plt.subplots()
    assert plot_loss(np.linspace(3, 1, 50), ax=ax) is fig
    assert len(ax.lines) == 1
    assert ax.get_legend() is None


@pytest.mark.parametrize(
    ("history", "smooth", "error", "match"),
    [
        ([], None, ValueError, "non-empty 1-D"),
        ([[1.0, 2.0]], None, ValueError, r"got shape \(1, 2\)"),
        (["a", "b"], None, TypeError, "loss values"),
        ([1.0, 2.0], 3, ValueError, "smooth <= 2"),
        ([1.0, 2.0], 0, ValueError, "1 <= smooth"),
        ([1.0, 2.0], 1.5, TypeError, "smooth"),
    ],
)
def test_loss_plot_rejects_bad_input(history, smooth, error, match):
    with pytest.raises(error, match=match):
        plot_loss(history, smooth=smooth)


# plot_hyperparameter_search


GRID = {
    (1e-7, 2.5e4): (0.35, 0.34),
    (1e-7, 5e4): (0.33, 0.36),
    (5e-7, 2.5e4): (0.38, 0.37),
    (5e-7, 5e4): (0.36, 0.35),
}


def test_search_arrays_unpack_in_order():
    lrs, regs, train, val = _search_arrays(GRID)
    np.testing.assert_array_equal(lrs, [1e-7, 1e-7, 5e-7, 5e-7])
    np.testing.assert_array_equal(regs, [2.5e4, 5e4, 2.5e4, 5e4])
    np.testing.assert_array_equal(train, [0.35, 0.33, 0.38, 0.36])
    np.testing.assert_array_equal(val, [0.34, 0.36, 0.37, 0.35])


def test_search_plot_panels_points_colorbars_and_best(tmp_path):
    fig = plot_hyperparameter_search(GRID)
    assert len(fig.axes) == 4  # two panels, two colorbars
    train_ax, val_ax = fig.axes[:2]
    assert (train_ax.get_title(), val_ax.get_title()) == (
        "Training accuracy",
        "Validation accuracy",
    )
    for ax, accs in [(train_ax, [0.35, 0.33, 0.38, 0.36]), (val_ax, [0.34, 0.36, 0.37, 0.35])]:
        assert (ax.get_xscale(), ax.get_yscale()) == ("log", "log")
        points = ax.collections[0]
        np.testing.assert_allclose(points.get_offsets(), list(GRID))
        np.testing.assert_allclose(points.get_array(), accs)
        assert points.colorbar is not None
        assert points.colorbar.ax in fig.axes[2:]
        best = ax.lines[0]
        assert (best.get_xdata()[0], best.get_ydata()[0]) == (5e-7, 2.5e4)
        assert "best val: 0.370" in ax.get_legend().get_texts()[0].get_text()
    assert val_ax.get_xlabel() == "learning rate"
    assert train_ax.get_ylabel() == "regularization strength"
    assert saved_size(fig, tmp_path / "search.png") > 5000


def test_search_plot_random_search_marks_best_and_first_on_tie():
    rng = np.random.default_rng(0)
    lrs, regs = 10 ** rng.uniform(-8, -5, 12), 10 ** rng.uniform(2, 5, 12)
    val = rng.uniform(0.2, 0.4, 12)
    val[[3, 8]] = 0.45  # a tie: the first one wins
    results = {(lr, reg): (v + 0.02, v) for lr, reg, v in zip(lrs, regs, val, strict=True)}
    fig = plt.figure()
    assert plot_hyperparameter_search(results, fig=fig) is fig
    best = fig.axes[1].lines[0]
    np.testing.assert_array_equal([best.get_xdata()[0], best.get_ydata()[0]], [lrs[3], regs[3]])


@pytest.mark.parametrize(
    ("val_accs", "best"),
    [([0.1, 0.3, 0.2], 1), ([0.3, 0.1, 0.3], 0), ([np.nan, 0.2, 0.1], 1), ([np.nan, np.nan], None)],
)
def test_best_index_ignores_nan_and_takes_the_first_on_a_tie(val_accs, best):
    assert _best_index(np.array(val_accs)) == best


def test_search_plot_shows_diverged_settings_as_crosses():
    results = {**GRID, (1e-5, 5e4): (np.nan, np.nan)}
    fig = plot_hyperparameter_search(results)
    for ax in fig.axes[:2]:
        assert len(ax.collections[0].get_offsets()) == 4
        np.testing.assert_allclose(ax.collections[1].get_offsets(), [(1e-5, 5e4)])
        assert (ax.lines[0].get_xdata()[0], ax.lines[0].get_ydata()[0]) == (5e-7, 2.5e4)
        assert "diverged (NaN)" in [t.get_text() for t in ax.get_legend().get_texts()]


def test_search_plot_when_every_setting_diverged_marks_no_best(tmp_path):
    fig = plot_hyperparameter_search({(1e-5, 1e3): (np.nan, np.nan)})
    assert len(fig.axes) == 4
    assert len(fig.axes[1].lines) == 0
    assert saved_size(fig, tmp_path / "diverged.png") > 3000


@pytest.mark.parametrize(
    ("results", "error", "match"),
    [
        ({}, ValueError, "empty dict"),
        ([((1e-7, 1e4), (0.3, 0.3))], TypeError, "got list"),
        ({(1e-7, 1e4): 0.3}, ValueError, r"got \(1e-07, 10000\.0\): 0\.3"),
        ({1e-7: (0.3, 0.3)}, ValueError, r"got 1e-07: \(0\.3, 0\.3\)"),
        (
            {(1e-7, 1e4): (0.3, 0.3), (1e-6, 1e4, 2): (0.3, 0.3)},
            ValueError,
            r"got \(1e-06, 10000\.0, 2\)",
        ),
        ({(1e-7, 1e4): ("high", 0.3)}, ValueError, "high"),
        ({(1e-7, 0): (0.3, 0.3)}, ValueError, "reg = 0"),
    ],
)
def test_search_plot_rejects_bad_input(results, error, match):
    with pytest.raises(error, match=match):
        plot_hyperparameter_search(results)


def test_search_plot_rejects_a_figure_in_use():
    fig, _ax = plt.subplots()
    with pytest.raises(ValueError, match="empty figure"):
        plot_hyperparameter_search(GRID, fig=fig)


def test_weight_histogram_counts_every_weight_but_the_bias_on_a_symmetric_range(tmp_path):
    rng = np.random.default_rng(0)
    dense = rng.normal(size=(21, 4))
    sparse = np.where(rng.random((21, 4)) < 0.7, 0.0, 3 * rng.normal(size=(21, 4)))
    fig = plot_weight_histogram({"L2": dense, "L1": sparse}, bins=21)
    ax = fig.axes[0]
    assert ax.get_yscale() == "log"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["L2", "L1"]
    bound = np.abs(sparse[:-1]).max()
    assert ax.patches[0].get_path().vertices[:, 0].min() == pytest.approx(-bound)
    assert ax.patches[1].get_path().vertices[:, 0].max() == pytest.approx(bound)
    edges = np.linspace(-bound, bound, 22)
    # The steps drawn: vertices (e0, 0), (e0, c0), (e1, c0), (e1, c1), ..., (e21, 0).
    drawn = [patch.get_path().vertices[1:-1:2, 1] for patch in ax.patches]
    for counts, W in zip(drawn, (dense, sparse), strict=True):
        np.testing.assert_array_equal(counts, np.histogram(W[:-1], bins=edges)[0])
        assert counts.sum() == 80  # the bias row is left out
    assert drawn[1][10] >= np.sum(sparse[:-1] == 0)  # the centre bin holds every zero
    fig.savefig(tmp_path / "hist.png")
    plt.close(fig)


def test_weight_histogram_keeps_the_bias_when_asked_and_draws_on_given_axes():
    fig, ax = plt.subplots()
    W = np.zeros((3, 2))
    out = plot_weight_histogram({"zeros": W}, ax=ax, drop_bias=False)
    assert out is fig
    assert len(ax.patches) == 1  # all-zero weights still get a (unit) range
    plt.close(fig)


@pytest.mark.parametrize(
    ("weights", "kwargs", "match"),
    [
        ({}, {}, "non-empty dict"),
        (np.zeros((3, 2)), {}, "non-empty dict"),
        ({"w": np.zeros(5)}, {}, r"weights\['w'\] of shape \(D, C\)"),
        ({"w": np.zeros((3, 2))}, {"bins": 1}, "bins"),
    ],
)
def test_weight_histogram_rejects_bad_input(weights, kwargs, match):
    with pytest.raises(ValueError, match=match):
        plot_weight_histogram(weights, **kwargs)
