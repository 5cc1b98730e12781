"""TwoLayerNet and the update rules: the loss against a plain formula, gradients, training."""

import numpy as np
import pytest

from cs231n_lib.classifiers import TwoLayerNet
from cs231n_lib.classifiers.optim import sgd, sgd_momentum
from cs231n_lib.gradient_check import eval_numerical_gradient, rel_error


def toy_problem(seed, N=8, D=5, H=6, C=3, std=0.5):
    rng = np.random.default_rng(seed)
    net = TwoLayerNet(D, H, C, std=std, rng=seed)
    for b in ("b1", "b2"):
        net.params[b] = rng.standard_normal(net.params[b].shape)
    return net, rng.standard_normal((N, D)), rng.integers(C, size=N)


def plain_loss(params, X, y, reg):
    """The definition, one example at a time."""
    total = 0.0
    for x, label in zip(X, y, strict=True):
        hidden = np.maximum(0.0, x @ params["W1"] + params["b1"])
        scores = hidden @ params["W2"] + params["b2"]
        total += np.log(np.sum(np.exp(scores))) - scores[label]
    return total / len(X) + reg * (np.sum(params["W1"] ** 2) + np.sum(params["W2"] ** 2))


def kink_margin(net, X, h=1e-5):
    """How far the hidden pre-activations stay from 0, relative to what a step h moves them."""
    pre = X @ net.params["W1"] + net.params["b1"]
    reach = h * (np.abs(X).sum(axis=1, keepdims=True) + 1)  # a step in W1 or b1 moves a by
    return np.min(np.abs(pre) / reach)  # at most h * |x|; > 1 means no kink is crossed


@pytest.mark.parametrize("seed", range(5))
def test_scores_and_loss_match_the_definition(seed):
    net, X, y = toy_problem(seed)
    scores = net.loss(X)
    hidden = np.maximum(0, X @ net.params["W1"] + net.params["b1"])
    np.testing.assert_allclose(
        scores, hidden @ net.params["W2"] + net.params["b2"], rtol=1e-12, atol=1e-12
    )
    for reg in (0.0, 0.05, 1.0):
        loss, _ = net.loss(X, y, reg=reg)
        assert loss == pytest.approx(plain_loss(net.params, X, y, reg), rel=1e-12)


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("reg", [0.0, 0.05, 0.7])
def test_every_gradient_matches_the_numerical_one(seed, reg):
    net, X, y = toy_problem(seed)
    assert kink_margin(net, X) > 1, "pick another seed: a step would cross ReLU's kink"
    _, grads = net.loss(X, y, reg=reg)
    assert set(grads) == set(net.params)
    for name, param in net.params.items():
        numerical = eval_numerical_gradient(lambda _, name=name: net.loss(X, y, reg=reg)[0], param)
        assert grads[name].shape == param.shape
        # Centred differences are exact up to about 1e-7 here (rounding and curvature);
        # a step across the kink would be off by 1e-3 or more.
        assert rel_error(numerical, grads[name]) < 1e-6, name


def test_initialization_uses_the_callers_std_and_rng():
    a = TwoLayerNet(30, 20, 4, std=1e-2, rng=7)
    b = TwoLayerNet(30, 20, 4, std=1e-2, rng=np.random.default_rng(7))
    c = TwoLayerNet(30, 20, 4, std=1e-2, rng=8)
    for name in a.params:
        np.testing.assert_array_equal(a.params[name], b.params[name])
    assert not np.array_equal(a.params["W1"], c.params["W1"])
    assert a.params["W1"].shape == (30, 20)
    assert a.params["W2"].shape == (20, 4)
    assert np.all(a.params["b1"] == 0)
    assert np.all(a.params["b2"] == 0)
    assert a.params["W1"].std() == pytest.approx(1e-2, rel=0.1)


def test_sgd_steps_against_the_gradient():
    w = np.array([1.0, -2.0])
    np.testing.assert_allclose(sgd(w, np.array([0.5, -1.0]), 0.1), [0.95, -1.9])


def test_momentum_accumulates_steps_in_a_consistent_direction():
    w, v = np.zeros(1), np.zeros(1)
    steps = []
    for _ in range(3):
        new_w, v = sgd_momentum(w, np.ones(1), v, learning_rate=0.1, momentum=0.5)
        steps.append(float(new_w[0] - w[0]))
        w = new_w
    np.testing.assert_allclose(steps, [-0.1, -0.15, -0.175])
    np.testing.assert_allclose(
        sgd_momentum(w, np.ones(1), np.zeros(1), 0.1, 0.0)[0], sgd(w, np.ones(1), 0.1)
    )


def separable_data(seed, N=300, D=4, C=3):
    rng = np.random.default_rng(seed)
    y = rng.integers(C, size=N)
    X = rng.standard_normal((N, D)) * 0.5
    X[:, :C] += 3.0 * np.eye(C)[y]
    return X, y


@pytest.mark.parametrize("momentum", [0.0, 0.9])
def test_training_fits_a_simple_problem_and_records_its_history(momentum):
    X, y = separable_data(0)
    net = TwoLayerNet(4, 20, 3, std=0.1, rng=0)
    history = net.train(
        X[:200],
        y[:200],
        X[200:],
        y[200:],
        learning_rate=0.05,
        reg=1e-4,
        num_iters=200,
        batch_size=50,
        momentum=momentum,
        rng=0,
    )
    assert len(history["loss_history"]) == 200
    assert len(history["train_acc_history"]) == len(history["val_acc_history"]) == 50
    assert history["loss_history"][-1] < 0.3 * history["loss_history"][0]
    assert history["val_acc_history"][-1] > 0.9
    assert np.mean(net.predict(X[200:]) == y[200:]) == history["val_acc_history"][-1]


def test_training_is_reproducible_and_seeded():
    X, y = separable_data(1)
    runs = []
    for rng in (3, 3, 4):
        net = TwoLayerNet(4, 10, 3, std=0.1, rng=0)
        runs.append(
            net.train(X, y, learning_rate=0.05, num_iters=30, batch_size=20, rng=rng)[
                "loss_history"
            ]
        )
    assert runs[0] == runs[1]
    assert runs[0] != runs[2]


def test_learning_rate_decays_after_every_epoch():
    """With decay d, the k-th epoch's steps are d**k times those of an undecayed run."""
    X, y = separable_data(2, N=40)
    moves = {}
    for decay in (1.0, 0.5):
        net = TwoLayerNet(4, 6, 3, std=0.1, rng=0)
        before = net.params["b2"].copy()
        # A huge reg makes the steps of b2 differ, but b2 has no penalty: compare epochs.
        history = net.train(
            X,
            y,
            learning_rate=1e-3,
            learning_rate_decay=decay,
            reg=0.0,
            num_iters=8,
            batch_size=10,
            rng=0,
        )
        moves[decay] = (net.params["b2"] - before, history)
    # 40 examples, batches of 10: 4 iterations per epoch, so 2 epochs ran.
    assert len(moves[0.5][1]["train_acc_history"]) == 2
    # The first epoch's loss history is the same; the second differs (smaller steps).
    assert moves[0.5][1]["loss_history"][:5] == moves[1.0][1]["loss_history"][:5]
    assert moves[0.5][1]["loss_history"][5:] != moves[1.0][1]["loss_history"][5:]
    # Replayed by hand: the same minibatches, plain SGD steps of 1e-3 * 0.5 ** epoch.
    net = TwoLayerNet(4, 6, 3, std=0.1, rng=0)
    rng = np.random.default_rng(0)
    rng.choice(40, 40, replace=False)  # first drawn: the examples of train_acc_history
    losses = []
    for it in range(8):
        idx = rng.integers(40, size=10)
        loss, grads = net.loss(X[idx], y[idx], reg=0.0)
        losses.append(loss)
        for name, grad in grads.items():
            net.params[name] = net.params[name] - 1e-3 * 0.5 ** (it // 4) * grad
    np.testing.assert_allclose(moves[0.5][1]["loss_history"], losses, rtol=1e-12)
    np.testing.assert_allclose(
        moves[0.5][0],
        net.params["b2"] - TwoLayerNet(4, 6, 3, std=0.1, rng=0).params["b2"],
        rtol=1e-9,
    )


def test_a_diverging_learning_rate_stops_with_a_message_naming_it():
    X, y = separable_data(3)
    net = TwoLayerNet(4, 10, 3, std=1.0, rng=0)
    before = {k: v.copy() for k, v in net.params.items()}
    message = r"learning rate 1e\+08 \(decayed to .*\) is too large.*1e\+07"
    with pytest.raises(FloatingPointError, match=message):
        net.train(X * 1e3, y, learning_rate=1e8, num_iters=50, rng=0)
    assert all(np.all(np.isfinite(v)) for v in net.params.values())
    assert any(not np.array_equal(before[k], net.params[k]) for k in before)


@pytest.mark.parametrize(
    ("make", "error", "message"),
    [
        (lambda: TwoLayerNet(10, 4.0, 3, std=0.1), TypeError, "int(4.0)"),
        (lambda: TwoLayerNet(10, 0, 3, std=0.1), ValueError, "hidden_size >= 1"),
        (lambda: TwoLayerNet(10, "100", 3, std=0.1), TypeError, "positive int"),
        (lambda: TwoLayerNet(10, True, 3, std=0.1), TypeError, "positive int"),
        (lambda: TwoLayerNet(10, 5, 3, std=-1.0), ValueError, "std > 0"),
    ],
)
def test_bad_construction_says_how_to_fix_it(make, error, message):
    with pytest.raises(error, match=None) as info:
        make()
    assert message in str(info.value)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (
            lambda net: net.loss(np.ones((2, 6))),
            "D=5 columns, the input_size of this net, got shape "
            "(2, 6). Load the data without the bias column",
        ),
        (lambda net: net.loss(np.ones((2, 5)), np.array([0, 3])), "0 <= y < C = 3"),
        (lambda net: net.loss(np.ones((2, 5)), np.array([0])), "shape (2,)"),
        (lambda net: net.loss(np.ones(5)), "reshape(1, -1)"),
        (lambda net: net.train(np.ones((4, 5)), np.zeros(4, int), np.ones((2, 5))), "or neither"),
        (
            lambda net: net.train(np.ones((4, 5)), np.zeros(4, int), learning_rate=0),
            "learning_rate > 0",
        ),
        (lambda net: net.train(np.ones((4, 5)), np.array([0, 1, 2, 7])), "got a label 7"),
        (
            lambda net: sgd_momentum(np.ones(3), np.ones(3), np.ones(3), 0.1, momentum=1.0),
            "0 <= momentum < 1",
        ),
        (lambda net: sgd_momentum(np.ones(3), np.ones(3), np.ones(2), 0.1), "np.zeros_like(w)"),
        (lambda net: sgd(np.ones(3), np.ones((3, 1)), 0.1), "dw of the shape of w (3,)"),
    ],
)
def test_bad_input_gets_a_teaching_error(call, message):
    net = TwoLayerNet(5, 4, 3, std=0.1)
    with pytest.raises((ValueError, TypeError)) as info:
        call(net)
    assert message in str(info.value)
