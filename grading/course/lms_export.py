"""Grades out, as each LMS's import reads them, and feedback files named for bulk upload.

:func:`write_grades_csv` writes one student a line, in the order of the rows given
(a student without a row is left out, and the LMS leaves their grade alone):

``canvas`` (Gradebook, Import)
    ``Student, ID, SIS User ID, SIS Login ID, Section, <column>``, then a
    ``Points Possible`` row. Canvas finds the student by ``ID`` (its user id), then
    the SIS ids, then the name; the header must hold ``Student`` and ``ID`` first and
    end its student columns with ``Section``, and the SIS columns come both or neither.
    The grade column is found by the assignment id in ``Name (12345)`` (by its exact
    title otherwise; an unknown title creates a new assignment). The Points Possible
    row sets the assignment's points, so pass ``max_points=None`` to leave it out. A
    blank or ``-`` leaves a grade unchanged. Comments are not imported.
    https://teaching.resources.osu.edu/toolsets/carmencanvas/guides/calculating-final-grades/import-csv-file-carmen-grades
    and Canvas's ``app/models/gradebook_importer.rb``.
``moodle`` (Assignment, View all submissions, Upload grading worksheet)
    ``Identifier, Full name, Email address, Grade, Maximum Grade,
    Last modified (grade), Feedback comments``, the offline grading worksheet's own
    headers: the assignment needs "Offline grading worksheet" (and "Feedback
    comments" for the comments) ticked under Feedback types. Moodle matches
    ``Participant N`` and needs the ``Grade`` and ``Last modified (grade)`` columns;
    a blank grade is skipped, and a grade changed in Moodle since the worksheet's
    ``Last modified (grade)`` is kept unless "Allow updating records that have been
    modified more recently in Moodle than in the spreadsheet" is ticked. The worksheet
    columns are echoed from the roster when it came from a worksheet. Moodle's
    ``mod/assign/feedback/offline`` (``importgradeslib.php``, ``gradingtable.php``).
``gradescope``
    ``Name, SID, Email, Score``: the identifying columns of Gradescope's roster and
    grade exports (its roster upload needs Name and Email, Email unique; SID is the
    student id), https://help.gradescope.com/article/w59nl02vyt-instructor-course-add-members.
    Gradescope's guides describe no CSV import of scores into a programming
    assignment (its autograders report scores in ``results.json``,
    https://gradescope-autograders.readthedocs.io/en/latest/specs/), so this file is
    for a gradebook or spreadsheet that matches students by email or SID.
``plain`` (also ``folders``)
    ``student_id, name, email, <column or total>``.

Every cell that came from a student or an LMS goes through :func:`safe_cell`, so a
spreadsheet opening the file runs no formula. Files are UTF-8 without a byte-order
mark (Moodle looks for ``Identifier`` as the first header) and are written
atomically: a crash leaves the old file or the new one, never half of one.
"""

from __future__ import annotations

import csv
import math
import os
import re
import tempfile
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from ..intake.model import RosterEntry

LMS_CHOICES = ("canvas", "moodle", "gradescope", "plain", "folders")
CANVAS_COLUMNS = ("Student", "ID", "SIS User ID", "SIS Login ID", "Section")
MOODLE_COLUMNS = (
    "Identifier",
    "Full name",
    "Email address",
    "Grade",
    "Maximum Grade",
    "Last modified (grade)",
    "Feedback comments",
)
MOODLE_PARTICIPANT = "Participant "  # Moodle's English "hiddenuser" string
MAX_NAME_BYTES = 150
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")
_UNSAFE_IN_NAMES = re.compile(r'[/\\:*?"<>|]')


@dataclass(frozen=True)
class GradeRow:
    """One student's grade to export; ``total=None`` writes a blank."""

    student_id: str
    lms_id: str
    total: float | None
    comment: str = ""


def _number(value):
    """A number as a gradebook wants it: at most two decimals, no trailing zeros."""
    if not math.isfinite(value):
        raise ValueError(
            f"Expected a finite grade, got {value!r}; grade the submission "
            "again or write None for a blank."
        )
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def safe_cell(value):
    """``value`` as a CSV cell a spreadsheet will not run as a formula.

    A text starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets a
    leading ``'`` (spreadsheets show it as text), unless it is a plain number like
    ``-3.5`` or a lone ``-`` (the LMSs' "no value"). Numbers are written with at most
    two decimals; None is a blank; NUL characters are dropped.
    """
    if value is None:
        return ""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return _number(float(value))
    text = str(value).replace("\x00", "")
    if text.startswith(_FORMULA_START) and text != "-" and not _PLAIN_NUMBER.fullmatch(text):
        return "'" + text
    return text


def _entry_for(roster, row):
    """The roster's entry for ``row`` (by LMS id, then email or SIS id), or a bare one."""
    students = roster.students if roster is not None else []
    for entry in students:
        if entry.lms_id == row.lms_id:
            return entry
    found = roster.find(row.lms_id) if roster is not None else None
    return found or RosterEntry(lms_id=row.lms_id)


def _full_name(entry):
    return entry.name or " ".join(p for p in (entry.first_name, entry.last_name) if p)


def _canvas(pairs, column, max_points):
    if not column:
        raise ValueError(
            "Expected the Canvas gradebook column's header, like 'Assignment 1 "
            "(12345)', got none; pass column=config.lms.grades_column."
        )
    lines = [[*CANVAS_COLUMNS, column]]
    if max_points is not None:
        lines.append(["    Points Possible", "", "", "", "", max_points])
    for row, entry in pairs:
        sortable = ", ".join(p for p in (entry.last_name, entry.first_name) if p)
        student = entry.extra.get("Student") or sortable or entry.name
        lines.append(
            [student, entry.lms_id, entry.sis_id, entry.login_id, entry.section, row.total]
        )
    return lines


def _participant(lms_id):
    """Moodle's ``Participant N`` for the LMS id N (or one that is already that)."""
    lms_id = str(lms_id).strip()
    return lms_id if lms_id.startswith(MOODLE_PARTICIPANT) else MOODLE_PARTICIPANT + lms_id


def _moodle(pairs, max_points):
    lines = [list(MOODLE_COLUMNS)]
    for row, entry in pairs:
        extra = entry.extra
        lines.append(
            [
                extra.get("Identifier") or _participant(entry.lms_id),
                _full_name(entry),
                entry.email,
                row.total,
                max_points if max_points is not None else extra.get("Maximum Grade"),
                extra.get("Last modified (grade)", ""),
                row.comment,
            ]
        )
    return lines


def _gradescope(pairs):
    lines = [["Name", "SID", "Email", "Score"]]
    for row, entry in pairs:
        lines.append([_full_name(entry), entry.sis_id, entry.email, row.total])
    return lines


def _plain(pairs, column):
    lines = [["student_id", "name", "email", column or "total"]]
    for row, entry in pairs:
        lines.append([row.student_id, _full_name(entry), entry.email, row.total])
    return lines


def _write_atomic(path, lines):
    """Write ``lines`` as CSV to ``path`` through a temporary file and a rename."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            csv.writer(f).writerows([[safe_cell(cell) for cell in line] for line in lines])
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def write_grades_csv(path, lms, rows, roster, column=None, max_points=100):
    """Write the grades file ``lms`` imports (see the module's description).

    Parameters
    ----------
    path : str or Path
        The file to write (replaced atomically); its folder must exist.
    lms : {"canvas", "moodle", "gradescope", "plain", "folders"}
    rows : sequence of GradeRow
    roster : grading.intake.model.Roster or None
        Where the identifying columns come from; a row not on it gets its ``lms_id`` only.
    column : str, optional
        The grade column's header: required for Canvas (``Name (assignment id)``), the
        last column of ``plain``; Moodle and Gradescope read fixed headers.
    max_points : float or None
        Canvas's Points Possible row and Moodle's Maximum Grade; None leaves them out.

    Returns
    -------
    Path
    """
    if lms not in LMS_CHOICES:
        raise ValueError(
            f"Expected lms to be one of {', '.join(LMS_CHOICES)}, got {lms!r}; "
            "course.toml's [lms] format names it."
        )
    pairs = [(row, _entry_for(roster, row)) for row in rows]  # (GradeRow, RosterEntry)
    if lms == "canvas":
        lines = _canvas(pairs, column, max_points)
    elif lms == "moodle":
        lines = _moodle(pairs, max_points)
    elif lms == "gradescope":
        lines = _gradescope(pairs)
    else:
        lines = _plain(pairs, column)
    return _write_atomic(path, lines)


def clean_name_part(text, max_bytes=MAX_NAME_BYTES):
    """``text`` made safe inside a file name: no path separators or control characters.

    Characters Windows refuses (``/ \\ : * ? " < > |``) become ``-``; control and
    format characters are dropped; leading dots, tildes and spaces go (Moodle skips
    names starting with ``.`` or ``~``); the result is at most ``max_bytes`` of UTF-8,
    cut between characters, and never empty.
    """
    text = unicodedata.normalize("NFC", str(text))
    text = "".join(c for c in text if unicodedata.category(c) not in ("Cc", "Cf", "Zl", "Zp"))
    text = _UNSAFE_IN_NAMES.sub("-", text).strip().lstrip(".~ ").rstrip(". ")
    data = text.encode("utf-8")[:max_bytes]
    return data.decode("utf-8", errors="ignore").rstrip(". ") or "student"


def _canvas_upload_name(info, filename):
    """``lastfirst_userid_fileid_name``: Canvas's "Re-upload submissions" naming."""
    label = clean_name_part(getattr(info, "label", "") or "")
    parts = label.split("_")
    numbers = [p for p in parts if p.isdigit()]
    if len(numbers) < 2:
        raise ValueError(
            f"Expected the attempt's Canvas download name (lastfirst_12345_67890_file), "
            f"with the user id and the submitted file's id, got {label!r}. Canvas's "
            "re-upload matches a feedback file to a student by those two numbers."
        )
    tail = f"_{numbers[0]}_{numbers[1]}_{clean_name_part(filename, 80).replace('_', '-')}"
    # Canvas reads only the numbers; the name in front is for people, and must not be one.
    who = clean_name_part(parts[0], MAX_NAME_BYTES - len(tail.encode()))
    return ("student" if who.isdigit() else who) + tail


def _moodle_upload_name(info, filename):
    """``Full Name_N_assignfeedback_file/name``: Moodle's feedback-zip naming."""
    number = _participant(info.lms_id)[len(MOODLE_PARTICIPANT) :].strip()
    if not number.isdigit():
        raise ValueError(
            f"Expected a Moodle participant id (the N of 'Participant N'), got "
            f"{info.lms_id!r}; Moodle matches feedback files by it."
        )
    tail = f"_{number}_assignfeedback_file"
    # Moodle splits the folder name at "_": the name must not hold one.
    name = clean_name_part(info.name or "Participant").replace("_", " ")
    name = clean_name_part(name, MAX_NAME_BYTES - len(tail.encode()))
    return f"{name}{tail}/{clean_name_part(filename, 80)}"


def feedback_upload_name(lms, info, student_id, filename="feedback.html"):
    """The path, inside a zip for the LMS's bulk upload, of one student's feedback file.

    ``canvas``: Assignment, "Re-upload Submissions" reads ``lastfirst_userid_fileid_*``
    and attaches each file to a submission comment ("See attached file") of the
    student with that Canvas user id, provided ``fileid`` is a file of their
    submission; Canvas names the attachment after that submitted file, not after ours.
    ``info`` is the attempt, whose ``label`` is its Canvas download name.
    (Canvas's ``Assignment#generate_comments_from_files``.)
    ``moodle``: "Upload multiple feedback files in a zip" (Feedback files enabled)
    reads ``Full Name_N_assignfeedback_file/<file>``, N the participant id, the form
    its "Download all submissions" uses since Moodle 4.1. ``info`` is the attempt or
    roster entry (``lms_id`` N, ``name``). (Moodle's ``assignfeedback_file`` importer.)
    ``gradescope``, ``plain``, ``folders``: ``<student_id>.html`` (the suffix is
    ``filename``'s); Gradescope has no feedback-file upload, so these are for handing
    out by other means.

    Every part is cleaned with :func:`clean_name_part`.
    """
    if lms == "canvas":
        return _canvas_upload_name(info, filename)
    if lms == "moodle":
        return _moodle_upload_name(info, filename)
    if lms in LMS_CHOICES:
        suffix = "." + clean_name_part((Path(filename).suffix or ".html")[1:], 19)
        return clean_name_part(student_id, MAX_NAME_BYTES - 20) + suffix
    raise ValueError(f"Expected lms to be one of {', '.join(LMS_CHOICES)}, got {lms!r}.")
