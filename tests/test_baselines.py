"""Optimization baselines: random search and the numerical-gradient descent, on synthetic data."""

import dataclasses

import matplotlib.pyplot as plt
import numpy as np
import pytest

import cs231n_lib.baselines as baselines
from cs231n_lib.baselines import (
    NumericalDescentResult,
    RandomSearchResult,
    numerical_gradient_descent,
    random_search,
    time_loss,
)
from cs231n_lib.classifiers import softmax_loss_vectorized, svm_loss_vectorized
from cs231n_lib.vis.optimization import plot_random_search


def blobs(num_examples=60, dim=6, num_classes=3, seed=0, spread=3.0):
    """Gaussian clusters, one per class, with a bias column of ones: X (N, dim), y (N,)."""
    rng = np.random.default_rng(seed)
    centers = spread * rng.standard_normal((num_classes, dim - 1))
    y = rng.integers(num_classes, size=num_examples)
    X = centers[y] + rng.standard_normal((num_examples, dim - 1))
    return np.hstack([X, np.ones((num_examples, 1))]), y


def svm_data_loss(W, X, y):
    return svm_loss_vectorized(W, X, y, 0.0)[0]


def accuracy(W, X, y):
    return np.mean(np.argmax(X @ W, axis=1) == y)


def drawn_weights(seed, num_tries, shape, scale):
    """The weights random_search tries: consecutive (D, C) draws of the generator."""
    rng = np.random.default_rng(seed)
    return [scale * rng.standard_normal(shape) for _ in range(num_tries)]


# random_search


@pytest.mark.parametrize("chunk_numbers", [1, 7 * 18, baselines._CHUNK_NUMBERS])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_random_search_keeps_the_lowest_loss_of_the_tries(monkeypatch, seed, chunk_numbers):
    # 18 numbers per W: chunks of 1 try, of 7 tries (the last one shorter), or all at once.
    monkeypatch.setattr(baselines, "_CHUNK_NUMBERS", chunk_numbers)
    X, y = blobs(seed=seed)
    X_val, y_val = blobs(num_examples=40, seed=seed + 100)
    result = random_search(
        svm_loss_vectorized, X, y, 3, num_tries=50, scale=0.1, X_eval=X_val, y_eval=y_val, rng=seed
    )

    Ws = drawn_weights(seed, 50, (6, 3), 0.1)
    expected = np.array([svm_data_loss(W, X, y) for W in Ws])
    np.testing.assert_allclose(
        result.losses,
        expected,
        rtol=1e-10,
        atol=1e-12,
        err_msg="the recorded losses are not those of the drawn W",
    )
    best = int(np.argmin(expected))
    assert result.best_try == best
    np.testing.assert_array_equal(result.W, Ws[best])
    np.testing.assert_array_equal(result.best_losses, np.minimum.accumulate(result.losses))
    assert np.all(np.diff(result.best_losses) <= 0)
    assert result.best_losses[-1] == expected[best]
    # The accuracy after try t is that of the best W among tries 0..t, on the eval data.
    best_so_far = [int(np.argmin(expected[: t + 1])) for t in range(50)]
    np.testing.assert_array_equal(
        result.best_accuracy, [accuracy(Ws[i], X_val, y_val) for i in best_so_far]
    )
    assert result.accuracy == accuracy(result.W, X_val, y_val)
    assert result.num_classes == 3
    assert result.seconds > 0


def test_random_search_measures_the_accuracy_on_the_training_data_by_default():
    X, y = blobs(seed=3)
    result = random_search(svm_loss_vectorized, X, y, 3, num_tries=20, rng=3)
    assert result.accuracy == accuracy(result.W, X, y)


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_random_search_beats_chance_on_separable_clusters(seed):
    X, y = blobs(num_examples=200, dim=3, num_classes=3, seed=seed, spread=5.0)
    result = random_search(svm_loss_vectorized, X, y, 3, num_tries=200, scale=1.0, rng=seed)
    assert result.accuracy > 0.8, f"seed {seed}: accuracy {result.accuracy}"
    assert result.best_accuracy[-1] >= result.best_accuracy[0] - 0.2


def test_random_search_is_deterministic_with_a_seed():
    X, y = blobs()
    first = random_search(svm_loss_vectorized, X, y, 3, num_tries=30, rng=7)
    again = random_search(svm_loss_vectorized, X, y, 3, num_tries=30, rng=np.random.default_rng(7))
    other = random_search(svm_loss_vectorized, X, y, 3, num_tries=30, rng=8)
    np.testing.assert_array_equal(first.losses, again.losses)
    np.testing.assert_array_equal(first.W, again.W)
    assert not np.array_equal(first.losses, other.losses)
    assert random_search(svm_loss_vectorized, X, y, 3, num_tries=30).best_try == (
        random_search(svm_loss_vectorized, X, y, 3, num_tries=30, rng=0).best_try
    )


def test_random_search_takes_softmax_float32_and_a_loss_without_gradient():
    X, y = blobs(seed=4)
    X32 = X.astype(np.float32)
    result = random_search(softmax_loss_vectorized, X32, y, 3, num_tries=10, scale=0.1, rng=4)
    assert result.W.dtype == np.float32  # drawn in the data's precision
    np.testing.assert_allclose(
        result.losses[result.best_try], softmax_loss_vectorized(result.W, X32, y, 0.0)[0], rtol=1e-5
    )
    assert result.best_losses[-1] == result.losses.min()

    plain = random_search(lambda W, X, y, reg: svm_data_loss(W, X, y), X, y, 3, num_tries=10, rng=4)
    tupled = random_search(svm_loss_vectorized, X, y, 3, num_tries=10, rng=4)
    np.testing.assert_allclose(plain.losses, tupled.losses, rtol=1e-12)


def test_random_search_result_is_frozen_and_read_only():
    X, y = blobs()
    result = random_search(svm_loss_vectorized, X, y, 3, num_tries=5)
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.W = None
    with pytest.raises(ValueError, match="read-only"):
        result.losses[0] = 0.0


def test_random_search_refuses_a_loss_that_is_not_a_function_of_the_scores():
    X, y = blobs()

    def loss_with_penalty(W, X, y, reg):
        return svm_data_loss(W, X, y) + np.sum(W * W)

    with pytest.raises(ValueError, match="only through the scores"):
        random_search(loss_with_penalty, X, y, 3, num_tries=5)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"X": np.ones(6)}, ValueError, "2-D array"),
        ({"y": np.zeros(5, dtype=int)}, ValueError, r"shape \(60,\)"),
        ({"num_classes": 2}, ValueError, "num_classes = 2"),
        ({"num_classes": 1}, ValueError, "2 <= num_classes"),
        ({"num_tries": 0}, ValueError, "1 <= num_tries"),
        ({"num_tries": 2.5}, TypeError, "integer"),
        ({"scale": -1.0}, ValueError, "scale > 0"),
        ({"rng": "seed"}, TypeError, "rng"),
        ({"X_eval": np.ones((4, 6))}, ValueError, "X_eval and y_eval together"),
        ({"X_eval": np.ones((4, 5)), "y_eval": np.zeros(4, dtype=int)}, ValueError, "D = 6"),
        ({"X_eval": np.ones((4, 6)), "y_eval": np.full(4, 3)}, ValueError, "y_eval < num"),
        ({"loss_fn": lambda W, X, y, reg: np.ones(3)}, TypeError, "scalar loss"),
        ({"loss_fn": lambda W, X, y, reg: np.inf}, FloatingPointError, "smaller scale"),
    ],
)
def test_random_search_errors_say_what_was_expected(kwargs, error, match):
    X, y = blobs()
    args = {
        "loss_fn": svm_loss_vectorized,
        "X": X,
        "y": y,
        "num_classes": 3,
        "num_tries": 3,
    } | kwargs
    with pytest.raises(error, match=match):
        random_search(**args)


# numerical_gradient_descent


@pytest.mark.parametrize("seed", [0, 1, 2, 3, 4])
def test_numerical_descent_follows_the_analytic_gradient_and_lowers_the_loss(seed):
    X, y = blobs(num_examples=30, dim=4, num_classes=3, seed=seed)
    W0 = 0.01 * np.random.default_rng(seed).standard_normal((4, 3))
    W0_before = W0.copy()
    result = numerical_gradient_descent(
        svm_loss_vectorized, W0, X, y, learning_rate=0.01, reg=0.1, num_steps=5
    )
    assert isinstance(result, NumericalDescentResult)
    np.testing.assert_array_equal(W0, W0_before)  # W0 is not changed
    assert result.losses.shape == (6,)
    assert np.all(np.diff(result.losses) < 0), result.losses
    assert result.losses[0] == svm_loss_vectorized(W0, X, y, 0.1)[0]
    assert result.losses[-1] == svm_loss_vectorized(result.W, X, y, 0.1)[0]
    assert result.gradient_errors.max() < 1e-8, result.gradient_errors

    # Replay the descent with the analytic gradient: the same weights.
    W = W0.copy()
    for _ in range(5):
        W -= 0.01 * svm_loss_vectorized(W, X, y, 0.1)[1]
    np.testing.assert_allclose(
        result.W, W, rtol=1e-7, atol=1e-9, err_msg="numerical steps differ from analytic steps"
    )


def test_numerical_descent_times_every_step_and_counts_the_evaluations():
    X, y = blobs(num_examples=10, dim=4, num_classes=3)
    calls = []

    def counted(W, X, y, reg):
        calls.append(1)
        return svm_loss_vectorized(W, X, y, reg)

    W0 = np.zeros((4, 3))
    result = numerical_gradient_descent(counted, W0, X, y, learning_rate=1e-3, num_steps=2)
    assert result.num_evaluations == 2 * 12
    # 1 initial loss, then per step: the numerical gradient, 3 analytic calls, the new loss.
    assert len(calls) == 1 + 2 * (24 + 3 + 1)
    assert result.step_seconds.shape == result.analytic_seconds.shape == (2,)
    assert np.all(result.step_seconds > 0)
    assert np.all(result.analytic_seconds > 0)
    assert result.speedup > 1  # 24 evaluations against the fastest of 3 single ones


def test_numerical_descent_without_an_analytic_gradient():
    X, y = blobs(num_examples=10, dim=4, num_classes=3)
    result = numerical_gradient_descent(
        lambda W, X, y, reg: svm_data_loss(W, X, y), np.zeros((4, 3)), X, y, learning_rate=1e-3
    )
    assert np.isnan(result.analytic_seconds).all()
    assert np.isnan(result.gradient_errors).all()
    assert np.isnan(result.speedup)
    assert result.losses[1] < result.losses[0]


def test_numerical_descent_of_a_quadratic_is_exact():
    # The centred difference of sum(W**2) is exactly 2 W (up to rounding).
    X, y = blobs(num_examples=5, dim=3, num_classes=2)
    W0 = np.arange(6.0).reshape(3, 2)
    result = numerical_gradient_descent(
        lambda W, X, y, reg: float(np.sum(W**2)), W0, X, y, learning_rate=0.25, num_steps=1
    )
    np.testing.assert_allclose(result.W, 0.5 * W0, atol=1e-8)
    np.testing.assert_allclose(result.losses, [55.0, 13.75], rtol=1e-10)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"W0": np.zeros((5, 3))}, ValueError, "D = 4 columns of X"),
        ({"W0": np.zeros(4)}, ValueError, "2-D array"),
        ({"W0": np.zeros((4, 2))}, ValueError, "C = 2"),
        ({"learning_rate": 0.0}, ValueError, "learning_rate > 0"),
        ({"num_steps": 0}, ValueError, "1 <= num_steps"),
        ({"reg": -1.0}, ValueError, "reg >= 0"),
        ({"h": 0}, ValueError, "h > 0"),
        ({"learning_rate": 1e300}, FloatingPointError, "too large"),
    ],
)
def test_numerical_descent_errors_say_what_was_expected(kwargs, error, match):
    X, y = blobs(num_examples=10, dim=4, num_classes=3)
    args = {
        "loss_fn": lambda W, X, y, reg: float(np.sum(W**4)),
        "W0": np.ones((4, 3)),
        "X": X,
        "y": y,
        "learning_rate": 1e-3,
    } | kwargs
    with np.errstate(over="ignore"), pytest.raises(error, match=match):
        numerical_gradient_descent(**args)


def test_time_loss_calls_the_loss_repeats_times():
    X, y = blobs(num_examples=10, dim=4, num_classes=3)
    calls = []

    def counted(W, X, y, reg):
        calls.append(reg)
        return svm_loss_vectorized(W, X, y, reg)

    seconds = time_loss(counted, np.zeros((4, 3)), X, y, reg=0.5, repeats=4)
    assert seconds > 0
    assert calls == [0.5] * 4
    with pytest.raises(ValueError, match="D = 4 columns"):
        time_loss(counted, np.zeros((3, 3)), X, y)
    with pytest.raises(ValueError, match="1 <= repeats"):
        time_loss(counted, np.zeros((4, 3)), X, y, repeats=0)


# plot_random_search


@pytest.fixture
def search():
    X, y = blobs()
    return random_search(svm_loss_vectorized, X, y, 3, num_tries=40, scale=0.1, rng=0)


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def test_random_search_plot_shows_best_accuracy_chance_and_losses(search, tmp_path):
    fig = plot_random_search(search)
    ax, loss_ax = fig.axes
    accuracy_line, chance_line = ax.lines
    np.testing.assert_array_equal(accuracy_line.get_xdata(), np.arange(1, 41))
    np.testing.assert_array_equal(accuracy_line.get_ydata(), search.best_accuracy)
    np.testing.assert_allclose(chance_line.get_ydata(), [1 / 3, 1 / 3])
    assert chance_line.get_linestyle() == "--"
    assert ax.get_xscale() == "log"
    assert ax.get_xlabel() == "number of random tries"
    assert ax.get_ylabel() == "accuracy"
    np.testing.assert_array_equal(loss_ax.lines[0].get_ydata(), search.losses)
    np.testing.assert_array_equal(loss_ax.lines[1].get_ydata(), search.best_losses)
    assert loss_ax.get_ylabel() == "loss"
    texts = [t.get_text() for t in loss_ax.get_legend().get_texts()]
    assert texts == [
        f"accuracy of the best W so far (final {search.accuracy:.3f})",
        "chance (1/3)",
        "loss of a try",
        "lowest loss so far",
    ]
    path = tmp_path / "search.png"
    fig.savefig(path)
    assert path.stat().st_size > 5000


def test_random_search_plot_draws_on_given_axes_without_loss(search):
    fig, ax = plt.subplots()
    assert plot_random_search(search, ax=ax, show_loss=False, log_x=False) is fig
    assert fig.axes == [ax]
    assert ax.get_xscale() == "linear"
    assert len(ax.get_legend().get_texts()) == 2


def test_random_search_plot_refuses_other_results():
    with pytest.raises(TypeError, match="RandomSearchResult"):
        plot_random_search({"losses": [1.0]})
    assert RandomSearchResult.__name__ in plot_random_search.__doc__
