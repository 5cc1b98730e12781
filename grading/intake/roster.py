"""Read a course roster exported from an LMS, or a plain CSV, into :class:`~.model.Roster`.

The format is told by the header:

``canvas``
    The gradebook export (Grades > Export > CSV): ``Student, ID, SIS User ID,
    SIS Login ID, Section``, then one column per assignment. ``Student`` is the
    sortable name ``Last, First``; ``ID`` is the Canvas user id that the file names
    of a submissions download carry. A ``Points Possible`` row (and, in newer
    exports, a posting-policy row with no student and no id) follows the header;
    Canvas's ``Student, Test`` is there too. All are skipped.
    (https://nemogb-dev.github.io/nemogb-r/articles/detailed-canvas-export-info.html;
    Canvas's "How do I export grades in the Gradebook?" guide.)
``gradescope``
    The roster download (Roster > Download Roster, ``memberships.csv``):
    ``First Name, Last Name, SID, Email, Role, Sections`` (older exports: ``Name``).
    The id is the SID, or the email for students without one, as in
    ``submission_metadata.yml``. Staff rows (``Role`` other than Student) are skipped.
    (Gradescope guide "Adding Students and Staff".)
``moodle``
    The grading worksheet (Assignment > View all submissions > Download grading
    worksheet): ``Identifier`` (``Participant 1234567``), ``Full name``,
    ``Email address``, ``Status``, ``Grade``, ..., ``Last modified (submission)``.
    The participant number is the id the download's folder names carry. The
    submission time is read in ``timezone`` (moodle/moodle ``mod/assign/gradingtable.php``
    and ``mod/assign/feedback/offline/locallib.php``).
``plain``
    Any CSV with an id column (``id``, ``student id``, ``username``, ...) or, failing
    that, an email column; names from ``name`` or ``first name``/``last name``.

UTF-8 with or without a BOM, UTF-16 (Excel's "Unicode text") and, failing those,
Windows-1252 are read; the delimiter is a comma, a semicolon or a tab.
Rows without an id and repeated ids are problems, never errors.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from pathlib import Path

from ._times import parse_moodle_time, zone
from .model import Roster, RosterEntry

ROSTER_FORMATS = ("canvas", "gradescope", "moodle", "plain")
_TEST_STUDENTS = {"student, test", "test student"}

PLAIN_COLUMNS = {
    "id": (
        "id",
        "student id",
        "studentid",
        "user id",
        "userid",
        "lms id",
        "username",
        "user name",
        "login",
        "login id",
        "student number",
        "sid",
    ),
    "name": ("name", "full name", "fullname", "student name", "student", "display name"),
    "first": ("first name", "firstname", "first", "given name", "given names"),
    "last": ("last name", "lastname", "last", "surname", "family name"),
    "email": ("email", "e mail", "email address", "mail"),
    "section": ("section", "sections", "section name", "group"),
    "sis": ("sis id", "sis user id"),
}


def read_roster(path, fmt=None, timezone="UTC"):
    """Read the roster CSV at ``path``.

    Parameters
    ----------
    path : str or Path
        A roster export (see the module's docstring for the formats).
    fmt : {"canvas", "gradescope", "moodle", "plain"} or None
        The format; None tells it from the header ("folders" means "plain").
    timezone : str
        The time zone Moodle's worksheet times are written in.

    Returns
    -------
    Roster
        One :class:`RosterEntry` per student, in file order; ``problems`` lists the
        rows left out and why.

    Raises
    ------
    ValueError
        When ``fmt`` is unknown, or the header fits no format (or not ``fmt``).
    """
    path = Path(path)
    problems = []
    header, rows = _read_table(path, problems)
    found = _detect(header)
    fmt = "plain" if fmt == "folders" else (fmt or found)
    if fmt is not None and fmt not in ROSTER_FORMATS:
        raise ValueError(f"Expected a roster format among {ROSTER_FORMATS}, got {fmt!r}.")
    if fmt is None or (fmt != "plain" and found != fmt):
        raise ValueError(
            f"Expected a roster CSV: a Canvas gradebook export (Student, ID, SIS User ID, "
            f"...), a Gradescope roster (First Name, Last Name, SID, Email, ...), a Moodle "
            f"grading worksheet (Identifier, Full name, ...) or a CSV with an id column; "
            f"{path.name} has the columns {header}"
            + (f", which are not a {fmt} roster." if fmt else ".")
            + " Check the file, or rename its id column to 'id'."
        )
    columns = _Columns(header)
    make = {"canvas": _canvas, "gradescope": _gradescope, "moodle": _moodle, "plain": _plain}[fmt]
    tz = zone(timezone)
    students, first_line = [], {}
    for line, row in rows:
        entry = make(columns.cells(row), tz, line, problems)
        if entry is None:
            continue
        key = entry.lms_id.lower()
        if key in first_line:
            problems.append(
                f"line {line}: the id {entry.lms_id} was already on line "
                f"{first_line[key]}: this row is left out"
            )
            continue
        first_line[key] = line
        students.append(entry)
    return Roster(fmt, students, problems, header)


def _read_table(path, problems):
    """(header, [(line number, row)]) of the CSV at ``path``, blank rows left out."""
    data = path.read_bytes()
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        text = data.decode("utf-16")
    else:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = data.decode("cp1252", errors="replace")
            problems.append(
                f"{path.name} is not UTF-8: read as Windows-1252 (save it as "
                "'CSV UTF-8' to keep accented names right)"
            )
    first = next((ln for ln in text.splitlines() if ln.strip()), "")
    delimiter = max(",;\t", key=first.count) if first else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header, rows = None, []
    for row in reader:
        if not any(cell.strip() for cell in row):
            continue
        if header is None:
            header = [cell.strip().lstrip("\ufeff") for cell in row]
        else:
            rows.append((reader.line_num, row))
    if header is None:
        raise ValueError(
            f"Expected a roster CSV with a header row, got {path.name}, which is empty."
        )
    return header, rows


def _norm(name):
    return re.sub(r"[\s_\-]+", " ", name.strip().lower())


def _detect(header):
    names = {_norm(h) for h in header}
    if {"student", "id"} <= names and names & {"sis user id", "sis login id"}:
        return "canvas"
    if {"identifier", "full name"} <= names:
        return "moodle"
    if "sid" in names and "email" in names and "id" not in names:
        return "gradescope"
    if names & set(PLAIN_COLUMNS["id"] + PLAIN_COLUMNS["email"]):
        return "plain"
    return None


class _Columns:
    """Cells of a row by (normalized) column name; unclaimed cells go to ``extra``."""

    def __init__(self, header):
        self.header = header
        self.index = {}
        for i, h in enumerate(header):
            self.index.setdefault(_norm(h), i)

    def cells(self, row):
        return _Row(self, [c.strip() for c in row])


class _Row:
    def __init__(self, columns, cells):
        self.columns, self.cells, self.used = columns, cells, set()

    def get(self, *names):
        for name in names:
            i = self.columns.index.get(_norm(name))
            if i is not None:
                self.used.add(i)
                if i < len(self.cells) and self.cells[i]:
                    return self.cells[i]
        return ""

    def extra(self):
        head = self.columns.header
        return {
            head[i]: c
            for i, c in enumerate(self.cells)
            if i < len(head) and i not in self.used and head[i]
        }


def _split_sortable(sortable):
    """("First Last", first, last) from Canvas's sortable "Last, First"."""
    last, comma, first = sortable.partition(",")
    if not comma:
        return sortable, "", ""
    first, last = first.strip(), last.strip()
    return f"{first} {last}".strip(), first, last


def _canvas(row, tz, line, problems):
    student, uid = row.get("Student"), row.get("ID")
    if student.lower() == "points possible" or not (student or uid):
        return None  # Canvas's own rows: points possible, posting policies
    if student.lower() in _TEST_STUDENTS:
        return None
    if not uid:
        problems.append(f"line {line}: {student} has no ID: left out")
        return None
    name, first, last = _split_sortable(student)
    return RosterEntry(
        uid,
        name,
        first,
        last,
        sis_id=row.get("SIS User ID"),
        login_id=row.get("SIS Login ID"),
        section=row.get("Section"),
        extra=row.extra(),
    )


def _gradescope(row, tz, line, problems):
    role = row.get("Role")
    if role and role.lower() != "student":
        return None
    first, last = row.get("First Name"), row.get("Last Name")
    name = row.get("Name", "Full Name") or f"{first} {last}".strip()
    sid, email = row.get("SID"), row.get("Email")
    if not (sid or email):
        problems.append(f"line {line}: {name or 'a row'} has neither an SID nor an email: left out")
        return None
    return RosterEntry(
        sid or email,
        name,
        first,
        last,
        email,
        sis_id=sid,
        section=row.get("Sections", "Section", "section_name"),
        extra=row.extra(),
    )


def _moodle(row, tz, line, problems):
    identifier, name = row.get("Identifier"), row.get("Full name")
    number = re.search(r"(\d+)\s*$", identifier)
    if not number:
        problems.append(
            f"line {line}: {name or 'a row'} has no participant number in "
            f"Identifier ({identifier!r}, expected like 'Participant 1234567'): "
            "left out"
        )
        return None
    extra = {"Identifier": identifier, **row.extra()}  # Moodle's import needs it as written
    when, problem = parse_moodle_time(extra.get(_find(extra, "Last modified (submission)")), tz)
    if problem:
        problems.append(f"line {line}: {name}: {problem}")
    return RosterEntry(
        number[1],
        name,
        email=row.get("Email address", "Email"),
        sis_id=row.get("ID number"),
        submitted_at=when,
        extra=extra,
    )


def _plain(row, tz, line, problems):
    first = row.get(*PLAIN_COLUMNS["first"])
    last = row.get(*PLAIN_COLUMNS["last"])
    name = row.get(*PLAIN_COLUMNS["name"]) or f"{first} {last}".strip()
    email = row.get(*PLAIN_COLUMNS["email"])
    lms_id = row.get(*PLAIN_COLUMNS["id"]) or email
    if not lms_id:
        problems.append(f"line {line}: {name or 'a row'} has no id: left out")
        return None
    return RosterEntry(
        lms_id,
        name,
        first,
        last,
        email,
        sis_id=row.get(*PLAIN_COLUMNS["sis"]),
        section=row.get(*PLAIN_COLUMNS["section"]),
        extra=row.extra(),
    )


def _find(extra, name):
    """The key of ``extra`` that is column ``name`` (any case and spacing), or ''."""
    return next((k for k in extra if _norm(k) == _norm(name)), "")
