"""The deadlines of the regulation (resolvers/timeliness.py), in process: the day boundaries
in the school's time zone, the mark deadline and the posting window."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from db.models import SchoolRole
from resolvers.timeliness import Deadlines, late_warning, require_open_window
from tenants.access import AccessContext, SchoolMembership
from tenants.errors import DomainError, ErrorCode, WarningCode

AMUR = "Asia/Yakutsk"  # UTC+9, the Amur region
LESSON_DAY = date(2016, 3, 10)
SCHOOL = uuid.uuid4()


def at(day: date, hour: int, minute: int = 0) -> datetime:
    """A moment given in the school's local time, stored as UTC."""
    return datetime(day.year, day.month, day.day, hour, minute,
                    tzinfo=ZoneInfo(AMUR)).astimezone(UTC)


def member(*roles: SchoolRole) -> AccessContext:
    m = SchoolMembership(school_id=SCHOOL, person_id=uuid.uuid4(), roles=frozenset(roles))
    return AccessContext(account_id=uuid.uuid4(), memberships={SCHOOL: m})


def test_deadlines_of_settings_default_to_the_regulation() -> None:
    rules = Deadlines.of(AMUR, None, None)
    assert rules == Deadlines(ZoneInfo(AMUR), 7, None)
    assert Deadlines.of(AMUR, 3, 14) == Deadlines(ZoneInfo(AMUR), 3, 14)


def test_local_day_is_the_school_day_not_utc() -> None:
    rules = Deadlines.of(AMUR, None, None)
    # 23:30 local on the 10th is 14:30 UTC; 00:30 local on the 11th is still the 10th in UTC
    assert rules.local_day(at(LESSON_DAY, 23, 30)) == LESSON_DAY
    assert rules.local_day(at(LESSON_DAY + timedelta(days=1), 0, 30)) \
        == LESSON_DAY + timedelta(days=1)


def test_late_for_lesson_day_from_local_midnight() -> None:
    rules = Deadlines.of(AMUR, None, None)
    assert not rules.late_for_lesson_day(LESSON_DAY, at(LESSON_DAY, 23, 59))
    assert rules.late_for_lesson_day(LESSON_DAY, at(LESSON_DAY + timedelta(days=1), 0, 1))
    assert not rules.late_for_lesson_day(LESSON_DAY, at(LESSON_DAY - timedelta(days=1), 12))


def test_late_mark_after_the_last_day_of_the_deadline() -> None:
    seven = Deadlines.of(AMUR, None, None)
    last = LESSON_DAY + timedelta(days=7)
    assert not seven.late_mark(LESSON_DAY, at(last, 23, 59))
    assert seven.late_mark(LESSON_DAY, at(last + timedelta(days=1), 0, 1))
    three = Deadlines.of(AMUR, 3, None)
    assert three.late_mark(LESSON_DAY, at(LESSON_DAY + timedelta(days=4), 9))
    assert not three.late_mark(LESSON_DAY, at(LESSON_DAY + timedelta(days=3), 9))


def test_window_closed() -> None:
    assert not Deadlines.of(AMUR, None, None).window_closed(LESSON_DAY, at(date(2030, 1, 1), 9))
    two = Deadlines.of(AMUR, None, 2)
    assert not two.window_closed(LESSON_DAY, at(LESSON_DAY + timedelta(days=2), 23, 59))
    assert two.window_closed(LESSON_DAY, at(LESSON_DAY + timedelta(days=3), 0, 1))
    # a window of 0 days closes at the end of the lesson day
    zero = Deadlines.of(AMUR, None, 0)
    assert not zero.window_closed(LESSON_DAY, at(LESSON_DAY, 23))
    assert zero.window_closed(LESSON_DAY, at(LESSON_DAY + timedelta(days=1), 0, 1))


def test_late_warning() -> None:
    warning = late_warning("input.homework", "homework", "the lesson day")
    assert (warning.field, warning.code) == ("input.homework", WarningCode.LATE_ENTRY)
    assert warning.message == ("homework entered after the deadline (the lesson day); accepted "
                               "and flagged as late")


def test_require_open_window_only_an_administrator_after_it_closes() -> None:
    rules = Deadlines.of(AMUR, None, 2)
    open_ = at(LESSON_DAY + timedelta(days=1), 9)
    closed = at(LESSON_DAY + timedelta(days=5), 9)
    teacher, admin = member(SchoolRole.TEACHER), member(SchoolRole.ADMINISTRATOR)
    require_open_window(teacher, SCHOOL, rules, LESSON_DAY, open_, "input.topic")
    require_open_window(admin, SCHOOL, rules, LESSON_DAY, closed, "input.topic")
    with pytest.raises(DomainError) as refused:
        require_open_window(teacher, SCHOOL, rules, LESSON_DAY, closed, "input.topic")
    (problem,) = refused.value.problems
    assert (problem.field, problem.code) == ("input.topic", ErrorCode.FORBIDDEN)
    assert problem.message == ("the posting window for 2016-03-10 has closed: ask an "
                               "administrator to make this change")
