"""LinearClassifier: minibatch SGD, seeding, prediction, divergence, errors."""

import numpy as np
import pytest

from cs231n_lib.classifiers import (
    LinearClassifier,
    LinearSVM,
    Softmax,
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


def test_training_continues_from_the_current_weights():
    X, y = blobs(2)
    model = Softmax()
    first = model.train(X, y, learning_rate=1e-2, num_iters=50)
    second = model.train(X, y, learning_rate=1e-2, num_iters=50, rng=1)
    assert second[0] < first[0]


def test_verbose_prints_every_100_iterations(capsys):
    X, y = blobs(0)
    LinearSVM().train(X, y, num_iters=250, verbose=True)
    lines = capsys.readouterr().out.splitlines()
    assert [line.split(":")[0] for line in lines] == [
        "iteration 0 / 250",
        "iteration 100 / 250",
        "iteration 200 / 250",
    ]


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
    with pytest.raises(FloatingPointError, match=r"smaller one such as 1e\+299"):
        model.train(X, y, learning_rate=1e300, num_iters=50)
    assert np.all(np.isfinite(model.W))


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
