"""Intake: submissions in, whatever shape they arrive in (the first stage of grading).

- :mod:`~grading.intake.lms` reads an LMS download (Canvas, Gradescope, Moodle, or a
  folder per student) into :class:`~grading.intake.model.Attempt` objects;
- :mod:`~grading.intake.roster` reads the LMS's roster CSV;
- :mod:`~grading.intake.unpack` turns one attempt (a folder or a zip) into a clean
  submission folder holding only what grading needs, with every problem in words;
  its notebooks are made valid there, and :func:`unique_cell_ids` and
  :func:`write_atomic` serve the later stages too (restoring test cells).

Both read what students sent in place, within one set of :class:`Limits` (a zip bomb,
an oversized file, too many files or folders, links of any kind are refused and said).
"""

from ._limits import Limits
from ._names import package_place
from ._notebook import unique_cell_ids, write_atomic
from ._tree import is_skipped
from .lms import detect_format, read_download
from .model import FORMATS, Attempt, Download, Roster, RosterEntry
from .roster import read_roster
from .unpack import DROPPED, VALID_ID, Submission, discover, prepare, student_id_for

__all__ = [
    "DROPPED",
    "FORMATS",
    "VALID_ID",
    "Attempt",
    "Download",
    "Limits",
    "Roster",
    "RosterEntry",
    "Submission",
    "detect_format",
    "discover",
    "is_skipped",
    "package_place",
    "prepare",
    "read_download",
    "read_roster",
    "student_id_for",
    "unique_cell_ids",
    "write_atomic",
]
