"""The hidden checks of the two-layer net (``two_layer_net.ipynb``, and its part of features).

Registered into :data:`grading.run.check_base.CHECKS`, :data:`~grading.run.check_base.FACTS` and
:data:`~grading.run.check_base.FACT_JUDGES`; :mod:`grading.run.checks` imports this module, so
importing it gives the whole registry. The rules that keep them fair to every correct solution:

- a layer is judged only through its own forward/backward pair: whatever its cache
  holds is the student's business;
- every call gets fresh copies of its inputs, so code that works in place (a ReLU mask
  written into ``dout``) is judged on what it returns;
- momentum is judged by the path of the weights over several steps, which every correct
  formulation shares (``v = mu v - lr dw; w += v`` and ``v = mu v + dw; w -= lr v``),
  never by the velocity itself;
- ReLU's gradient at exactly 0 is 0 (the convention the notebook states); SVM margins of
  exactly 0, where conventions may differ, never occur in the inputs.
"""

from __future__ import annotations

import numpy as np

# The lecture's three images (cat, car, frog): with X the identity, X @ W are the scores.
# The grader imports them from the instructor's package, never the student's.
from cs231n_lib.toy_data import LECTURE_SCORES

from .check_base import (
    FACT_JUDGES,
    FACTS,
    HOSTILE_ATOL,
    HOSTILE_RTOL,
    accuracy_at_least,
    check,
    hostile_scores,
    judge_test_predictions,
    number,
    results_table,
    standardized_features,
)

NET_BAR = 0.30  # validation accuracy of the fixed-settings net on raw pixels (grading mode)
FEATURES_NET_BAR = 0.40  # the same on HOG + hue features
# The notebooks' own bars in grading mode (their visible tests use the same).
NET_TUNED_BAR = 0.25
FEATURES_NET_TEST_BAR = 0.40

LAYERS = "two_layer_net-test-affine"


def _copies(*arrays):
    return [np.array(a, dtype=np.float64, copy=True) for a in arrays]


def _layers(lib):
    return lib.classifiers.layers


# ----------------------------------------------------------------------------- layers


@check(
    "two_layer_net-test-affine",
    "affine_forward and affine_backward on random inputs, including a square case (N == H)",
    rtol=1e-9,
    atol=1e-12,
)
def affine_random(lib, inputs):
    layers = _layers(lib)
    gen = np.random.default_rng(40)
    out = {}
    for i, (N, D, H) in enumerate(((4, 6, 5), (5, 3, 5), (1, 2, 3), (6, 6, 6))):
        x, w, b = gen.normal(size=(N, D)), gen.normal(size=(D, H)), gen.normal(size=H)
        dout = gen.normal(size=(N, H))
        out[f"out{i}"], cache = layers.affine_forward(*_copies(x, w, b))
        out[f"dx{i}"], out[f"dw{i}"], out[f"db{i}"] = layers.affine_backward(*_copies(dout), cache)
    return out


def _with_zeros(gen, shape):
    """Integers from -3 to 3 (a third of them exactly 0 or close), as floats."""
    return gen.integers(-3, 4, size=shape).astype(np.float64)


@check(
    "two_layer_net-test-relu",
    "relu_forward and relu_backward with negative, positive and zero inputs",
    rtol=0,
    atol=0,
)
def relu_with_zeros(lib, inputs):
    layers = _layers(lib)
    gen = np.random.default_rng(41)
    x = np.concatenate([_with_zeros(gen, (6, 5)), gen.normal(size=(3, 5))])
    x[0, :3] = [0.0, -0.0, 1e-300]
    dout = gen.normal(size=x.shape)
    out, cache = layers.relu_forward(*_copies(x))
    out = np.array(out, copy=True)  # before relu_backward could change it
    return {"out": out, "dx": layers.relu_backward(*_copies(dout), cache)}


@check(
    "two_layer_net-test-relu",
    "affine_relu_forward and affine_relu_backward, some ReLU inputs exactly 0",
    rtol=1e-9,
    atol=1e-12,
)
def affine_relu_with_zeros(lib, inputs):
    layers = _layers(lib)
    gen = np.random.default_rng(42)
    # Small integers: x @ w + b is exact, and a fifth of it is exactly 0.
    x, w, b = _with_zeros(gen, (7, 4)), _with_zeros(gen, (4, 5)), _with_zeros(gen, 5)
    dout = gen.normal(size=(7, 5))
    out, cache = layers.affine_relu_forward(*_copies(x, w, b))
    out = np.array(out, copy=True)
    dx, dw, db = layers.affine_relu_backward(*_copies(dout), cache)
    return {"out": out, "dx": dx, "dw": dw, "db": db}


@check(
    "two_layer_net-test-losses",
    "softmax_loss on random scores, the lecture's scores and scores near 1000",
    rtol=1e-8,
    atol=1e-12,
)
def softmax_loss_scores(lib, inputs):
    layers = _layers(lib)
    gen = np.random.default_rng(43)
    scores, y = gen.normal(size=(7, 4)), gen.integers(0, 4, size=7)
    out = {}
    cases = ((scores, y), (LECTURE_SCORES, np.arange(3)), (LECTURE_SCORES + 1000.0, np.arange(3)))
    for i, (s, labels) in enumerate(cases):
        with np.errstate(all="ignore"):
            out[f"loss{i}"], out[f"dscores{i}"] = layers.softmax_loss(*_copies(s), labels.copy())
    return out


@check(
    "two_layer_net-test-losses",
    "svm_loss on random scores and the lecture's scores",
    rtol=1e-8,
    atol=1e-12,
)
def svm_loss_scores(lib, inputs):
    layers = _layers(lib)
    gen = np.random.default_rng(44)
    scores, y = gen.normal(size=(8, 5)), gen.integers(0, 5, size=8)
    out = {}
    for i, (s, labels) in enumerate(((scores, y), (LECTURE_SCORES, np.arange(3)))):
        out[f"loss{i}"], out[f"dscores{i}"] = layers.svm_loss(*_copies(s), labels.copy())
    return out


def _on_hostile_rows(loss_fn):
    scores, y, _ = hostile_scores()
    with np.errstate(all="ignore"):
        loss, dscores = loss_fn(scores, y)
    return {"loss": loss, "dscores": dscores}


@check(
    "two_layer_net-test-losses",
    "softmax_loss on rows of very different magnitude "
    "(scores in the thousands, near 0, near -1e4, all equal; numerical stability row by "
    "row)",
    rtol=HOSTILE_RTOL,
    atol=HOSTILE_ATOL,
)
def softmax_loss_hostile_rows(lib, inputs):
    return _on_hostile_rows(_layers(lib).softmax_loss)


@check(
    "two_layer_net-test-losses",
    "svm_loss on rows of very different magnitude (scores "
    "in the thousands, near 0, near -1e4, all equal)",
    rtol=HOSTILE_RTOL,
    atol=HOSTILE_ATOL,
)
def svm_loss_hostile_rows(lib, inputs):
    return _on_hostile_rows(_layers(lib).svm_loss)


# ----------------------------------------------------------------------------- the net


def _net(lib, seed, D=5, H=7, C=3, scale=0.5):
    """A TwoLayerNet with every parameter set by hand (random, non-zero biases)."""
    gen = np.random.default_rng(seed)
    net = lib.classifiers.TwoLayerNet(D, H, C, std=scale, rng=0)
    net.params = {
        "W1": scale * gen.normal(size=(D, H)),
        "b1": 0.1 * gen.normal(size=H),
        "W2": scale * gen.normal(size=(H, C)),
        "b2": 0.1 * gen.normal(size=C),
    }
    return net, gen


@check(
    "two_layer_net-test-net-loss",
    "TwoLayerNet.loss without labels: the scores",
    rtol=1e-9,
    atol=1e-12,
)
def net_scores(lib, inputs):
    net, gen = _net(lib, 45)
    return {"scores": net.loss(gen.normal(size=(6, 5)))}


@check(
    "two_layer_net-test-net-loss",
    "TwoLayerNet.loss and every gradient, with and without regularization",
    rtol=1e-8,
    atol=1e-11,
)
def net_loss_grads(lib, inputs):
    out = {}
    for i, (seed, reg) in enumerate(((46, 0.0), (47, 0.3), (48, 2.5))):
        net, gen = _net(lib, seed)
        X, y = gen.normal(size=(9, 5)), gen.integers(0, 3, size=9)
        loss, grads = net.loss(X, y, reg=reg)
        out[f"loss{i}"] = loss
        for name in ("W1", "b1", "W2", "b2"):
            out[f"{name}_{i}"] = grads[name]
    return out


# atol 1e-6: the gradients of W1 and b1 go through dscores @ W2.T, which cancels to 0 on
# a row of equal scores, leaving there the rounding of the softmax times the scores. With
# log-sum-exp, probabilities off by about 1e-12 (scores near 1e4) leave about 1e-9 in W1.
@check(
    "two_layer_net-test-net-loss",
    "TwoLayerNet.loss and every gradient, with scores of "
    "very different magnitude from row to row (in the thousands, near 0, near -1e4, all "
    "equal; numerical stability row by row)",
    rtol=HOSTILE_RTOL,
    atol=1e-6,
)
def net_loss_hostile_rows(lib, inputs):
    scores, y, magnitudes = hostile_scores()
    N, C = scores.shape
    # X = diag(magnitudes), W1 = I and b1 < 0: one positive hidden unit per row,
    # magnitudes - 2**-11 (the others are negative, never exactly 0, at the ReLU), and
    # W2 makes the scores: hidden @ W2 = scores, up to rounding.
    hidden = magnitudes - 2.0**-11
    net = lib.classifiers.TwoLayerNet(N, N, C, std=1.0, rng=0)
    net.params = {
        "W1": np.eye(N),
        "b1": np.full(N, -(2.0**-11)),
        "W2": scores / hidden[:, None],
        "b2": np.zeros(C),
    }
    with np.errstate(all="ignore"):
        loss, grads = net.loss(np.diag(magnitudes), y, reg=0.0)
    return {"loss": loss, **{name: grads[name] for name in ("W1", "b1", "W2", "b2")}}


# ----------------------------------------------------------------------------- training


@check(
    "two_layer_net-test-training",
    "sgd, and the weights along 6 steps of sgd_momentum",
    rtol=1e-10,
    atol=1e-12,
)
def update_rules(lib, inputs):
    optim = lib.classifiers.optim
    gen = np.random.default_rng(49)
    w = gen.normal(size=(3, 4))
    out = {"sgd": optim.sgd(*_copies(w, gen.normal(size=(3, 4))), 0.3)}
    for momentum in (0.0, 0.9):
        path, velocity, current = [], np.zeros_like(w), w.copy()
        for _ in range(6):
            current, velocity = optim.sgd_momentum(
                *_copies(current, gen.normal(size=(3, 4)), velocity), 0.1, momentum
            )
            path.append(np.array(current, copy=True))
        out[f"momentum{momentum:g}"] = np.array(path)
    return out


def _train_small(lib, seed, **options):
    net, gen = _net(lib, seed, D=4, H=6, C=3, scale=0.3)
    y = gen.integers(0, 3, size=40)
    X = gen.normal(size=(40, 4)) + 2.0 * np.eye(4)[y]
    history = net.train(
        X, y, X[:20], y[:20], num_iters=12, batch_size=10, reg=1e-3, rng=0, **options
    )
    out = {name: np.array(value, copy=True) for name, value in net.params.items()}
    out["loss_history"] = np.asarray(history["loss_history"], dtype=float)
    out["val_acc_history"] = np.asarray(history["val_acc_history"], dtype=float)
    return out


@check(
    "two_layer_net-test-training",
    "train with a learning rate halved after each of 3 epochs: the parameters after 12 steps",
    rtol=1e-7,
    atol=1e-10,
)
def train_with_decay(lib, inputs):
    return _train_small(lib, 50, learning_rate=0.2, learning_rate_decay=0.5)


@check(
    "two_layer_net-test-training",
    "train with momentum 0.9: the parameters after 12 steps",
    rtol=1e-7,
    atol=1e-10,
)
def train_with_momentum(lib, inputs):
    return _train_small(lib, 51, learning_rate=0.05, learning_rate_decay=1.0, momentum=0.9)


@check(
    "two_layer_net-test-training", "predict returns the class of the highest score", rtol=0, atol=0
)
def net_predict_fixed(lib, inputs):
    net, gen = _net(lib, 52, D=6, H=8, C=4)
    return {"pred": net.predict(gen.normal(size=(30, 6)))}


# ----------------------------------------------------------------------------- CIFAR-10


@check(
    "two_layer_net-test-tuning",
    f"a TwoLayerNet trained on CIFAR-10 with fixed settings "
    f"reaches {NET_BAR:.2f} validation accuracy",
    judge=accuracy_at_least(NET_BAR, "y_val"),
)
def net_train_cifar(lib, inputs):
    X_train = inputs("X_train")
    net = lib.classifiers.TwoLayerNet(X_train.shape[1], 50, 10, std=1e-4, rng=0)
    net.train(
        X_train,
        inputs("y_train"),
        learning_rate=2e-3,
        reg=0.1,
        num_iters=100,
        batch_size=200,
        rng=0,
    )
    return {"pred": net.predict(inputs("X_val"))}


@check(
    "features-test-net",
    f"a TwoLayerNet trained on HOG and colour features with fixed "
    f"settings reaches {FEATURES_NET_BAR:.2f} validation accuracy",
    judge=accuracy_at_least(FEATURES_NET_BAR, "y_val"),
)
def features_net_cifar(lib, inputs):
    F_train, F_val = standardized_features(lib, inputs)
    net = lib.classifiers.TwoLayerNet(F_train.shape[1], 200, 10, std=1e-2, rng=0)
    net.train(
        F_train,
        inputs("y_train"),
        learning_rate=0.1,
        reg=1e-3,
        num_iters=200,
        batch_size=200,
        rng=0,
    )
    return {"pred": net.predict(F_val)}


# ----------------------------------------------------------------------------- facts

_NET_RESULTS = "[[*key, *value] for key, value in {}.items()]"

FACTS.update(
    {
        "two_layer_net-test-tuning": {
            "results": _NET_RESULTS.format("results"),
            "best_val": "best_val",
            "val_pred": "best_net.predict(X_val)",
        },
        "features-test-net": {
            "results": _NET_RESULTS.format("net_results"),
            "best_val": "best_net_val",
            "val_pred": "best_feature_net.predict(F_val)",
            "test_pred": "best_feature_net.predict(F_test)",
        },
    }
)


def _judge_net_search(val_bar=None, test_bar=None):
    """The search's table, best accuracy and best net agree, and clear the bars."""

    def judge(facts, context):
        # [hidden_size, learning_rate, reg, num_epochs, train_acc, val_acc]
        table, best = results_table(facts, 6), number(facts.get("best_val"))
        if table is None:
            return (
                "results must map (hidden_size, learning_rate, reg, num_epochs) to "
                "(train accuracy, val accuracy)"
            )
        finite = table[:, 5][np.isfinite(table[:, 5])]
        if best is None or not len(finite) or best != finite.max():
            return "the best validation accuracy must be the best one in the results"
        pred, truth = np.asarray(facts.get("val_pred")), context["y_val"]
        if pred.shape != truth.shape or abs(float(np.mean(pred == truth)) - best) > 1e-12:
            return "the best net does not reach the best validation accuracy"
        if val_bar is not None and not best >= val_bar:
            return f"best validation accuracy {best:.3f}, expected at least {val_bar:.2f}"
        if test_bar is not None:
            return judge_test_predictions(facts, context, test_bar)
        return None

    return judge


FACT_JUDGES.update(
    {
        "two_layer_net-test-tuning": _judge_net_search(val_bar=NET_TUNED_BAR),
        "features-test-net": _judge_net_search(test_bar=FEATURES_NET_TEST_BAR),
    }
)
