"""The two-layer net's hyper-parameter search and its plots."""

import re

import numpy as np
import pytest

from cs231n_lib.classifiers import TwoLayerNet
from cs231n_lib.net_search import check_setting, random_settings, tune_two_layer_net
from cs231n_lib.vis import plot_net_search, plot_training_history, show_net_weights


def blobs(seed=0, N=300, D=6, C=3):
    gen = np.random.default_rng(seed)
    y = gen.integers(C, size=N)
    X = 0.5 * gen.standard_normal((N, D))
    X[:, :C] += 2.0 * np.eye(C)[y]
    return X[:200], y[:200], X[200:], y[200:]


SETTINGS = [
    {"hidden_size": 10, "learning_rate": 0.05, "reg": 1e-3, "num_epochs": 5},
    {"hidden_size": 20, "learning_rate": 0.5, "reg": 1e-4, "num_epochs": 5},
    {"hidden_size": 5, "learning_rate": 1e-4, "reg": 1e-3, "num_epochs": 1},
]


def test_search_keeps_the_best_net_and_reports_every_setting():
    X, y, X_val, y_val = blobs()
    results, best_val, best_net = tune_two_layer_net(
        X, y, X_val, y_val, SETTINGS, std=0.1, batch_size=20, progress=False
    )
    assert list(results) == [(10, 0.05, 1e-3, 5.0), (20, 0.5, 1e-4, 5.0), (5, 1e-4, 1e-3, 1.0)]
    vals = [val for _, val in results.values()]
    assert best_val == max(vals) > 0.8
    assert vals[2] < 0.6  # a tiny learning rate for one epoch learns little
    assert np.mean(best_net.predict(X_val) == y_val) == best_val
    best_key = max(results, key=lambda k: results[k][1])
    assert best_net.params["W1"].shape == (6, best_key[0])
    # num_epochs * N / batch_size iterations: 5 * 200 / 20
    assert len(best_net.history["loss_history"]) == 50


def test_search_results_do_not_depend_on_the_order_of_the_settings():
    X, y, X_val, y_val = blobs(1)
    forward = tune_two_layer_net(
        X, y, X_val, y_val, SETTINGS, std=0.1, batch_size=20, progress=False, rng=3
    )[0]
    backward = tune_two_layer_net(
        X, y, X_val, y_val, SETTINGS[::-1], std=0.1, batch_size=20, progress=False, rng=3
    )[0]
    assert forward == backward


def test_a_diverging_setting_is_recorded_as_nan_and_skipped():
    X, y, X_val, y_val = blobs(2)
    settings = [
        *SETTINGS[:1],
        {"hidden_size": 10, "learning_rate": 1e9, "reg": 0.0, "num_epochs": 2},
    ]
    with np.errstate(all="ignore"):
        results, best_val, _ = tune_two_layer_net(
            100 * X, y, 100 * X_val, y_val, settings, std=1.0, batch_size=20, progress=False
        )
    assert np.isnan(results[(10, 1e9, 0.0, 2.0)]).all()
    assert best_val == results[(10, 0.05, 1e-3, 5.0)][1]


def test_float32_data_trains_float32_nets():
    X, y, X_val, y_val = (a.astype(np.float32) if a.dtype.kind == "f" else a for a in blobs(3))
    _, _, net = tune_two_layer_net(
        X, y, X_val, y_val, SETTINGS[:1], std=0.1, batch_size=20, progress=False
    )
    assert {p.dtype for p in net.params.values()} == {np.dtype(np.float32)}


def test_random_settings_are_seeded_and_within_their_ranges():
    a = random_settings(20, [50, 100], (1e-4, 1e-2), (1e-3, 1.0), [5, 10], rng=4)
    assert a == random_settings(20, [50, 100], (1e-4, 1e-2), (1e-3, 1.0), [5, 10], rng=4)
    assert {s["hidden_size"] for s in a} == {50, 100}
    assert all(1e-4 <= s["learning_rate"] <= 1e-2 and 1e-3 <= s["reg"] <= 1.0 for s in a)
    assert {s["num_epochs"] for s in a} == {5.0, 10.0}
    rates = np.log10([s["learning_rate"] for s in a])
    assert rates.min() < -3.3  # log-uniform: both decades reached
    assert rates.max() > -2.7


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        ({"hidden_size": 10, "learning_rate": 0.1, "reg": 0.0}, "keys hidden_size, learning_rate"),
        (
            {"hidden_size": 10.0, "learning_rate": 0.1, "reg": 0.0, "num_epochs": 1},
            "['hidden_size'] to be a positive int, got 10.0",
        ),
        (
            {"hidden_size": 10, "learning_rate": -0.1, "reg": 0.0, "num_epochs": 1},
            "['learning_rate'] to be a number > 0",
        ),
        (
            {"hidden_size": 10, "learning_rate": 0.1, "reg": -1, "num_epochs": 1},
            "['reg'] to be a number >= 0",
        ),
        ([10, 0.1, 0.0, 1], "to be a dict"),
    ],
)
def test_a_bad_setting_says_which_and_why(setting, message):
    with pytest.raises(ValueError, match=r"settings\[3\]") as info:
        check_setting(setting, 3)
    assert message in str(info.value)


def test_plots_of_the_search_history_and_weights():
    X, y, X_val, y_val = blobs(5)
    results, _, net = tune_two_layer_net(
        X, y, X_val, y_val, SETTINGS, std=0.1, batch_size=20, progress=False
    )
    fig = plot_net_search(results)
    scatter, ranking = fig.axes[0], fig.axes[1]  # then the colorbar
    assert len(scatter.collections[0].get_offsets()) == 3
    assert [t.get_text().startswith("H=") for t in ranking.get_yticklabels()] == [True] * 3
    fig = plot_training_history(net.history, smooth=10)
    loss_ax, acc_ax = fig.axes
    assert len(loss_ax.lines[0].get_xdata()) == 50
    assert [line.get_label() for line in acc_ax.lines] == ["training", "validation"]
    W1 = TwoLayerNet(3072, 30, 10, std=1.0, rng=0).params["W1"]
    image = show_net_weights(W1).axes[0].images[0].get_array()
    assert image.shape == (5 * 32 + 4 * 3, 6 * 32 + 5 * 3, 3)  # 30 units: 5 rows of 6


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: plot_net_search({}), "non-empty dict"),
        (lambda: plot_net_search({(1, 2): (0.1, 0.2)}), "(hidden_size, learning_rate"),
        (lambda: plot_training_history([1, 2, 3]), "the dict that TwoLayerNet.train returns"),
        (lambda: show_net_weights(np.ones((3073, 4))), "Drop the bias row first"),
    ],
)
def test_plots_reject_bad_input_with_a_reason(call, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        call()


def test_settings_that_share_a_point_get_labels_that_do_not_overlap():
    results = {
        (100, 1e-3, 0.5, 10.0): (0.55, 0.53),
        (200, 1e-3, 0.5, 10.0): (0.56, 0.52),
        (300, 1e-3, 0.5, 15.0): (0.58, 0.54),
    }
    ax = plot_net_search(results).axes[0]
    labels = {t.get_text(): t.xyann for t in ax.texts}
    assert set(labels) == {"H=100, 10 ep", "H=200, 10 ep", "H=300, 15 ep"}
    assert len(set(labels.values())) == 3
