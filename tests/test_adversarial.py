"""Submissions that attack the grader gain nothing (tests/attacks.py builds them).

One class is graded once (module fixture, ``--jobs 2``): the honest half-done
submission, one copy of it per attack, and two bystanders (the complete and the
untouched samples). An attack's copy holds the notebooks its code runs through
(``notebooks_of``: all five, or the one or few it targets) and the whole package. Every
attack must earn exactly the honest submission's points on the notebooks it holds, the
bystanders exactly theirs, and no secret may be read or written.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from grading.course.autograde import autograde_class
from grading.coursedir import ASSIGNMENT, NOTEBOOKS, REPO
from grading.release.samples import HALF_DONE, all_parts, expected_points, make_submission
from grading.run.references import REFERENCES
from tests.attacks import MARKER, attack_sources, make_attacks, notebooks_of, resource_attacks

pytestmark = pytest.mark.cifar

CELL_TIMEOUT = 40  # the infinite loop costs this much


def _digest(path):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest() if Path(path).is_file() else None


@pytest.fixture(scope="module")
def attacked(tmp_path_factory, cifar_root):
    root = tmp_path_factory.mktemp("adversarial")
    subs, out = root / "submissions", root / "out"
    site = Path(sys.prefix) / "lib" / f"python{sys.version_info[0]}.{sys.version_info[1]}"
    secrets = [
        out / "work" / "_template" / "gradebook.db",
        out / "private" / "context.npz",
        REFERENCES / "manifest.json",
        REPO / "notebooks" / "knn.ipynb",
        REPO / "cs231n_lib" / "classifiers" / "softmax.py",
        subs / "complete" / "knn.ipynb",
        out / "gradebook.db",
    ]
    targets = [
        out / "work" / "_template" / "gradebook.db",
        subs / "complete" / "knn.ipynb",
        REPO / "README.md",
        REFERENCES / "manifest.json",
        out / "work" / "_template" / "nbgrader_config.py",
        out / "work" / "complete" / "forged.txt",
        site / "site-packages" / "cs231n_forged.txt",
        Path(cifar_root) / "cifar-10-batches-py" / "batches.meta",
    ]
    ctx = {"secrets": secrets, "targets": targets}
    names = make_attacks(subs, ctx)
    make_submission(subs / "complete", all_parts())
    make_submission(subs / "untouched", ())
    before = {str(p): _digest(p) for p in targets}
    grades = autograde_class(
        subs,
        out,
        jobs=2,
        data_dir=cifar_root,
        progress=False,
        cell_timeout=CELL_TIMEOUT,
        keep_work=True,
        log=lambda *_: None,
    )
    after = {str(p): _digest(p) for p in targets}
    forged = [str(p) for p in targets if Path(p).is_file() and b"forged" in Path(p).read_bytes()]
    return {
        "grades": {g.submission: g for g in grades},
        "out": out,
        "names": names,
        "ctx": ctx,
        "before": before,
        "after": after,
        "forged": forged,
    }


def _points(grade, notebooks=NOTEBOOKS):
    return {nb: grade.scores.get(nb, {}).get("score", 0.0) for nb in notebooks}


def _pending(grade, notebooks=NOTEBOOKS):
    return sum(grade.scores.get(nb, {}).get("pending", 0.0) for nb in notebooks)


def _left_out(name):
    """What the grader says of the notebooks the copy of ``name`` leaves out."""
    held = notebooks_of(name)
    return [f"{nb}.ipynb is missing: its points are 0" for nb in NOTEBOOKS if nb not in held]


def test_the_honest_submission_earns_its_parts(attacked):
    assert _points(attacked["grades"]["honest"]) == expected_points(HALF_DONE)


@pytest.mark.parametrize("attack", sorted(attack_sources()))
def test_the_attack_gains_nothing(attacked, attack):
    grade, honest = attacked["grades"][attack], attacked["grades"]["honest"]
    held = notebooks_of(attack)
    assert set(grade.scores) == set(held), grade.problems  # each notebook it holds is graded
    assert _points(grade, held) == _points(honest, held), grade.problems
    assert _pending(grade, held) == _pending(honest, held)
    assert set(_left_out(attack)) <= set(grade.problems)  # the others: missing, 0 points


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
        for cell in nb["cells"]
        for o in cell.get("outputs", [])
    )


def _probe_report(out, student):
    """What the package's code saw in the probe (its scratch tmpfs, kept by --keep-work)."""
    kept = out / "work" / student / "scratch-kept" / "probe"
    return "".join(p.read_text() for p in sorted(kept.glob("*/attack-report.txt")))


def test_no_secret_is_read_from_a_kernel_or_a_probe(attacked):
    out, secrets = attacked["out"], attacked["ctx"]["secrets"]
    for nb in NOTEBOOKS:
        text = _outputs(out, "read_secrets", nb)
        for path in secrets:
            assert f"BLOCKED {path}" in text, (nb, path)
        assert "READ " not in text
    report = _probe_report(out, "read_secrets")
    assert "BLOCKED" in report
    assert "READ " not in report
    assert all(Path(p).exists() for p in secrets[:5]), "a secret the test needs was not there"


def test_nothing_outside_its_scratch_is_written(attacked):
    out = attacked["out"]
    for nb in NOTEBOOKS:
        assert "WROTE " not in _outputs(out, "write_secrets", nb)
    report = _probe_report(out, "write_secrets")
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
    grade, held = attacked["grades"]["exit_at_import"], notebooks_of("exit_at_import")
    assert _points(grade, held) == _points(attacked["grades"]["honest"], held)
    died = {p.split(".ipynb")[0] for p in grade.problems if "the kernel died" in p}
    assert died == {"knn", "softmax"}
    for nb in set(held) - died:  # graded after both kernels died: every cell ran
        path = attacked["out"] / "work" / "exit_at_import" / "autograded" / "exit_at_import"
        cells = json.loads((path / ASSIGNMENT / f"{nb}.ipynb").read_text())["cells"]
        code = [c for c in cells if c["cell_type"] == "code"]
        assert code, nb
        assert all(c.get("execution_count") for c in code), nb


def test_the_class_gradebook_holds_every_students_verdicts(attacked):
    """--jobs 2 graded two submissions at a time: the merged gradebook misses nobody."""
    from grading.course.gradebook import class_scores

    merged = class_scores(attacked["out"])
    grades = attacked["grades"]
    assert set(merged) == set(grades)
    for student, grade in grades.items():
        assert merged[student] == _points(grade), student


def _leftovers():
    """Processes of this machine started by an attack to outlive its grading."""
    found = subprocess.run(["pgrep", "-f", MARKER], capture_output=True, text=True)
    return [int(pid) for pid in found.stdout.split() if int(pid) != os.getpid()]


def test_no_process_of_a_submission_outlives_its_grading(attacked):
    assert _leftovers() == []


# ----------------------------------------------------------------------------- resources

RESOURCE_TIMEOUT = 120  # the submission time limit of the resource classes
ORDER = {
    "fork_bomb": "b",
    "disk_filler": "c",
    "memory_hog": "d",
    "junk_arrays": "e",
    "hang": "f",
}  # graded beside the honest one (a_honest) first, four at a time


def _knn_class(root, attackers, cifar_root):
    """Grade a_honest and ``attackers`` ({name: build}) on kNN alone, four at a time."""
    subs, out = root / "submissions", root / "out"
    make_submission(subs / "a_honest", HALF_DONE)
    for name, build in attackers.items():
        folder = subs / f"{ORDER.get(name, 'z')}_{name}"
        make_submission(folder, ())
        if build is not None:
            build(folder, {})
    for folder in subs.iterdir():  # kNN alone: the other notebooks are not there
        for notebook in folder.glob("*.ipynb"):
            if notebook.stem != "knn":
                notebook.unlink()
    start = time.monotonic()
    grades = autograde_class(
        subs,
        out,
        jobs=4,
        data_dir=cifar_root,
        progress=False,
        cell_timeout=CELL_TIMEOUT,
        timeout=RESOURCE_TIMEOUT,
        log=lambda *_: None,
    )
    return {g.submission.split("_", 1)[1]: g for g in grades}, out, time.monotonic() - start


@pytest.fixture(scope="module")
def resources(tmp_path_factory, cifar_root):
    benign, _, _ = _knn_class(
        tmp_path_factory.mktemp("benign"), {f"untouched{i}": None for i in range(3)}, cifar_root
    )
    attacked, out, seconds = _knn_class(
        tmp_path_factory.mktemp("resources"), resource_attacks(CELL_TIMEOUT), cifar_root
    )
    return {"benign": benign, "attacked": attacked, "out": out, "seconds": seconds}


def test_the_honest_submission_beside_the_attackers_keeps_its_points_and_time(resources):
    honest, usual = resources["attacked"]["honest"], resources["benign"]["honest"]
    assert honest.scores["knn"] == usual.scores["knn"]
    assert honest.scores["knn"]["score"] == expected_points(HALF_DONE)["knn"]
    assert honest.seconds <= 2 * usual.seconds, (honest.seconds, usual.seconds)


def _said(grade, text):
    return any(text in p for p in grade.problems) or any(
        text in p for problems in grade.failed.values() for p in problems
    )


def test_a_fork_bomb_is_stopped_with_its_reason(resources):
    assert _said(resources["attacked"]["fork_bomb"], "processes and threads at once")


def test_memory_held_by_several_processes_counts_together(resources):
    assert _said(resources["attacked"]["memory_hog"], "of memory together")


def test_a_disk_filler_fills_only_its_own_bounded_scratch(resources):
    grade = resources["attacked"]["disk_filler"]
    out = Path(resources["out"])
    mine = [p for p in out.rglob("*") if "disk_filler" in str(p.relative_to(out))]
    assert 0 < len(mine) < 500  # 150,000 files were tried
    assert sum(p.stat().st_size for p in mine if p.is_file()) < 20 * 2**20  # and 1.5 GB
    assert grade.scores["knn"]["max"] > 0  # graded to the end


def test_the_judge_refuses_oversized_answers(resources):
    assert _said(resources["attacked"]["junk_arrays"], "broke the rules")


def test_a_submission_that_hangs_gets_its_result_and_leaves_nothing(resources):
    grade = resources["attacked"]["hang"]
    assert _said(grade, f"grading stopped after {RESOURCE_TIMEOUT} s")
    assert resources["seconds"] < RESOURCE_TIMEOUT + 240
    assert _leftovers() == []


# ----------------------------------------------------------------------------- the report

REPORT = REPO / "build" / "red-team.md"


FIRST = (
    "grading stopped",
    "together",
    "processes and threads",
    "broke the rules",
    "time limit",
    "out of memory",
    "kernel died",
    "restored",
    "test accuracy",
)


def _did(grade, baseline, expected=()):
    """What the grader did about a submission beyond what it did about ``baseline``.

    ``expected``: what it says of the notebooks left out of the submission on purpose.
    """

    def said(g):
        return [*g.problems, *g.restored, *(p for ps in g.failed.values() for p in ps)]

    new = [p for p in said(grade) if p not in said(baseline) and p not in expected]
    new.sort(key=lambda p: next((i for i, word in enumerate(FIRST) if word in p), len(FIRST)))
    text = new[0] if new else "graded normally"
    if grade.restored:
        text = f"{len(grade.restored)} change(s) to test cells undone; {text}"
    return text.replace("|", "/").replace("\n", " ")[:120]


def _total(grade, notebooks=NOTEBOOKS):
    return sum(grade.scores.get(nb, {}).get("score", 0.0) for nb in notebooks)


def _points_column(grade, honest, held):
    """Its points and the honest submission's, on the notebooks its copy holds."""
    only = "" if set(held) == set(NOTEBOOKS) else f", {' + '.join(held)} only"
    return f"{_total(grade, held):g} (honest {_total(honest, held):g}{only})"


def test_red_team_report(attacked, resources):
    """The table of docs/instructors.md's security section: ``make red-team`` prints it."""
    grades, honest = attacked["grades"], attacked["grades"]["honest"]
    bystanders = _points(grades["complete"]) == expected_points(all_parts()) and _points(
        honest
    ) == expected_points(HALF_DONE)
    rows = [("case", "what the grader did", "points", "honest kept exactly their points")]
    for name in sorted(attack_sources()):
        rows.append(
            (
                name,
                _did(grades[name], honest, _left_out(name)),
                _points_column(grades[name], honest, notebooks_of(name)),
                "yes" if bystanders else "NO",
            )
        )
    usual = resources["benign"]["honest"]
    beside = resources["attacked"]["honest"]
    kept = beside.scores == usual.scores
    for name in resource_attacks(CELL_TIMEOUT):
        grade = resources["attacked"][name]
        rows.append(
            (
                name,
                _did(grade, resources["benign"]["untouched0"]),
                f"{_total(grade):g} (kNN only)",
                f"{'yes' if kept else 'NO'}, in {beside.seconds / usual.seconds:.2f}x "
                "its usual time",
            )
        )
    table = "\n".join("| " + " | ".join(row) + " |" for row in rows[:1])
    table += "\n| --- | --- | --- | --- |\n"
    table += "\n".join("| " + " | ".join(row) + " |" for row in rows[1:])
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    REPORT.write_text(table + "\n")
    print("\n" + table)
    assert bystanders
    assert kept
