"""Grade-import CSVs for each LMS, read back with csv; formula injection; feedback names."""

from __future__ import annotations

import csv
from dataclasses import dataclass

import pytest

from grading.course.lms_export import (
    MAX_NAME_BYTES,
    GradeRow,
    clean_name_part,
    feedback_upload_name,
    safe_cell,
    write_grades_csv,
)
from grading.intake.model import Roster, RosterEntry


@pytest.fixture
def roster():
    return Roster(
        "canvas",
        [
            RosterEntry(
                "101",
                "Zoë O'Brien",
                "Zoë",
                "O'Brien",
                "zoe@example.edu",
                "S101",
                "zobrien",
                "Section A",
            ),
            RosterEntry(
                "102",
                '=HYPERLINK("http://evil")',
                "=cmd",
                "-2+3",
                "+bob@example.edu",
                "S102",
                "@login",
                "Section B",
            ),
            RosterEntry(
                "103",
                "Ana Núñez",
                "Ana",
                "Núñez",
                "ana@example.edu",
                "S103",
                "anunez",
                "Section A",
                extra={
                    "Student": "Núñez, Ana",
                    "Identifier": "Participant 9",
                    "Last modified (grade)": "Monday, 1 June 2026, 9:00 AM",
                },
            ),
        ],
    )


ROWS = [
    GradeRow("zoe", "101", 87.5, "Well done, Zoë."),
    GradeRow("bob", "102", 70.0, "=1+1 is not a comment"),
    GradeRow("ana", "103", None, ""),
]


def read_back(path):
    raw = path.read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf")  # no byte-order mark: headers match exactly
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.reader(f))


def test_canvas_columns_points_row_and_values(tmp_path, roster):
    path = write_grades_csv(
        tmp_path / "canvas.csv",
        "canvas",
        ROWS,
        roster,
        column="Assignment 1 (4567)",
        max_points=100,
    )
    lines = read_back(path)
    assert lines[0] == [
        "Student",
        "ID",
        "SIS User ID",
        "SIS Login ID",
        "Section",
        "Assignment 1 (4567)",
    ]
    assert lines[1] == ["    Points Possible", "", "", "", "", "100"]
    assert lines[2] == ["O'Brien, Zoë", "101", "S101", "zobrien", "Section A", "87.5"]
    assert lines[3] == ["'-2+3, =cmd", "102", "S102", "'@login", "Section B", "70"]
    assert lines[4] == ["Núñez, Ana", "103", "S103", "anunez", "Section A", ""]  # blank
    assert len(lines) == 5


def test_canvas_needs_the_column_and_can_leave_out_points(tmp_path, roster):
    with pytest.raises(ValueError, match=r"Canvas gradebook column's header"):
        write_grades_csv(tmp_path / "c.csv", "canvas", ROWS, roster)
    lines = read_back(
        write_grades_csv(
            tmp_path / "c.csv", "canvas", ROWS[:1], roster, column="A (1)", max_points=None
        )
    )
    assert [line[1] for line in lines] == ["ID", "101"]


def test_moodle_worksheet_columns_and_values(tmp_path, roster):
    lines = read_back(write_grades_csv(tmp_path / "m.csv", "moodle", ROWS, roster, max_points=20))
    assert lines[0] == [
        "Identifier",
        "Full name",
        "Email address",
        "Grade",
        "Maximum Grade",
        "Last modified (grade)",
        "Feedback comments",
    ]
    assert lines[1] == [
        "Participant 101",
        "Zoë O'Brien",
        "zoe@example.edu",
        "87.5",
        "20",
        "",
        "Well done, Zoë.",
    ]
    assert lines[2] == [
        "Participant 102",
        '\'=HYPERLINK("http://evil")',
        "'+bob@example.edu",
        "70",
        "20",
        "",
        "'=1+1 is not a comment",
    ]
    # Echoed from a worksheet roster: its identifier and last-modified time.
    assert lines[3] == [
        "Participant 9",
        "Ana Núñez",
        "ana@example.edu",
        "",
        "20",
        "Monday, 1 June 2026, 9:00 AM",
        "",
    ]


def test_gradescope_columns_and_values(tmp_path, roster):
    lines = read_back(
        write_grades_csv(tmp_path / "g.csv", "gradescope", ROWS, roster, column="ignored")
    )
    assert lines == [
        ["Name", "SID", "Email", "Score"],
        ["Zoë O'Brien", "S101", "zoe@example.edu", "87.5"],
        ['\'=HYPERLINK("http://evil")', "S102", "'+bob@example.edu", "70"],
        ["Ana Núñez", "S103", "ana@example.edu", ""],
    ]


@pytest.mark.parametrize("lms", ["plain", "folders"])
def test_plain_columns_and_values(tmp_path, roster, lms):
    lines = read_back(write_grades_csv(tmp_path / "p.csv", lms, ROWS, roster))
    assert lines == [
        ["student_id", "name", "email", "total"],
        ["zoe", "Zoë O'Brien", "zoe@example.edu", "87.5"],
        ["bob", '\'=HYPERLINK("http://evil")', "'+bob@example.edu", "70"],
        ["ana", "Ana Núñez", "ana@example.edu", ""],
    ]


def test_a_row_missing_from_the_roster_keeps_its_lms_id(tmp_path):
    rows = [GradeRow("x", "999", 0.0), GradeRow("y", "zoe@example.edu", 12.345)]
    roster = Roster("canvas", [RosterEntry("101", "Zoë", email="zoe@example.edu")])
    lines = read_back(write_grades_csv(tmp_path / "c.csv", "canvas", rows, roster, column="A (1)"))
    assert lines[2] == ["", "999", "", "", "", "0"]
    assert lines[3][1:] == ["101", "", "", "", "12.35"]  # found by email, two decimals
    lines = read_back(write_grades_csv(tmp_path / "p.csv", "plain", rows, None, column="A1"))
    assert lines[0][-1] == "A1"


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ("=1+1", "'=1+1"),
        ("+SUM(A1)", "'+SUM(A1)"),
        ("-2+3", "'-2+3"),
        ("-", "-"),
        ("@cmd", "'@cmd"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("-3.5", "-3.5"),  # plain numbers stay numbers
        ("+4", "+4"),
        ("1e3", "1e3"),
        ("Zoë", "Zoë"),
        ("a=b", "a=b"),
        ("", ""),
        (None, ""),
        ("nul\x00byte", "nulbyte"),
        (85.0, "85"),
        (85.456, "85.46"),
        (0.1 + 0.2, "0.3"),
        (-0.001, "0"),
        (7, "7"),
    ],
)
def test_safe_cell(value, cell):
    assert safe_cell(value) == cell


def test_a_bad_total_raises_and_leaves_the_old_file(tmp_path, roster):
    path = tmp_path / "grades.csv"
    path.write_text("old\n")
    with pytest.raises(ValueError, match="finite grade, got nan"):
        write_grades_csv(path, "plain", [GradeRow("zoe", "101", float("nan"))], roster)
    assert path.read_text() == "old\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["grades.csv"]  # no temp file left
    write_grades_csv(path, "plain", ROWS[:1], roster)
    assert read_back(path)[1][0] == "zoe"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["grades.csv"]


def test_unknown_lms_is_refused(tmp_path, roster):
    with pytest.raises(ValueError, match="one of canvas, moodle, gradescope, plain, folders"):
        write_grades_csv(tmp_path / "x.csv", "blackboard", ROWS, roster)


@dataclass
class Info:
    lms_id: str
    name: str = ""
    label: str = ""


def test_canvas_feedback_name_carries_user_and_file_ids():
    info = Info("12345", "smithjohn", "smithjohn_LATE_12345_67890_knn-1.ipynb")
    assert feedback_upload_name("canvas", info, "jsmith") == "smithjohn_12345_67890_feedback.html"
    with pytest.raises(ValueError, match="Canvas download name"):
        feedback_upload_name("canvas", Info("12345", label="knn.ipynb"), "jsmith")


def test_moodle_feedback_name_is_a_participant_folder():
    info = Info("Participant 42", "Zoë_O'Brien")
    assert feedback_upload_name("moodle", info, "zoe") == (
        "Zoë O'Brien_42_assignfeedback_file/feedback.html"
    )
    assert feedback_upload_name("moodle", Info("7", "A/B\x07"), "ab").startswith("A-B_7_")
    with pytest.raises(ValueError, match="participant id"):
        feedback_upload_name("moodle", Info("zoe@example.edu", "Zoë"), "zoe")


def test_long_names_are_cut_to_the_limit_between_characters():
    folder = feedback_upload_name("moodle", Info("42", "Zoë " * 100), "zoe").split("/")[0]
    assert len(folder.encode()) <= MAX_NAME_BYTES
    assert folder.endswith("_42_assignfeedback_file")
    assert len(clean_name_part("é" * 200).encode()) <= MAX_NAME_BYTES
    assert clean_name_part("é" * 200) == "é" * (MAX_NAME_BYTES // 2)


@pytest.mark.parametrize("lms", ["gradescope", "folders", "plain"])
def test_other_feedback_names_are_the_student_id(lms):
    assert feedback_upload_name(lms, None, "s001") == "s001.html"
    assert feedback_upload_name(lms, None, "../../etc/x") == "-..-etc-x.html"


@pytest.mark.parametrize(
    ("text", "clean"),
    [
        ("a/b\\c:d", "a-b-c-d"),
        ("..hidden", "hidden"),
        ("~tmp", "tmp"),
        ("tab\there\u202e", "tabhere"),  # control and bidi-override characters go
        ("", "student"),
        ("Zoë O'Brien", "Zoë O'Brien"),
    ],
)
def test_clean_name_part(text, clean):
    assert clean_name_part(text) == clean
