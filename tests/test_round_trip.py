"""The instructor's round trip, through the command line, on real submissions.

Every course here is made and graded once (module fixtures) by ``python -m grading``
run as an instructor runs it: ``init``, ``intake`` of an LMS download written exactly as
the LMS lays it out (:mod:`tests.lms_fixtures`), ``autograde``, ``grades``. The fixtures
that take one course through several steps record what each step printed and left
behind, and the tests check those records: a later step cannot hide an earlier one.

The submissions are the generated samples kept to the kNN notebook (the other four
deleted): the complete one must earn exactly the kNN points its test cells promise
(:func:`grading.release.samples.expected_points`), the untouched one nothing.

1. Every LMS format, from its download and roster to the file it imports.
2. Incremental grading: nothing graded twice, and no manual grade or comment lost.
3. A run killed with SIGKILL: what was committed stays, the next run goes on.
4. The course lock.
5. A course folder moved elsewhere keeps working.
"""

from __future__ import annotations

import csv
import dataclasses
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import nbformat
import pytest
from nbgrader.api import Gradebook

from grading.course import lms_export
from grading.course.folder import locked
from grading.course.gradebook import class_scores
from grading.coursedir import ASSIGNMENT, NOTEBOOKS, REPO
from grading.release.samples import all_parts, expected_points, make_submission
from grading.run.autograde import maxima
from tests import lms_fixtures as fx

pytestmark = pytest.mark.cifar

KNN_POINTS = expected_points(all_parts())["knn"]
TIMEZONE = "America/Los_Angeles"
DUE = datetime(2026, 10, 15, 23, 59, tzinfo=ZoneInfo(TIMEZONE))  # PDT, -07:00
CANVAS_COLUMN = "Assignment 1 (4321)"  # the roster export's column: Canvas finds it by id
WRITTEN = "knn-written-bright-rows"  # a written answer of knn.ipynb, graded by hand
COMMAND_TIMEOUT = 900


def grading(*args, check=True):
    """Run ``python -m grading ARGS`` from the project root; the finished process."""
    result = subprocess.run(
        [sys.executable, "-m", "grading", *map(str, args)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=COMMAND_TIMEOUT,
    )
    if check:
        assert result.returncode == 0, f"{args[0]} failed:\n{result.stdout}\n{result.stderr}"
    return result


def autograde(course, data_dir, *options):
    """``autograde COURSE`` two at a time, as CI's two cores allow; what it printed."""
    return grading(
        "autograde", course, "--jobs", 2, "--data-dir", data_dir, "--no-progress", *options
    ).stdout


def log_lines(course):
    """(student id, notebooks) of every line of ``COURSE/log/autograde.log``."""
    path = Path(course) / "log" / "autograde.log"
    text = path.read_text() if path.is_file() else ""
    return [(m[1], m[2]) for m in re.finditer(r" graded (\S+) \(([^)]*)\):", text)]


def read_csv(path):
    """The rows of a CSV file as lists of cells, the header first."""
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.reader(f))


def rows_by_id(path, key="student_id"):
    """{row[key]: row} of a CSV file with a header."""
    with open(path, newline="", encoding="utf-8") as f:
        return {row[key]: row for row in csv.DictReader(f)}


def student_ids(course):
    """{LMS id: course student id} from ``intake/students.json``."""
    records = json.loads((Path(course) / "intake" / "students.json").read_text())
    return {rec["lms_id"]: sid for sid, rec in records["students"].items()}


# Every course folder of this module: its LMS format.
COURSES = {
    "canvas": "canvas",
    "gradescope": "gradescope",
    "moodle": "moodle",
    "folders": "folders",
    "incremental": "canvas",
    "killed": "folders",
}


@pytest.fixture(scope="module")
def new_courses(tmp_path_factory):
    """{name: course folder} of :data:`COURSES`, made by ``init`` two at a time.

    ``init`` generates the assignment with nbgrader (about 10 s of one core); CI has two.
    """
    root = tmp_path_factory.mktemp("courses")

    def init(name):
        grading(
            "init",
            root / name,
            "--due",
            DUE.strftime("%Y-%m-%dT%H:%M"),
            "--timezone",
            TIMEZONE,
            "--lms",
            COURSES[name],
        )
        return name, root / name

    with ThreadPoolExecutor(max_workers=2) as pool:
        return dict(pool.map(init, COURSES))


def knn_only(dest, done, note=None):
    """A generated submission with only knn.ipynb; ``note`` is added to it as a last cell."""
    make_submission(dest, done)
    for nb in NOTEBOOKS[1:]:
        (dest / f"{nb}.ipynb").unlink()
    if note:
        nb = nbformat.read(dest / "knn.ipynb", as_version=4)
        nb.cells.append(nbformat.v4.new_markdown_cell(note))
        nbformat.write(nb, dest / "knn.ipynb")
    return dest


@pytest.fixture(scope="module")
def sources(tmp_path_factory):
    """The students' assignment folders: knn complete, untouched, and complete again."""
    root = tmp_path_factory.mktemp("sources")
    return {
        "complete": knn_only(root / "complete", all_parts()),
        "untouched": knn_only(root / "untouched", ()),
        "resubmitted": knn_only(
            root / "resubmitted", all_parts(), note="Resubmitted: the answers above, reworded."
        ),
    }


# ------------------------------------------------------------ 1. every LMS format


@dataclasses.dataclass
class LmsCourse:
    """One course per LMS format, taken from download to LMS file; what each step said."""

    fmt: str
    course: Path
    ids: dict  # LMS id -> course student id
    zoe: fx.Student  # complete, late where the LMS gives times, on the roster
    stranger: fx.Student  # untouched, a long name, not on the roster
    absent: fx.Student  # on the roster, no submission
    intake: str
    autograde: str
    grades: str

    def sid(self, student):
        return self.ids[self.lms_id(student)]

    def lms_id(self, student):
        return {
            "canvas": str(student.canvas_id),
            "gradescope": student.sid,
            "moodle": str(student.moodle_id),
            "folders": student.full_name,
        }[self.fmt]


# How late the complete submission is where the LMS records a time (Gradescope's
# :created_at:, Moodle's worksheet), in words and in started days after the 15 minutes'
# grace; the penalty is 10% of the points per day.
LATE = {
    "gradescope": (timedelta(hours=20), "20 hours", 1),
    "moodle": (timedelta(days=1, hours=6), "1 day 6 hours", 2),
}


def penalty_percent(fmt):
    """The late penalty the complete submission must get (none without a time)."""
    return 10 * LATE[fmt][2] if fmt in LATE else 0


def lms_students(fmt, sources):
    """Zoë (complete, late), a stranger (untouched, a long name) and Rosa (absent)."""
    late = LATE[fmt][0] if fmt in LATE else timedelta(hours=20)  # only zip entry times
    zoe = fx.Student(
        "Zoë",
        "O'Brien",
        sources["complete"],
        31000,
        7700100,
        "S100",
        "zoe@example.edu",
        submitted_at=DUE + late,
        late=True,
        history=(DUE - timedelta(days=1),),
    )
    if fmt in ("canvas", "moodle"):  # loose files, knn.ipynb uploaded twice
        zoe = dataclasses.replace(zoe, upload="files", resubmitted=("knn.ipynb",))
    stranger = fx.Student(
        "Maximilian",
        fx.LONG_LAST[: 201 - len("Maximilian ")],
        sources["untouched"],
        31001,
        7700101,
        "S101",
        "max@example.edu",
        submitted_at=DUE - timedelta(days=1),
    )
    absent = fx.Student(
        "Rosa", "Absent", sources["untouched"], 31002, 7700102, "S102", "rosa@example.edu"
    )
    return zoe, stranger, absent


def write_download(fmt, root, handed_in, roster_students):
    """The LMS's download of ``handed_in`` and its roster of ``roster_students``."""
    if fmt == "canvas":
        return (
            fx.canvas_download(root / "submissions.zip", handed_in),
            fx.canvas_roster(root / "grades.csv", roster_students),
        )
    if fmt == "gradescope":
        return (
            fx.gradescope_download(root / "export.zip", handed_in),
            fx.gradescope_roster(root / "memberships.csv", roster_students),
        )
    if fmt == "moodle":
        return (
            fx.moodle_download(root / "submissions.zip", handed_in),
            fx.moodle_worksheet(root / "worksheet.csv", roster_students, ZoneInfo(TIMEZONE)),
        )
    # A class folder names each student's folder; the roster's id is that name. Zoë
    # handed in twice: a folder and a zip.
    folder = fx.folders_download(root / "class", handed_in)
    zoe = handed_in[0]
    (folder / f"{zoe.full_name}.zip").write_bytes(fx.submit_zip(zoe.source))
    named = [dataclasses.replace(s, sid=s.full_name) for s in roster_students]
    return folder, fx.plain_roster(root / "roster.csv", named)


@pytest.fixture(scope="module", params=["canvas", "gradescope", "moodle", "folders"])
def lms(request, tmp_path_factory, sources, new_courses, cifar_root):
    fmt = request.param
    root = tmp_path_factory.mktemp(fmt)
    zoe, stranger, absent = lms_students(fmt, sources)
    download, roster = write_download(fmt, root, [zoe, stranger], [zoe, absent])
    course = new_courses[fmt]
    if fmt == "canvas":
        toml = course / "course.toml"
        toml.write_text(
            toml.read_text().replace(
                'grades_column = "Assignment 1"', f'grades_column = "{CANVAS_COLUMN}"'
            )
        )
    intake = grading("intake", course, download, "--roster", roster).stdout
    graded = autograde(course, cifar_root)
    grades = grading("grades", course, "--lms", fmt).stdout
    return LmsCourse(
        fmt, course, student_ids(course), zoe, stranger, absent, intake, graded, grades
    )


def test_intake_report_lists_what_needs_a_look(lms):
    report = lms.intake
    zoe, stranger = lms.sid(lms.zoe), lms.sid(lms.stranger)
    assert (lms.course / "intake" / "report.txt").is_file()
    read = 3 if lms.fmt == "folders" else 2  # Zoë's folder and zip are two attempts
    assert (
        f"Intake into {lms.course.name}: {lms.fmt} download, {read} attempt(s) read, "
        f"{read} new, 0 already here."
    ) in report
    not_on_roster = report.split(
        "Not on the roster (graded; left out of the LMS grades file) (1):\n"
    )[1].splitlines()[0]
    assert not_on_roster.startswith(f"  - {stranger}: ")
    assert "wolfeschlegelsteinhausenbergerdorff" in not_on_roster.lower()
    assert "… (LMS id " in not_on_roster  # the long name is cut short
    assert "On the roster, no submission (1):\n  - Rosa Absent (" in report
    if lms.fmt in LATE:
        _, after, days = LATE[lms.fmt]
        assert (
            f"Late (1):\n  - {zoe}: submitted {after} after the due date of 15 Oct 2026 "
            f"23:59 PDT: {days} day{'s' if days > 1 else ''} late, "
            f"-{penalty_percent(lms.fmt)}%\n"
        ) in report
    else:
        label = {"canvas": "Canvas", "folders": "Folder"}[lms.fmt]
        assert (
            f"{label} downloads carry no submission times: late days cannot be computed" in report
        )
    if lms.fmt == "canvas":
        assert (
            f"Late (1):\n  - {zoe}: marked late by the LMS, no submission time: no penalty applied"
        ) in report
    duplicate = {
        "canvas": f"{zoe}: knn.ipynb was handed in 2 times: kept knn-1.ipynb, left out knn.ipynb",
        "moodle": f"{zoe}: knn.ipynb was handed in 2 times: kept knn (1).ipynb, left out knn.ipynb",
        "gradescope": f"{zoe}: 1 earlier Gradescope submission(s) are in the history but "
        "not in the export: only this one can be graded",
        "folders": f"{zoe}: both Zoë O'Brien/ and Zoë O'Brien.zip are in the download: "
        "two attempts of one student",
    }[lms.fmt]
    assert duplicate in report


def test_complete_earns_every_knn_point_and_untouched_none(lms):
    rows = rows_by_id(lms.course / "grades.csv")
    zoe, stranger = rows[lms.sid(lms.zoe)], rows[lms.sid(lms.stranger)]
    written = maxima(lms.course / "work" / "_template")["knn"][1]
    assert (float(zoe["knn"]), float(zoe["written_pending"])) == (KNN_POINTS, written)
    assert (float(stranger["knn"]), float(stranger["written_pending"])) == (0, 0)
    assert "wolfeschlegelsteinhausenbergerdorff" in stranger["submission"].lower()
    assert set(rows) == {lms.sid(lms.zoe), lms.sid(lms.stranger)}
    assert "Grading 2 submission(s), 2 at a time" in lms.autograde


def expected_lms_file(lms):
    """The rows the LMS must import: Zoë (late penalty applied) and Rosa (0)."""
    zoe, rosa = lms.zoe, lms.absent
    total = lms_export.safe_cell(KNN_POINTS * (1 - penalty_percent(lms.fmt) / 100))
    if lms.fmt == "canvas":
        return [
            [*lms_export.CANVAS_COLUMNS, CANVAS_COLUMN],
            ["    Points Possible", "", "", "", "", "100"],
            [zoe.sortable_name, str(zoe.canvas_id), zoe.sid, zoe.email, "CS231n 001", total],
            [rosa.sortable_name, str(rosa.canvas_id), rosa.sid, rosa.email, "CS231n 001", "0"],
        ]
    if lms.fmt == "gradescope":
        return [
            ["Name", "SID", "Email", "Score"],
            [zoe.full_name, zoe.sid, zoe.email, total],
            [rosa.full_name, rosa.sid, rosa.email, "0"],
        ]
    if lms.fmt == "moodle":  # "-": the worksheet's "no grade yet", echoed as it was
        return [
            list(lms_export.MOODLE_COLUMNS),
            [f"Participant {zoe.moodle_id}", zoe.full_name, zoe.email, total, "100", "-", ""],
            [
                f"Participant {rosa.moodle_id}",
                rosa.full_name,
                rosa.email,
                "0",
                "100",
                "-",
                "no submission",
            ],
        ]
    return [
        ["student_id", "name", "email", "Assignment 1"],
        [lms.sid(zoe), zoe.full_name, zoe.email, total],
        ["", rosa.full_name, rosa.email, "0"],
    ]


# The headers grading.course.lms_export's docstring gives for each LMS's import.
DOCUMENTED = {
    "canvas": "Student, ID, SIS User ID, SIS Login ID, Section, <column>",
    "gradescope": "Name, SID, Email, Score",
    "moodle": "Identifier, Full name, Email address, Grade, Maximum Grade, "
    "Last modified (grade), Feedback comments",
    "folders": "student_id, name, email, <column or total>",
}


def test_lms_file_is_exactly_what_the_lms_imports(lms):
    path = lms.course / "exports" / f"{lms.fmt}_grades.csv"
    lines = read_csv(path)
    header = DOCUMENTED[lms.fmt]
    assert f"``{header}``" in " ".join(lms_export.__doc__.split())
    documented = [
        c.replace("<column>", CANVAS_COLUMN).replace("<column or total>", "Assignment 1")
        for c in header.split(", ")
    ]
    assert lines[0] == documented
    assert lines == expected_lms_file(lms)
    assert not path.read_bytes().startswith(b"\xef\xbb\xbf")  # Moodle wants no BOM
    assert all("Maximilian" not in cell for line in lines for cell in line)


def test_final_grades_apply_the_late_penalty(lms):
    zoe = rows_by_id(lms.course / "exports" / "final_grades.csv")[lms.sid(lms.zoe)]
    percent = penalty_percent(lms.fmt)
    assert float(zoe["knn_auto"]) == float(zoe["before_penalty"]) == KNN_POINTS
    assert float(zoe["late_penalty"]) == pytest.approx(KNN_POINTS * percent / 100)
    assert float(zoe["total"]) == pytest.approx(KNN_POINTS * (1 - percent / 100))
    if lms.fmt not in LATE:
        assert zoe["late_reason"] == (
            "the submission time is unknown, so no late penalty was applied"
        )


def test_warnings_name_unfinished_grading_strangers_and_absentees(lms):
    written = maxima(lms.course / "work" / "_template")["knn"][1]
    warnings = (lms.course / "exports" / "warnings.txt").read_text().splitlines()
    assert warnings == [
        f"{lms.sid(lms.zoe)}: knn: {written:g} point(s) of written answers not graded yet "
        "(formgrader)",
        f"{lms.sid(lms.stranger)}: not on the roster, left out of the LMS file (total 0)",
        "Rosa Absent: no submission (0 in the LMS file)",
    ]
    assert "3 warning(s)" in lms.grades


# ------------------------------------------------------------ 2. incremental grading


def manual_grades(course, students):
    """{student: (manual score, manual comment)} of the written answer WRITTEN."""
    out = {}
    with Gradebook(f"sqlite:///{Path(course) / 'gradebook.db'}") as gb:
        for student in students:
            grade = gb.find_grade(WRITTEN, "knn", ASSIGNMENT, student)
            comment = gb.find_comment(WRITTEN, "knn", ASSIGNMENT, student)
            out[student] = (grade.manual_score, comment.manual_comment)
    return out


def enter_manual_grades(course, entered):
    """Grade WRITTEN by hand, as formgrader does: the score, the flag, a comment."""
    with Gradebook(f"sqlite:///{Path(course) / 'gradebook.db'}") as gb:
        for student, (score, text) in entered.items():
            grade = gb.find_grade(WRITTEN, "knn", ASSIGNMENT, student)
            grade.manual_score, grade.needs_manual_grade = score, False
            gb.find_comment(WRITTEN, "knn", ASSIGNMENT, student).manual_comment = text
        gb.db.commit()


def state_times(course):
    """{file name: modification time in ns} of ``COURSE/state/*.json``."""
    return {p.name: p.stat().st_mtime_ns for p in (Path(course) / "state").glob("*.json")}


def snapshot(course, students, printed, log_before):
    """What one step left: its output, the log lines it added, grades, manual grades."""
    return {
        "printed": printed,
        "graded": log_lines(course)[log_before:],
        "rows": rows_by_id(course / "grades.csv"),
        "manual": manual_grades(course, students),
        "states": state_times(course),
    }


@pytest.fixture(scope="module")
def incremental(tmp_path_factory, sources, new_courses, cifar_root):
    """A Canvas course graded, graded by hand, then graded again four ways."""
    root = tmp_path_factory.mktemp("incremental")
    zoe = fx.Student("Zoë", "O'Brien", sources["complete"], 31000, 7700100)
    ann = fx.Student("Ann", "Lee", sources["complete"], 31001, 7700101)
    first = fx.canvas_download(root / "first.zip", [zoe, ann])
    again = dataclasses.replace(zoe, source=sources["resubmitted"], late=True)
    second = fx.canvas_download(root / "second.zip", [again, ann], first_attachment=800001)
    course = new_courses["incremental"]
    grading("intake", course, first)
    autograde(course, cifar_root)
    students = ["31000", "31001"]
    entered = {"31000": (1.5, "Right idea; say which pixels."), "31001": (2.0, "Exactly.")}
    enter_manual_grades(course, entered)
    steps = {"entered": entered, "course": course, "download": second}
    before, n = state_times(course), len(log_lines(course))
    steps["idle"] = snapshot(course, students, autograde(course, cifar_root), n)
    steps["idle"]["before"] = before
    resubmission = grading("intake", course, second).stdout
    n = len(log_lines(course))
    steps["resubmitted"] = snapshot(course, students, autograde(course, cifar_root), n)
    steps["resubmitted"]["intake"] = resubmission
    n = len(log_lines(course))
    steps["forced"] = snapshot(course, students, autograde(course, cifar_root, "--force"), n)
    n = len(log_lines(course))
    printed = autograde(course, cifar_root, "--student", "31001", "--notebook", "knn")
    steps["one"] = snapshot(course, students, printed, n)
    grading("grades", course)
    steps["final"] = rows_by_id(course / "exports" / "final_grades.csv")
    return steps


def test_nothing_changed_grades_nothing(incremental):
    idle = incremental["idle"]
    assert "Nothing to grade: all 2 submission(s) are up to date." in idle["printed"]
    assert idle["graded"] == []
    assert idle["states"] == idle["before"]
    assert len(idle["states"]) == 2
    assert idle["manual"] == incremental["entered"]


def test_late_resubmission_regrades_exactly_that_student(incremental):
    step = incremental["resubmitted"]
    assert "2 attempt(s) read, 1 new, 1 already here." in step["intake"]
    assert (
        "Several attempts (* = graded, all kept) (1):\n  - 31000: 1 (no time); *2" in step["intake"]
    )
    assert "Grading 1 submission(s), 2 at a time; 1 already graded are kept." in step["printed"]
    assert step["graded"] == [("31000", ",".join(NOTEBOOKS))]
    assert float(step["rows"]["31000"]["knn"]) == KNN_POINTS
    assert step["manual"] == incremental["entered"]  # the other student's too


def test_resubmission_after_manual_grading_asks_for_a_review(incremental):
    rows = incremental["resubmitted"]["rows"]
    assert (
        "resubmitted after manual grading of knn: the grades and comments entered are "
        "kept; review them against the new answers"
    ) in rows["31000"]["problems"]
    assert "resubmitted" not in rows["31001"]["problems"]


def test_force_regrades_everyone_and_keeps_manual_grades(incremental):
    step = incremental["forced"]
    assert sorted(step["graded"]) == [(s, ",".join(NOTEBOOKS)) for s in ("31000", "31001")]
    assert step["manual"] == incremental["entered"]
    assert [float(step["rows"][s]["knn"]) for s in ("31000", "31001")] == [KNN_POINTS] * 2


def test_one_notebook_of_one_student(incremental):
    step = incremental["one"]
    assert step["graded"] == [("31001", "knn")]
    assert step["manual"] == incremental["entered"]
    assert float(step["rows"]["31001"]["knn"]) == KNN_POINTS
    assert step["states"]["31000.json"] == incremental["forced"]["states"]["31000.json"]


def test_final_grades_count_the_manual_grades(incremental):
    final = incremental["final"]
    for student, (score, _) in incremental["entered"].items():
        assert float(final[student]["knn_manual"]) == score
        assert float(final[student]["total"]) == KNN_POINTS + score


# ------------------------------------------------------------ 3. killed and resumed


def processes_of(course):
    """``ps`` lines of the processes whose command line names ``course``."""
    out = subprocess.run(["ps", "-ww", "-eo", "pid,args"], capture_output=True, text=True).stdout
    return [line.strip() for line in out.splitlines() if str(course) in line]


def wait_for(condition, timeout, what):
    """Poll ``condition()`` every 0.1 s; fail the test after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"waited {timeout} s for {what}")
        time.sleep(0.1)


@pytest.fixture(scope="module")
def killed(tmp_path_factory, sources, new_courses, cifar_root):
    """Three students; the first run is killed after one is committed, then resumed."""
    root = tmp_path_factory.mktemp("killed")
    klass = root / "class"
    for name, source in (("alice", "complete"), ("bob", "complete"), ("carol", "untouched")):
        shutil.copytree(sources[source], klass / name)
    course = new_courses["killed"]
    grading("intake", course, klass)
    facts = {"course": course}
    with open(root / "first-run.log", "w") as out:
        run = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "grading",
                "autograde",
                str(course),
                "--jobs",
                "1",
                "--data-dir",
                str(cifar_root),
                "--no-progress",
            ],
            cwd=REPO,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            wait_for(
                lambda: any((course / "state").glob("*.json")) or run.poll() is not None,
                COMMAND_TIMEOUT,
                "the first committed submission",
            )
            assert run.poll() is None, (root / "first-run.log").read_text()
            os.killpg(run.pid, signal.SIGKILL)
        finally:
            if run.poll() is None:
                os.killpg(run.pid, signal.SIGKILL)
            run.wait()
    facts["committed"] = sorted(p.stem for p in (course / "state").glob("*.json"))
    try:
        wait_for(lambda: not processes_of(course), 10, "the killed run's processes to end")
    finally:
        facts["left"] = processes_of(course)
    facts["after_kill"] = class_scores(course)
    facts["log_after_kill"] = log_lines(course)
    facts["resumed"] = autograde(course, cifar_root)
    facts["log"] = log_lines(course)
    facts["rows"] = rows_by_id(course / "grades.csv")
    facts["scores"] = class_scores(course)
    return facts


def test_kill_leaves_no_process_behind(killed):
    assert killed["left"] == []


def test_killed_run_kept_what_it_committed(killed):
    assert killed["committed"] == ["alice"]  # one at a time, in order of student id
    assert killed["after_kill"] == {
        "alice": {nb: KNN_POINTS if nb == "knn" else 0.0 for nb in NOTEBOOKS}
    }
    assert killed["log_after_kill"] in ([], [("alice", ",".join(NOTEBOOKS))])


def test_next_run_grades_only_the_rest(killed):
    assert "Grading 2 submission(s), 2 at a time; 1 already graded are kept." in killed["resumed"]
    resumed = killed["log"][len(killed["log_after_kill"]) :]
    assert sorted(student for student, _ in resumed) == ["bob", "carol"]
    expected = {"alice": KNN_POINTS, "bob": KNN_POINTS, "carol": 0}
    assert {s: float(row["knn"]) for s, row in killed["rows"].items()} == expected
    assert {s: points["knn"] for s, points in killed["scores"].items()} == expected


# ------------------------------------------------------------ 4. the lock


def test_lock_refuses_every_writer_and_names_the_holder(incremental):
    course, download = incremental["course"], incremental["download"]
    commands = [
        ("autograde", course, "--no-progress"),
        ("intake", course, download),
        ("grades", course),
    ]
    holder = f"`test` (pid {os.getpid()} on {socket.gethostname()}, since "
    where = course.resolve()
    with locked(course, "test"):
        for command in commands:
            result = grading(*command, check=False)
            assert result.returncode == 2, (command[0], result.stdout, result.stderr)
            assert (
                f"Another command is working on the course folder {where}: {holder}"
                in result.stderr
            )
    assert "Nothing to grade: all 2 submission(s) are up to date." in grading(*commands[0]).stdout
    assert "2 attempt(s) read, 0 new, 2 already here." in grading(*commands[1]).stdout
    assert "Final grades of 2 student(s)" in grading(*commands[2]).stdout


# ------------------------------------------------------------ 5. movable


def test_moved_course_names_no_old_path_and_keeps_working(killed, tmp_path):
    old = killed["course"]
    (tmp_path / "elsewhere").mkdir()
    new = Path(shutil.move(old, tmp_path / "elsewhere" / "course"))
    assert not old.exists()
    texts = [
        new / "nbgrader_config.py",
        new / "course.toml",
        new / "intake" / "students.json",
        *sorted((new / "state").glob("*.json")),
    ]
    assert len(texts) == 3 + 3
    found = subprocess.run(
        ["grep", "-rlF", str(old), *map(str, texts)], capture_output=True, text=True
    )
    assert (found.returncode, found.stdout) == (1, "")
    assert (
        "Nothing to grade: all 3 submission(s) are up to date."
        in grading("autograde", new, "--no-progress").stdout
    )
    assert "Final grades of 3 student(s)" in grading("grades", new).stdout
    final = rows_by_id(new / "exports" / "final_grades.csv")
    assert {s: float(row["total"]) for s, row in final.items()} == {
        "alice": KNN_POINTS,
        "bob": KNN_POINTS,
        "carol": 0,
    }
