"""Submissions that attack the grader gain nothing (tests/attacks.py builds them).

One class is graded once (module fixture, ``--jobs 2``): the honest half-done
submission, one copy of it per attack, and two bystanders (the complete and the
untouched samples). Every attack must earn exactly the honest submission's points,
the bystanders exactly theirs, and no secret may be read or written.
"""

from __future__ import annotations

import csv
import hashlib
import json
import sys
from pathlib import Path

import pytest

from grading.course.autograde import autograde_class
from grading.coursedir import ASSIGNMENT, NOTEBOOKS, REPO
from grading.references import REFERENCES
from grading.samples import HALF_DONE, all_parts, expected_points, make_submission
from tests.attacks import attack_sources, make_attacks

pytestmark = pytest.mark.cifar

CELL_TIMEOUT = 40  # the infinite loops each cost this much


def _digest(path):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest() if Path(path).is_file() else None


@pytest.fixture(scope="module")
def attacked(tmp_path_factory, cifar_root):
    root = tmp_path_factory.mktemp("adversarial")
    subs, out = root / "submissions", root / "out"
    site = Path(sys.prefix) / "lib" / f"python{sys.version_info[0]}.{sys.version_info[1]}"
    secrets = [out / "work" / "_template" / "gradebook.db", out / "private" / "context.npz",
               REFERENCES / "manifest.json", REPO / "notebooks" / "knn.ipynb",
               REPO / "cs231n_lib" / "classifiers" / "softmax.py",
               subs / "complete" / "knn.ipynb", out / "gradebook.db"]
    targets = [out / "work" / "_template" / "gradebook.db", subs / "complete" / "knn.ipynb",
               REPO / "README.md", REFERENCES / "manifest.json",
               out / "work" / "_template" / "nbgrader_config.py",
               out / "work" / "complete" / "forged.txt",
               site / "site-packages" / "cs231n_forged.txt",
               Path(cifar_root) / "cifar-10-batches-py" / "batches.meta"]
    ctx = {"secrets": secrets, "targets": targets}
    names = make_attacks(subs, ctx)
    make_submission(subs / "complete", all_parts())
    make_submission(subs / "untouched", ())
    before = {str(p): _digest(p) for p in targets}
    grades = autograde_class(subs, out, jobs=2, data_dir=cifar_root, progress=False,
                             cell_timeout=CELL_TIMEOUT, keep_work=True, log=lambda *_: None)
    after = {str(p): _digest(p) for p in targets}
    forged = [str(p) for p in targets if Path(p).is_file() and b"forged" in Path(p).read_bytes()]
    return {"grades": {g.submission: g for g in grades}, "out": out, "names": names,
            "ctx": ctx, "before": before, "after": after, "forged": forged}


def _points(grade):
    return {nb: grade.scores.get(nb, {}).get("score", 0.0) for nb in NOTEBOOKS}


def _pending(grade):
    return sum(grade.scores.get(nb, {}).get("pending", 0.0) for nb in NOTEBOOKS)


def test_the_honest_submission_earns_its_parts(attacked):
    assert _points(attacked["grades"]["honest"]) == expected_points(HALF_DONE)


@pytest.mark.parametrize("attack", sorted(attack_sources()))
def test_the_attack_gains_nothing(attacked, attack):
    grades = attacked["grades"]
    assert _points(grades[attack]) == _points(grades["honest"]), grades[attack].problems
    assert _pending(grades[attack]) == _pending(grades["honest"])


def test_bystanders_get_exactly_their_points(attacked):
    grades = attacked["grades"]
    assert _points(grades["complete"]) == expected_points(all_parts())
    assert _points(grades["untouched"]) == dict.fromkeys(NOTEBOOKS, 0)
    assert grades["complete"].restored == grades["untouched"].restored == []


def _outputs(out, student, notebook):
    path = out / "work" / student / "autograded" / student / ASSIGNMENT / f"{notebook}.ipynb"
    nb = json.loads(path.read_text())
    return "".join(
        "".join(o.get("text", "")) + o.get("ename", "") + " " + o.get("evalue", "")
        for cell in nb["cells"] for o in cell.get("outputs", []))


def test_no_secret_is_read_from_a_kernel_or_a_probe(attacked):
    out, secrets = attacked["out"], attacked["ctx"]["secrets"]
    for nb in NOTEBOOKS:
        text = _outputs(out, "read_secrets", nb)
        for path in secrets:
            assert f"BLOCKED {path}" in text, (nb, path)
        assert "READ " not in text
    report = (out / "work" / "read_secrets" / "probe" / "all" / "attack-report.txt").read_text()
    assert "BLOCKED" in report
    assert "READ " not in report
    assert all(Path(p).exists() for p in secrets[:5]), "a secret the test needs was not there"


def test_nothing_outside_its_scratch_is_written(attacked):
    out = attacked["out"]
    for nb in NOTEBOOKS:
        assert "WROTE " not in _outputs(out, "write_secrets", nb)
    report = (out / "work" / "write_secrets" / "probe" / "all" / "attack-report.txt").read_text()
    assert "BLOCKED" in report
    assert "WROTE " not in report
    for path, digest in attacked["after"].items():
        if attacked["before"][path] is not None:  # files the grader makes come later
            assert attacked["before"][path] == digest, f"{path} was changed"
    assert attacked["forged"] == []
    assert not (out / "work" / "complete" / "forged.txt").exists()


def _restored(out, student):
    with open(out / "grades.csv", newline="") as f:
        rows = {row["student_id"]: row for row in csv.DictReader(f)}
    return rows[student]["restored_cells"]


def test_changed_test_cells_are_restored_and_reported(attacked):
    out = attacked["out"]
    assert "knn-test-two-loops: source edited (restored)" in _restored(out, "edited_tests")
    assert "knn-test-two-loops: cell deleted (restored)" in _restored(out, "deleted_tests")
    assert "points 3 -> 300" in _restored(out, "edited_points")
    assert _restored(out, "honest") == ""


def test_runaway_cells_are_stopped_and_reported(attacked):
    out, grades = attacked["out"], attacked["grades"]
    assert any("a cell ran past the time limit" in p for p in grades["infinite_loop"].problems)
    assert any("ran out of memory" in p for p in grades["allocate_20gb"].problems)
    assert any("the kernel died" in p for p in grades["exit_at_import"].problems)
    assert "CellTimeoutError" in _outputs(out, "infinite_loop", "knn")
    assert "MemoryError" in _outputs(out, "allocate_20gb", "knn")
    printed = out / "work" / "print_1gb" / "autograded" / "print_1gb" / ASSIGNMENT / "knn.ipynb"
    assert printed.stat().st_size < 30 * 2**20
    assert "Output truncated" in printed.read_text()


def test_a_kernel_that_dies_costs_only_its_notebook(attacked):
    grade = attacked["grades"]["exit_at_import"]
    assert _points(grade) == _points(attacked["grades"]["honest"])


def test_the_class_gradebook_holds_every_students_verdicts(attacked):
    """--jobs 2 graded two submissions at a time: the merged gradebook misses nobody."""
    from grading.course.gradebook import class_scores

    merged = class_scores(attacked["out"])
    grades = attacked["grades"]
    assert set(merged) == set(grades)
    for student, grade in grades.items():
        assert merged[student] == _points(grade), student
