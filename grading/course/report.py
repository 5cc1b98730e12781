"""The intake report: what came in, what is graded, and everything that needs a look.

Plain text (``COURSE/intake/report.txt``, also printed). Names and file names come
from students and the LMS: :func:`clean` removes control characters (terminal escape
sequences included) and cuts what is too long, so the report shows them and nothing
more.
"""

from __future__ import annotations

import unicodedata
from datetime import datetime
from pathlib import Path

from ..intake.model import valid_text

MAX_SHOWN = 120


def clean(text, limit=MAX_SHOWN):
    """``text`` without control or format characters, at most ``limit`` characters."""
    text = "".join(" " if unicodedata.category(ch)[0] == "C" else ch for ch in valid_text(text))
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _when(iso):
    return datetime.fromisoformat(iso).strftime("%Y-%m-%d %H:%M %Z").strip() if iso else "no time"


def _section(lines, title, rows):
    if rows:
        lines += ["", f"{title} ({len(rows)}):", *(f"  - {row}" for row in rows)]


def intake_report(course, records, download, added, roster, policy_problems, deadlines):
    """The report's text after one intake (``added``: (student_id, new?) per attempt read)."""
    students = records["students"]
    new = sum(1 for _, is_new in added if is_new)
    lines = [
        f"Intake into {Path(course).name}: {download.format} download, "
        f"{len(download.attempts)} attempt(s) read, {new} new, "
        f"{len(added) - new} already here.",
        f"{sum(1 for r in students.values() if r.get('selected'))} student(s) have an "
        "attempt to grade.  Run `python -m grading autograde COURSE` to grade what changed.",
    ]
    _section(lines, "Problems with the download", [clean(p, 300) for p in download.problems])
    _section(lines, "Problems with the late policy files", [clean(p, 300) for p in policy_problems])
    if roster is not None:
        _section(lines, "Problems with the roster", [clean(p, 300) for p in roster.problems])
        unknown = [
            f"{sid}: {clean(r.get('name', ''))} (LMS id {clean(r['lms_id'])})"
            for sid, r in sorted(students.items())
            if not r.get("on_roster")
        ]
        _section(lines, "Not on the roster (graded; left out of the LMS grades file)", unknown)
        handed = (
            {r["lms_id"] for r in students.values()}
            | {r.get("email", "") for r in students.values()}
        ) - {""}
        missing = [
            f"{clean(e.name)} ({clean(e.lms_id)}{', ' + clean(e.email) if e.email else ''})"
            for e in roster.students
            if e.lms_id not in handed and e.email not in handed
        ]
        _section(lines, "On the roster, no submission", missing)
    several = []
    for sid, rec in sorted(students.items()):
        if len(rec["attempts"]) > 1:
            shown = "; ".join(
                f"{'*' if a['dir'] == rec.get('selected') else ''}{Path(a['dir']).name} "
                f"({_when(a['submitted_at'])})"
                for a in rec["attempts"]
            )
            several.append(f"{sid}: {shown} -> graded: {clean(rec.get('why', ''))}")
    _section(lines, "Several attempts (* = graded, all kept)", several)
    late = []
    for sid, rec in sorted(students.items()):
        chosen = _chosen(rec)
        if chosen and chosen.get("lms_late") and not chosen.get("submitted_at"):
            late.append(
                f"{sid}: marked late by the LMS, no submission time: no penalty "
                "applied (use --use-file-times, or an extension, to decide)"
            )
        elif rec.get("late"):
            late.append(f"{sid}: {clean(rec['penalty'], 300)}")
    _section(lines, "Late", late)
    untimed = [
        sid
        for sid, rec in sorted(students.items())
        if _chosen(rec) and not _chosen(rec).get("submitted_at")
    ]
    if untimed:
        lines += [
            "",
            f"No submission time for {len(untimed)} student(s): late penalties "
            "cannot be computed for them.",
        ]
    problems = [
        f"{sid}: {clean(p, 300)}"
        for sid, rec in sorted(students.items())
        for p in (_chosen(rec) or {}).get("problems", [])
    ]
    _section(lines, "Problems with the files handed in", problems)
    return "\n".join(lines) + "\n"


def _chosen(rec):
    return next((a for a in rec["attempts"] if a["dir"] == rec.get("selected")), None)
