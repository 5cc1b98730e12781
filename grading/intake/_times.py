"""Times as LMS exports write them, read into timezone-aware datetimes."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

# Moodle writes userdate() with its default "strftimedatetime" format,
# "Tuesday, 14 October 2026, 11:59 PM"; sites may change it, hence the others.
MOODLE_FORMATS = (
    "%A, %d %B %Y, %I:%M %p",
    "%A, %d %B %Y, %H:%M",
    "%d %B %Y, %I:%M %p",
    "%d %B %Y, %H:%M",
    "%A, %d %b %Y, %I:%M %p",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%d/%m/%Y, %H:%M",
)
# Gradescope's Ruby YAML: "2020-02-27 06:58:05.746365000 Z", "2023-10-05 18:25:11 -0700".
_STAMP = re.compile(
    r"^\s*(\d{4})-(\d\d)-(\d\d)[ T](\d\d):(\d\d):(\d\d)(?:\.(\d+))?\s*"
    r"(Z|UTC|[+-]\d\d:?\d\d)?\s*$"
)


def zone(name):
    """The time zone called ``name`` ("UTC", "Europe/Zurich", "America/Los_Angeles").

    Raises
    ------
    ValueError
        When ``name`` is not an IANA time zone name.
    """
    if isinstance(name, timezone | ZoneInfo):
        return name
    try:
        return ZoneInfo(str(name))
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise ValueError(
            f"Expected an IANA time zone name such as 'UTC' or 'Europe/Zurich', got "
            f"{name!r}. Use the zone the LMS shows times in (its site or user setting)."
        ) from error


def parse_stamp(value):
    """A Gradescope ``:created_at:`` (a string or a datetime PyYAML made) as an aware datetime.

    Times without an offset are UTC, as YAML specifies. Returns None when ``value``
    is not a time.
    """
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    m = _STAMP.match(str(value or ""))
    if not m:
        return None
    y, mo, d, h, mi, s = (int(g) for g in m.groups()[:6])
    micro = int((m[7] or "0")[:6].ljust(6, "0"))
    offset = m[8] or "Z"
    if offset in ("Z", "UTC"):
        tz = timezone.utc
    else:
        sign = -1 if offset[0] == "-" else 1
        digits = offset[1:].replace(":", "")
        tz = timezone(sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:])))
    return datetime(y, mo, d, h, mi, s, micro, tzinfo=tz)


def parse_moodle_time(text, tz):
    """A worksheet's ``Last modified (submission)`` read in ``tz``.

    Returns ``(datetime or None, problem)``: ``(None, '')`` for an empty cell or
    Moodle's ``-`` (no submission), ``(None, problem)`` when no known format fits.
    """
    text = " ".join((text or "").split())
    if text in ("", "-"):
        return None, ""
    for fmt in MOODLE_FORMATS:
        try:
            naive = datetime.strptime(text, fmt)
        except ValueError:
            continue
        return naive.replace(tzinfo=zone(tz)), ""
    return None, (
        f"the time {text!r} is in no known format (expected like 'Tuesday, "
        "14 October 2026, 11:59 PM'): time unknown"
    )
