"""2-D toy data, training on it, and the decision-region plots (Agg backend, see conftest.py)."""

import math

import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.figure import Figure

from cs231n_lib.classifiers import LinearSVM, Softmax
from cs231n_lib.toy_data import (
    MODE_CENTERS,
    TOY_KINDS,
    TOY_LOSSES,
    ToyFit,
    add_bias,
    make_toy_2d,
    train_toy,
)
from cs231n_lib.vis import regions
from cs231n_lib.vis.regions import (
    INSTALL_HINT,
    explore_decision_regions,
    plot_decision_regions,
    plot_toy_grid,
)

KINDS = [kind for kind, _ in TOY_KINDS]
HARD_KINDS = ["quadrants", "ring", "three_modes"]
SEEDS = [0, 1, 7]


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


class RightHalf:
    """A stand-in model: class 1 where the first feature is > 0.5, else class 0."""

    def predict(self, F):
        return (F[:, 0] > 0.5).astype(np.int64)


# make_toy_2d and add_bias


def test_toy_kinds_name_every_kind_with_a_one_line_description():
    assert KINDS == ["separable", "quadrants", "ring", "three_modes"]
    for kind, description in TOY_KINDS:
        assert description, kind
        assert "\n" not in description, kind
    assert [loss for loss, _ in TOY_LOSSES] == ["svm", "svm_squared", "softmax"]


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("kind", KINDS)
def test_make_toy_2d_shapes_dtypes_and_balanced_classes(kind, seed):
    X, y = make_toy_2d(kind, num_points=151, rng=seed)
    assert X.shape == (151, 2)
    assert X.dtype == np.float64
    assert y.shape == (151,)
    assert y.dtype == np.int64
    counts = np.bincount(y)
    num_classes = 3 if kind == "separable" else 2
    assert len(counts) == num_classes
    assert counts.max() - counts.min() <= 1, counts
    if kind != "separable":
        assert np.abs(X).max() <= 3.0


@pytest.mark.parametrize("seed", SEEDS)
def test_hard_kinds_follow_their_rules(seed):
    X, y = make_toy_2d("quadrants", num_points=300, rng=seed)
    np.testing.assert_array_equal(y, X[:, 0] * X[:, 1] < 0)
    X, y = make_toy_2d("ring", num_points=300, rng=seed)
    radius = np.linalg.norm(X, axis=1)
    np.testing.assert_array_equal(y, (radius >= 1) & (radius <= 2))
    X, y = make_toy_2d("three_modes", num_points=300, rng=seed)
    nearest = np.linalg.norm(X[:, None] - MODE_CENTERS[None], axis=2).min(axis=1)  # (N,)
    assert nearest[y == 1].max() <= 0.7
    assert nearest[y == 0].min() >= 1.0
    # Every mode holds a third of class 1.
    mode = np.linalg.norm(X[y == 1, None] - MODE_CENTERS[None], axis=2).argmin(axis=1)
    np.testing.assert_array_equal(np.bincount(mode), [50, 50, 50])


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("num_classes", [2, 3])
def test_separable_classes_are_split_by_the_nearest_mean(num_classes, seed):
    # Nearest mean is a linear classifier; it gets every point right.
    X, y = make_toy_2d("separable", num_points=90, num_classes=num_classes, rng=seed)
    assert set(y.tolist()) == set(range(num_classes))
    means = np.stack([X[y == c].mean(axis=0) for c in range(num_classes)])  # (C, 2)
    nearest = np.linalg.norm(X[:, None] - means[None], axis=2).argmin(axis=1)
    np.testing.assert_array_equal(nearest, y)


def test_make_toy_2d_is_deterministic_for_a_seed():
    X1, y1 = make_toy_2d("ring", rng=3)
    X2, y2 = make_toy_2d("ring", rng=np.random.default_rng(3))
    np.testing.assert_array_equal(X1, X2)
    np.testing.assert_array_equal(y1, y2)
    X0, _ = make_toy_2d("ring")  # None: seed 0
    np.testing.assert_array_equal(X0, make_toy_2d("ring", rng=0)[0])
    assert not np.allclose(X0, X1)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"kind": "spiral"}, ValueError, r"kind to be one of 'separable', .*got 'spiral'"),
        ({"kind": 3}, ValueError, "got 3"),
        ({"kind": "ring", "num_classes": 3}, ValueError, r"num_classes in \[2\] for kind='ring'"),
        ({"kind": "separable", "num_classes": 4}, ValueError, r"in \[2, 3\]"),
        ({"kind": "separable", "num_points": 2}, ValueError, "3 <= num_points"),
        ({"kind": "ring", "num_points": 10.0}, TypeError, "num_points to be an integer"),
        ({"kind": "ring", "rng": "seed"}, TypeError, "rng"),
    ],
)
def test_make_toy_2d_rejects_bad_arguments(kwargs, error, match):
    with pytest.raises(error, match=match):
        make_toy_2d(**kwargs)


def test_add_bias_appends_a_column_of_ones():
    Xb = add_bias(np.array([[1, 2], [3, 4]]))
    np.testing.assert_array_equal(Xb, [[1.0, 2.0, 1.0], [3.0, 4.0, 1.0]])
    assert Xb.dtype == np.float64
    assert add_bias(np.zeros((0, 2))).shape == (0, 3)
    with pytest.raises(ValueError, match=r"reshape\(1, -1\)"):
        add_bias(np.array([1.0, 2.0]))


# train_toy


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("loss", ["svm", "svm_squared", "softmax"])
def test_separable_data_is_learned(loss, seed):
    fit = train_toy("separable", loss=loss, rng=seed)
    assert fit.accuracy > 0.95, fit.title
    assert fit.loss < 0.1, fit.title
    assert fit.model.W.shape == (3, 3)  # (D + 1 for the bias, C)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("loss", ["svm", "softmax"])
@pytest.mark.parametrize("kind", HARD_KINDS)
def test_hard_cases_stay_near_chance(kind, loss, seed):
    # No line does better than 2/3 on the quadrants (cutting off one corner); on 1,000
    # points the sample's own best line stays below 0.7.
    data = make_toy_2d(kind, num_points=1000, rng=seed)
    fit = train_toy(data, loss=loss, rng=seed)
    assert 0.3 < fit.accuracy < 0.7, fit.title
    # W stays close to 0, so the loss stays near that of W = 0: 1 for the hinge, ln 2 for
    # softmax (without the bias a little less, with the small regularization a little more).
    expected = 1.0 if loss == "svm" else math.log(2)
    assert abs(fit.loss - expected) < 0.08, fit.title


def test_train_toy_reports_the_full_loss_and_accuracy():
    fit = train_toy("ring", loss="softmax", learning_rate=0.3, reg=0.01, num_iters=50, rng=4)
    assert isinstance(fit, ToyFit)
    assert isinstance(fit.model, Softmax)
    Xb = add_bias(fit.X)
    assert fit.loss == fit.model.loss(Xb, fit.y, 0.01)[0]
    assert fit.accuracy == np.mean(fit.model.predict(Xb) == fit.y)
    np.testing.assert_array_equal(fit.X, make_toy_2d("ring", rng=4)[0])  # drawn first from rng
    assert (fit.kind, fit.loss_type, fit.learning_rate, fit.reg) == ("ring", "softmax", 0.3, 0.01)
    assert fit.title == f"softmax on ring\nloss {fit.loss:.3f}, accuracy {fit.accuracy:.0%}"


def test_train_toy_builds_the_chosen_model():
    hinge, squared = (
        train_toy("quadrants", loss=loss, num_iters=5).model for loss in ("svm", "svm_squared")
    )
    assert type(hinge) is LinearSVM
    assert type(squared) is LinearSVM
    assert (hinge.squared_hinge, squared.squared_hinge) == (False, True)


def test_train_toy_is_deterministic_and_takes_data():
    a, b = train_toy("three_modes", rng=5), train_toy("three_modes", rng=5)
    np.testing.assert_array_equal(a.model.W, b.model.W)
    assert (a.loss, a.accuracy) == (b.loss, b.accuracy)
    X, y = make_toy_2d("separable", num_points=60, num_classes=2, rng=1)
    fit = train_toy((X, y.tolist()), rng=1)
    assert fit.kind == "data"
    assert fit.model.W.shape == (3, 2)
    assert fit.accuracy == 1.0


@pytest.mark.parametrize(
    ("args", "kwargs", "error", "match"),
    [
        (
            ("ring",),
            {"loss": "hinge"},
            ValueError,
            "loss to be one of 'svm', 'svm_squared', 'softmax', got 'hinge'",
        ),
        (("donut",), {}, ValueError, r"data to be one of 'separable'.*got 'donut'. Or pass a pair"),
        ((42,), {}, TypeError, r"a pair \(X, y\), got int"),
        (((np.zeros((4, 3)), np.zeros(4, dtype=int)),), {}, ValueError, r"\(N, 2\)"),
        (("ring",), {"reg": -1.0}, ValueError, "reg >= 0"),
        (("ring",), {"learning_rate": 0.0}, ValueError, "learning_rate > 0"),
    ],
)
def test_train_toy_rejects_bad_arguments(args, kwargs, error, match):
    with pytest.raises(error, match=match):
        train_toy(*args, **kwargs)


def test_train_toy_says_when_training_diverges():
    with pytest.raises(FloatingPointError, match="too large"):
        train_toy("quadrants", loss="svm_squared", learning_rate=10.0)


# plot_decision_regions


def test_regions_are_the_predictions_on_a_grid_around_the_data():
    X = np.array([[-1.0, 0.0], [1.0, 0.0], [0.0, 2.0]])
    y = np.array([0, 1, 1])
    fig = plot_decision_regions(RightHalf(), X, y, featurize=None, resolution=5, title="half")
    ax = fig.axes[0]
    # The data spans x in [-1, 1] and y in [0, 2], padded by 0.5 on each side.
    xs, ys = np.linspace(-1.5, 1.5, 5), np.linspace(-0.5, 2.5, 5)
    np.testing.assert_allclose(ax.get_xlim(), [-1.5, 1.5])
    np.testing.assert_allclose(ax.get_ylim(), [-0.5, 2.5])
    Z = ax.images[0].get_array()
    np.testing.assert_array_equal(Z, np.tile(xs > 0.5, (5, 1)))
    np.testing.assert_allclose(ax.images[0].get_extent(), [-1.875, 1.875, -0.875, 2.875])
    assert len(ys) == Z.shape[0]
    np.testing.assert_array_equal(ax.collections[0].get_offsets(), X)
    face = ax.collections[0].get_facecolors()
    np.testing.assert_array_equal(face[1], face[2])  # same class, same color
    assert not np.array_equal(face[0], face[1])
    assert ax.get_title() == "half"


def test_regions_of_a_trained_model_use_the_bias_column():
    fit = train_toy("separable", rng=2)
    fig, ax = plt.subplots()
    assert plot_decision_regions(fit.model, fit.X, fit.y, ax=ax, resolution=30) is fig
    Z = ax.images[0].get_array()
    assert Z.shape == (30, 30)
    # The region under each data point is the class the model predicts there.
    (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
    cols = np.rint((fit.X[:, 0] - x0) / (x1 - x0) * 29).astype(int)
    rows = np.rint((fit.X[:, 1] - y0) / (y1 - y0) * 29).astype(int)
    agree = np.mean(Z[rows, cols] == fit.y)
    assert agree > 0.9, agree  # points near a boundary may fall in the neighbour's cell
    assert set(np.unique(Z)) == {0, 1, 2}


@pytest.mark.parametrize(
    ("model", "X", "kwargs", "error", "match"),
    [
        (RightHalf(), np.zeros((3, 3)), {}, ValueError, r"shape \(N, 2\).*got \(3, 3\)"),
        (RightHalf(), np.zeros(3), {}, ValueError, "2-D array"),
        (object(), np.zeros((3, 2)), {}, TypeError, "predict method, got object"),
        (RightHalf(), np.zeros((3, 2)), {"resolution": 1}, ValueError, "2 <= resolution"),
    ],
)
def test_plot_decision_regions_rejects_bad_arguments(model, X, kwargs, error, match):
    with pytest.raises(error, match=match):
        plot_decision_regions(model, X, np.zeros(len(X), dtype=int), **kwargs)


def test_untrained_model_says_to_train_it():
    with pytest.raises(RuntimeError, match="call train"):
        plot_decision_regions(Softmax(), np.zeros((2, 2)), [0, 1])


# plot_toy_grid


@pytest.fixture(scope="module")
def fits():
    return [
        train_toy(kind, loss=loss, num_iters=50) for loss in ("svm", "softmax") for kind in KINDS
    ]


def test_toy_grid_draws_one_titled_panel_per_fit(fits, tmp_path):
    fig = plot_toy_grid(fits)
    assert len(fig.axes) == 8
    assert [ax.get_title() for ax in fig.axes] == [fit.title for fit in fits]
    assert fig.axes[4].get_subplotspec().rowspan.start == 1  # 4 panels per row
    fig.savefig(tmp_path / "grid.png")
    assert (tmp_path / "grid.png").stat().st_size > 20000


def test_toy_grid_removes_unused_panels_and_draws_on_a_given_figure(fits):
    fig = plt.figure()
    assert plot_toy_grid(fits[:4], fig=fig, ncols=3) is fig
    assert len(fig.axes) == 4
    with pytest.raises(ValueError, match="empty figure"):
        plot_toy_grid(fits, fig=fig)


@pytest.mark.parametrize(
    ("bad", "error", "match"),
    [
        ([], ValueError, "non-empty list"),
        (None, ValueError, "non-empty list"),
        (["fit"], TypeError, "ToyFit .* got str at index 0"),
    ],
)
def test_toy_grid_rejects_bad_fits(bad, error, match):
    with pytest.raises(error, match=match):
        plot_toy_grid(bad)


# explore_decision_regions


@pytest.fixture
def displayed(monkeypatch):
    """What the explorer passes to IPython's display."""
    shown = []
    monkeypatch.setattr("IPython.display.display", shown.append)
    return shown


def test_explorer_builds_the_controls_and_draws_the_first_setting(displayed):
    ipywidgets = pytest.importorskip("ipywidgets")
    ui = explore_decision_regions(widgets=ipywidgets)
    assert displayed == [ui]
    assert isinstance(ui, ipywidgets.interactive)
    dataset, loss, learning_rate, reg = ui.children[:4]
    assert isinstance(dataset, ipywidgets.Dropdown)
    assert [value for _, value in dataset.options] == KINDS
    assert dataset.value == "quadrants"
    assert [label for label, _ in loss.options] == ["SVM (hinge)", "SVM (squared hinge)", "softmax"]
    for slider, value, low, high in [(learning_rate, 0.1, -3, 1), (reg, 1e-3, -5, 1)]:
        assert isinstance(slider, ipywidgets.FloatLogSlider)
        assert (slider.base, slider.min, slider.max) == (10, low, high)
        assert slider.value == pytest.approx(value)
    expected = train_toy("quadrants")
    assert ui.result.title == expected.title
    assert plt.gcf().axes[0].get_title() == expected.title


def test_explorer_redraws_with_the_chosen_settings(displayed):
    ipywidgets = pytest.importorskip("ipywidgets")
    ui = explore_decision_regions(kind="ring", widgets=ipywidgets, num_iters=60, rng=3)
    dataset, loss, learning_rate, reg = ui.children[:4]
    loss.value = "softmax"
    learning_rate.value = 1.0
    reg.value = 0.01
    dataset.value = "separable"
    fit = ui.result
    assert (fit.kind, fit.loss_type, fit.learning_rate, fit.reg) == (
        "separable",
        "softmax",
        1.0,
        0.01,
    )
    assert isinstance(fit.model, Softmax)
    expected = train_toy(
        "separable", loss="softmax", learning_rate=1.0, reg=0.01, num_iters=60, rng=3
    )
    np.testing.assert_array_equal(fit.model.W, expected.model.W)
    assert plt.gcf().axes[0].get_title() == expected.title
    assert len(plt.get_fignums()) == 5  # the first drawing and one per change


def test_explorer_reports_divergence_instead_of_raising(displayed, capsys):
    ipywidgets = pytest.importorskip("ipywidgets")
    ui = explore_decision_regions(loss="svm_squared", learning_rate=10.0, widgets=ipywidgets)
    assert ui.result is None
    assert "Training diverged" in capsys.readouterr().out
    assert ui.children[2].value == 10.0  # the slider widened to hold the value
    assert ui.children[2].max == 1


def test_explorer_without_widgets_draws_the_static_figure(monkeypatch, displayed, capsys):
    monkeypatch.setattr(regions, "_import_widgets", lambda: None)
    fig = explore_decision_regions(num_iters=40)
    assert isinstance(fig, Figure)
    assert capsys.readouterr().out == INSTALL_HINT + "\n"
    assert "install ipywidgets" in INSTALL_HINT
    titles = [ax.get_title() for ax in fig.axes]
    assert len(titles) == 8
    assert titles[0].startswith("SVM (hinge) on separable")
    assert titles[7].startswith("softmax on three_modes")
    assert displayed == []


def test_explorer_static_figure_adds_a_third_loss(displayed, capsys):
    fig = explore_decision_regions(loss="svm_squared", num_iters=20, widgets=False)
    assert len(fig.axes) == 12
    assert fig.axes[8].get_title().startswith("SVM (squared hinge) on separable")
    assert capsys.readouterr().out.count("\n") == 1


def test_explorer_imports_ipywidgets_when_installed(displayed):
    ipywidgets = pytest.importorskip("ipywidgets")
    assert regions._import_widgets() is ipywidgets
    assert isinstance(explore_decision_regions(num_iters=10), ipywidgets.interactive)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"kind": "spiral"}, "kind to be one of 'separable', .*got 'spiral'"),
        ({"loss": "hinge"}, "loss to be one of 'svm', .*got 'hinge'"),
        ({"reg": 0.0}, "reg > 0"),
        ({"learning_rate": -1}, "learning_rate > 0"),
        ({"reg": True}, "reg > 0"),
    ],
)
def test_explorer_rejects_bad_settings(kwargs, match):
    with pytest.raises(ValueError, match=match):
        explore_decision_regions(widgets=False, **kwargs)
