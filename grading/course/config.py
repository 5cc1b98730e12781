"""The course's grading policy, read from the one file an instructor edits: ``course.toml``.

:data:`TEMPLATE` (filled in by :func:`render_template`) is the commented file ``init``
writes; :func:`load_config` reads it back into a frozen :class:`CourseConfig`, checking
every key. A mistake raises :class:`ConfigError`, whose message names the file, the
section and key, what was expected, what was found and how to fix it.

Times are the delicate part. A TOML offset datetime (``2026-10-15T23:59:00-07:00``) is
an exact moment. A local datetime (no offset) or a string without an offset is read in
the course's ``timezone``; a bare date means the end of that day, 23:59:59. A local
time that does not exist (skipped when clocks spring forward) is an error; one that
happens twice (when clocks fall back) is the first of the two. Every datetime that
leaves this module is timezone-aware.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from datetime import timezone as dt_timezone
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

from ..intake.model import FORMATS

CONFIG_FILE = "course.toml"
GRADE_CHOICES = ("latest-before-due", "latest")
LATE_POLICIES = ("per-day", "cutoff", "none")
MISSING_CHOICES = ("zero", "blank")
KEYS = {
    "assignment": ("name", "due", "timezone", "grade"),
    "late": ("policy", "grace_minutes", "percent_per_day", "max_percent", "cutoff"),
    "lms": ("format", "roster", "extensions", "use_file_times", "grades_column", "missing"),
}
END_OF_DAY = time(23, 59, 59)
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

TEMPLATE = """\
# course.toml: how this course grades the assignment. Edit the values below; every
# key is checked when a grading command starts, and a mistake names the key to fix.
#
# Times: 2026-10-15T23:59:00-07:00 is an exact moment (note the offset). Without the
# offset (2026-10-15T23:59:00) the time is read in `timezone`; a bare date
# (2026-10-15) means the end of that day, 23:59:59.

[assignment]
name = "assignment1"
due = {due}
# An IANA time zone name, like "Europe/Berlin" or "America/New_York". LMS times
# without an offset, and the times above without one, are read in it.
timezone = "{timezone}"
# Which attempt is graded when a student handed in more than once:
#   "latest-before-due"  the latest one handed in by the student's own deadline (due
#                        date + extension + grace), or the latest one if none was;
#   "latest"             simply the latest one.
grade = "latest-before-due"

[late]
# "per-day": take percent_per_day of the points earned for each started day late
#            (counted after the grace period), at most max_percent; and nothing for
#            a submission after `cutoff`, if one is set.
# "cutoff":  no penalty until `cutoff`; nothing for a submission after it.
# "none":    no late penalty.
policy = "per-day"
grace_minutes = 15
percent_per_day = 10
max_percent = 50
# cutoff = 2026-10-20T23:59:00-07:00

[lms]
# Where submissions come from and grades go back to: canvas, gradescope, moodle or
# folders (a folder or zip per student).
format = "{lms}"
# CSV files in this folder (remove the # to use them). The extensions file has a
# `student` column (LMS id, email or name) and either `due` (a new due date) or
# `days` and/or `hours` (extra time), and optionally `reason`.
# roster = "roster.csv"
# extensions = "extensions.csv"
# true: use the files' modification times when the LMS gives no submission time.
use_file_times = false
# The gradebook column the grades go in. Canvas wants its exact header,
# "Assignment 1 (12345)", with the assignment id from the assignment's URL.
grades_column = "Assignment 1"
# What a student with no submission gets in the grades file: "zero" or "blank"
# (a blank leaves the LMS's grade unchanged).
missing = "zero"
"""


class ConfigError(ValueError):
    """A value in course.toml that cannot be used, with where it is and how to fix it."""

    def __init__(self, file, section, key, expected, got, fix):
        self.file, self.section, self.key = str(file), section, key
        where = f"[{section}] {key}" if key else f"[{section}]" if section else "the file"
        end = "" if fix.endswith((".", ")")) else "."
        super().__init__(f"{file}: {where}: expected {expected}, got {got}. {fix}{end}")


@dataclass(frozen=True)
class AssignmentConfig:
    name: str
    due: datetime  # timezone-aware
    timezone: ZoneInfo
    grade: str  # one of GRADE_CHOICES


@dataclass(frozen=True)
class LateConfig:
    policy: str  # one of LATE_POLICIES
    grace: timedelta
    percent_per_day: float  # of the points earned, per started day late
    max_percent: float
    cutoff: datetime | None  # timezone-aware; nothing is earned after it


@dataclass(frozen=True)
class LmsConfig:
    format: str  # one of grading.intake.model.FORMATS
    roster: Path | None  # absolute
    extensions: Path | None  # absolute
    use_file_times: bool
    grades_column: str
    missing: str  # one of MISSING_CHOICES


@dataclass(frozen=True)
class CourseConfig:
    """Everything course.toml says, checked; its sections are its attributes."""

    course_dir: Path
    assignment: AssignmentConfig
    late: LateConfig
    lms: LmsConfig


def utc(moment):
    """An aware datetime in UTC.

    Compare and subtract aware datetimes in UTC only: Python compares two datetimes
    that share a tzinfo (one ZoneInfo) by their wall-clock times, which is wrong
    across a daylight-saving change.
    """
    return moment.astimezone(dt_timezone.utc)


def localize(naive, zone):
    """``naive`` (a wall-clock datetime) as an aware datetime in ``zone``.

    Raises ValueError for a time the clocks skip (spring forward). A time that
    happens twice (fall back) is taken as the first of the two (``fold=0``).
    """
    aware = naive.replace(tzinfo=zone, fold=0)
    # A skipped time does not survive the round trip through UTC.
    back = aware.astimezone(dt_timezone.utc).astimezone(zone).replace(tzinfo=None)
    if back != naive:
        raise ValueError(
            f"{naive:%Y-%m-%d %H:%M} does not exist in {zone.key} (the clocks "
            f"skip it when they spring forward)"
        )
    return aware


def parse_when(value, zone):
    """A datetime, date or ISO 8601 string as a datetime, aware unless ``zone`` is None.

    Local values are read in ``zone``; with ``zone=None`` they stay naive. A date (or
    a date-only string) means the end of that day, 23:59:59. Raises ValueError.
    """
    if isinstance(value, str):
        value = _parse_text(value.strip())
    if isinstance(value, datetime):
        if value.tzinfo is not None or zone is None:
            return value
        return localize(value, zone)
    if isinstance(value, date):
        naive = datetime.combine(value, END_OF_DAY)
        return naive if zone is None else localize(naive, zone)
    raise ValueError(f"{_describe(value)} is not a date and time")


def _parse_text(text):
    """An ISO 8601 date or datetime string as a date or datetime (``Z`` means UTC)."""
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        if len(text) == 10:
            return date.fromisoformat(text)
        return datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{text!r} is not an ISO 8601 date and time") from None


def format_when(moment, zone=None):
    """``moment`` as people read it: ``15 Oct 2026 23:59 PDT`` (in ``zone`` if given)."""
    if zone is not None:
        moment = moment.astimezone(zone)
    name = moment.tzname() or ""
    return f"{moment.day} {_MONTHS[moment.month - 1]} {moment:%Y %H:%M} {name}".strip()


def _describe(value):
    """What was found, for messages: the value as written, and its kind when unclear."""
    if value is None:
        return "nothing (the key is missing)"
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, time):
        return f"{value.isoformat()} (a time without a date)"
    if isinstance(value, bool):
        return f"{str(value).lower()} (true/false)"
    if isinstance(value, (str, int, float)):
        return repr(value)
    return f"{value!r} (a {type(value).__name__})"


def _closest(name, valid):
    match = difflib.get_close_matches(name, valid, n=1, cutoff=0.6)
    return f"Did you mean {match[0]!r}? " if match else ""


class _Reader:
    """Reads one section's keys, raising ConfigError naming the file, section and key."""

    def __init__(self, file, section, table):
        self.file, self.section, self.table = file, section, table

    def error(self, key, expected, fix, got=None):
        got = _describe(self.table.get(key)) if got is None else got
        return ConfigError(self.file, self.section, key, expected, got, fix)

    def choice(self, key, choices, default=None):
        value = self.table.get(key, default)
        if value not in choices:
            hint = _closest(value, choices) if isinstance(value, str) else ""
            raise self.error(
                key,
                "one of " + ", ".join(map(repr, choices)),
                f"{hint}Write for example {key} = {choices[0]!r}",
            )
        return value

    def text(self, key, default=None, example="..."):
        value = self.table.get(key, default)
        if not isinstance(value, str) or not value.strip():
            raise self.error(key, "a non-empty string", f'Write {key} = "{example}" (with quotes)')
        return value.strip()

    def number(self, key, default, low, high=None):
        value = self.table.get(key, default)
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
        if not ok or value < low or (high is not None and value > high):
            span = f"between {low} and {high}" if high is not None else f">= {low}"
            raise self.error(
                key, f"a number {span}", f"Write a number, like {key} = {default:g} (no quotes)"
            )
        return float(value)

    def flag(self, key, default):
        value = self.table.get(key, default)
        if not isinstance(value, bool):
            raise self.error(
                key, "true or false", f"Write {key} = {str(default).lower()} (no quotes)"
            )
        return value

    def when(self, key, zone, required):
        value = self.table.get(key)
        if value is None and not required:
            return None
        if value is None:
            raise self.error(
                key,
                "a date and time like 2026-10-15T23:59:00-07:00",
                f"Add {key} = 2026-10-15T23:59:00-07:00 under [{self.section}]",
            )
        try:
            return parse_when(value, zone)
        except ValueError as err:
            raise self.error(
                key,
                "a date and time like 2026-10-15T23:59:00-07:00",
                f"Write {key} = 2026-10-15T23:59:00-07:00 (no quotes), or a "
                f"local time read in the course's timezone ({err})",
            ) from None

    def path(self, key, course_dir):
        if key not in self.table:
            return None
        name = self.text(key)
        path = (course_dir / name).resolve()
        if not path.is_file():
            raise self.error(
                key,
                f"a file in {course_dir}",
                f"Put the file at {path}, or comment the line out (# {key} = ...)",
                got=f"{name!r}, which is not there",
            )
        return path


def _sections(file, data):
    """The three sections' tables, refusing unknown sections and keys."""
    tables = {}
    for name, table in data.items():
        if name not in KEYS or not isinstance(table, dict):
            raise ConfigError(
                file,
                None,
                None,
                "the sections " + ", ".join(f"[{s}]" for s in KEYS),
                f"{name!r}",
                f"{_closest(name, list(KEYS))}Rename or remove it (keys go under a [section] line)",
            )
        for key in table:
            if key not in KEYS[name]:
                raise ConfigError(
                    file,
                    name,
                    key,
                    "one of " + ", ".join(KEYS[name]),
                    f"the unknown key {key!r}",
                    f"{_closest(key, KEYS[name])}Rename or remove it",
                )
        tables[name] = _Reader(file, name, table)
    return {name: tables.get(name, _Reader(file, name, {})) for name in KEYS}


def _zone(reader):
    name = reader.text("timezone", example="America/Los_Angeles")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        hint = _closest(name, sorted(available_timezones()))
        raise reader.error(
            "timezone",
            "an IANA time zone name like 'America/Los_Angeles'",
            f"{hint}See https://en.wikipedia.org/wiki/List_of_tz_database_time_zones",
        ) from None


def _assignment(reader):
    zone = _zone(reader)
    return AssignmentConfig(
        reader.text("name"),
        reader.when("due", zone, True),
        zone,
        reader.choice("grade", GRADE_CHOICES, "latest-before-due"),
    )


def _late(reader, assignment):
    policy = reader.choice("policy", LATE_POLICIES, "per-day")
    cutoff = reader.when("cutoff", assignment.timezone, policy == "cutoff")
    if cutoff is not None and policy == "none":
        raise reader.error(
            "cutoff",
            "no cutoff with policy = 'none'",
            "Remove the cutoff, or set policy = 'cutoff' or 'per-day'",
        )
    if cutoff is not None and utc(cutoff) <= utc(assignment.due):
        raise reader.error(
            "cutoff",
            f"a time after the due date ({format_when(assignment.due, assignment.timezone)})",
            "Move the cutoff after the due date",
        )
    return LateConfig(
        policy,
        timedelta(minutes=reader.number("grace_minutes", 15, 0)),
        reader.number("percent_per_day", 10, 0, 100),
        reader.number("max_percent", 50, 0, 100),
        cutoff,
    )


def _lms(reader, assignment, course_dir):
    return LmsConfig(
        reader.choice("format", FORMATS, "folders"),
        reader.path("roster", course_dir),
        reader.path("extensions", course_dir),
        reader.flag("use_file_times", False),
        reader.text("grades_column", assignment.name),
        reader.choice("missing", MISSING_CHOICES, "zero"),
    )


def load_config(course_dir):
    """Read and check ``course_dir/course.toml``.

    Parameters
    ----------
    course_dir : str or Path
        The course folder.

    Returns
    -------
    CourseConfig

    Raises
    ------
    ConfigError
        The file is missing, is not TOML, or a value cannot be used.
    """
    course_dir = Path(course_dir).resolve()
    file = course_dir / CONFIG_FILE
    if not file.is_file():
        raise ConfigError(
            file,
            None,
            None,
            "a course.toml file",
            "no such file",
            "Create the course folder with `python -m grading init`, or "
            "write grading.course.config.render_template() there",
        )
    try:
        data = tomllib.loads(file.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as err:
        raise ConfigError(
            file,
            None,
            None,
            "valid TOML",
            f"a syntax error ({err})",
            "Correct that line; strings need quotes, times do not",
        ) from None
    sections = _sections(file, data)
    assignment = _assignment(sections["assignment"])
    return CourseConfig(
        course_dir,
        assignment,
        _late(sections["late"], assignment),
        _lms(sections["lms"], assignment, course_dir),
    )


def render_template(due=None, timezone=None, lms=None):
    """:data:`TEMPLATE` filled in with what ``init`` was given (checked first).

    Parameters
    ----------
    due : datetime, date or str, optional
        The due date; a local one is written as a local TOML time, read in ``timezone``.
    timezone : str, optional
        An IANA name; default ``"America/Los_Angeles"``.
    lms : str, optional
        One of ``canvas``, ``gradescope``, ``moodle``, ``folders``; default ``canvas``.
    """
    timezone = timezone or "America/Los_Angeles"
    try:
        zone = ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"Expected an IANA time zone name like 'America/Los_Angeles', got "
            f"{timezone!r}. {_closest(timezone, sorted(available_timezones()))}"
        ) from None
    lms = lms or "canvas"
    if lms not in FORMATS:
        raise ValueError(f"Expected lms to be one of {', '.join(FORMATS)}, got {lms!r}.")
    due = parse_when(due or "2026-10-15T23:59:00-07:00", None)
    if due.tzinfo is None:
        try:
            localize(due, zone)
        except ValueError as err:
            raise ValueError(
                f"Expected a due time that exists in {timezone}, got {err}. "
                "Give another time, or one with an offset."
            ) from None
    return TEMPLATE.format(due=due.isoformat(), timezone=timezone, lms=lms)
