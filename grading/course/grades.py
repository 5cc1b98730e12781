"""Final grades: ``python -m grading grades COURSE [--lms FORMAT]``.

Reads the class gradebook (automatic scores, and the manual grades TAs entered in
formgrader), applies each student's late penalty (course.toml, extensions, the graded
attempt's time) and writes, in ``COURSE/exports/``:

- ``final_grades.csv``: per student and notebook the automatic, manual and maximum
  points and the written answers still waiting for a grade; then the points before
  the penalty, the penalty, the total and why;
- ``<lms>_grades.csv``: the file the LMS imports (:mod:`grading.course.lms_export`),
  with the roster's students (not-on-roster submissions are left out and listed);
- ``warnings.txt``: every student and notebook whose manual grading is unfinished,
  and everything else that needs a look before the grades are published.

The late penalty is also written into the gradebook
(``SubmittedNotebook.late_submission_penalty``), so ``nbgrader export`` and
formgrader show the same totals.
"""

from __future__ import annotations

import csv
import os
from dataclasses import dataclass, field
from pathlib import Path

from ..coursedir import ASSIGNMENT, NOTEBOOKS
from .config import load_config
from .feedback import late_penalties, submission_points
from .folder import locked, require_course
from .gradebook import open_gradebook
from .intake import course_roster, load_records, resolver
from .lms_export import GradeRow, safe_cell, write_grades_csv
from .report import clean


@dataclass
class FinalGrade:
    student_id: str
    lms_id: str
    name: str
    points: dict  # notebook -> {"auto", "manual", "max", "pending"}
    raw: float
    penalty_fraction: float
    penalty_reason: str
    on_roster: bool = True
    problems: list = field(default_factory=list)

    @property
    def penalty(self):
        return round(self.raw * self.penalty_fraction, 2)

    @property
    def total(self):
        return round(self.raw - self.penalty, 2)


def collect(course, config):
    """:class:`FinalGrade` of every student with a graded submission, penalties applied."""
    from nbgrader.api import MissingEntry

    records = load_records(course)
    roster = course_roster(course, config)
    penalties = late_penalties(course, records["students"])
    out = []
    with open_gradebook(course) as gb:
        for student_id, rec in sorted(records["students"].items()):
            try:
                points = submission_points(gb, student_id)
            except MissingEntry:
                continue
            penalty = penalties[student_id]
            raw = sum(p["auto"] + p["manual"] for p in points.values())
            out.append(
                FinalGrade(
                    student_id,
                    rec["lms_id"],
                    rec.get("name", ""),
                    points,
                    raw,
                    penalty.fraction,
                    penalty.reason,
                    on_roster=rec.get("on_roster", roster is None),
                )
            )
            submission = gb.find_submission(ASSIGNMENT, student_id)
            for nb in submission.notebooks:  # so that formgrader and nbgrader export agree
                earned = points[nb.name]["auto"] + points[nb.name]["manual"]
                nb.late_submission_penalty = round(earned * penalty.fraction, 4)
        gb.db.commit()
    return out, records, roster


def unfinished(grades):
    """One line per student and notebook whose written answers still wait for a grade."""
    lines = []
    for g in grades:
        for nb in NOTEBOOKS:
            pending = g.points.get(nb, {}).get("pending", 0.0)
            if pending:
                lines.append(
                    f"{g.student_id}: {nb}: {pending:g} point(s) of written answers "
                    "not graded yet (formgrader)"
                )
    return lines


FIXED = ["student_id", "lms_id", "name"]
TAIL = ["before_penalty", "late_penalty", "total", "max", "pending_manual", "late_reason"]


def _columns():
    return FIXED + [f"{nb}_{part}" for nb in NOTEBOOKS for part in ("auto", "manual", "max")] + TAIL


def _row(g):
    row = {
        "student_id": g.student_id,
        "lms_id": safe_cell(clean(g.lms_id, 200)),
        "name": safe_cell(clean(g.name, 200)),
    }
    for nb in NOTEBOOKS:
        p = g.points.get(nb, {"auto": 0, "manual": 0, "max": 0})
        row.update(
            {
                f"{nb}_auto": _num(p["auto"]),
                f"{nb}_manual": _num(p["manual"]),
                f"{nb}_max": _num(p["max"]),
            }
        )
    row.update(
        {
            "before_penalty": _num(g.raw),
            "late_penalty": _num(g.penalty),
            "total": _num(g.total),
            "max": _num(sum(p["max"] for p in g.points.values())),
            "pending_manual": _num(sum(p["pending"] for p in g.points.values())),
            "late_reason": safe_cell(g.penalty_reason),
        }
    )
    return row


def _num(x):
    return int(x) if float(x).is_integer() else round(float(x), 2)


def write_final(path, grades):
    tmp = Path(path).with_name(f".{Path(path).name}.tmp")
    with open(tmp, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=_columns())
        writer.writeheader()
        for g in grades:
            writer.writerow(_row(g))
        f.flush()
        os.fsync(f.fileno())
    tmp.replace(path)


def export_grades(course, lms=None, log=print):
    """Write the final grades (see the module docstring); return (paths, warnings)."""
    course = require_course(Path(course).resolve())
    config = load_config(course)
    lms = lms or config.lms.format
    with locked(course, "grades"):
        grades, records, roster = collect(course, config)
        exports = course / "exports"
        exports.mkdir(exist_ok=True)
        final = exports / "final_grades.csv"
        write_final(final, grades)
        rows, warnings = _lms_rows(grades, records, roster, config)
        warnings = unfinished(grades) + warnings
        lms_file = exports / f"{lms}_grades.csv"
        max_points = max((sum(p["max"] for p in g.points.values()) for g in grades), default=100)
        write_grades_csv(lms_file, lms, rows, roster, config.lms.grades_column, max_points)
        (exports / "warnings.txt").write_text("".join(f"{w}\n" for w in warnings))
    log(f"Final grades of {len(grades)} student(s): {final}; for the LMS: {lms_file}")
    if warnings:
        log(f"{len(warnings)} warning(s) (also in {exports / 'warnings.txt'}):")
        for line in warnings[:20]:
            log(f"  {line}")
        if len(warnings) > 20:
            log(f"  ... and {len(warnings) - 20} more")
    return [final, lms_file], warnings


def _lms_rows(grades, records, roster, config):
    """The LMS file's rows: roster students (missing ones by policy); what to warn about."""
    warnings = []
    rows = []
    graded = {g.lms_id: g for g in grades}
    for g in grades:
        if not g.on_roster:
            warnings.append(
                f"{g.student_id}: not on the roster, left out of the LMS file (total {g.total:g})"
            )
        else:
            rows.append(GradeRow(g.student_id, g.lms_id, g.total))
    if roster is not None:
        resolve = resolver(records, roster)
        for entry in roster.students:
            if entry.lms_id in graded or resolve(entry.lms_id) in {g.student_id for g in grades}:
                continue
            total = 0.0 if config.lms.missing == "zero" else None
            rows.append(GradeRow("", entry.lms_id, total, "no submission"))
            warnings.append(
                f"{clean(entry.name or entry.lms_id)}: no submission "
                f"({'0' if total == 0.0 else 'left blank'} in the LMS file)"
            )
    return rows, warnings
