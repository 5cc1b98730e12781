"""LinearClassifier: minibatch SGD, seeding, prediction, divergence, errors."""

import re

import numpy as np
import pytest

from cs231n_lib import _validation
from cs231n_lib.classifiers import (
    REGULARIZERS,
    LinearClassifier,
    LinearSVM,
    Softmax,
    linear_classifier,
    softmax_loss_vectorized,
    svm_loss_vectorized,
)

MODELS = [LinearSVM, Softmax]


def blobs(seed, num_train=300, dim=6, num_classes=4, spread=0.3):
    """Gaussian clusters around well separated centres, with a bias column."""
    rng = np.random.default_rng(seed)
    centres = 3 * rng.standard_normal((num_classes, dim))
    y = rng.integers(num_classes, size=num_train)
    X = centres[y] + spread * rng.standard_normal((num_train, dim))
    return np.hstack([X, np.ones((num_train, 1))]), y


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("cls", MODELS)
def test_training_separates_blobs_and_lowers_the_loss(cls, seed):
    X, y = blobs(seed)
    model = cls()
    history = model.train(X, y, learning_rate=1e-2, reg=1e-4, num_iters=300, rng=seed)
    assert len(history) == 300
    assert np.mean(history[-20:]) < 0.5 * history[0]
    assert np.mean(model.predict(X) == y) > 0.95


@pytest.mark.parametrize("cls", MODELS)
def test_same_seed_same_weights_other_seed_other_weights(cls):
    X, y = blobs(0)
    runs = []
    for seed in (7, 7, 8):
        model = cls()
        model.train(X, y, num_iters=20, rng=np.random.default_rng(seed))
        runs.append(model.W)
    np.testing.assert_array_equal(runs[0], runs[1])
    assert not np.allclose(runs[0], runs[2])
    default = [cls(), cls()]
    for model in default:
        model.train(X, y, num_iters=5)  # rng=None means seed 0
    np.testing.assert_array_equal(default[0].W, default[1].W)
    seeded = cls()
    seeded.train(X, y, num_iters=5, rng=0)
    np.testing.assert_array_equal(default[0].W, seeded.W)


def test_weights_start_small_with_one_column_per_class():
    X, y = blobs(0, num_classes=4)
    model = LinearSVM()
    assert model.train(X, y, num_iters=0, rng=3) == []
    assert model.W.shape == (X.shape[1], 4)
    expected = 0.001 * np.random.default_rng(3).standard_normal((X.shape[1], 4))
    np.testing.assert_array_equal(model.W, expected)


@pytest.mark.parametrize(
    ("cls", "loss_fn"), [(LinearSVM, svm_loss_vectorized), (Softmax, softmax_loss_vectorized)]
)
def test_one_step_is_a_gradient_step_on_a_minibatch_drawn_with_replacement(cls, loss_fn):
    X, y = blobs(1, num_train=50)
    model = cls()
    model.train(X, y, num_iters=0, rng=0)
    W0 = model.W.copy()
    rng = np.random.default_rng(5)
    history = model.train(
        X, y, learning_rate=0.1, reg=0.01, num_iters=1, batch_size=80, rng=np.random.default_rng(5)
    )
    idx = rng.integers(50, size=80)  # more draws than examples: with replacement
    loss, grad = loss_fn(W0, X[idx], y[idx], 0.01)
    assert history == [loss]
    np.testing.assert_allclose(model.W, W0 - 0.1 * grad, rtol=1e-12)


MODEL_OPTIONS = [
    (LinearSVM, {}, svm_loss_vectorized, {}),
    (LinearSVM, {"squared_hinge": True}, svm_loss_vectorized, {"squared_hinge": True}),
    (Softmax, {}, softmax_loss_vectorized, {}),
]


def count_regularizer_checks(monkeypatch):
    """Count the calls of check_regularizer, wherever the library calls it from."""
    calls = []
    original = _validation.check_regularizer

    def counting(regularizer, beta):
        calls.append(regularizer)
        return original(regularizer, beta)

    for module in (_validation, linear_classifier):
        monkeypatch.setattr(module, "check_regularizer", counting)
    return calls


@pytest.mark.parametrize("regularizer", REGULARIZERS)
@pytest.mark.parametrize(("cls", "kwargs", "loss_fn", "options"), MODEL_OPTIONS)
def test_the_regularizer_is_checked_once_per_train_call(
    cls, kwargs, loss_fn, options, regularizer, monkeypatch
):
    X, y = blobs(0, num_train=40)
    calls = count_regularizer_checks(monkeypatch)
    cls(**kwargs).train(X, y, num_iters=7, batch_size=10, regularizer=regularizer, beta=0.5)
    assert calls == [regularizer]
    # Called directly, the public loss still checks its arguments.
    W = np.zeros((X.shape[1], 4))
    loss_fn(W, X, y, 0.1, regularizer=regularizer, beta=0.5, **options)
    assert len(calls) > 1
    assert set(calls) == {regularizer}


@pytest.mark.parametrize("regularizer", REGULARIZERS)
@pytest.mark.parametrize(("cls", "kwargs", "loss_fn", "options"), MODEL_OPTIONS)
def test_a_training_step_is_the_checked_public_loss_bit_for_bit(
    cls, kwargs, loss_fn, options, regularizer
):
    X, y = blobs(3, num_train=60)
    model = cls(**kwargs)
    model.train(X, y, num_iters=0, rng=0)
    W0 = model.W.copy(order="K")  # the same memory layout, for the same rounding
    history = model.train(
        X, y, learning_rate=0.05, reg=0.02, num_iters=1, batch_size=30, rng=7,
        regularizer=regularizer, beta=0.7,
    )  # fmt: skip
    idx = np.random.default_rng(7).integers(60, size=30)
    loss, grad = loss_fn(W0, X[idx], y[idx], 0.02, regularizer=regularizer, beta=0.7, **options)
    assert history == [loss]
    np.testing.assert_array_equal(model.W, W0 - 0.05 * grad)


def test_a_loss_that_passes_other_regularizer_values_during_training_is_still_checked():
    class OtherRegularizer(LinearSVM):
        def loss(self, X_batch, y_batch, reg, regularizer="l2", beta=1.0):
            return svm_loss_vectorized(self.W, X_batch, y_batch, reg, regularizer="ridge")

    X, y = blobs(0, num_train=40)
    with pytest.raises(ValueError, match=r"Expected regularizer to be one of .*got 'ridge'"):
        OtherRegularizer().train(X, y, num_iters=1)


def test_training_continues_from_the_current_weights():
    X, y = blobs(2)
    model = Softmax()
    first = model.train(X, y, learning_rate=1e-2, num_iters=50)
    W_trained = model.W.copy()
    second = model.train(X, y, learning_rate=1e-2, num_iters=50, rng=1)
    assert second[0] < first[0]
    # The first loss of the second call is that of the trained W on the first minibatch
    # rng=1 draws (a W is there, so nothing is drawn for it): not of new small weights.
    idx = np.random.default_rng(1).integers(len(X), size=200)
    expected, _ = softmax_loss_vectorized(W_trained, X[idx], y[idx], 1e-5)
    np.testing.assert_allclose(second[0], expected, rtol=1e-12)
    assert second[0] < 0.5 * np.log(4)  # new small weights start near log(C) = 1.39


def test_verbose_prints_every_100_iterations(capsys):
    X, y = blobs(0)
    history = LinearSVM().train(X, y, num_iters=250, verbose=True)
    lines = capsys.readouterr().out.splitlines()
    assert [line.split(":")[0] for line in lines] == [
        "iteration 0 / 250",
        "iteration 100 / 250",
        "iteration 200 / 250",
    ]
    printed = [float(line.rsplit("loss", 1)[1]) for line in lines]
    np.testing.assert_allclose(printed, [history[0], history[100], history[200]], atol=1e-6)


def test_progress_bar_is_off_by_default_and_on_request(capsys):
    X, y = blobs(0)
    LinearSVM().train(X, y, num_iters=30)
    assert capsys.readouterr().err == ""
    LinearSVM().train(X, y, num_iters=30, progress=True)
    assert "30/30" in capsys.readouterr().err


def test_predict_returns_the_best_scoring_class():
    model = LinearSVM()
    model.W = np.array([[1.0, 0.0, 0.0], [0.0, 2.0, 0.0]])
    X = np.array([[3.0, 1.0], [1.0, 1.0], [-1.0, -1.0]])
    pred = model.predict(X)
    np.testing.assert_array_equal(pred, [0, 1, 2])
    assert pred.dtype == np.int64


def test_float32_data_trains_float32_weights():
    X, y = blobs(0)
    model = Softmax()
    model.train(X.astype(np.float32), y, learning_rate=1e-2, num_iters=100)
    assert model.W.dtype == np.float32
    assert np.mean(model.predict(X) == y) > 0.9


@pytest.mark.parametrize("cls", MODELS)
def test_divergence_stops_with_advice_and_keeps_the_last_weights(cls):
    X, y = blobs(0)
    X = X * 1e3
    model = cls()
    with pytest.raises(FloatingPointError, match=r"smaller one such as 1e\+299") as info:
        model.train(X, y, learning_rate=1e300, num_iters=50)
    assert np.all(np.isfinite(model.W))
    # W is the one before the diverging step: that of the same training stopped there.
    diverged_at = int(re.search(r"diverged at iteration (\d+)", str(info.value)).group(1))
    assert diverged_at >= 1  # so W has moved from its initial value
    replay = cls()
    replay.train(X, y, learning_rate=1e300, num_iters=diverged_at)
    np.testing.assert_array_equal(model.W, replay.W)


def test_errors_name_the_fix():
    X, y = blobs(0)
    with pytest.raises(RuntimeError, match=r"call train\(\) before predict\(\)"):
        LinearSVM().predict(X)
    with pytest.raises(NotImplementedError, match="use LinearSVM or Softmax"):
        LinearClassifier().train(X, y, num_iters=1)
    for bad in (-1.0, 0.0, float("inf"), float("nan"), True, "1e-3"):
        with pytest.raises(ValueError, match="learning_rate > 0, a finite number"):
            LinearSVM().train(X, y, learning_rate=bad)
    with pytest.raises(ValueError, match="reg >= 0"):
        LinearSVM().train(X, y, reg=float("nan"))
    with pytest.raises(ValueError, match="batch_size"):
        LinearSVM().train(X, y, batch_size=0)
    model = LinearSVM()
    model.train(X, y, num_iters=1)
    with pytest.raises(ValueError, match="like the training data"):
        model.predict(X[:, :-1])
    with pytest.raises(ValueError, match="Create a new classifier"):
        model.train(X[:, :-1], y, num_iters=1)
    with pytest.raises(ValueError, match="one label per row"):
        LinearSVM().train(X, y[:-1])
