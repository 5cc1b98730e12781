"""What intake reads: attempts from an LMS download, and the course roster.

These are plain data. The readers (:mod:`grading.intake.lms`,
:mod:`grading.intake.roster`) fill them; the course folder
(:mod:`grading.course`) chooses which attempt of each student is graded.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

FORMATS = ("canvas", "gradescope", "moodle", "folders")


def valid_text(text):
    """``text`` that can be written as UTF-8: bytes a file name held that were not
    UTF-8 become U+FFFD, other lone surrogates a ``\\udXXX`` escape."""
    text = str(text)
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        pass
    try:  # undecodable bytes of a file name (os.fsdecode's surrogateescape)
        return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    except UnicodeEncodeError:
        return text.encode("utf-8", "backslashreplace").decode("utf-8")


@dataclass
class Attempt:
    """One hand-in of one student, as the LMS delivered it.

    ``files`` is a folder holding what the student handed in for this attempt, with the
    LMS's own prefixes and resubmission suffixes removed from the file names (a Canvas
    ``smithjohn_LATE_12345_67890_knn-1.ipynb`` is ``knn.ipynb`` there); a zip the
    student uploaded stays a zip (it is unpacked later, with the other limits).
    """

    lms_id: str  # Canvas user id, Gradescope SID (or email), Moodle participant id, folder name
    name: str  # the student's name as the LMS wrote it ("smithjohn", "Zoë O'Brien")
    files: Path
    email: str = ""
    submitted_at: datetime | None = None  # timezone-aware, or None when unknown
    time_source: str = ""  # "lms" (metadata), "file" (file times, when told to) or ""
    lms_late: bool | None = None  # the LMS's own late flag, when it gives one
    key: str = ""  # orders one student's attempts when times are missing (larger = later)
    label: str = ""  # what it was in the download, for the intake report
    problems: list[str] = field(default_factory=list)


@dataclass
class Download:
    """Everything read from one LMS download."""

    format: str  # one of FORMATS
    attempts: list[Attempt] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # not tied to one attempt


@dataclass
class RosterEntry:
    """One student of the course, as the LMS's roster export lists them."""

    lms_id: str  # the id the LMS's submissions carry (see Attempt.lms_id)
    name: str = ""  # full name for display ("Zoë O'Brien")
    first_name: str = ""
    last_name: str = ""
    email: str = ""
    sis_id: str = ""  # Canvas "SIS User ID", Gradescope "SID"
    login_id: str = ""  # Canvas "SIS Login ID"
    section: str = ""
    submitted_at: datetime | None = None  # Moodle's worksheet has it; others do not
    extra: dict = field(default_factory=dict)  # LMS-specific columns to echo on export


@dataclass
class Roster:
    format: str
    students: list[RosterEntry] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    columns: list[str] = field(default_factory=list)  # the header as read

    def find(self, key):
        """The entry whose lms_id, email or sis_id is ``key`` (case-insensitive), or None."""
        key = (key or "").strip().lower()
        if not key:
            return None
        for entry in self.students:
            if key in (entry.lms_id.lower(), entry.email.lower(), entry.sis_id.lower()):
                return entry
        return None
