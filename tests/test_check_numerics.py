"""The hidden checks on hostile rows tell a loss computed row by row from one computed globally.

Each loss has a check on :func:`grading.run.check_base.hostile_scores`: rows in the thousands,
near 0, near -1e4, all equal, and mixed. Here every check of those losses' test cells
runs on a fake package whose losses are student variants, reached as the checks reach a
package (attribute access and calls); the outputs, as arrays, are compared with the
reference outputs of the instructor's package (:mod:`grading.run.references`) by the
grader's own comparison (``grading.run.judge._compare``), and a cell earns its points when
every one of its checks passes. A softmax shifted by each row's largest score, by
log-sum-exp (scipy) or by ``np.logaddexp`` keeps every point; one shifted by nothing,
by one global maximum, by column maxima or by row means loses the points of every cell
it is checked in, on the hostile rows.
"""

from __future__ import annotations

import types

import numpy as np
import pytest
from scipy.special import logsumexp

from grading.release.samples import graded_cells
from grading.run import check_base, checks, judge, references
from grading.run.probe import Lib, input_loader

POINTS = {grade_id: points for _, grade_id, points, _ in graded_cells()}
SOFTMAX_CELLS = (
    "softmax-test-naive-loss",
    "softmax-test-vectorized-loss",
    "two_layer_net-test-losses",
    "two_layer_net-test-net-loss",
)
SVM_CELLS = (
    "svm-test-naive-loss",
    "svm-test-vectorized-loss",
    "svm-test-squared-hinge",
    "two_layer_net-test-losses",
)
LOSS_CELLS = tuple(dict.fromkeys(SOFTMAX_CELLS + SVM_CELLS))
HOSTILE = {
    "svm_loss_naive_hostile_rows",
    "svm_loss_vectorized_hostile_rows",
    "svm_loss_naive_squared_hostile_rows",
    "svm_loss_vectorized_squared_hostile_rows",
    "softmax_loss_naive_hostile_rows",
    "softmax_loss_vectorized_hostile_rows",
    "softmax_loss_hostile_rows",
    "svm_loss_hostile_rows",
    "net_loss_hostile_rows",
}


# ----------------------------------------------------------------------------- variants
# A softmax variant is ``core(scores, y) -> (loss, dscores)``: the mean loss of (N, C)
# scores and its gradient with respect to them.


def _softmax_from_log_normalizer(log_normalizer):
    """The softmax loss, given how a variant computes each row's log(sum(exp(scores)))."""

    def core(scores, y):
        rows = np.arange(len(y))
        lse = log_normalizer(scores)  # (N,)
        dscores = np.exp(scores - lse[:, None])  # the probabilities, (N, C)
        dscores[rows, y] -= 1.0
        return float(np.mean(lse - scores[rows, y])), dscores / len(y)

    return core


def _softmax_shifted_by(shift):
    """The textbook softmax: ``scores - shift(scores)``, probabilities, ``-log p_y``."""

    def core(scores, y):
        rows = np.arange(len(y))
        exp_scores = np.exp(scores - shift(scores))  # (N, C)
        probs = exp_scores / exp_scores.sum(axis=1, keepdims=True)
        loss = float(-np.mean(np.log(probs[rows, y])))
        probs[rows, y] -= 1.0
        return loss, probs / len(y)

    return core


CORRECT_SOFTMAX = {
    "the instructor's (each row's largest score subtracted)": None,
    "log-sum-exp of scipy": _softmax_from_log_normalizer(lambda s: logsumexp(s, axis=1)),
    "np.logaddexp.reduce": _softmax_from_log_normalizer(lambda s: np.logaddexp.reduce(s, axis=1)),
    "each row's largest score subtracted, then -log(probability)": _softmax_shifted_by(
        lambda s: s.max(axis=1, keepdims=True)
    ),
}
WRONG_SOFTMAX = {
    "exp without any shift": _softmax_shifted_by(lambda s: 0.0),
    "one global maximum subtracted": _softmax_shifted_by(lambda s: s.max()),
    "each column's maximum subtracted (the wrong axis)": _softmax_shifted_by(
        lambda s: s.max(axis=0, keepdims=True)
    ),
    "each row's mean subtracted": _softmax_shifted_by(lambda s: s.mean(axis=1, keepdims=True)),
}


def _svm_subtracting_delta(scores, y, squared_hinge=False):
    """A correct SVM: every margin kept, the correct class's (exactly Δ = 1) taken out after."""
    rows, num_examples = np.arange(len(y)), len(y)
    margins = np.maximum(scores - scores[rows, y][:, None] + 1.0, 0.0)  # (N, C)
    if squared_hinge:
        loss = (np.sum(margins**2) - num_examples) / num_examples
        dscores = 2 * margins
    else:
        loss = (margins.sum() - num_examples) / num_examples
        dscores = (margins > 0).astype(float)
    dscores[rows, y] = 0.0
    dscores[rows, y] = -dscores.sum(axis=1)
    return float(loss), dscores / num_examples


def _linear(core):
    """A loss ``(W, X, y, reg, **options) -> (loss, dW)`` around ``core``, with L2."""

    def loss_fn(W, X, y, reg, **options):
        loss, dscores = core(X @ W, y, **options)  # scores (N, C)
        return loss + reg * np.sum(W * W), X.T @ dscores + 2 * reg * W  # dW (D, C)

    return loss_fn


def _fake_lib(monkeypatch, softmax=None, svm=None):
    """A package whose softmax (or SVM) losses are ``softmax`` (``svm``); the rest is the
    instructor's. Reached, as the checks reach a package, by attribute access and calls."""
    if softmax is None and svm is None:
        return Lib()
    real = Lib().classifiers
    layers = types.SimpleNamespace(**{n: getattr(real.layers, n) for n in real.layers.__all__})
    softmax_module = real.softmax
    linear_svm = real.linear_svm
    if softmax is not None:
        layers.softmax_loss = softmax
        softmax_module = types.SimpleNamespace(
            softmax_loss_naive=_linear(softmax), softmax_loss_vectorized=_linear(softmax)
        )
        # The instructor's net calls the layer its module imported: the variant's.
        monkeypatch.setattr(real.neural_net, "softmax_loss", softmax)
    if svm is not None:
        layers.svm_loss = svm
        linear_svm = types.SimpleNamespace(
            svm_loss_naive=_linear(svm), svm_loss_vectorized=_linear(svm)
        )
    classifiers = types.SimpleNamespace(
        softmax=softmax_module, linear_svm=linear_svm, layers=layers, TwoLayerNet=real.TwoLayerNet
    )
    return types.SimpleNamespace(classifiers=classifiers)


# ----------------------------------------------------------------------------- grading


@pytest.fixture(scope="module")
def refs(tmp_path_factory):
    return references.build_references(
        tmp_path_factory.mktemp("refs") / "references", log=lambda *_: None
    )


def _outputs(check, lib):
    """What ``check`` returns on ``lib``, as the arrays the grader compares."""
    return {key: np.asarray(value) for key, value in check.run(lib, input_loader(None)).items()}


def _grade(lib, cells, refs):
    """{grade_id: {check key: problem}} of ``lib`` on every check of ``cells``.

    A cell earns its points exactly when its dict is empty.
    """
    verdicts = {}
    for grade_id in cells:
        verdicts[grade_id] = {}
        for check in checks.checks_for(grade_id):
            assert check.judge is None, "every check of a loss is compared with a reference"
            try:
                outputs = _outputs(check, lib)
            except Exception as error:  # the grader: "raised ..."
                verdicts[grade_id][check.key] = f"raised {type(error).__name__}: {error}"
                continue
            problem = judge._compare(outputs, references.load_reference(refs, check), check)
            if problem:
                verdicts[grade_id][check.key] = problem
    return verdicts


def _score(verdicts):
    return sum(POINTS[g] for g, problems in verdicts.items() if not problems)


# ----------------------------------------------------------------------------- tests


def test_every_loss_has_one_check_on_hostile_rows_in_its_cell():
    hostile = {c.key: c for c in checks.CHECKS if c.key.endswith("_hostile_rows")}
    assert set(hostile) == HOSTILE
    assert {c.grade_id for c in hostile.values()} == set(LOSS_CELLS)
    for c in hostile.values():
        assert c.rtol == check_base.HOSTILE_RTOL
        assert c.atol == (1e-6 if c.key == "net_loss_hostile_rows" else check_base.HOSTILE_ATOL)
        assert c in references.reference_checks(), "compared with the instructor's outputs"


def test_the_hostile_scores_are_hostile_and_fair():
    scores, y, magnitudes = check_base.hostile_scores()
    rows = np.arange(len(y))
    W, X = scores / magnitudes[:, None], np.diag(magnitudes)
    assert np.array_equal(X @ W, scores), "X @ W must give the scores exactly"
    row_max = scores.max(axis=1)
    assert row_max.max() >= 1e3, "a row in the thousands"
    assert row_max.min() <= -1e4 + 1, "a row at -1e4"
    assert np.any(np.abs(scores).max(axis=1) < 1e-2), "a row near zero"
    assert np.any(np.ptp(scores, axis=1) == 0), "a row of equal scores"
    # Fair: no correct class's probability underflows, no SVM margin near its kink.
    assert np.all(row_max - scores[rows, y] <= 15)
    margins = scores - scores[rows, y][:, None] + 1.0  # (N, C)
    assert np.min(np.abs(margins[np.arange(scores.shape[1]) != y[:, None]])) > 0.5
    # Hostile: one global shift leaves rows whose exponentials all underflow.
    with np.errstate(all="ignore"):
        assert np.any(np.exp(scores - scores.max()).sum(axis=1) == 0)
        assert not np.all(np.isfinite(np.exp(scores)))
    assert check_base.hostile_scores()[0] is not scores, "new arrays at every call"


@pytest.mark.parametrize("variant", list(CORRECT_SOFTMAX))
def test_a_correct_softmax_keeps_every_point(variant, refs, monkeypatch):
    lib = _fake_lib(monkeypatch, softmax=CORRECT_SOFTMAX[variant])
    verdicts = _grade(lib, LOSS_CELLS, refs)
    assert {g: problems for g, problems in verdicts.items() if problems} == {}
    assert _score(verdicts) == sum(POINTS[g] for g in LOSS_CELLS)


@pytest.mark.parametrize("variant", list(WRONG_SOFTMAX))
def test_a_softmax_stable_only_for_uniform_shifts_loses_the_points(variant, refs, monkeypatch):
    lib = _fake_lib(monkeypatch, softmax=WRONG_SOFTMAX[variant])
    verdicts = _grade(lib, LOSS_CELLS, refs)
    hostile = {
        "softmax-test-naive-loss": "softmax_loss_naive_hostile_rows",
        "softmax-test-vectorized-loss": "softmax_loss_vectorized_hostile_rows",
        "two_layer_net-test-losses": "softmax_loss_hostile_rows",
        "two_layer_net-test-net-loss": "net_loss_hostile_rows",
    }
    for grade_id, key in hostile.items():
        assert "expected finite values, got NaN or inf" in verdicts[grade_id].get(key, ""), (
            grade_id,
            verdicts[grade_id],
        )
    others = set(LOSS_CELLS) - set(hostile)  # the SVM's
    assert _score(verdicts) == sum(POINTS[g] for g in others)


def test_one_global_maximum_passes_every_other_check_and_fails_only_on_hostile_rows(
    refs, monkeypatch
):
    """Without the hostile rows, a global shift earned full marks: the scores near 1000
    of the other checks are all shifted by the same amount."""
    lib = _fake_lib(monkeypatch, softmax=WRONG_SOFTMAX["one global maximum subtracted"])
    verdicts = _grade(lib, SOFTMAX_CELLS, refs)
    failed = set().union(*verdicts.values())
    assert failed == {k for k in HOSTILE if "softmax" in k or "net" in k}


def _worst_share_of_tolerance(got, check, refs):
    """The largest ``|got - want| / (atol + rtol |want|)`` of ``check``'s outputs ``got``."""
    want = references.load_reference(refs, check)
    assert set(got) == set(want), check.key
    return max(
        float(np.max(np.abs(got[k] - want[k]) / (check.atol + check.rtol * np.abs(want[k]))))
        for k in want
    )


@pytest.mark.parametrize("variant", [v for v, core in CORRECT_SOFTMAX.items() if core])
def test_correct_softmaxes_agree_far_within_the_tolerance(variant, refs, monkeypatch):
    """On the hostile rows, another order of the arithmetic stays under a tenth of what the
    tolerance allows: it never costs points."""
    lib = _fake_lib(monkeypatch, softmax=CORRECT_SOFTMAX[variant])
    hostile = [c for c in checks.CHECKS if c.key in HOSTILE and "svm" not in c.key]
    worst = {c.key: _worst_share_of_tolerance(_outputs(c, lib), c, refs) for c in hostile}
    assert max(worst.values()) < 0.1, worst


@pytest.mark.parametrize("variant", ["the instructor's", "Δ taken out after the margins"])
def test_a_correct_svm_keeps_every_point(variant, refs, monkeypatch):
    svm = None if variant == "the instructor's" else _svm_subtracting_delta
    lib = _fake_lib(monkeypatch, svm=svm)
    verdicts = _grade(lib, SVM_CELLS, refs)
    assert {g: problems for g, problems in verdicts.items() if problems} == {}
    assert _score(verdicts) == sum(POINTS[g] for g in SVM_CELLS)


def _reference(refs, key):
    (check,) = [c for c in checks.CHECKS if c.key == key]
    return references.load_reference(refs, check)


def test_the_references_on_hostile_rows_are_the_definitions(refs):
    """The instructor's outputs, against the losses written out: scipy's log-sum-exp for
    the softmax, a loop over the margins for the SVM; the linear losses' gradients are
    the layers' times X = diag(magnitudes)."""
    scores, y, magnitudes = check_base.hostile_scores()
    rows, num_examples = np.arange(len(y)), len(y)
    softmax_loss = np.mean(logsumexp(scores, axis=1) - scores[rows, y])
    margins = [
        max(0.0, scores[i, j] - scores[i, y[i]] + 1.0)
        for i in rows
        for j in range(scores.shape[1])
        if j != y[i]
    ]
    svm_loss = sum(margins) / num_examples
    squared_loss = sum(m * m for m in margins) / num_examples
    layer = {
        "softmax": _reference(refs, "softmax_loss_hostile_rows"),
        "svm": _reference(refs, "svm_loss_hostile_rows"),
    }
    np.testing.assert_allclose(layer["softmax"]["loss"], softmax_loss, rtol=1e-12)
    np.testing.assert_allclose(layer["svm"]["loss"], svm_loss, rtol=1e-12)
    np.testing.assert_allclose(
        _reference(refs, "net_loss_hostile_rows")["loss"], softmax_loss, rtol=1e-12
    )
    for key, loss, dscores in (
        ("softmax_loss_naive_hostile_rows", softmax_loss, layer["softmax"]["dscores"]),
        ("softmax_loss_vectorized_hostile_rows", softmax_loss, layer["softmax"]["dscores"]),
        ("svm_loss_naive_hostile_rows", svm_loss, layer["svm"]["dscores"]),
        ("svm_loss_vectorized_hostile_rows", svm_loss, layer["svm"]["dscores"]),
        ("svm_loss_naive_squared_hostile_rows", squared_loss, None),
        ("svm_loss_vectorized_squared_hostile_rows", squared_loss, None),
    ):
        ref = _reference(refs, key)
        np.testing.assert_allclose(ref["loss"], loss, rtol=1e-12, err_msg=key)
        if dscores is not None:
            np.testing.assert_allclose(
                ref["grad"], magnitudes[:, None] * dscores, rtol=1e-12, atol=1e-12, err_msg=key
            )
