"""nbgrader's formgrader in the class course folder: manual grading on, autograde off.

Instructors grade the written answers with formgrader, a Jupyter server extension that
nbgrader enables when it is installed. Start it from inside the course folder (the
folder holding ``nbgrader_config.py`` and ``gradebook.db``), with this repository on
``PYTHONPATH`` so that the server can import this module::

    cd COURSE
    PYTHONPATH=/path/to/repo jupyter lab     # then Nbgrader > Formgrader
    PYTHONPATH=/path/to/repo jupyter server  # then open /formgrader with the token

Formgrader also has an "autograde" button for each submission. It would run the
student's notebook in a kernel of the server's own, outside the grader's sandbox, and
replace the sandboxed scores, so the course folder's ``nbgrader_config.py`` ends with
:data:`DISABLED_AUTOGRADE_CONFIG` (:func:`disable_autograde` appends it). That makes
nbgrader's ``Autograde`` converter, used both by formgrader's button
(``NbGraderAPI.autograde``) and by ``nbgrader autograde``, build
:class:`AutogradeDisabled` as its exporter, which refuses with :data:`REASON`.

Why the exporter: ``BaseConverter.start`` builds it before it looks at any submission,
so the refusal leaves the folder and the gradebook as they were. A preprocessor that
raised would come too late: with ``--force`` (formgrader always forces) nbgrader first
deletes the autograded notebooks, which formgrader shows for manual grading. A
``pre_convert_hook`` that raised would only be logged, and the grading would go on.

What the user sees: formgrader's "Error" dialog ("There was an error autograding 'ps1'
for student 'x':") with the reason under "Log Output" and at the end of the
traceback; ``nbgrader autograde`` prints it as an error and exits with status 1. If
the server cannot import this module, autograde still fails (traitlets reports that
``exporter_class`` could not be imported): fix ``PYTHONPATH``.
"""

from __future__ import annotations

from pathlib import Path

from nbconvert.exporters import Exporter
from nbgrader.converters.base import NbGraderException

REASON = (
    "Autograde is disabled in this course folder: student code must run in the grader's "
    "sandbox, and nbgrader's autograde would run it outside. Run "
    "`python -m grading autograde COURSE --student ID` instead (COURSE is this folder)."
)

MARKER = "# Autograde disabled by grading.course.formgrader"

DISABLED_AUTOGRADE_CONFIG = f"""
{MARKER}: student code runs only in the grader's
# sandbox (`python -m grading autograde`). nbgrader's Autograde, behind formgrader's
# autograde button and `nbgrader autograde`, builds this exporter before it touches
# the submission, and the exporter refuses with the reason.
c.Autograde.exporter_class = "grading.course.formgrader.AutogradeDisabled"
"""


class AutogradeDisabled(Exporter):
    """An exporter that refuses to be built, so that nbgrader's Autograde stops first.

    It logs :data:`REASON` through the converter's logger (formgrader shows that log)
    and raises :class:`~nbgrader.converters.base.NbGraderException` with it.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.log.error(REASON)
        raise NbGraderException(REASON)


def disable_autograde(course_dir):
    """Append :data:`DISABLED_AUTOGRADE_CONFIG` to ``course_dir/nbgrader_config.py``.

    Does nothing if the file holds them already (their first line, :data:`MARKER`).
    Returns the path of the configuration file.
    """
    config = Path(course_dir) / "nbgrader_config.py"
    if not config.is_file():
        raise FileNotFoundError(
            f"Expected an nbgrader course folder holding nbgrader_config.py, got {course_dir} "
            "without one. Write its configuration first (grading.coursedir.write_config)."
        )
    text = config.read_text()
    if MARKER in text:
        return config
    if text and not text.endswith("\n"):
        text += "\n"
    config.write_text(text + DISABLED_AUTOGRADE_CONFIG)
    return config
