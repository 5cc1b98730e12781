"""Autograding a class end to end with nbgrader, on the real data in grading mode.

Two classes are graded once each: the demo's three generated submissions
(complete, half-completed, untouched), on a real two-worker Dask cluster that shares
no folder with the test, with ``--dask-scheduler`` (``graded_samples`` in conftest.py,
shared), and a class
of malformed submissions built from the complete one, kept to the kNN notebook so
that it is quick, with ``--jobs 2``.
"""

from __future__ import annotations

import csv
import html
import json
import re
import shutil
import zipfile

import pytest
from nbgrader.api import Gradebook

from grading.course.autograde import autograde_class
from grading.course.gradebook import class_scores
from grading.coursedir import ASSIGNMENT, NOTEBOOKS, REPO
from grading.release.samples import HALF_DONE, all_parts, expected_points, make_submission
from grading.run.autograde import maxima

pytestmark = pytest.mark.cifar


@pytest.fixture(scope="module")
def samples(graded_samples):
    return graded_samples


def _rows(out):
    with open(out / "grades.csv", newline="") as f:
        return {row["submission"]: row for row in csv.DictReader(f)}


def test_complete_solution_earns_every_automatic_point(samples):
    _grades, expected, out = samples
    points = maxima(out / "work" / "_template")
    row = _rows(out)["complete"]
    for nb in NOTEBOOKS:
        assert float(row[nb]) == points[nb][0] == expected["complete"][nb], nb
    assert float(row["written_pending"]) == sum(w for _, w in points.values())
    assert float(row["max"]) == sum(a + w for a, w in points.values())
    assert row["problems"] == ""


def test_untouched_release_earns_nothing(samples):
    _, _, out = samples
    row = _rows(out)["untouched"]
    assert [float(row[nb]) for nb in NOTEBOOKS] == [0.0] * len(NOTEBOOKS)
    assert float(row["written_pending"]) == 0
    assert float(row["total"]) == 0


def test_half_completed_earns_exactly_the_parts_it_completes(samples):
    grades, expected, _out = samples
    assert expected["half"] == expected_points(HALF_DONE)
    got = {nb: grades["half"].scores[nb]["score"] for nb in NOTEBOOKS}
    assert got == expected["half"]
    assert 0 < sum(got.values()) < sum(expected["complete"].values())


def _visible_text(path):
    """The text of an HTML page as a reader sees it: tags removed, entities decoded."""
    text = re.sub(r"<[^>]+>", "", path.read_text())
    return html.unescape(text)


def test_feedback_shows_the_verdicts_but_no_check_and_no_grader_cell(samples):
    _, _, out = samples
    code = [
        line.strip()
        for line in (REPO / "grading" / "run" / "checks.py").read_text().splitlines()
        if len(line.strip()) > 30 and not line.strip().startswith(("#", '"', 'f"'))
    ]
    assert len(code) > 50
    for student in ("complete", "half", "untouched"):
        for nb in NOTEBOOKS:
            page = out / "feedback" / student / ASSIGNMENT / f"{nb}.html"
            assert page.is_file(), page
            text = _visible_text(page)
            assert "Grader:" in text
            assert "_cs231n_record_facts" not in text
            shown = [line for line in code if line in text]
            assert shown == [], f"{page} shows the checks' code: {shown[:3]}"
    svm = _visible_text(out / "feedback" / "half" / ASSIGNMENT / "svm.html")
    assert "Grader: 4 / 4 points." in svm
    assert "Grader: 0 / 4 points. What failed:" in svm
    assert "raised NotImplementedError: LinearClassifier.train" in svm


@pytest.fixture(scope="module")
def malformed(tmp_path_factory, cifar_root):
    """A class whose submissions each have one problem, built from the complete solution."""
    root = tmp_path_factory.mktemp("malformed")
    complete = make_submission(root / "complete", all_parts())
    subs = root / "class"
    subs.mkdir()

    def knn_only(name):
        dest = subs / name
        shutil.copytree(complete, dest)
        for nb in NOTEBOOKS[1:]:
            (dest / f"{nb}.ipynb").unlink()
        return dest

    knn_only("only-knn")
    (knn_only("bad-json") / "knn.ipynb").write_text('{"cells": [}')
    (knn_only("no-file") / "cs231n_lib" / "classifiers" / "softmax.py").unlink()
    nested = knn_only("nested")
    with zipfile.ZipFile(subs / "nested.zip", "w") as z:
        for path in nested.rglob("*"):
            z.write(path, "my work/assignment1/" + path.relative_to(nested).as_posix())
    shutil.rmtree(nested)
    knn_only("Zoë Smith (late)")
    # The student's own k_nearest_neighbor.py is the release's unfinished copy: if the
    # instructor's copy were graded instead, this submission would earn every point.
    stubbed = knn_only("own-copy")
    shutil.copyfile(
        REPO / "assignment1/cs231n_lib/classifiers/k_nearest_neighbor.py",
        stubbed / "cs231n_lib/classifiers/k_nearest_neighbor.py",
    )
    out = root / "out"
    autograde_class(subs, out, jobs=2, data_dir=cifar_root, progress=False, log=lambda *_: None)
    return _rows(out), out


KNN_POINTS = expected_points(all_parts())["knn"]


@pytest.mark.parametrize(
    ("submission", "student_id", "knn", "problem"),
    [
        ("only-knn", "only-knn", KNN_POINTS, "svm.ipynb is missing: its points are 0"),
        ("bad-json", "bad-json", 0, "knn.ipynb is not a valid notebook"),
        (
            "no-file",
            "no-file",
            KNN_POINTS,
            "missing cs231n_lib/classifiers/softmax.py: graded with the release's copy",
        ),
        ("nested", "nested", KNN_POINTS, "inside my work/assignment1/, one folder level too deep"),
        ("Zoë Smith (late)", "Zoe_Smith_late", KNN_POINTS, "is not a valid student id"),
        ("own-copy", "own-copy", 0, "svm.ipynb is missing"),
    ],
)
def test_malformed_submissions_are_graded_for_what_is_there(
    malformed, submission, student_id, knn, problem
):
    rows, out = malformed
    row = rows[submission]
    assert row["student_id"] == student_id
    assert float(row["knn"]) == knn
    assert [float(row[nb]) for nb in NOTEBOOKS[1:]] == [0.0] * (len(NOTEBOOKS) - 1)
    assert problem in row["problems"]
    if knn:
        assert (out / "feedback" / student_id / ASSIGNMENT / "knn.html").is_file()


def test_the_students_own_package_is_what_gets_graded(malformed):
    rows, out = malformed
    assert float(rows["only-knn"]["knn"]) == KNN_POINTS > 0
    assert float(rows["own-copy"]["knn"]) == 0
    executed = json.loads((out / "autograded/own-copy/assignment1/knn.ipynb").read_text())
    errors = [
        o
        for c in executed["cells"]
        for o in c.get("outputs", [])
        if o.get("output_type") == "error"
    ]
    assert any("write the code for the TODO above" in o["evalue"] for o in errors)


def test_class_gradebook_holds_every_score_for_manual_grading(samples):
    grades, _, out = samples
    merged = class_scores(out)
    assert set(merged) == {"complete", "half", "untouched"}
    for student, grade in grades.items():
        assert merged[student] == {nb: grade.scores[nb]["score"] for nb in NOTEBOOKS}
    with Gradebook(f"sqlite:///{out / 'gradebook.db'}") as gb:
        assert gb.find_submission(ASSIGNMENT, "complete").needs_manual_grade
        assert not gb.find_submission(ASSIGNMENT, "untouched").needs_manual_grade
    assert (out / "autograded" / "half" / ASSIGNMENT / "svm.ipynb").is_file()
