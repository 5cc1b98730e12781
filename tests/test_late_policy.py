"""Deadlines and late penalties: grace to the second, per-day steps, cap, cutoff, DST,
extensions, and which attempt is graded."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from grading.course.config import load_config, render_template, utc
from grading.course.policy import (
    Deadlines,
    Extension,
    choose_attempt,
    describe_duration,
    read_extensions,
)

LA = ZoneInfo("America/Los_Angeles")
DUE = datetime(2026, 10, 15, 23, 59, tzinfo=LA)  # PDT, -07:00
GRACE = timedelta(minutes=15)
SECOND = timedelta(seconds=1)


def course(tmp_path, due="2026-10-15T23:59:00", **late):
    """A loaded config: the template with ``due`` (local, in Los Angeles) and [late] keys."""
    text = render_template(due=due, timezone="America/Los_Angeles")
    for key, value in late.items():
        lines = [line for line in text.splitlines() if line.lstrip("# ").startswith(key)]
        text = text.replace(lines[0], f"{key} = {value}")
    (tmp_path / "course.toml").write_text(text)
    return load_config(tmp_path)


@pytest.fixture
def deadlines(tmp_path):
    return Deadlines(course(tmp_path))


def at(*args):
    return datetime(*args, tzinfo=LA)


@pytest.mark.parametrize(
    ("after_due", "fraction", "days"),
    [
        (-SECOND, 0.0, 0),
        (timedelta(0), 0.0, 0),
        (GRACE - SECOND, 0.0, 0),
        (GRACE, 0.0, 0),  # the last second of the grace period is still on time
        (GRACE + SECOND, 0.1, 1),  # one second later starts day 1
        (GRACE + timedelta(days=1), 0.1, 1),  # day 1 ends 24 hours after the grace period
        (GRACE + timedelta(days=1) + SECOND, 0.2, 2),
    ],
)
def test_grace_boundaries_to_the_second(deadlines, after_due, fraction, days):
    penalty = deadlines.penalty("s1", DUE + after_due)
    assert (penalty.fraction, penalty.days_late) == (pytest.approx(fraction), days)
    assert deadlines.late_by("s1", DUE + after_due) == max(timedelta(0), after_due - GRACE)


@pytest.mark.parametrize(
    ("days", "percent"), [(1, 10), (2, 20), (3, 30), (4, 40), (5, 50), (6, 50), (30, 50)]
)
def test_per_day_steps_and_cap(deadlines, days, percent):
    penalty = deadlines.penalty("s1", DUE + GRACE + timedelta(days=days) - SECOND)
    assert penalty.days_late == days
    assert penalty.fraction == pytest.approx(percent / 100)
    assert penalty.apply(80.0) == pytest.approx(80.0 * (1 - percent / 100))
    assert penalty.reason.endswith(f"-{percent}%" + (" (the maximum)" if days > 5 else ""))


def test_reasons_are_plain_sentences(deadlines):
    late = deadlines.penalty("s1", DUE + timedelta(days=1, hours=3))
    assert late.reason == (
        "submitted 1 day 3 hours after the due date of 15 Oct 2026 23:59 PDT: 2 days late, -20%"
    )
    assert deadlines.penalty("s1", DUE).reason == "submitted on time (due 15 Oct 2026 23:59 PDT)"
    grace = deadlines.penalty("s1", DUE + timedelta(minutes=4))
    assert grace.reason == (
        "submitted 4 minutes after the due date of 15 Oct 2026 23:59 PDT, "
        "within the grace period of 15 minutes: no penalty"
    )
    unknown = deadlines.penalty("s1", None)
    assert (unknown.fraction, unknown.days_late) == (0.0, 0)
    assert "time is unknown" in unknown.reason
    assert deadlines.late_by("s1", None) == timedelta(0)


def test_cutoff_with_per_day(tmp_path):
    d = Deadlines(course(tmp_path, cutoff="2026-10-18T23:59:00"))
    cutoff = at(2026, 10, 18, 23, 59)
    assert d.penalty("s1", cutoff).fraction == pytest.approx(0.3)  # at the cutoff: day 3
    after = d.penalty("s1", cutoff + SECOND)
    assert (after.fraction, after.days_late) == (1.0, 3)
    assert after.reason.endswith("after the cutoff of 18 Oct 2026 23:59 PDT: no credit (-100%)")


def test_cutoff_policy_is_the_only_rule(tmp_path):
    d = Deadlines(course(tmp_path, policy='"cutoff"', cutoff="2026-10-18T23:59:00"))
    before = d.penalty("s1", at(2026, 10, 18, 23, 59))
    assert (before.fraction, before.days_late) == (0.0, 3)
    assert before.reason.endswith("before the cutoff of 18 Oct 2026 23:59 PDT: no penalty")
    assert d.penalty("s1", at(2026, 10, 18, 23, 59, 1)).fraction == 1.0


def test_policy_none_takes_nothing(tmp_path):
    d = Deadlines(course(tmp_path, policy='"none"'))
    penalty = d.penalty("s1", DUE + timedelta(days=40))
    assert penalty.fraction == 0.0
    assert penalty.reason.endswith("this course has no late penalty")


def test_days_follow_the_wall_clock_when_clocks_fall_back(tmp_path):
    # Due Sat 31 Oct 23:59 PDT; clocks fall back on Sun 1 Nov, so day 1 ends at Sun
    # 23:59 PST (+ grace), 25 hours after the due date.
    d = Deadlines(course(tmp_path, due="2026-10-31T23:59:00"))
    sunday = at(2026, 11, 1, 23, 30)  # PST: 24 h 31 min after the due date
    assert utc(sunday) - utc(d.due_for("s1")) == timedelta(hours=24, minutes=31)
    assert d.days_late("s1", sunday) == 1
    assert d.late_by("s1", sunday) == timedelta(hours=24, minutes=16)
    assert d.days_late("s1", at(2026, 11, 2, 0, 14)) == 1
    assert d.days_late("s1", at(2026, 11, 2, 0, 14, 1)) == 2


def test_days_follow_the_wall_clock_when_clocks_spring_forward(tmp_path):
    # Due Sat 7 Mar 23:59 PST; clocks spring forward on Sun 8 Mar: day 1 is 23 hours.
    d = Deadlines(course(tmp_path, due="2026-03-07T23:59:00"))
    monday = at(2026, 3, 9, 0, 20)  # PDT: 23 h 21 min after the due date
    assert utc(monday) - utc(d.due_for("s1")) == timedelta(hours=23, minutes=21)
    assert d.days_late("s1", monday) == 2
    assert d.penalty("s1", monday).fraction == pytest.approx(0.2)


def test_naive_submission_times_are_read_in_the_course_timezone(deadlines):
    naive = datetime(2026, 10, 16, 0, 30)  # 00:30 PDT, 31 minutes after the due date
    assert deadlines.late_by("s1", naive) == timedelta(minutes=16)
    utc_time = datetime(2026, 10, 16, 7, 30, tzinfo=timezone.utc)  # the same moment
    assert deadlines.penalty("s1", naive) == deadlines.penalty("s1", utc_time)


def test_extensions_by_days_hours_and_date(tmp_path):
    config = course(tmp_path, due="2026-10-31T23:59:00", cutoff="2026-11-03T23:59:00")
    extensions = {
        "days": Extension("days", extra=timedelta(days=2)),
        "hours": Extension("hours", extra=timedelta(hours=36)),
        "local": Extension("local", due=datetime(2026, 11, 4, 12, 0)),
        "offset": Extension("offset", due=datetime(2026, 11, 4, 20, 0, tzinfo=timezone.utc)),
    }
    d = Deadlines(config, extensions)
    # Days move the wall-clock time (23:59, PDT to PST); hours are elapsed time.
    assert d.due_for("days") == at(2026, 11, 2, 23, 59)
    assert d.due_for("days").utcoffset() == timedelta(hours=-8)
    assert utc(d.due_for("hours")) == utc(at(2026, 11, 1, 23, 59)) + timedelta(hours=12)
    assert d.due_for("local") == at(2026, 11, 4, 12, 0)
    assert d.due_for("offset") == at(2026, 11, 4, 12, 0)
    assert d.due_for("nobody") == at(2026, 10, 31, 23, 59)
    assert d.deadline_for("days") == at(2026, 11, 3, 0, 14)
    # The cutoff moves as far as the extension moved the due date.
    assert d.cutoff_for("days") == at(2026, 11, 5, 23, 59)
    assert d.cutoff_for("nobody") == at(2026, 11, 3, 23, 59)
    on_time = d.penalty("days", at(2026, 11, 2, 23, 0))
    assert on_time.fraction == 0.0
    late = d.penalty("days", at(2026, 11, 3, 1, 0))
    assert late.reason == (
        "submitted 1 hour 1 minute after the extended due date of 2 Nov "
        "2026 23:59 PST (the course's is 31 Oct 2026 23:59 PDT): 1 day "
        "late, -10%"
    )


EXTENSIONS_CSV = """\ufeffStudent,Days,Hours,Due,Reason,Note
alice@example.edu,2,,,illness,
Bob Brown,,,2026-10-20T12:00,travel,
carol,,12,,,
zed,1,,,,
dave,1,,2026-10-20,,
erin,,,,,
frank,-1,,,,
gina,,,20/10/2026,,
hank,,,2026-03-08T02:30,,
alice@example.edu,5,,,again,
,,,,,
"""


def resolve(text):
    known = {
        "alice@example.edu": "alice",
        "bob brown": "bob",
        "carol": "carol",
        "dave": "dave",
        "erin": "erin",
        "frank": "frank",
        "gina": "gina",
        "hank": "hank",
    }
    return known.get(text.lower())


def test_read_extensions_rows_and_problems_with_line_numbers(tmp_path):
    path = tmp_path / "extensions.csv"
    path.write_text(EXTENSIONS_CSV, encoding="utf-8")
    extensions, problems = read_extensions(path, resolve, LA)
    assert sorted(extensions) == ["alice", "bob", "carol"]
    assert extensions["alice"] == Extension("alice", None, timedelta(days=2), "illness", 2)
    assert extensions["bob"].due == datetime(2026, 10, 20, 12, 0, tzinfo=LA)
    assert extensions["carol"].extra == timedelta(hours=12)
    lines = {p.split(":")[0]: p for p in problems}
    assert "unknown column 'note'" in lines["extensions.csv"]
    assert "no student of the course matches 'zed'" in lines["extensions.csv line 5"]
    assert "not both" in lines["extensions.csv line 6"]
    assert "not neither" in lines["extensions.csv line 7"]
    assert "days must be a number of days >= 0, got '-1'" in lines["extensions.csv line 8"]
    assert "'20/10/2026' is not an ISO 8601" in lines["extensions.csv line 9"]
    assert "does not exist in America/Los_Angeles" in lines["extensions.csv line 10"]
    assert "a second row for alice (the first is on line 2)" in lines["extensions.csv line 11"]
    assert len(problems) == 8  # the blank row is skipped silently


def test_read_extensions_without_timezone_keeps_local_times_for_deadlines(tmp_path):
    path = tmp_path / "ext.csv"
    path.write_text("student,due\ncarol,2026-11-02\n")
    extensions, problems = read_extensions(path, resolve)
    assert problems == []
    assert extensions["carol"].due == datetime(2026, 11, 2, 23, 59, 59)  # naive
    d = Deadlines(course(tmp_path), extensions)
    assert d.due_for("carol") == at(2026, 11, 2, 23, 59, 59)
    assert d.due_for("carol").utcoffset() == timedelta(hours=-8)


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("name,days\nalice,1\n", "expected a header with `student` and `due` or `days`"),
        ("student,reason\nalice,sick\n", "expected a header with `student` and `due` or `days`"),
        ("", "got an empty file"),
    ],
)
def test_read_extensions_bad_header_is_one_problem(tmp_path, text, says):
    path = tmp_path / "ext.csv"
    path.write_text(text)
    extensions, problems = read_extensions(path, resolve, LA)
    assert extensions == {}
    assert any(says in p for p in problems), problems


def test_read_extensions_missing_file_is_a_problem(tmp_path):
    extensions, problems = read_extensions(tmp_path / "nope.csv", resolve, LA)
    assert extensions == {}
    assert len(problems) == 1
    assert "cannot read the extensions file" in problems[0]


@dataclass
class A:
    key: str
    submitted_at: datetime | None = None


DEADLINE = DUE + GRACE


def test_latest_before_due_takes_the_last_on_time_attempt():
    attempts = [A("1", DUE - timedelta(days=1)), A("2", DUE + GRACE), A("3", DUE + GRACE + SECOND)]
    chosen, reason = choose_attempt(attempts, DEADLINE, "latest-before-due")
    assert chosen.key == "2"
    assert reason == "the latest of 2 attempt(s) handed in by the deadline (16 Oct 2026 00:14 PDT)"


def test_latest_before_due_falls_back_to_the_latest():
    attempts = [A("2", DUE + timedelta(hours=2)), A("1", DUE + timedelta(hours=1))]
    chosen, reason = choose_attempt(attempts, DEADLINE, "latest-before-due")
    assert chosen.key == "2"
    assert reason.startswith(
        "none handed in by the deadline (16 Oct 2026 00:14 PDT), so the "
        "latest of 2 attempts, by submission time"
    )


def test_latest_ignores_the_deadline():
    attempts = [A("1", DUE - timedelta(days=1)), A("2", DUE + timedelta(days=3))]
    assert choose_attempt(attempts, DEADLINE, "latest").attempt.key == "2"
    assert choose_attempt(attempts, None, "latest-before-due").attempt.key == "2"


def test_without_times_attempts_are_ordered_by_key_numbers_as_numbers():
    attempts = [A("attempt-9"), A("attempt-10"), A("attempt-2")]
    for how in ("latest", "latest-before-due"):
        chosen, reason = choose_attempt(attempts, DEADLINE, how)
        assert chosen.key == "attempt-10"
        assert reason.endswith("by upload order, as 3 of them had no submission time")


def test_mixed_times_choose_among_the_timed_before_due_else_by_key():
    attempts = [A("1", DUE - timedelta(hours=1)), A("2"), A("3", DUE + timedelta(days=1))]
    assert choose_attempt(attempts, DEADLINE, "latest-before-due").attempt.key == "1"
    assert choose_attempt(attempts, DEADLINE, "latest").attempt.key == "3"


def test_equal_times_are_ordered_by_key():
    attempts = [A("b", DUE), A("a", DUE)]
    assert choose_attempt(attempts, DEADLINE, "latest").attempt.key == "b"


def test_choose_attempt_edges():
    only = A("1", DUE + timedelta(days=9))
    assert choose_attempt([only], DEADLINE) == (only, "the only attempt")
    with pytest.raises(ValueError, match="at least one attempt"):
        choose_attempt([], DEADLINE)
    with pytest.raises(ValueError, match="one of latest-before-due, latest, got 'newest'"):
        choose_attempt([only], DEADLINE, "newest")
    with pytest.raises(ValueError, match="timezone-aware"):
        choose_attempt([A("1", datetime(2026, 10, 15, 12, 0))], DEADLINE)


@pytest.mark.parametrize(
    ("span", "words"),
    [
        (timedelta(days=1, hours=3, minutes=5), "1 day 3 hours"),
        (timedelta(days=2, minutes=5), "2 days 5 minutes"),
        (timedelta(minutes=15, seconds=1), "15 minutes 1 second"),
        (timedelta(seconds=59), "59 seconds"),
        (timedelta(milliseconds=200), "less than a second"),
    ],
)
def test_describe_duration(span, words):
    assert describe_duration(span) == words
