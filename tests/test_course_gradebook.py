"""Committing results into a course folder's gradebook keeps what people entered.

A real course folder (``init_course``: nbgrader's own gradebook, generated from the
notebooks); results are committed as the grader commits them, without grading.
"""

from __future__ import annotations

import os

import pytest

from grading.course.config import render_template
from grading.course.folder import CourseError, init_course, locked
from grading.course.gradebook import commit_submission, open_gradebook
from grading.coursedir import ASSIGNMENT, NOTEBOOKS


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    return init_course(tmp_path_factory.mktemp("course") / "c", render_template(lms="folders"))


def _cells(course):
    """{notebook: ([test cell ids], [written answer ids])} of the assignment."""
    out = {}
    with open_gradebook(course) as gb:
        for nb in gb.find_assignment(ASSIGNMENT).notebooks:
            out[nb.name] = (
                [c.name for c in nb.grade_cells if c.cell_type == "code"],
                [c.name for c in nb.grade_cells if c.cell_type == "markdown"],
            )
    return out


def _grade(course, cell, nb, student):
    with open_gradebook(course) as gb:
        g = gb.find_grade(cell, nb, ASSIGNMENT, student)
        return g.auto_score, g.manual_score, g.needs_manual_grade, g.score


def test_first_commit_scores_tests_and_zeroes_missing_notebooks(course):
    cells = _cells(course)
    tests, written = cells["knn"]
    verdicts = {"knn": dict.fromkeys(tests, 2.0)}
    kept = commit_submission(course, course / "missing.db", "alice", verdicts, list(NOTEBOOKS))
    assert kept == []
    assert _grade(course, tests[0], "knn", "alice")[0] == 2.0
    # knn was handed in but nbgrader has no record of its written answers: a person looks.
    assert _grade(course, written[0], "knn", "alice")[2] is True
    svm_tests, svm_written = cells["svm"]
    assert _grade(course, svm_tests[0], "svm", "alice")[0] == 0.0
    assert _grade(course, svm_written[0], "svm", "alice")[1:3] == (None, False)


def test_regrade_keeps_manual_grades_comments_and_overrides(course):
    tests, written = _cells(course)["knn"]
    commit_submission(
        course,
        course / "missing.db",
        "bob",
        {"knn": dict.fromkeys(tests, 1.0)},
        list(NOTEBOOKS),
        student={"first_name": "Bob", "email": "b@x.edu"},
    )
    with open_gradebook(course) as gb:
        answer = gb.find_grade(written[0], "knn", ASSIGNMENT, "bob")
        answer.manual_score, answer.needs_manual_grade = 1.5, False  # as formgrader saves it
        gb.find_grade(tests[0], "knn", ASSIGNMENT, "bob").manual_score = 0.25
        comment = gb.find_submission_notebook("knn", ASSIGNMENT, "bob").comments[0]
        comment.manual_comment = "Nice derivation"
        comment_cell = comment.name
        gb.db.commit()
    kept = commit_submission(
        course, course / "missing.db", "bob", {"knn": dict.fromkeys(tests, 3.0)}, ["knn"]
    )
    assert kept == ["knn"]
    auto, manual, needs, score = _grade(course, written[0], "knn", "bob")
    assert (manual, needs, score) == (1.5, False, 1.5)
    auto, manual, needs, score = _grade(course, tests[0], "knn", "bob")
    assert (auto, manual, score) == (3.0, 0.25, 0.25)  # the override wins, auto updated
    assert _grade(course, tests[1], "knn", "bob")[3] == 3.0
    with open_gradebook(course) as gb:
        assert (
            gb.find_comment(comment_cell, "knn", ASSIGNMENT, "bob").manual_comment
            == "Nice derivation"
        )
        assert gb.find_student("bob").email == "b@x.edu"


def test_a_notebook_left_out_of_a_regrade_is_untouched(course):
    tests, _ = _cells(course)["svm"]
    commit_submission(
        course, course / "missing.db", "carol", {"svm": dict.fromkeys(tests, 4.0)}, list(NOTEBOOKS)
    )
    commit_submission(course, course / "missing.db", "carol", {"knn": {}}, ["knn"])
    assert _grade(course, tests[0], "svm", "carol")[0] == 4.0


def test_a_second_command_is_refused_while_one_holds_the_lock(course):
    refused = pytest.raises(CourseError, match=r"Another command .*`autograde` \(pid \d+")
    with locked(course, "autograde"), refused, locked(course, "grades"):
        pass
    with locked(course, "grades"):  # released when the first ended
        pass


def test_init_refuses_an_existing_course(course):
    with pytest.raises(CourseError, match="already a course folder"):
        init_course(course, render_template())


def test_intake_survives_a_name_that_is_not_utf8_and_a_stopped_intake(tmp_path):
    from grading.course.intake import intake_download, load_records

    course = init_course(tmp_path / "c", render_template(lms="folders"))
    subs = tmp_path / "subs"
    subs.mkdir()
    bad = os.path.join(os.fsencode(subs), b"bad\xffname")
    os.mkdir(bad)
    with open(os.path.join(bad, b"knn.ipynb"), "w") as f:
        f.write("{}")
    # An intake stopped after copying, before saving its records, left this behind.
    (course / "intake" / "attempts" / "badname" / "1").mkdir(parents=True)
    report = intake_download(course, subs, fmt="folders", log=lambda *_: None)
    assert "1 new" in report
    (rec,) = load_records(course)["students"].values()
    assert rec["lms_id"] == "bad\ufffdname"
    assert rec["attempts"][0]["dir"].endswith("badname/2")
