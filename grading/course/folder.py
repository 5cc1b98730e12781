"""The course folder: one movable folder holding a class's whole grading.

Created by ``python -m grading init COURSE``. Nothing inside it names an absolute
path, so it can be moved, copied to a TA's machine or shared::

    COURSE/
      course.toml          due date, late policy, LMS: the one file an instructor edits
      nbgrader_config.py   nbgrader's, with a relative root (formgrader works from here)
      gradebook.db         nbgrader's gradebook: automatic scores, manual grades, comments
      source/ release/     the assignment as nbgrader generated it
      intake/              every attempt each student handed in, and the intake report
      submitted/ autograded/ feedback/   nbgrader's folders, one student at a time
      state/               what was graded, from which files, with which grader
      exports/             final grades for the LMS, feedback for upload
      log/                 one line per graded submission
      work/                scratch space of the submissions being graded

:func:`locked` keeps two commands that write from running on one course at once.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import socket
import time
from contextlib import contextmanager
from pathlib import Path

from ..coursedir import ASSIGNMENT, REPO, protected_files
from ..run.autograde import build_template

COURSE_FILE = "course.toml"
LOCK_FILE = ".lock"
# Folders nbgrader must not copy into the students' submitted or feedback folders.
IGNORED = [
    ".ipynb_checkpoints",
    "*.pyc",
    "__pycache__",
    "feedback",
    "intake",
    "state",
    "exports",
    "log",
    "work",
    "private",
    "inputs",
    "dataset",
    "exchange",
]

NBGRADER_CONFIG = """\
# Written by `python -m grading init`: nbgrader's configuration of this course folder.
# The root is this file's folder, so the course folder can be moved or shared.
import os

c = get_config()
c.CourseDirectory.root = os.path.dirname(os.path.abspath(__file__))
c.CourseDirectory.course_id = "cs231n-assignment1"
# Submissions come from the LMS, not nbgrader's exchange; a folder of the course's
# own keeps formgrader from warning about an unwritable system-wide one.
c.Exchange.root = os.path.join(c.CourseDirectory.root, "exchange")
c.CourseDirectory.ignore = {ignored!r}
c.Autograde.exclude_overwriting = {{{assignment!r}: {protected!r}}}
{disabled}"""


class CourseError(RuntimeError):
    """A course folder is missing, damaged or busy; the message says what to do."""


def is_course(path):
    return (Path(path) / COURSE_FILE).is_file() and (Path(path) / "gradebook.db").is_file()


def require_course(path):
    """``path`` as a course folder, or raise :class:`CourseError` saying how to make one."""
    path = Path(path)
    if not is_course(path):
        missing = COURSE_FILE if not (path / COURSE_FILE).is_file() else "gradebook.db"
        raise CourseError(
            f"{path} is not a course folder (it has no {missing}). Create one with "
            f"`python -m grading init {path}`, then add submissions with "
            f"`python -m grading intake {path} DOWNLOAD`."
        )
    return path


def nbgrader_config_text(assignment=ASSIGNMENT):
    from .formgrader import DISABLED_AUTOGRADE_CONFIG

    return NBGRADER_CONFIG.format(
        ignored=IGNORED,
        assignment=assignment,
        protected=protected_files(),
        disabled=DISABLED_AUTOGRADE_CONFIG,
    )


def init_course(path, config_text, repo=REPO):
    """Create the course folder ``path`` with ``config_text`` as its course.toml.

    Generates the assignment (``nbgrader generate_assignment``, into the grading
    template ``work/_template``) and takes its gradebook, which holds the test cells
    and the written answers to grade.
    """
    path = Path(path)
    if (path / COURSE_FILE).exists() or (path / "gradebook.db").exists():
        raise CourseError(f"{path} is already a course folder: nothing was changed.")
    if path.exists() and any(path.iterdir()):
        raise CourseError(f"{path} exists and is not empty: choose a new folder for the course.")
    # The grading template is generated first; the course takes its assignment from it
    # (nbgrader's gradebook, before any student), so the notebooks are generated once.
    template = build_template(path / "work", repo)
    for name in ("source", "release"):
        shutil.copytree(template / name, path / name)
    shutil.copyfile(template / "gradebook.db", path / "gradebook.db")
    (path / "nbgrader_config.py").write_text(nbgrader_config_text())
    (path / COURSE_FILE).write_text(config_text)
    for name in ("intake", "state", "exports", "log"):
        (path / name).mkdir(exist_ok=True)
    return path


@contextmanager
def locked(path, command):
    """Hold the course's lock while ``command`` runs; refuse if another command holds it.

    The lock is an ``flock`` on ``COURSE/.lock``: the system releases it when the
    process ends, however it ends, so a killed run never leaves a stale lock.
    """
    lock_path = Path(path) / LOCK_FILE
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _read_holder(fd)
            raise CourseError(
                f"Another command is working on the course folder {path}: {holder}. "
                "Wait for it to finish (two commands writing one gradebook would mix "
                "their results); if it was stopped, its lock has already gone."
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(
            fd,
            json.dumps(
                {
                    "command": command,
                    "pid": os.getpid(),
                    "host": socket.gethostname(),
                    "since": time.strftime("%Y-%m-%d %H:%M:%S"),
                }
            ).encode(),
            0,
        )
        yield
    finally:
        os.close(fd)  # closing releases the flock


def _read_holder(fd):
    try:
        info = json.loads(os.pread(fd, 4096, 0).decode() or "{}")
    except (ValueError, OSError):
        return "a command whose details could not be read"
    return (
        f"`{info.get('command', '?')}` (pid {info.get('pid', '?')} on "
        f"{info.get('host', '?')}, since {info.get('since', '?')})"
    )
