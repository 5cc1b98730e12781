"""Deadlines, late penalties and which attempt is graded, as course.toml sets them.

Every student's deadline is the course's due date, or their extension (a new due date,
or extra days and hours), plus the grace period. The late penalty counts *started*
days after the grace period, and a day late ends at the same wall-clock time as the
due date, so "one day" is 23 or 25 hours across a daylight-saving change. All the
arithmetic is on aware datetimes converted to UTC (see :func:`config.utc`), so the
results do not depend on where the grading machine is.

Nothing here raises for a bad extensions file: :func:`read_extensions` returns the
problems, with their line numbers, for the intake report.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import NamedTuple

from .config import GRADE_CHOICES, format_when, parse_when, utc

COLUMNS = ("student", "due", "days", "hours", "reason")
ZERO = timedelta(0)
DAY = timedelta(days=1)


@dataclass(frozen=True)
class Extension:
    """One student's extension: a new due date, or extra time on the course's."""

    student_id: str
    due: datetime | None = None  # aware, or naive = in the course's timezone
    extra: timedelta = ZERO  # days are added on the wall clock, hours as elapsed time
    reason: str = ""
    line: int = 0  # where it is in the extensions file


@dataclass(frozen=True)
class Penalty:
    """What lateness costs one submission.

    ``fraction`` of the points earned is taken off (0 on time, 1 after the cutoff);
    ``days_late`` counts the started days after the grace period; ``reason`` says why,
    in one sentence for the feedback and the reports.
    """

    fraction: float
    days_late: int
    reason: str
    late_by: timedelta = ZERO  # how long after the deadline (due date + grace)

    def apply(self, earned):
        """The points kept out of ``earned``."""
        return earned * (1.0 - self.fraction)


class Choice(NamedTuple):
    attempt: object
    reason: str


def read_extensions(path, resolve, timezone=None):
    """Read an extensions CSV: ``student`` and ``due`` or ``days``/``hours``, and ``reason``.

    Parameters
    ----------
    path : str or Path
        The CSV file (UTF-8, a spreadsheet's byte-order mark allowed).
    resolve : callable
        ``resolve(text) -> student_id or None``: the course student the instructor
        meant by ``text`` (an LMS id, an email or a name).
    timezone : zoneinfo.ZoneInfo, optional
        The course's; local ``due`` times are read in it. Without it they stay naive and
        :class:`Deadlines` reads them in the course's timezone.

    Returns
    -------
    extensions : dict of str to Extension
        By student id.
    problems : list of str
        Unknown students, bad values and duplicate rows, each with its line number.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as err:
        return {}, [
            f"{path.name}: cannot read the extensions file ({err}); save it as "
            "a UTF-8 CSV file, or remove `extensions` from course.toml"
        ]
    reader = csv.DictReader(io.StringIO(text))
    names = _names(reader.fieldnames or [])
    problems = _header_problems(path.name, reader.fieldnames or [])
    if "student" not in names or not names & {"due", "days", "hours"}:
        return {}, problems
    extensions = {}
    for row in reader:
        row = {
            (k or "").strip().lower(): (v or "").strip()
            for k, v in row.items()
            if isinstance(v, str) or v is None
        }
        if not any(row.values()):
            continue
        where = f"{path.name} line {reader.line_num}"
        ext = _read_row(row, where, reader.line_num, resolve, timezone, problems)
        if ext is None:
            continue
        if ext.student_id in extensions:
            first = extensions[ext.student_id].line
            problems.append(
                f"{where}: a second row for {ext.student_id} (the first is on "
                f"line {first}); this one is ignored, so merge the two rows"
            )
            continue
        extensions[ext.student_id] = ext
    return extensions, problems


def _names(fieldnames):
    return {(name or "").strip().lower() for name in fieldnames}


def _header_problems(file, fieldnames):
    names = _names(fieldnames)
    problems = []
    if "student" not in names or not names & {"due", "days", "hours"}:
        problems.append(
            f"{file}: expected a header with `student` and `due` or `days`/"
            f"`hours`, got {', '.join(fieldnames) or 'an empty file'}; the "
            "first line must name the columns, like: student,days,reason"
        )
    problems.extend(
        f"{file}: unknown column {name!r} is ignored (the columns are {', '.join(COLUMNS)})"
        for name in sorted(names - set(COLUMNS))
    )
    return problems


def _read_row(row, where, line, resolve, timezone, problems):
    """One row as an Extension, or None with the reason added to ``problems``."""
    written = row.get("student", "")
    student_id = resolve(written) if written else None
    if student_id is None:
        problems.append(
            f"{where}: no student of the course matches {written!r} (give "
            "their LMS id, email or name as the roster has it)"
        )
        return None
    due, extra = row.get("due", ""), ZERO
    try:
        due = parse_when(due, timezone) if due else None
        for unit in ("days", "hours"):
            extra += _amount(row.get(unit, ""), unit)
    except ValueError as err:
        problems.append(f"{where}: {err}; the row is ignored")
        return None
    if (due is None) == (extra == ZERO):
        problems.append(
            f"{where}: give either a new `due` date or extra `days`/`hours` "
            f"for {written!r}, not {'both' if due else 'neither'}; the row is "
            "ignored"
        )
        return None
    return Extension(student_id, due, extra, row.get("reason", ""), line)


def _amount(text, unit):
    """``text`` days or hours as a timedelta (days counted on the wall clock later)."""
    if not text:
        return ZERO
    try:
        value = float(text)
        if value >= 0:  # also refuses nan
            return timedelta(**{unit: value})
    except (ValueError, OverflowError):
        pass
    raise ValueError(f"{unit} must be a number of {unit} >= 0, got {text!r}")


class Deadlines:
    """Each student's due date, cutoff and late penalty under the course's policy.

    Parameters
    ----------
    config : CourseConfig
    extensions : dict of str to Extension, optional
        From :func:`read_extensions`.
    """

    def __init__(self, config, extensions=None):
        self.zone = config.assignment.timezone
        self.due = config.assignment.due
        self.late = config.late
        self.extensions = dict(extensions or {})

    def _aware(self, moment):
        """An aware datetime; a naive one is read in the course's timezone."""
        return moment if moment.tzinfo else moment.replace(tzinfo=self.zone)

    def due_for(self, student_id):
        """The student's due date (their extension's, if any), in the course's timezone."""
        ext = self.extensions.get(student_id)
        if ext is None:
            return self.due.astimezone(self.zone)
        if ext.due is not None:
            return self._aware(ext.due).astimezone(self.zone)
        days = timedelta(days=ext.extra.days)
        wall = self._wall(self.due) + days
        return (utc(self._aware(wall)) + (ext.extra - days)).astimezone(self.zone)

    def deadline_for(self, student_id):
        """The last moment the student's work counts as on time: due date + grace."""
        return (utc(self.due_for(student_id)) + self.late.grace).astimezone(self.zone)

    def _wall(self, moment):
        """``moment``'s wall-clock time in the course's timezone (naive)."""
        return self._aware(moment).astimezone(self.zone).replace(tzinfo=None)

    def cutoff_for(self, student_id):
        """The course's cutoff, moved (on the wall clock) as far as the student's due date."""
        if self.late.cutoff is None:
            return None
        shift = max(ZERO, self._wall(self.due_for(student_id)) - self._wall(self.due))
        return self._aware(self._wall(self.late.cutoff) + shift).astimezone(self.zone)

    def late_by(self, student_id, submitted_at):
        """How long after the student's deadline (due date + grace); zero when on time."""
        if submitted_at is None:
            return ZERO
        return max(ZERO, utc(self._aware(submitted_at)) - utc(self.deadline_for(student_id)))

    def days_late(self, student_id, submitted_at):
        """Started days after the deadline; day k ends k wall-clock days after it."""
        at = utc(self._aware(submitted_at))
        wall = self._wall(self.due_for(student_id))

        def end(k):
            return utc(self._aware(wall + k * DAY)) + self.late.grace

        if at <= end(0):
            return 0
        k = max(1, (at - end(0)) // DAY)  # off by at most one across a DST change
        while at > end(k):
            k += 1
        while k > 1 and at <= end(k - 1):
            k -= 1
        return k

    def penalty(self, student_id, submitted_at):
        """The late penalty of a submission handed in at ``submitted_at`` (None: unknown)."""
        if submitted_at is None:
            return Penalty(0.0, 0, "the submission time is unknown, so no late penalty was applied")
        at = utc(self._aware(submitted_at))
        due = self.due_for(student_id)
        if at <= utc(due):
            return Penalty(0.0, 0, f"submitted on time (due {format_when(due)})")
        head = f"submitted {describe_duration(at - utc(due))} after {self._due_phrase(due)}"
        late, days = self.late_by(student_id, at), self.days_late(student_id, at)
        cutoff = self.cutoff_for(student_id)
        if cutoff is not None and at > utc(cutoff):
            return Penalty(
                1.0,
                days,
                f"{head}, after the cutoff of {format_when(cutoff)}: no credit (-100%)",
                late,
            )
        if self.late.policy == "none":
            return Penalty(0.0, days, f"{head}: this course has no late penalty", late)
        if late == ZERO:
            return Penalty(
                0.0,
                0,
                f"{head}, within the grace period of "
                f"{describe_duration(self.late.grace)}: no penalty",
            )
        if self.late.policy == "cutoff":
            return Penalty(
                0.0, days, f"{head}, before the cutoff of {format_when(cutoff)}: no penalty", late
            )
        return self._per_day(head, days, late)

    def _per_day(self, head, days, late):
        percent = min(days * self.late.percent_per_day, self.late.max_percent)
        capped = " (the maximum)" if percent < days * self.late.percent_per_day else ""
        unit = "day" if days == 1 else "days"
        return Penalty(
            percent / 100.0, days, f"{head}: {days} {unit} late, -{percent:g}%{capped}", late
        )

    def _due_phrase(self, due):
        """'the due date of ...', naming the course's when an extension moved it."""
        if utc(due) == utc(self.due):
            return f"the due date of {format_when(due)}"
        return (
            f"the extended due date of {format_when(due)} (the course's is "
            f"{format_when(self.due, self.zone)})"
        )


def describe_duration(span):
    """``span`` in words, its two largest units: ``1 day 3 hours``, ``4 minutes``."""
    seconds = int(span.total_seconds())
    if seconds < 1:
        return "less than a second"
    parts = []
    for name, size in (("day", 86400), ("hour", 3600), ("minute", 60), ("second", 1)):
        count, seconds = divmod(seconds, size)
        if count:
            parts.append(f"{count} {name}{'' if count == 1 else 's'}")
    return " ".join(parts[:2])


def _key_order(attempt):
    """``attempt.key`` split so that numbers compare as numbers ("2" before "10")."""
    parts = re.split(r"(\d+)", str(getattr(attempt, "key", "") or ""))
    return tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in parts if p)


def _time_order(attempt):
    return utc(attempt.submitted_at), _key_order(attempt)


def _latest(attempts):
    """The latest attempt: by time when every attempt has one, else by key."""
    untimed = sum(a.submitted_at is None for a in attempts)
    if untimed == 0:
        return max(attempts, key=_time_order), "by submission time"
    return max(attempts, key=_key_order), (
        f"by upload order, as {untimed} of them had no submission time"
    )


def choose_attempt(attempts, deadline, how="latest-before-due"):
    """Which of one student's attempts is graded, and why.

    Parameters
    ----------
    attempts : sequence
        Objects with ``submitted_at`` (an aware datetime, or None when unknown) and
        ``key`` (orders them when times are missing; larger is later, numbers in it
        compare as numbers).
    deadline : datetime or None
        The student's deadline (:meth:`Deadlines.deadline_for`).
    how : {"latest-before-due", "latest"}
        The latest attempt handed in by the deadline (the latest of all when none
        was), or simply the latest.

    Returns
    -------
    Choice
        ``(attempt, reason)``, the reason a short phrase for the intake report.
    """
    attempts = list(attempts)
    if not attempts:
        raise ValueError(
            "Expected at least one attempt to choose from, got none; skip "
            "students without attempts before choosing."
        )
    if how not in GRADE_CHOICES:
        raise ValueError(
            f"Expected how to be one of {', '.join(GRADE_CHOICES)}, got "
            f"{how!r}; it is course.toml's [assignment] grade."
        )
    if any(a.submitted_at is not None and a.submitted_at.tzinfo is None for a in attempts):
        raise ValueError(
            "Expected timezone-aware submission times, got a naive one; read "
            "LMS times without an offset in the course's timezone first."
        )
    if len(attempts) == 1:
        return Choice(attempts[0], "the only attempt")
    prefix = ""
    if how == "latest-before-due" and deadline is not None:
        timed = [a for a in attempts if a.submitted_at is not None]
        before = [a for a in timed if utc(a.submitted_at) <= utc(deadline)]
        when = format_when(deadline)
        if before:
            return Choice(
                max(before, key=_time_order),
                f"the latest of {len(before)} attempt(s) handed in by the deadline ({when})",
            )
        prefix = f"none handed in by the deadline ({when}), so "
    chosen, order = _latest(attempts)
    return Choice(chosen, f"{prefix}the latest of {len(attempts)} attempts, {order}")
