"""course.toml: the template loads, every bad value is named, times come out aware."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from grading.course.config import (
    TEMPLATE,
    ConfigError,
    format_when,
    load_config,
    localize,
    parse_when,
    render_template,
    utc,
)

LA = ZoneInfo("America/Los_Angeles")


def write(course, text):
    (course / "course.toml").write_text(text, encoding="utf-8")
    return course


def edited(old, new, **template):
    """The rendered template with one line changed (which must be there)."""
    text = render_template(**template)
    assert old in text, f"{old!r} is not in the template"
    return text.replace(old, new)


def test_template_loads_with_its_documented_values(tmp_path):
    config = load_config(write(tmp_path, render_template()))
    a, late, lms = config.assignment, config.late, config.lms
    assert config.course_dir == tmp_path.resolve()
    assert (a.name, a.timezone.key, a.grade) == (
        "assignment1",
        "America/Los_Angeles",
        "latest-before-due",
    )
    assert a.due == datetime(2026, 10, 15, 23, 59, tzinfo=timezone(timedelta(hours=-7)))
    assert (late.policy, late.grace, late.percent_per_day, late.max_percent, late.cutoff) == (
        "per-day",
        timedelta(minutes=15),
        10.0,
        50.0,
        None,
    )
    assert (
        lms.format,
        lms.roster,
        lms.extensions,
        lms.use_file_times,
        lms.grades_column,
        lms.missing,
    ) == ("canvas", None, None, False, "Assignment 1", "zero")


def test_render_template_fills_in_what_init_was_given(tmp_path):
    text = render_template(due=datetime(2026, 12, 1, 17, 0), timezone="Europe/Berlin", lms="moodle")
    config = load_config(write(tmp_path, text))
    assert config.assignment.timezone.key == "Europe/Berlin"
    assert config.lms.format == "moodle"
    # A local due time is written local, and read in the course's timezone (CET, +01:00).
    assert "due = 2026-12-01T17:00:00\n" in text
    assert config.assignment.due.utcoffset() == timedelta(hours=1)
    assert TEMPLATE.count("{") == 3  # only the three fields: the rest is literal TOML


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"timezone": "Europe/Berlln"}, "Did you mean 'Europe/Berlin'?"),
        ({"lms": "blackboard"}, "one of canvas, gradescope, moodle, folders, got 'blackboard'"),
        ({"due": "2026-03-08T02:30", "timezone": "America/Los_Angeles"}, "does not exist"),
    ],
)
def test_render_template_refuses_bad_input(kwargs, message):
    with pytest.raises(ValueError, match=message.replace("?", r"\?")):
        render_template(**kwargs)


BAD_VALUES = [
    # (old line, new line, section, key, what the message must also say)
    (
        "grace_minutes = 15",
        "grace_minutes = -5",
        "late",
        "grace_minutes",
        ["expected a number >= 0", "got -5", "grace_minutes = 15"],
    ),
    (
        "grace_minutes = 15",
        'grace_minutes = "15"',
        "late",
        "grace_minutes",
        ["expected a number >= 0", "got '15'", "(no quotes)"],
    ),
    (
        "grace_minutes = 15",
        "grace_minutes = true",
        "late",
        "grace_minutes",
        ["got true (true/false)"],
    ),
    (
        "percent_per_day = 10",
        "percent_per_day = 150",
        "late",
        "percent_per_day",
        ["a number between 0 and 100", "got 150"],
    ),
    (
        'policy = "per-day"',
        'policy = "perday"',
        "late",
        "policy",
        ["one of 'per-day', 'cutoff', 'none'", "got 'perday'", "Did you mean 'per-day'?"],
    ),
    (
        'policy = "per-day"',
        'policy = "cutoff"',
        "late",
        "cutoff",
        ["a date and time", "got nothing (the key is missing)"],
    ),
    (
        'grade = "latest-before-due"',
        'grade = "last"',
        "assignment",
        "grade",
        ["one of 'latest-before-due', 'latest'", "got 'last'", "Did you mean 'latest'?"],
    ),
    (
        'format = "canvas"',
        'format = "canvass"',
        "lms",
        "format",
        ["got 'canvass'", "Did you mean 'canvas'?"],
    ),
    (
        'missing = "zero"',
        'missing = "none"',
        "lms",
        "missing",
        ["one of 'zero', 'blank'", "got 'none'"],
    ),
    (
        "use_file_times = false",
        'use_file_times = "no"',
        "lms",
        "use_file_times",
        ["expected true or false", "got 'no'"],
    ),
    (
        'timezone = "America/Los_Angeles"',
        'timezone = "America/Los_Angles"',
        "assignment",
        "timezone",
        ["an IANA time zone name", "Did you mean 'America/Los_Angeles'?"],
    ),
    ('name = "assignment1"', 'name = ""', "assignment", "name", ["a non-empty string", "got ''"]),
    (
        "due = 2026-10-15T23:59:00-07:00",
        'due = "next friday"',
        "assignment",
        "due",
        ["a date and time like 2026-10-15T23:59:00-07:00", "got 'next friday'"],
    ),
    (
        "due = 2026-10-15T23:59:00-07:00",
        "due = 23:59:00",
        "assignment",
        "due",
        ["a date and time", "got 23:59:00 (a time without a date)"],
    ),
    (
        "due = 2026-10-15T23:59:00-07:00",
        "# no due",
        "assignment",
        "due",
        ["got nothing (the key is missing)"],
    ),
    (
        "grace_minutes = 15",
        "grace_minute = 15",
        "late",
        "grace_minute",
        ["got the unknown key 'grace_minute'", "Did you mean 'grace_minutes'?"],
    ),
    (
        '# roster = "roster.csv"',
        'roster = "roster.csv"',
        "lms",
        "roster",
        ["expected a file in", "got 'roster.csv', which is not there"],
    ),
    (
        "# cutoff = 2026-10-20T23:59:00-07:00",
        "cutoff = 2026-10-14T23:59:00-07:00",
        "late",
        "cutoff",
        ["a time after the due date (15 Oct 2026 23:59 PDT)", "got 2026-10-14T23:59:00-07:00"],
    ),
]


@pytest.mark.parametrize(
    ("old", "new", "section", "key", "says"), BAD_VALUES, ids=[f"{b[3]}:{b[1]}" for b in BAD_VALUES]
)
def test_each_bad_value_names_file_key_expected_and_got(tmp_path, old, new, section, key, says):
    with pytest.raises(ConfigError) as caught:
        load_config(write(tmp_path, edited(old, new)))
    err = caught.value
    assert isinstance(err, ValueError)
    assert (err.file, err.section, err.key) == (str(tmp_path / "course.toml"), section, key)
    message = str(err)
    assert message.startswith(f"{tmp_path / 'course.toml'}: [{section}] {key}: expected ")
    for part in says:
        assert part in message, f"{part!r} not in {message!r}"


def test_policy_none_with_a_cutoff_is_refused(tmp_path):
    text = edited('policy = "per-day"', 'policy = "none"').replace(
        "# cutoff = 2026", "cutoff = 2026"
    )
    with pytest.raises(ConfigError, match=r"\[late\] cutoff: expected no cutoff with policy"):
        load_config(write(tmp_path, text))


def test_unknown_section_suggests_the_closest(tmp_path):
    with pytest.raises(ConfigError, match=r"got 'latte'. Did you mean 'late'\?") as caught:
        load_config(write(tmp_path, edited("[late]", "[latte]")))
    assert caught.value.section is None


def test_missing_file_and_bad_toml_name_the_file(tmp_path):
    with pytest.raises(ConfigError, match=r"course\.toml: the file: expected a course\.toml"):
        load_config(tmp_path)
    with pytest.raises(ConfigError, match="expected valid TOML, got a syntax error"):
        load_config(write(tmp_path, edited('name = "assignment1"', "name = assignment1")))


def test_paths_are_resolved_in_the_course_folder(tmp_path):
    (tmp_path / "roster.csv").write_text("x\n")
    text = edited('# roster = "roster.csv"', 'roster = "roster.csv"')
    config = load_config(write(tmp_path, text.replace('grades_column = "Assignment 1"\n', "")))
    assert config.lms.roster == (tmp_path / "roster.csv").resolve()
    assert config.lms.grades_column == "assignment1"  # defaults to the assignment's name


@pytest.mark.parametrize(
    ("due", "expected_utc"),
    [
        # An offset datetime is that moment, whatever the timezone says.
        ("2026-10-15T23:59:00-07:00", datetime(2026, 10, 16, 6, 59, tzinfo=timezone.utc)),
        ("2026-12-15T23:59:00+01:00", datetime(2026, 12, 15, 22, 59, tzinfo=timezone.utc)),
        # A local datetime is read in America/Los_Angeles: PDT (-7) in October, PST (-8) in
        # December.
        ("2026-10-15T23:59:00", datetime(2026, 10, 16, 6, 59, tzinfo=timezone.utc)),
        ("2026-12-15T23:59:00", datetime(2026, 12, 16, 7, 59, tzinfo=timezone.utc)),
        # A date is the end of that day; strings are accepted too, Z meaning UTC.
        ("2026-12-15", datetime(2026, 12, 16, 7, 59, 59, tzinfo=timezone.utc)),
        ('"2026-12-15 23:59"', datetime(2026, 12, 16, 7, 59, tzinfo=timezone.utc)),
        ('"2026-12-15T23:59:00Z"', datetime(2026, 12, 15, 23, 59, tzinfo=timezone.utc)),
        ('"2026-12-15"', datetime(2026, 12, 16, 7, 59, 59, tzinfo=timezone.utc)),
    ],
)
def test_due_forms_local_and_offset(tmp_path, due, expected_utc):
    text = edited("due = 2026-10-15T23:59:00-07:00", f"due = {due}")
    config_due = load_config(write(tmp_path, text)).assignment.due
    assert config_due.tzinfo is not None
    assert utc(config_due) == expected_utc


def test_dst_gap_is_an_error_and_the_repeated_hour_is_the_first(tmp_path):
    gap = edited("due = 2026-10-15T23:59:00-07:00", "due = 2026-03-08T02:30:00")
    with pytest.raises(ConfigError, match="2026-03-08 02:30 does not exist in America/Los_"):
        load_config(write(tmp_path, gap))
    # 1 Nov 2026 01:30 happens twice in Los Angeles: first as PDT (-7), then as PST.
    twice = edited("due = 2026-10-15T23:59:00-07:00", "due = 2026-11-01T01:30:00")
    due = load_config(write(tmp_path, twice)).assignment.due
    assert due.utcoffset() == timedelta(hours=-7)
    assert utc(due) == datetime(2026, 11, 1, 8, 30, tzinfo=timezone.utc)


def test_cutoff_after_the_due_date_across_dst(tmp_path):
    text = edited("# cutoff = 2026-10-20T23:59:00-07:00", "cutoff = 2026-11-02T23:59:00")
    late = load_config(write(tmp_path, text)).late
    assert late.cutoff.utcoffset() == timedelta(hours=-8)  # PST after 1 November


def test_time_helpers():
    assert parse_when(date(2026, 10, 15), None) == datetime(2026, 10, 15, 23, 59, 59)
    assert parse_when("2026-10-15T08:00", LA).utcoffset() == timedelta(hours=-7)
    with pytest.raises(ValueError, match="not an ISO 8601 date"):
        parse_when("15/10/2026", LA)
    assert localize(datetime(2026, 1, 5, 9, 0), LA).utcoffset() == timedelta(hours=-8)
    moment = datetime(2026, 10, 16, 6, 59, tzinfo=timezone.utc)
    assert format_when(moment, LA) == "15 Oct 2026 23:59 PDT"
    assert format_when(moment) == "16 Oct 2026 06:59 UTC"
    assert format_when(datetime(2026, 12, 1, 9, 5, tzinfo=LA)) == "1 Dec 2026 09:05 PST"
