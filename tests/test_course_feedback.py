"""Feedback after manual grading, and its export for the LMS, on one graded class.

The demo's three submissions, graded once for the session (``graded_samples``), are
copied into a course folder of this module's; then a TA's grade and
comment go into the gradebook through nbgrader's API, one attempt gets a late time
under a per-day policy, a student gets a hostile name, a grader fact cell is slipped
into an autograded notebook, and the feedback is rendered again once.
"""

from __future__ import annotations

import html
import re
import shutil
import zipfile
from datetime import datetime, timedelta
from html.parser import HTMLParser

import pytest

from grading.course.config import load_config
from grading.course.feedback import export_feedback, regenerate_feedback, submission_points
from grading.course.gradebook import open_gradebook
from grading.course.intake import load_records, save_records
from grading.course.policy import Deadlines
from grading.coursedir import ASSIGNMENT, NOTEBOOKS, REPO
from grading.run.judge import fact_cell_source
from grading.run.sanitize import CSP_META, frame_document

pytestmark = pytest.mark.cifar

STUDENTS = ("complete", "half", "untouched")
HOSTILE = "<img src=x onerror=alert(1)>"
COMMENT = "Clear argument; mention the mean image too (TA comment 7f3a)."
WRITTEN = "knn-written-bright-rows"
CANVAS = {
    "complete": ("smithjohn", 1001, 5001),
    "half": ("doejane", 1002, 5002),
    "untouched": ("roeann", 1003, 5003),
}  # lastfirst, user id, file id


def _late(course, student_id):
    """Make ``student_id``'s attempt 2 days 3 hours late under a 10%-per-day policy."""
    toml = course / "course.toml"
    toml.write_text(toml.read_text().replace('policy = "none"', 'policy = "per-day"'))
    due = load_config(course).assignment.due
    records = load_records(course)
    for sid, rec in records["students"].items():
        name, uid, file_id = CANVAS[sid]
        rec["lms_id"] = str(uid)
        for attempt in rec["attempts"]:  # as a Canvas intake stores them
            attempt["label"], attempt["key"] = f"{name}_{uid}", f"{file_id:020d}"
    attempt = records["students"][student_id]["attempts"][0]
    attempt["submitted_at"] = (due + timedelta(days=2, hours=3)).isoformat()
    records["students"]["untouched"]["name"] = HOSTILE
    save_records(course, records)
    when = datetime.fromisoformat(attempt["submitted_at"])
    return Deadlines(load_config(course)).penalty(student_id, when)


def _leak_fact_cell(course):
    """Put a grader fact cell back into one autograded notebook: it must not be rendered."""
    import nbformat

    path = course / "autograded" / "half" / ASSIGNMENT / "knn.ipynb"
    nb = nbformat.read(path, as_version=4)
    cell = nbformat.v4.new_code_cell("# Inserted by the grader: LEAKED-FACT-CELL\n")
    cell.metadata["cs231n"] = {"grader": "facts"}
    nb.cells.insert(3, cell)
    nbformat.write(nb, path)


@pytest.fixture(scope="module")
def graded(tmp_path_factory, graded_samples):
    course = tmp_path_factory.mktemp("feedback") / "course"
    shutil.copytree(graded_samples[2], course, symlinks=True)
    with open_gradebook(course) as gb:
        gb.find_grade(WRITTEN, "knn", ASSIGNMENT, "complete").manual_score = 1.5
        gb.find_comment(WRITTEN, "knn", ASSIGNMENT, "complete").manual_comment = COMMENT
        gb.db.commit()
    penalty = _late(course, "half")
    _leak_fact_cell(course)
    done = regenerate_feedback(course, log=lambda *_: None)
    return course, done, penalty


def _text(page):
    """What a reader sees of an HTML page: tags removed, entities decoded."""
    return html.unescape(re.sub(r"<[^>]+>", "", page))


def _page(course, student, nb):
    return (course / "feedback" / student / ASSIGNMENT / f"{nb}.html").read_text()


class _Frames(HTMLParser):
    def __init__(self, page):
        super().__init__()
        self.frames, self.csp = [], []
        self.feed(page)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "iframe":
            self.frames.append(attrs)
        if tag == "meta" and attrs.get("http-equiv") == "Content-Security-Policy":
            self.csp.append(attrs["content"])


def test_points_split_automatic_and_manual(graded):
    course, done, _ = graded
    assert done == list(STUDENTS)
    with open_gradebook(course) as gb:
        points = submission_points(gb, "complete")
        knn = gb.find_submission_notebook("knn", ASSIGNMENT, "complete")
        assert points["knn"]["auto"] + points["knn"]["manual"] == knn.score
    assert list(points) == list(NOTEBOOKS)
    assert points["knn"] == {"auto": 16.0, "manual": 1.5, "max": 22.0, "pending": 4.0, "waiting": 2}


def test_manual_grade_and_comment_show_for_that_student_only(graded):
    course, _, _ = graded
    knn = _text(_page(course, "complete", "knn"))
    assert COMMENT in knn
    assert "Written response (Score: 1.5 / 2.0)" in knn
    assert "Manual points (graded by the TAs)1.5" in knn.replace("\n", "")
    assert "2 written answer(s) of this notebook, worth 4 points, wait for a TA" in knn
    for student in ("half", "untouched"):
        assert COMMENT not in _text(_page(course, student, "knn"))


def test_late_penalty_sentence_in_every_notebook(graded):
    course, _, penalty = graded
    assert penalty.fraction == pytest.approx(0.3)
    for nb in NOTEBOOKS:
        text = _text(_page(course, "half", nb))
        assert f"Late penalty: {penalty.reason}." in text
        assert "applies to the total of the whole submission" in text
    assert "no late penalty was applied" in _text(_page(course, "complete", "knn"))


def _code_lines():
    lines = []
    for name in ("checks.py", "net_checks.py"):
        source = (REPO / "grading" / "run" / name).read_text()
        lines += [line.strip() for line in source.splitlines() if len(line.strip()) > 30]
    return lines


def _assert_no_grader_code(text, where, code):
    shown = [line for line in code if line in text]
    assert shown == [], f"{where} shows the checks' code: {shown[:3]}"
    assert "_cs231n_record_facts" not in text
    assert "Inserted by the grader" not in text
    facts = [line for line in fact_cell_source("knn-test-best-k").splitlines() if len(line) > 30]
    assert not [line for line in facts if line in text], where


def test_no_check_code_and_no_grader_cell_rendered(graded):
    course, _, _ = graded
    code = _code_lines()
    assert len(code) > 100
    for student in STUDENTS:
        for nb in NOTEBOOKS:
            text = _text(_page(course, student, nb))
            _assert_no_grader_code(text, f"{student}/{nb}", code)
            assert "Grader:" in text
            assert "Feedback summary" in text
    assert "LEAKED-FACT-CELL" not in _page(course, "half", "knn")


def test_every_rendered_page_forbids_scripts(graded):
    course, _, _ = graded
    for student in STUDENTS:
        for nb in NOTEBOOKS:
            head = _page(course, student, nb).split("<head>", 1)[1]
            assert head.startswith(CSP_META), f"{student}/{nb} has no policy first in <head>"


@pytest.mark.parametrize(
    ("lms", "names"),
    [
        ("folders", {s: f"{s}.html" for s in STUDENTS}),
        (
            "canvas",
            {
                "complete": "smithjohn_1001_5001_feedback.html",
                "half": "doejane_1002_5002_feedback.html",
                "untouched": "roeann_1003_5003_feedback.html",
            },
        ),
        (
            "moodle",
            {
                "complete": "complete_1001_assignfeedback_file/feedback.html",
                "half": "half_1002_assignfeedback_file/feedback.html",
                "untouched": "-img src=x onerror=alert(1)-_1003_assignfeedback_file/feedback.html",
            },
        ),
    ],
)
def test_export_one_safe_page_per_student(graded, tmp_path, lms, names):
    course, _, penalty = graded
    out = export_feedback(course, lms, tmp_path / "upload", regenerate=False, log=lambda *_: None)
    if lms == "folders":
        assert out == tmp_path / "upload"
    else:
        assert out == tmp_path / "upload.zip"
        assert sorted(zipfile.ZipFile(out).namelist()) == sorted(names.values())
    code = _code_lines()
    for student, name in names.items():
        page = (tmp_path / "upload" / name).read_text()
        parsed = _Frames(page)
        assert len(parsed.csp) == 1
        assert "default-src 'none'" in parsed.csp[0]
        assert "script-src" not in parsed.csp[0]
        assert len(parsed.frames) == len(NOTEBOOKS)
        for nb, frame in zip(NOTEBOOKS, parsed.frames, strict=True):
            assert frame["sandbox"] in ("", None), "the frames may allow nothing"
            assert frame["srcdoc"] == frame_document(_page(course, student, nb))
            _assert_no_grader_code(_text(frame["srcdoc"]), f"{name}/{nb}", code)
        assert "<img" not in page
        assert "<script" not in page.lower()
        if student == "untouched":
            assert f"Student: {HOSTILE} (untouched)" in _text(page)
            assert f"Student: {HOSTILE} (untouched)" in _text(parsed.frames[0]["srcdoc"])
    half = _text((tmp_path / "upload" / names["half"]).read_text())
    assert penalty.reason in half
    kept = round(0.7 * 36, 2)
    assert f"Total{kept:g} / 100" in half.replace("\n", "")
