"""The two-layer net's hidden checks against classic backprop bugs and correct variants.

Each case is the instructor's package with one edit in a solution region, graded as a
submission's package is: the checks call a copy of the package in a sandboxed process
(:func:`grading.run.judge.run_probes`), and the grader judges its outputs against the reference
outputs. Every classic bug must lose the points of the cells it breaks, and only those;
every correct variant (in-place masks, einsum, other cache layouts, another momentum
formulation...) must keep every point, the CIFAR-10 checks included.
"""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from grading.coursedir import REPO
from grading.release.samples import graded_cells
from grading.run import checks, judge, references

LAYERS = "cs231n_lib/classifiers/layers.py"
NET = "cs231n_lib/classifiers/neural_net.py"
OPTIM = "cs231n_lib/classifiers/optim.py"

NET_CELLS = {
    gid: points
    for nb, gid, points, _ in graded_cells()
    if nb == "two_layer_net" or gid == "features-test-net"
}
# The cells whose checks need no CIFAR-10 data (the rest train on the grading images).
OFFLINE = {
    "two_layer_net-test-affine",
    "two_layer_net-test-relu",
    "two_layer_net-test-losses",
    "two_layer_net-test-net-loss",
    "two_layer_net-test-training",
}

RELU_BACKWARD = "    dx = np.where(x > 0, dout, 0.0)\n"
REG_W1 = '            grads["W1"] += (2 * reg) * W1\n'
REG_W2 = '            grads["W2"] += (2 * reg) * W2\n'

# name: ([(file, old, new), ...], the cells that must lose their points)
BUGS = {
    "ReLU gradient passes negative inputs": (
        [(LAYERS, RELU_BACKWARD, "    dx = np.array(dout, copy=True)\n")],
        {"two_layer_net-test-relu", "two_layer_net-test-net-loss", "two_layer_net-test-training"},
    ),
    "ReLU gradient passes inputs of exactly 0": (
        [(LAYERS, RELU_BACKWARD, "    dx = np.where(x >= 0, dout, 0.0)\n")],
        {"two_layer_net-test-relu"},
    ),
    "bias gradient summed over the wrong axis": (
        [(LAYERS, "    db = dout.sum(axis=0)", "    db = dout.sum(axis=1)")],
        {
            "two_layer_net-test-affine",
            "two_layer_net-test-relu",
            "two_layer_net-test-net-loss",
            "two_layer_net-test-training",
        },
    ),
    "regularization missing from W1's gradient": (
        [(NET, REG_W1, "")],
        {"two_layer_net-test-net-loss", "two_layer_net-test-training"},
    ),
    "regularization missing from W2's gradient": (
        [(NET, REG_W2, "")],
        {"two_layer_net-test-net-loss", "two_layer_net-test-training"},
    ),
    "regularization counted twice in W2's gradient": (
        [(NET, REG_W2, REG_W2 * 2)],
        {"two_layer_net-test-net-loss", "two_layer_net-test-training"},
    ),
    "regularization counted twice in the loss": (
        [(NET, "    loss = data_loss + reg * (", "    loss = data_loss + 2 * reg * (")],
        {"two_layer_net-test-net-loss", "two_layer_net-test-training"},
    ),
    "softmax gradient not divided by N": (
        [
            (
                LAYERS,
                "    dscores[rows, y] -= 1.0\n    dscores /= num_examples\n",
                "    dscores[rows, y] -= 1.0\n",
            )
        ],
        {"two_layer_net-test-losses", "two_layer_net-test-net-loss", "two_layer_net-test-training"},
    ),
    "momentum update with the wrong sign": (
        [(OPTIM, "    next_w = w + next_velocity", "    next_w = w - next_velocity")],
        {"two_layer_net-test-training"},
    ),
    "no learning-rate decay": (
        [(NET, "                learning_rate *= learning_rate_decay\n", "")],
        {"two_layer_net-test-training"},
    ),
    "momentum ignored by train": (
        [(NET, "                if momentum > 0:", "                if False:")],
        {"two_layer_net-test-training"},
    ),
}

VARIANTS = {
    "ReLU mask applied in place to dout": [
        (LAYERS, RELU_BACKWARD, "    dout[x <= 0] = 0\n    dx = dout\n")
    ],
    "ReLU cache holds the output, not the input": [
        (
            LAYERS,
            "    out = np.maximum(x, 0)\n    cache = x\n",
            "    out = np.maximum(x, 0)\n    cache = out\n",
        ),
        (
            LAYERS,
            '    x = cache\n    dout = check_upstream(dout, x.shape, "relu_forward")\n',
            "    x = cache\n",
        ),
        (LAYERS, RELU_BACKWARD, "    dx = dout * (x > 0)\n"),
    ],
    "affine layer with einsum and a dict cache": [
        (
            LAYERS,
            "    out = x @ w + b  # (N, H); b is broadcast over the rows\n    cache = (x, w)\n",
            "    out = np.einsum('nd,dh->nh', x, w) + b\n    cache = {'w': w, 'x': x, 'b': b}\n",
        ),
        (
            LAYERS,
            "    x, w = cache\n    dout = check_upstream(dout, (x.shape[0], w.shape[1]), "
            '"affine_forward")\n    dx = dout @ w.T  # (N, D)\n    dw = x.T @ dout',
            "    x, w = cache['x'], cache['w']\n    dx = np.einsum('nh,dh->nd', dout, w)\n"
            "    dw = np.einsum('nd,nh->dh', x, dout)",
        ),
        (LAYERS, "    db = dout.sum(axis=0)", "    db = np.einsum('nh->h', dout)"),
    ],
    "softmax through log-sum-exp and a one-hot matrix": [
        (
            LAYERS,
            "    dscores = exp_scores / exp_sums[:, None]  # the probabilities, (N, C)\n"
            "    dscores[rows, y] -= 1.0\n    dscores /= num_examples\n",
            "    log_probs = shifted - np.log(exp_sums)[:, None]\n"
            "    one_hot = np.eye(scores.shape[1])[y]\n"
            "    dscores = (np.exp(log_probs) - one_hot) / num_examples\n",
        )
    ],
    "net built on the affine-ReLU sandwich (computing the unused dX)": [
        (
            NET,
            "        a, _ = affine_forward(X, W1, b1)  # (N, H)\n"
            "        hidden, relu_cache = relu_forward(a)  # (N, H)\n",
            "        from .layers import affine_relu_backward, affine_relu_forward\n"
            "        hidden, sandwich_cache = affine_relu_forward(X, W1, b1)\n",
        ),
        (
            NET,
            "        da = relu_backward(dhidden, relu_cache)  # (N, H)\n",
            "        _, grads['W1'], grads['b1'] = affine_relu_backward(dhidden, sandwich_cache)\n",
        ),
        (
            NET,
            '        grads["W1"] = X.T @ da  # (D, H)\n        grads["b1"] = da.sum(axis=0)\n',
            "",
        ),
        (NET, "        if reg:\n", "        if True:\n"),
    ],
    "momentum as velocity of gradients (v = mu v + dw; w -= lr v)": [
        (
            OPTIM,
            "    next_velocity = momentum * velocity - learning_rate * dw\n"
            "    next_w = w + next_velocity\n",
            "    next_velocity = momentum * velocity + dw\n"
            "    next_w = w - learning_rate * next_velocity\n",
        )
    ],
    "in-place updates and a decay written out": [
        (
            NET,
            "                    self.params[name] = sgd(w, grads[name], learning_rate)\n",
            "                    w -= learning_rate * grads[name]\n",
        ),
        (
            NET,
            "                learning_rate *= learning_rate_decay\n",
            "                learning_rate = learning_rate * learning_rate_decay\n",
        ),
    ],
}


def _package(root, edits):
    """A copy of the instructor's package at ``root/cs231n_lib`` with ``edits`` applied."""
    shutil.copytree(
        REPO / "cs231n_lib", root / "cs231n_lib", ignore=shutil.ignore_patterns("__pycache__")
    )
    for relpath, old, new in edits:
        path = root / relpath
        text = path.read_text()
        assert text.count(old) == 1, f"{relpath}: the edit does not apply: {old!r}"
        path.write_text(text.replace(old, new))
    return root


def _grade(root, cells, references_dir, inputs_dir=None, context=None):
    """{grade_id: Verdict} of the package in ``root``, probed in a sandboxed process."""
    results = judge.run_probes(
        root / "cs231n_lib", root / "probe", inputs_dir, list(cells), timeout=300
    )
    return judge.judge_cells(cells, results, references_dir, context or {}, None)


@pytest.fixture(scope="module")
def refs(tmp_path_factory):
    return references.build_references(
        tmp_path_factory.mktemp("refs") / "references", log=lambda *_: None
    )


def test_every_net_cell_is_covered_by_these_cases():
    assert set(NET_CELLS) - OFFLINE == {"two_layer_net-test-tuning", "features-test-net"}
    broken = set().union(*(cells for _, cells in BUGS.values()))
    assert broken == OFFLINE


def test_the_instructors_package_passes_every_offline_cell(tmp_path, refs):
    cells = {g: NET_CELLS[g] for g in OFFLINE}
    verdicts = _grade(_package(tmp_path, []), cells, refs)
    assert {g: v.problems for g, v in verdicts.items() if not v.passed} == {}


@pytest.mark.parametrize("bug", list(BUGS))
def test_a_classic_bug_loses_the_points_of_the_cells_it_breaks(bug, tmp_path, refs):
    edits, broken = BUGS[bug]
    cells = {g: NET_CELLS[g] for g in OFFLINE}
    verdicts = _grade(_package(tmp_path, edits), cells, refs)
    failed = {g for g, v in verdicts.items() if not v.passed}
    assert failed == broken, {g: verdicts[g].problems for g in failed ^ broken}
    for grade_id in broken:
        assert verdicts[grade_id].score == 0
        assert verdicts[grade_id].problems


@pytest.fixture(scope="module")
def class_data(tmp_path_factory, cifar_root):
    """The probe inputs and the judging context of a class, from the real CIFAR-10."""
    inputs, context = judge.prepare_class(cifar_root, tmp_path_factory.mktemp("class"))
    return inputs, judge.load_context(context)


@pytest.mark.cifar
@pytest.mark.parametrize("variant", list(VARIANTS))
def test_a_correct_variant_keeps_every_point(variant, tmp_path, refs, class_data):
    inputs, context = class_data
    cells = {g: p for g, p in NET_CELLS.items() if checks.checks_for(g)}
    verdicts = _grade(_package(tmp_path, VARIANTS[variant]), cells, refs, inputs, context)
    # The notebook's own facts are not recorded here (no notebook runs): every check is.
    problems = {
        g: [p for p in v.problems if not p.startswith("notebook:")] for g, v in verdicts.items()
    }
    assert {g: p for g, p in problems.items() if p} == {}
    # Every net cell has checks (the CIFAR-10 ones too), and each got a verdict here.
    assert set(cells) == set(NET_CELLS)
    assert set(verdicts) == set(cells)


def test_a_bug_is_reported_with_the_failing_check_and_the_size_of_the_difference(tmp_path, refs):
    edits, _ = BUGS["regularization missing from W1's gradient"]
    verdict = _grade(_package(tmp_path, edits), {"two_layer_net-test-net-loss": 4}, refs)[
        "two_layer_net-test-net-loss"
    ]
    (problem,) = verdict.problems
    assert problem.startswith(
        "TwoLayerNet.loss and every gradient, with and without regularization: W1_"
    )
    assert "differs from the expected value by up to" in problem
    assert float(problem.rsplit(" ", 1)[1]) > 0.01


def test_the_bug_cases_are_bugs_numerically():
    """Spot check outside the grader: the W2-twice bug doubles W2's penalty gradient."""
    from cs231n_lib.classifiers import TwoLayerNet

    net = TwoLayerNet(3, 4, 2, std=0.5, rng=0)
    X, y = np.ones((2, 3)), np.array([0, 1])
    _, with_reg = net.loss(X, y, reg=0.5)
    _, without = net.loss(X, y, reg=0.0)
    np.testing.assert_allclose(with_reg["W2"] - without["W2"], 2 * 0.5 * net.params["W2"])


def test_the_search_facts_must_agree_with_each_other_and_the_graders_labels():
    y_val, y_test = np.arange(100) % 10, np.arange(200) % 10
    val_pred, test_pred = y_val.copy(), y_test.copy()
    val_pred[:40] = (val_pred[:40] + 1) % 10  # 0.60 on validation
    test_pred[:60] = (test_pred[:60] + 1) % 10  # 0.70 on test
    results = [[100, 1e-3, 0.5, 10, 0.7, 0.60], [200, 1e-3, 0.5, 10, 0.6, 0.5]]
    facts = {
        "results": results,
        "best_val": 0.60,
        "val_pred": val_pred.tolist(),
        "test_pred": test_pred.tolist(),
    }
    context = {"y_val": y_val, "y_test": y_test}
    tuning, on_features = (
        checks.FACT_JUDGES[g] for g in ("two_layer_net-test-tuning", "features-test-net")
    )
    assert tuning(facts, context) is None
    assert on_features(facts, context) is None
    assert "must be the best one" in tuning(dict(facts, best_val=0.5), context)
    inflated = dict(facts, results=[[100, 1e-3, 0.5, 10, 0.7, 0.9]], best_val=0.9)
    assert "does not reach the best validation accuracy" in tuning(inflated, context)
    assert "(hidden_size, learning_rate" in tuning(dict(facts, results=[[1, 2]]), context)
    poor = dict(
        facts,
        results=[[100, 1e-3, 0.5, 10, 0.3, 0.2]],
        best_val=0.2,
        val_pred=np.where(np.arange(100) < 20, y_val, (y_val + 1) % 10).tolist(),
    )
    assert "expected at least 0.25" in tuning(poor, context)
    bad_test = dict(facts, test_pred=((y_test + 1) % 10).tolist())
    assert "test accuracy 0.000, expected at least 0.40" in on_features(bad_test, context)
