"""Submissions into the course folder: every attempt kept, one chosen to grade.

``python -m grading intake COURSE DOWNLOAD`` reads an LMS download
(:func:`grading.intake.lms.read_download`, within the intake limits), moves each
attempt into ``COURSE/intake/attempts/<student_id>/<n>/`` (an attempt already there,
same files, is not stored twice), matches students with the roster, chooses which
attempt of each student is graded (the course's ``grade`` policy and deadlines), and
writes ``COURSE/intake/students.json`` and the intake report
``COURSE/intake/report.txt``.

A student's course id is made once from their LMS id and kept: later downloads
add attempts to the same student.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from ..intake import Submission, student_id_for
from ..intake.model import valid_text
from ..intake.unpack import DROPPED
from .state import fingerprint

RECORDS = "students.json"


@dataclass
class Entry:
    """One student's chosen attempt, as autograde sees it."""

    student_id: str
    lms_id: str
    name: str
    path: Path  # the attempt folder (or the one zip inside it)
    label: str
    fingerprint: str
    submitted_at: datetime | None = None
    email: str = ""
    first_name: str = ""
    last_name: str = ""
    problems: list = field(default_factory=list)

    def submission(self):
        return Submission(
            self.name or self.label or self.student_id,
            self.path,
            self.student_id,
            list(self.problems),
        )

    def student_info(self):
        return {
            "first_name": self.first_name,
            "last_name": self.last_name,
            "email": self.email,
            "lms_user_id": self.lms_id,
        }


def records_path(course):
    return Path(course) / "intake" / RECORDS


def load_records(course):
    path = records_path(course)
    if not path.is_file():
        return {"students": {}}
    return json.loads(path.read_text())


def save_records(course, records):
    path = records_path(course)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "w") as f:
        json.dump(records, f, indent=1, sort_keys=True, ensure_ascii=False)
        f.flush()
        os.fsync(f.fileno())
    tmp.replace(path)


def _student_for(records, lms_id):
    """The course id of ``lms_id`` (made and recorded the first time it is seen)."""
    students = records["students"]
    for student_id, rec in students.items():
        if rec["lms_id"] == lms_id:
            return student_id
    candidate, n = student_id_for(lms_id), 2
    base = candidate
    while candidate in students:
        candidate, n = f"{base}-{n}", n + 1
    students[candidate] = {"lms_id": lms_id, "attempts": []}
    return candidate


def store_attempt(course, records, attempt):
    """Move one :class:`~grading.intake.model.Attempt` in; return (student_id, new?).

    ``attempt.files`` (a folder of the staging area, read within the intake limits)
    is moved into the course folder, unless the same files are already there.
    """
    student_id = _student_for(records, valid_text(attempt.lms_id))
    rec = records["students"][student_id]
    rec["name"] = valid_text(attempt.name) or rec.get("name", "")
    rec["email"] = valid_text(attempt.email) or rec.get("email", "")
    digest = fingerprint(attempt.files)
    if any(a["fingerprint"] == digest for a in rec["attempts"]):
        return student_id, False
    folder = Path(course) / "intake" / "attempts" / student_id
    folder.mkdir(parents=True, exist_ok=True)
    # Numbers on disk count too: an intake stopped before it saved its records leaves
    # folders no record names (they are not reused; the next intake copies again).
    taken = [int(Path(a["dir"]).name) for a in rec["attempts"]]
    taken += [int(p.name) for p in folder.iterdir() if p.name.isdigit()]
    number = 1 + max(taken, default=0)
    dest = folder / str(number)
    tmp = folder / f".{number}.new"
    shutil.rmtree(tmp, ignore_errors=True)
    # Moved, not copied: the staging folder is this attempt's only copy (a rename when
    # the course's work/ is on the same disk; shutil copies and deletes otherwise).
    shutil.move(attempt.files, tmp)
    tmp.rename(dest)
    rec["attempts"].append(
        {
            "dir": dest.relative_to(course).as_posix(),
            "fingerprint": digest,
            "submitted_at": attempt.submitted_at.isoformat() if attempt.submitted_at else None,
            "time_source": attempt.time_source,
            "lms_late": attempt.lms_late,
            "key": valid_text(attempt.key),
            "label": valid_text(attempt.label),
            "problems": [valid_text(p) for p in attempt.problems],
            "received": datetime.now().astimezone().isoformat(timespec="seconds"),
        }
    )
    return student_id, True


def attempt_path(folder):
    """What to grade in an attempt folder: the folder, or the zip that is all it holds."""
    folder = Path(folder)
    items = [p for p in folder.iterdir() if p.name not in DROPPED]
    if any(p.suffix == ".ipynb" or p.is_dir() for p in items):
        return folder
    zips = sorted(p for p in items if p.suffix.lower() == ".zip")
    return zips[-1] if zips else folder


def selected(course):
    """{student_id: :class:`Entry`} of the attempts chosen for grading."""
    course = Path(course)
    out = {}
    for student_id, rec in load_records(course)["students"].items():
        chosen = next((a for a in rec["attempts"] if a["dir"] == rec.get("selected")), None)
        if chosen is None:
            continue
        when = chosen["submitted_at"]
        roster = rec.get("roster") or {}
        problems = list(chosen.get("problems", []))
        if student_id != rec["lms_id"]:
            problems.insert(0, _renamed(rec["lms_id"], student_id))
        out[student_id] = Entry(
            student_id,
            rec["lms_id"],
            rec.get("name", ""),
            attempt_path(course / chosen["dir"]),
            chosen.get("label", ""),
            chosen["fingerprint"],
            datetime.fromisoformat(when) if when else None,
            rec.get("email", ""),
            roster.get("first_name", ""),
            roster.get("last_name", ""),
            problems,
        )
    return out


def _renamed(lms_id, student_id):
    if student_id_for(lms_id) == lms_id:
        return f"another student already has the id {lms_id!r}: graded as {student_id!r}"
    return (
        f"{lms_id!r} is not a valid student id (letters, digits, '_', '-' and '.', "
        f"starting with a letter or digit): graded as {student_id!r}"
    )


def staging_dir(course):
    work = Path(course) / "work"
    work.mkdir(exist_ok=True)
    return tempfile.TemporaryDirectory(prefix="intake-", dir=work)


# ----------------------------------------------------------------------------- intake


@dataclass
class _Timed:
    """An attempt record as :func:`~grading.course.policy.choose_attempt` sees it."""

    record: dict
    submitted_at: datetime | None
    key: str


def course_roster(course, config):
    """The roster in use: course.toml's, or the one a past intake saved; None if neither."""
    from ..intake.roster import read_roster

    path = config.lms.roster or (Path(course) / "intake" / "roster.csv")
    if not Path(path).is_file():
        return None
    return read_roster(path, timezone=config.assignment.timezone.key)


def resolver(records, roster=None):
    """``resolve(text) -> student_id or None`` by course id, LMS id, email, SIS id or name."""

    def resolve(text):
        key = (text or "").strip().lower()
        entry = roster.find(key) if roster else None
        lms = entry.lms_id if entry else None
        for student_id, rec in records["students"].items():
            names = {
                student_id.lower(),
                rec["lms_id"].lower(),
                rec.get("email", "").lower(),
                rec.get("name", "").lower(),
            }
            if key in names or (lms and rec["lms_id"] == lms):
                return student_id
        return None

    return resolve


def course_deadlines(config, records, roster=None):
    """(Deadlines, problems): course.toml's policy with the extensions file, if any."""
    from .policy import Deadlines, read_extensions

    extensions, problems = {}, []
    if config.lms.extensions:
        extensions, problems = read_extensions(
            config.lms.extensions, resolver(records, roster), config.assignment.timezone
        )
    return Deadlines(config, extensions), problems


def choose(course, records, config, roster=None):
    """Choose each student's graded attempt under the course's policy; return problems."""
    from .policy import choose_attempt

    deadlines, problems = course_deadlines(config, records, roster)
    for student_id, rec in records["students"].items():
        if not rec["attempts"]:
            continue
        timed = [
            _Timed(
                a,
                datetime.fromisoformat(a["submitted_at"]) if a["submitted_at"] else None,
                a.get("key") or Path(a["dir"]).name.zfill(6),
            )
            for a in rec["attempts"]
        ]
        choice = choose_attempt(timed, deadlines.deadline_for(student_id), config.assignment.grade)
        rec["selected"], rec["why"] = choice.attempt.record["dir"], choice.reason
        penalty = deadlines.penalty(student_id, choice.attempt.submitted_at)
        rec["penalty"], rec["late"] = penalty.reason, penalty.late_by.total_seconds() > 0
    return problems, deadlines


def intake_download(course, download, fmt=None, roster=None, use_file_times=None, log=print):
    """Read ``download`` into the course folder; write and return the intake report."""
    from ..intake.lms import detect_format, read_download
    from ..intake.roster import read_roster
    from .config import load_config
    from .folder import locked, require_course
    from .report import intake_report

    course = require_course(Path(course).resolve())
    config = load_config(course)
    fmt = fmt or detect_format(download)
    with locked(course, "intake"):
        if roster:
            shutil.copyfile(roster, course / "intake" / "roster.csv")
        the_roster = (
            read_roster(roster, timezone=config.assignment.timezone.key)
            if roster
            else course_roster(course, config)
        )
        records = load_records(course)
        files_times = config.lms.use_file_times if use_file_times is None else use_file_times
        with staging_dir(course) as staging:
            result = read_download(
                download, staging, fmt, the_roster, files_times, config.assignment.timezone.key
            )
            added = [store_attempt(course, records, attempt) for attempt in result.attempts]
        _attach_roster(records, the_roster)
        problems, deadlines = choose(course, records, config, the_roster)
        save_records(course, records)
        text = intake_report(course, records, result, added, the_roster, problems, deadlines)
        (course / "intake" / "report.txt").write_text(text)
    log(text)
    return text


def _attach_roster(records, roster):
    if roster is None:
        return
    for rec in records["students"].values():
        entry = roster.find(rec["lms_id"]) or roster.find(rec.get("email", ""))
        rec["on_roster"] = entry is not None
        if entry is not None:
            rec["roster"] = {
                "name": entry.name,
                "first_name": entry.first_name,
                "last_name": entry.last_name,
                "email": entry.email,
                "sis_id": entry.sis_id,
            }
            rec["name"] = entry.name or rec.get("name", "")
            rec["email"] = entry.email or rec.get("email", "")
