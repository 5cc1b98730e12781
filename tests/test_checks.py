"""The hidden checks, their reference outputs and the grader's judgement, without a sandbox."""

import json
import os

import nbformat
import numpy as np
import pytest

from cs231n_lib.gradient_check import eval_numerical_gradient
from grading.coursedir import NOTEBOOKS, REPO
from grading.release.samples import graded_cells
from grading.run import checks, judge, references
from grading.run.probe import Lib


@pytest.fixture(scope="module")
def refs(tmp_path_factory):
    return references.build_references(
        tmp_path_factory.mktemp("refs") / "references", log=lambda *_: None
    )


def _reference_check(key):
    (found,) = [c for c in checks.CHECKS if c.key == key]
    return found


def test_every_test_cell_is_decided_by_checks_or_facts_and_every_rule_has_a_cell():
    cells = {grade_id for _, grade_id, _, _ in graded_cells()}
    decided = {c.grade_id for c in checks.CHECKS} | set(checks.FACTS)
    assert cells == decided
    assert set(checks.FACTS) == set(checks.FACT_JUDGES)
    keys = [c.key for c in checks.CHECKS]
    assert len(keys) == len(set(keys)), "two checks save their outputs under the same name"


def test_no_notebook_holds_hidden_tests_any_more():
    for nb in NOTEBOOKS:
        assert "HIDDEN TESTS" not in (REPO / "notebooks" / f"{nb}.ipynb").read_text()


def test_references_hold_the_lectures_hand_computed_values(refs):
    svm = references.load_reference(refs, _reference_check("svm_loss_naive_lecture"))
    assert svm["loss"] == pytest.approx((2.9 + 0.0 + 12.9) / 3, abs=1e-12)
    np.testing.assert_allclose(
        svm["grad"], np.array([[-1, 1, 0], [0, 0, 0], [1, 1, -2]]) / 3, atol=1e-12
    )
    softmax = references.load_reference(refs, _reference_check("softmax_loss_naive_lecture"))
    assert softmax["first_loss"] == pytest.approx(2.04, abs=0.005)
    assert (refs / references.MANIFEST).is_file()


def test_reference_gradients_agree_with_numerical_gradients(refs):
    gen = np.random.default_rng(32)  # the inputs of the *_random checks
    W, X, y = gen.normal(size=(7, 5)), gen.normal(size=(12, 7)), gen.integers(0, 5, 12)
    lib = Lib()
    for key, fn in (
        ("svm_loss_vectorized_random", lib.classifiers.svm_loss_naive),
        ("softmax_loss_vectorized_random", lib.classifiers.softmax_loss_naive),
    ):
        ref = references.load_reference(refs, _reference_check(key))
        numerical = eval_numerical_gradient(lambda w, fn=fn: fn(w, X, y, 0.7)[0], W.copy())
        np.testing.assert_allclose(ref["grad2"], numerical, rtol=1e-5, atol=1e-7)
        assert ref["loss2"] - ref["loss0"] == pytest.approx(0.7 * np.sum(W * W), rel=1e-9)


def test_references_are_rebuilt_when_the_sources_change(refs, monkeypatch):
    built = []
    current = references.source_hash(REPO)
    monkeypatch.setattr(references, "build_references", lambda *a, **k: built.append(a))
    references.ensure_references(refs, log=lambda *_: None)
    assert built == []
    manifest = json.loads((refs / references.MANIFEST).read_text())
    monkeypatch.setattr(references, "source_hash", lambda repo: "changed")
    references.ensure_references(refs, log=lambda *_: None)
    assert len(built) == 1
    assert built[0][0] == refs  # rebuilt where they were
    assert manifest["source_hash"] != "changed"
    assert manifest["source_hash"] == current  # the hash of the sources they were built from


def _probe(tmp_path, lib, ids):
    return judge.run_in_process(lib, ids)


REFERENCE_CELLS = {
    "knn-test-two-loops": 3,
    "svm-test-naive-loss": 4,
    "softmax-test-vectorized-loss": 4,
    "knn-test-cross-validation": 3,
}


def test_the_instructors_package_passes_every_reference_compared_cell(tmp_path, refs):
    results = _probe(tmp_path, Lib(), REFERENCE_CELLS)
    verdicts = judge.judge_cells(REFERENCE_CELLS, results, refs, {}, None)
    assert all(v.passed for v in verdicts.values()), {g: v.problems for g, v in verdicts.items()}
    assert sum(v.score for v in verdicts.values()) == 14


class _Broken(Lib):
    """The instructor's package with one function wrong by a little."""

    def __getattr__(self, name):
        module = super().__getattr__(name)
        if name != "classifiers":
            return module

        class Classifiers:
            def __getattr__(self, attr):
                return getattr(module, attr)

        wrapped = Classifiers()

        class LinearSvm:
            def __getattr__(self, attr):
                return getattr(module.linear_svm, attr)

            @staticmethod
            def svm_loss_naive(W, X, y, reg):
                loss, grad = module.svm_loss_naive(W, X, y, reg)
                return loss, grad * 1.01

        wrapped.linear_svm = LinearSvm()
        return wrapped


def test_a_slightly_wrong_gradient_fails_its_cell_with_the_reason(tmp_path, refs):
    results = _probe(tmp_path, _Broken(), {"svm-test-naive-loss"})
    (verdict,) = judge.judge_cells({"svm-test-naive-loss": 4}, results, refs, {}, None).values()
    assert not verdict.passed
    assert verdict.score == 0
    assert any("grad: differs from the expected value" in p for p in verdict.problems)


def test_outputs_that_are_not_number_arrays_are_not_judged(tmp_path, refs):
    """An object array, a missing output, a check that did not run: all fail the cell."""
    results = _probe(tmp_path, _Broken(), {"svm-test-naive-loss"})
    check = _reference_check("svm_loss_naive_random")
    arrays, status = results[check.key]
    assert judge._arrays({"grad0": np.array([object()], dtype=object)}) == {}
    assert set(
        judge._arrays({"ok": [1.0, 2.0], "big": np.zeros(judge.MAX_ARRAY_BYTES // 8 + 1)})
    ) == {"ok"}
    forged = {k: v for k, v in arrays.items() if not k.startswith("grad")}
    (verdict,) = judge.judge_cells(
        {"svm-test-naive-loss": 4}, results | {check.key: (forged, status)}, refs, {}, None
    ).values()
    assert any(
        "random problem, with regularization: grad" in p and "no value returned" in p
        for p in verdict.problems
    )
    (verdict,) = judge.judge_cells(
        {"svm-test-naive-loss": 4}, results | {check.key: (None, None)}, refs, {}, None
    ).values()
    assert any("did not run" in p for p in verdict.problems)


def test_an_exception_in_the_students_code_is_reported(tmp_path, refs):
    class Raising(Lib):
        def __getattr__(self, name):
            raise NotImplementedError("KNearestNeighbor.compute_distances_two_loops: write it")

    results = _probe(tmp_path, Raising(), {"knn-test-two-loops"})
    (verdict,) = judge.judge_cells({"knn-test-two-loops": 3}, results, refs, {}, None).values()
    assert not verdict.passed
    assert "raised NotImplementedError: KNearestNeighbor" in verdict.problems[0]


def _facts(tmp_path, grade_id, namespace):
    """Run the grader's fact cell in ``namespace``, in tmp_path; return what the judge reads."""
    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        exec(judge.fact_cell_source(grade_id), namespace)
    finally:
        os.chdir(cwd)
    return judge.read_facts(tmp_path, grade_id)


def test_fact_cells_record_notebook_values_as_json(tmp_path):
    facts = _facts(tmp_path, "knn-test-best-k", {"best_k": np.int64(10), "k_choices": [1, 10]})
    assert facts == {"best_k": 10, "k_choices": [1, 10]}
    broken = _facts(tmp_path, "knn-test-best-k", {"k_choices": [1]})
    assert broken["__error__"].startswith("NameError")


def test_best_k_is_judged_against_the_reference_cross_validation():
    means = np.linspace(0.2, 0.3, len(checks.COURSE_KS))
    means[4] = 0.295  # k = 10 is within 0.01 of the best (k = 100)
    context = {"knn_cv_means": means}
    assert checks.FACT_JUDGES["knn-test-best-k"]({"best_k": 100}, context) is None
    assert checks.FACT_JUDGES["knn-test-best-k"]({"best_k": 10}, context) is None
    assert "best cross-validation" in checks.FACT_JUDGES["knn-test-best-k"]({"best_k": 1}, context)
    assert "integer" in checks.FACT_JUDGES["knn-test-best-k"]({"best_k": 10.0}, context)
    assert "not one of" in checks.FACT_JUDGES["knn-test-best-k"]({"best_k": 7}, context)


def test_search_facts_must_agree_with_the_graders_labels():
    y_val = np.arange(100) % 10
    pred = y_val.copy()
    pred[:60] = (pred[:60] + 1) % 10  # 0.40 accuracy
    results = [[1e-7, 1e4, 0.5, 0.40], [1e-6, 1e4, 0.3, 0.2]]
    facts = {"results": results, "best_val": 0.40, "val_pred": pred.tolist()}
    judge_fn = checks.FACT_JUDGES["softmax-test-tuning"]
    assert judge_fn(facts, {"y_val": y_val}) is None
    lying = dict(facts, best_val=0.2)
    assert "best_val must be the best" in judge_fn(lying, {"y_val": y_val})
    inflated = dict(facts, results=[[1e-7, 1e4, 0.5, 0.9]], best_val=0.9)
    assert "does not reach best_val" in judge_fn(inflated, {"y_val": y_val})


def test_judge_cells_reports_a_missing_fact_file(tmp_path):
    (verdict,) = judge.judge_cells(
        {"features-test-test-accuracy": 2}, {}, None, {"y_test": np.zeros(3)}, tmp_path
    ).values()
    assert verdict.problems == ["notebook: the notebook did not get as far as this test cell"]


def test_fact_cells_are_inserted_before_their_test_cells(tmp_path):
    path = tmp_path / "svm.ipynb"
    path.write_text((REPO / "assignment1" / "svm.ipynb").read_text())
    judge.insert_fact_cells(path)
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    ids = [c.get("id") for c in nb.cells]
    i = ids.index("grader-facts-svm-test-tuning")
    assert nb.cells[i + 1].metadata["nbgrader"]["grade_id"] == "svm-test-tuning"
    assert sum(1 for c in nb.cells if c.metadata.get("cs231n", {}).get("grader")) == 1
