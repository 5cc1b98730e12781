"""Formgrader in a real course folder, with the grader committing while it runs.

The course folder is the product: ``autograde_class`` makes it (``python -m grading
init``'s configuration, a folder intake, real grading of two students kept to the kNN
notebook), and a real Jupyter server with formgrader serves it from its own
``nbgrader_config.py`` (tests/formgrader_server.py). Through formgrader's HTTP API a TA
grades a written answer, comments on it and overrides a test cell's score; formgrader's
autograde button refuses; then ``python -m grading autograde`` regrades the class, and
later a resubmitted notebook, while the server runs. What the TA entered stays, and
formgrader shows the grader's new automatic scores.

The fixtures are steps of one session, in order: each takes the previous one.
"""

from __future__ import annotations

import ast
import csv
import hashlib
import json
import subprocess
import sys
import time

import pytest

from grading.course.autograde import autograde_class
from grading.course.formgrader import REASON
from grading.coursedir import ASSIGNMENT, NOTEBOOKS, REPO
from grading.release.samples import all_parts, graded_cells, make_submission
from tests.formgrader_server import jupyter_env, running_formgrader

pytestmark = pytest.mark.cifar

COMPLETE, UNTOUCHED = "complete", "untouched"
NOTEBOOK = "knn"
WRITTEN = "knn-written-bright-rows"  # a written answer, graded by hand
OVERRIDDEN = "knn-test-two-loops"  # a test cell whose automatic score the TA overrides
BEST_K, BEST_K_TEST = "knn-answer-best-k", "knn-test-best-k"
KNN_TESTS = {grade_id: points for nb, grade_id, points, _ in graded_cells() if nb == NOTEBOOK}
MANUAL, OVERRIDE = 1.5, 1.0
COMMENT = "Brightness, yes; say why a bright image is far from every other one."
RESUBMITTED_ANSWER = "Bright rows are test images far from all training images."
CLI_TIMEOUT = 300


def _knn_only(dest, done):
    make_submission(dest, done)
    for nb in NOTEBOOKS:
        if nb != NOTEBOOK:
            (dest / f"{nb}.ipynb").unlink()
    return dest


def _grading(env, *args):
    """``python -m grading ARGS`` from the repository, as an instructor runs it."""
    return subprocess.run(
        [sys.executable, "-m", "grading", *map(str, args)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=CLI_TIMEOUT,
    )


def _ok(result):
    assert result.returncode == 0, f"exit {result.returncode}\n{result.stdout}\n{result.stderr}"
    return result


def _digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _cells(client, student):
    """({grade_id: grade}, {grade_id: comment}) of the student's knn.ipynb, from formgrader."""
    nb = client.submission_notebook(ASSIGNMENT, student, NOTEBOOK)
    return {g["name"]: g for g in nb["grades"]}, {c["name"]: c for c in nb["comments"]}


def _grades_csv(course):
    with open(course / "grades.csv", newline="") as f:
        return {row["student_id"]: row for row in csv.DictReader(f)}


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    """The server's and the command line's environment: grading importable, no user config."""
    return jupyter_env(tmp_path_factory.mktemp("jupyter-home"))


@pytest.fixture(scope="module")
def course(tmp_path_factory, cifar_root):
    """A course folder made and graded by ``autograde_class``: a complete and an untouched kNN."""
    root = tmp_path_factory.mktemp("course-formgrader")
    subs = root / "submissions"
    _knn_only(subs / COMPLETE, all_parts())
    _knn_only(subs / UNTOUCHED, ())
    autograde_class(
        subs, root / "course", jobs=2, data_dir=cifar_root, progress=False, log=lambda *_: None
    )
    return root / "course"


@pytest.fixture(scope="module")
def formgrader(course, env):
    with running_formgrader(course, env=env, timeout=60) as client:
        yield client


@pytest.fixture(scope="module")
def entered(formgrader):
    """The TA's work in formgrader: a written answer graded and commented, a test overridden."""
    grades, comments = _cells(formgrader, COMPLETE)
    ids = {
        "written": grades[WRITTEN]["id"],
        "comment": comments[WRITTEN]["id"],
        "overridden": grades[OVERRIDDEN]["id"],
    }
    formgrader.set_manual_grade(ids["written"], MANUAL)
    formgrader.set_comment(ids["comment"], COMMENT)
    formgrader.set_manual_grade(ids["overridden"], OVERRIDE)
    return ids


@pytest.fixture(scope="module")
def regraded(course, formgrader, entered, env, cifar_root, tmp_path_factory):
    """``autograde COURSE --force`` while formgrader runs, and formgrader read meanwhile."""
    log = course / "log" / "autograde.log"
    logged = len(log.read_text().splitlines())
    output = tmp_path_factory.mktemp("force") / "output.txt"
    command = [
        sys.executable,
        "-m",
        "grading",
        "autograde",
        str(course),
        "--force",
        "--jobs",
        "2",
        "--data-dir",
        str(cifar_root),
        "--no-progress",
    ]
    deadline = time.monotonic() + CLI_TIMEOUT
    reads = 0
    with open(output, "w") as out:
        proc = subprocess.Popen(command, cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT)
        try:
            while proc.poll() is None and time.monotonic() < deadline:
                formgrader.submissions(ASSIGNMENT)  # a TA browses while the grader commits
                formgrader.get_grade(entered["written"])
                reads += 1
                time.sleep(1)
        finally:
            if proc.poll() is None:
                proc.kill()
            proc.wait()
    return {
        "returncode": proc.returncode,
        "output": output.read_text(),
        "reads": reads,
        "logged": log.read_text().splitlines()[logged:],
    }


@pytest.fixture(scope="module")
def resubmitted(course, regraded, env, cifar_root, tmp_path_factory):
    """The complete student hands in a changed knn.ipynb; intake, then ``--student``."""
    download = tmp_path_factory.mktemp("second-download")
    dest = _knn_only(download / COMPLETE, all_parts())  # folder named like the first time
    nb = json.loads((dest / f"{NOTEBOOK}.ipynb").read_text())
    for cell in nb["cells"]:
        grade_id = cell["metadata"].get("nbgrader", {}).get("grade_id")
        if grade_id == WRITTEN:
            cell["source"] = f"**Your answer:**\n\n{RESUBMITTED_ANSWER}\n"
        elif grade_id == BEST_K:
            cell["source"] = "best_k = -1  # not one of k_choices: its test fails\n"
    (dest / f"{NOTEBOOK}.ipynb").write_text(json.dumps(nb, indent=1) + "\n")
    intake = _grading(env, "intake", course, download, "--format", "folders")
    graded = _grading(
        env,
        "autograde",
        course,
        "--student",
        COMPLETE,
        "--jobs",
        "2",
        "--data-dir",
        cifar_root,
        "--no-progress",
    )
    return {"intake": intake, "autograde": graded}


def test_course_config_names_no_absolute_path(course):
    text = (course / "nbgrader_config.py").read_text()
    strings = [
        node.value
        for node in ast.walk(ast.parse(text))
        if isinstance(node, ast.Constant) and isinstance(node.value, str)
    ]
    assert [s for s in strings if s.startswith(("/", "~"))] == []
    assert str(course) not in text
    assert str(REPO) not in text
    assert "c.CourseDirectory.root = os.path.dirname(os.path.abspath(__file__))" in text
    assert not (course / "jupyter_server_config.py").exists()  # formgrader reads this file alone


def test_formgrader_lists_the_graded_submissions(formgrader):
    rows = {row["student"]: row for row in formgrader.submissions(ASSIGNMENT)}
    assert set(rows) == {COMPLETE, UNTOUCHED}
    assert all(row["autograded"] for row in rows.values()), rows
    assert rows[COMPLETE]["code_score"] == sum(KNN_TESTS.values())
    assert rows[UNTOUCHED]["code_score"] == 0
    assert (rows[COMPLETE]["needs_manual_grade"], rows[UNTOUCHED]["needs_manual_grade"]) == (
        True,
        False,
    )  # answered written questions wait for a TA; untouched ones score 0
    grades, comments = _cells(formgrader, COMPLETE)
    assert {g: grades[g]["auto_score"] for g in KNN_TESTS} == KNN_TESTS
    assert grades[WRITTEN]["needs_manual_grade"] is True
    assert comments[WRITTEN]["manual_comment"] is None


def _assert_ta_entries_kept(formgrader, entered):
    """The TA's grade of a written answer, comment and override, read back from formgrader."""
    written = formgrader.get_grade(entered["written"])
    assert (written["manual_score"], written["needs_manual_grade"]) == (MANUAL, False)
    assert formgrader.get_comment(entered["comment"])["manual_comment"] == COMMENT
    overridden = formgrader.get_grade(entered["overridden"])
    assert (overridden["auto_score"], overridden["manual_score"]) == (
        KNN_TESTS[OVERRIDDEN],
        OVERRIDE,
    )


def test_manual_grade_comment_and_override_read_back(formgrader, entered):
    _assert_ta_entries_kept(formgrader, entered)
    (row,) = [r for r in formgrader.submissions(ASSIGNMENT) if r["student"] == COMPLETE]
    assert row["code_score"] == sum(KNN_TESTS.values()) - KNN_TESTS[OVERRIDDEN] + OVERRIDE


def test_formgrader_autograde_refuses_and_changes_nothing(formgrader, entered, course):
    files = [
        course / "gradebook.db",
        course / "state" / f"{COMPLETE}.json",
        course / "autograded" / COMPLETE / ASSIGNMENT / f"{NOTEBOOK}.ipynb",
        course / "feedback" / COMPLETE / ASSIGNMENT / f"{NOTEBOOK}.html",
    ]
    before = {path.name: _digest(path) for path in files}
    seen = _cells(formgrader, COMPLETE)

    result = formgrader.autograde(ASSIGNMENT, COMPLETE)

    assert result["success"] is False, result
    assert REASON in result["log"]
    assert result["error"].rstrip().endswith(REASON)
    assert {path.name: _digest(path) for path in files} == before
    assert _cells(formgrader, COMPLETE) == seen


def test_grader_run_beside_formgrader_keeps_what_the_ta_entered(
    formgrader, entered, regraded, course
):
    assert regraded["returncode"] == 0, regraded["output"]
    assert regraded["reads"] > 0  # formgrader answered while the grader committed
    assert sorted(line.split()[3] for line in regraded["logged"]) == [COMPLETE, UNTOUCHED]
    _assert_ta_entries_kept(formgrader, entered)
    grades, _ = _cells(formgrader, COMPLETE)
    assert {g: grades[g]["auto_score"] for g in KNN_TESTS} == KNN_TESTS
    (row,) = [r for r in formgrader.submissions(ASSIGNMENT) if r["student"] == COMPLETE]
    assert row["code_score"] == sum(KNN_TESTS.values()) - KNN_TESTS[OVERRIDDEN] + OVERRIDE
    untouched, _ = _cells(formgrader, UNTOUCHED)
    assert {g: untouched[g]["auto_score"] for g in KNN_TESTS} == dict.fromkeys(KNN_TESTS, 0.0)


def test_resubmission_keeps_the_manual_grade_and_asks_for_review(
    formgrader, entered, resubmitted, course
):
    _ok(resubmitted["intake"])
    _ok(resubmitted["autograde"])
    records = json.loads((course / "intake" / "students.json").read_text())["students"]
    assert set(records) == {COMPLETE, UNTOUCHED}
    assert len(records[COMPLETE]["attempts"]) == 2
    assert records[COMPLETE]["selected"] == records[COMPLETE]["attempts"][1]["dir"]
    problems = _grades_csv(course)[COMPLETE]["problems"]
    assert "resubmitted after manual grading of knn" in problems
    assert "review" in problems
    written = formgrader.get_grade(entered["written"])
    assert (written["manual_score"], written["needs_manual_grade"]) == (MANUAL, False)
    assert formgrader.get_comment(entered["comment"])["manual_comment"] == COMMENT
    grades, _ = _cells(formgrader, COMPLETE)  # the new notebook's scores, not the old ones
    assert grades[BEST_K_TEST]["auto_score"] == 0.0
    assert grades[OVERRIDDEN]["manual_score"] == OVERRIDE
    autograded = course / "autograded" / COMPLETE / ASSIGNMENT / f"{NOTEBOOK}.ipynb"
    assert RESUBMITTED_ANSWER in autograded.read_text()
