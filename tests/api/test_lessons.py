"""Lessons: generation from the timetable, planning, filling in, substitution, reading."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text
from strawberry import relay

from db import models as m
from db.engine import DatabaseUrls, owner_session
from db.tenancy import set_tenant
from schema.ids import to_global_id as gid
from tests.api.test_marks import add_lesson
from tests.factories import TwoSchools
from tests.journal_factory import JournalGroup, make_journal_group
from tests.sql_counter import count_statements

ERRORS = "errors { field code message }"
LESSON_FIELDS = """id date lessonNumber status topic homework homeworkLinks homeworkDueOn
  isSubstitution substitutionReason version actualTeacher { id fullName }
  scheduledTeacher { id } lessonType { name } group { id }"""
PAYLOAD = f"lesson {{ {LESSON_FIELDS} }} {ERRORS} warnings {{ field code message }}"
GENERATE = f"""
mutation G($input: GenerateLessonsInput!) {{ generateLessons(input: $input) {{
  created skipped {ERRORS} }} }}
"""
ADD = f"mutation A($input: AddLessonInput!) {{ addLesson(input: $input) {{ {PAYLOAD} }} }}"
MOVE = f"mutation M($input: MoveLessonInput!) {{ moveLesson(input: $input) {{ {PAYLOAD} }} }}"
CANCEL = f"mutation C($input: CancelLessonInput!) {{ cancelLesson(input: $input) {{ {PAYLOAD} }} }}"
UPDATE = f"mutation U($input: UpdateLessonInput!) {{ updateLesson(input: $input) {{ {PAYLOAD} }} }}"
SET_SUB = f"""
mutation S($input: SetSubstitutionInput!) {{ setSubstitution(input: $input) {{ {PAYLOAD} }} }}
"""
CLEAR_SUB = f"""
mutation S($input: ClearSubstitutionInput!) {{ clearSubstitution(input: $input) {{ {PAYLOAD} }} }}
"""
LESSONS = f"""
query L($groupId: ID!, $from: Date!, $to: Date!) {{
  lessons(groupId: $groupId, from: $from, to: $to) {{ {LESSON_FIELDS} }} }}
"""
LESSONS_LIGHT = """
query L($groupId: ID!, $from: Date!, $to: Date!) {
  lessons(groupId: $groupId, from: $from, to: $to) {
    id actualTeacher { fullName } lessonType { name } } }
"""
NODE = "query N($id: ID!) { node(id: $id) { id ... on Lesson { topic } } }"

OUTSIDERS = ["teacher", "class_teacher", "student", "guardian"]
YEAR = ("2015-09-01", "2016-05-31")


def sql(database: DatabaseUrls, school_id: uuid.UUID, query: str, **params: Any) -> list[Any]:
    with owner_session(database.owner) as s:
        s.execute(text("SELECT set_config('zhurnal.school_ids', :s, true)"),
                  {"s": str(school_id)})
        return list(s.execute(text(query), {"school": school_id, **params}).all())


def execute(database: DatabaseUrls, school_id: uuid.UUID, statement: str, **params: Any
            ) -> None:
    with owner_session(database.owner) as s:
        s.execute(text("SELECT set_config('zhurnal.school_ids', :s, true)"),
                  {"s": str(school_id)})
        s.execute(text(statement), {"school": school_id, **params})


def raw_id(global_id: str) -> uuid.UUID:
    return uuid.UUID(relay.GlobalID.from_id(global_id).node_id)



def codes(payload: dict[str, Any]) -> list[tuple[str | None, str]]:
    return [(e["field"], e["code"]) for e in payload["errors"]]


def lesson_row(database: DatabaseUrls, j: JournalGroup, index: int) -> Any:
    return sql(database, j.school.id, "SELECT * FROM lessons WHERE id = :id",
               id=j.lesson_ids[index])[0]


def audit_actions(database: DatabaseUrls, school_id: uuid.UUID, entity_id: uuid.UUID
                  ) -> list[str]:
    return [r.action for r in sql(database, school_id, "SELECT action FROM audit_log WHERE "
                                  "entity = 'lessons' AND entity_id = :id ORDER BY seq",
                                  id=entity_id)]


def login_of(schools: TwoSchools, who: str) -> str:
    if who == "officer":
        return schools.officer_logins["region"]
    if who == "other_admin":
        return schools.b.logins["admin"]
    return schools.a.logins[who]


@pytest.fixture()
def admin_a(token_for, schools: TwoSchools) -> str:
    return token_for(schools.a.logins["admin"])


@pytest.fixture()
def journal(database: DatabaseUrls, schools: TwoSchools) -> JournalGroup:
    return make_journal_group(database.owner, schools.a, students=2, lessons=3)


@contextmanager
def posting_window(database: DatabaseUrls, school_id: uuid.UUID, days: int) -> Iterator[None]:
    """Set the school's posting window for the block, then put back what was there."""
    old = sql(database, school_id, "SELECT posting_window_days FROM school_settings "
                                   "WHERE school_id = :school")
    execute(database, school_id, "INSERT INTO school_settings (school_id, id, posting_window_days) "
                             "VALUES (:school, gen_random_uuid(), :d) ON CONFLICT (school_id) "
                             "DO UPDATE SET posting_window_days = :d", d=days)
    try:
        yield
    finally:
        if old:
            execute(database, school_id, "UPDATE school_settings SET posting_window_days = :d "
                    "WHERE school_id = :school", d=old[0][0])
        else:
            execute(database, school_id, "DELETE FROM school_settings WHERE school_id = :school")


# --- generation ------------------------------------------------------------------------------

@dataclass
class Calendar:
    year_id: uuid.UUID
    group_id: uuid.UUID
    teacher_id: uuid.UUID
    school_holiday: date
    scheme_holiday: date
    other_scheme_holiday: date


def make_calendar(database: DatabaseUrls, schools: TwoSchools) -> Calendar:
    """A year of its own (so its holidays touch nobody else) with a grade-7 class and group,
    Monday lesson 1 and Wednesday lesson 2 slots, a school-wide holiday, a holiday of the
    grade's scheme and one of a scheme the grade does not use."""
    sid = schools.a.id
    tag = uuid.uuid4().hex[:8]
    with owner_session(database.owner) as s:
        set_tenant(s, [sid])
        year = m.AcademicYear(school_id=sid, id=uuid.uuid4(), name=f"gen {tag}",
                              starts_on=date(2041, 9, 2), ends_on=date(2042, 5, 31))
        s.add(year)
        s.flush()
        schemes = [m.PeriodScheme(school_id=sid, id=uuid.uuid4(), academic_year_id=year.id,
                                  name=f"{name} {tag}", kind=m.SchemeKind.QUARTERS)
                   for name in ("mine", "other")]
        subject = m.Subject(school_id=sid, id=uuid.uuid4(), name=f"Генерация {tag}",
                            short_name="Ген")
        teacher = m.Person(school_id=sid, id=uuid.uuid4(), last_name="Генераторов",
                           first_name=tag)
        s.add_all([*schemes, subject, teacher])
        s.flush()
        s.add(m.PersonRole(school_id=sid, person_id=teacher.id, role=m.SchoolRole.TEACHER))
        s.add(m.GradeLevelScheme(school_id=sid, academic_year_id=year.id, grade_level=7,
                                 scheme_id=schemes[0].id))
        klass = m.SchoolClass(school_id=sid, id=uuid.uuid4(), academic_year_id=year.id,
                              grade_level=7, letter="Г")
        s.add(klass)
        s.flush()
        group = m.StudyGroup(school_id=sid, id=uuid.uuid4(), academic_year_id=year.id,
                             subject_id=subject.id, kind=m.GroupKind.WHOLE_CLASS,
                             class_id=klass.id, name=f"7Г {tag}")
        s.add(group)
        s.flush()
        for weekday, number in [(1, 1), (3, 2)]:
            s.add(m.TimetableSlot(school_id=sid, group_id=group.id, teacher_id=teacher.id,
                                  weekday=weekday, lesson_number=number,
                                  valid_from=date(2041, 9, 1)))
        cal = Calendar(year.id, group.id, teacher.id, school_holiday=date(2041, 9, 4),
                       scheme_holiday=date(2041, 9, 9), other_scheme_holiday=date(2041, 9, 2))
        for day, scheme in [(cal.school_holiday, None), (cal.scheme_holiday, schemes[0].id),
                            (cal.other_scheme_holiday, schemes[1].id)]:
            s.add(m.Holiday(school_id=sid, academic_year_id=year.id, scheme_id=scheme,
                            name=f"holiday {tag}", starts_on=day, ends_on=day))
    return cal


def generate_input(schools: TwoSchools, cal: Calendar) -> dict[str, Any]:
    # From before the year starts (1 September 2041 is a Sunday, the year starts on the 2nd).
    return {"schoolId": gid("School", schools.a.id), "from": "2041-08-25", "to": "2041-09-15",
            "groupId": gid("StudyGroup", cal.group_id)}


def generated(database: DatabaseUrls, schools: TwoSchools, cal: Calendar) -> list[Any]:
    return sql(database, schools.a.id, "SELECT id, date, lesson_number FROM lessons WHERE "
                                       "group_id = :g ORDER BY date, lesson_number",
               g=cal.group_id)


def test_generate_lessons_skips_holidays_weekends_and_days_outside_the_year(
    gql, admin_a: str, schools: TwoSchools, database: DatabaseUrls
) -> None:
    # given
    cal = make_calendar(database, schools)
    # when
    body = gql.post(GENERATE, {"input": generate_input(schools, cal)}, token=admin_a)
    # then: Mondays 2 and 9, Wednesdays 4 and 11 September, minus the school holiday (4th)
    # and the holiday of grade 7's scheme (9th); another scheme's holiday (2nd) does not count
    assert date(2041, 9, 2).isoweekday() == 1
    payload = body["data"]["generateLessons"]
    assert payload["errors"] == []
    rows = generated(database, schools, cal)
    assert [(r.date, r.lesson_number) for r in rows] == [
        (date(2041, 9, 2), 1), (date(2041, 9, 11), 2)]
    assert all(r.date.isoweekday() < 6 for r in rows)
    assert (payload["created"], payload["skipped"]) == (2, 0)
    assert audit_actions(database, schools.a.id, rows[0].id) == ["create"]


def test_generate_lessons_again_creates_nothing_new(
    gql, admin_a: str, schools: TwoSchools, database: DatabaseUrls
) -> None:
    # given
    cal = make_calendar(database, schools)
    gql.post(GENERATE, {"input": generate_input(schools, cal)}, token=admin_a)
    # when
    wider = {**generate_input(schools, cal), "to": "2041-09-21"}
    body = gql.post(GENERATE, {"input": wider}, token=admin_a)
    # then: only Monday the 16th and Wednesday the 18th are new
    payload = body["data"]["generateLessons"]
    assert (payload["created"], payload["skipped"]) == (2, 2)
    assert [r.date.day for r in generated(database, schools, cal)] == [2, 11, 16, 18]


@pytest.mark.parametrize("who", [*OUTSIDERS, "other_admin", "officer"])
def test_generate_lessons_by_others_is_refused_and_writes_nothing(
    gql, token_for, schools: TwoSchools, database: DatabaseUrls, who: str
) -> None:
    # given
    cal = make_calendar(database, schools)
    # when
    body = gql.post(GENERATE, {"input": generate_input(schools, cal)},
                    token=token_for(login_of(schools, who)))
    # then
    expected = "FORBIDDEN" if who in OUTSIDERS else "NOT_FOUND"
    assert codes(body["data"]["generateLessons"]) == [("input.schoolId", expected)]
    assert generated(database, schools, cal) == []


def test_generate_lessons_with_a_group_of_another_school_is_not_found(
    gql, token_for, schools: TwoSchools, database: DatabaseUrls
) -> None:
    # given: school B's administrator names their school and school A's group
    cal = make_calendar(database, schools)
    bad = {**generate_input(schools, cal), "schoolId": gid("School", schools.b.id)}
    # when
    body = gql.post(GENERATE, {"input": bad}, token=token_for(schools.b.logins["admin"]))
    reversed_ = gql.post(GENERATE, {"input": {**bad, "to": "2041-08-01"}},
                         token=token_for(schools.b.logins["admin"]))
    # then
    assert codes(body["data"]["generateLessons"]) == [("input.groupId", "NOT_FOUND")]
    assert codes(reversed_["data"]["generateLessons"]) == [("input.to", "INVALID"),
                                                           ("input.groupId", "NOT_FOUND")]
    assert generated(database, schools, cal) == []


# --- add, move, cancel -----------------------------------------------------------------------

@pytest.mark.parametrize("who", ["admin", "group_teacher"])
def test_add_lesson_by_the_administrator_or_the_group_teacher_is_audited(
    gql, token_for, schools: TwoSchools, database: DatabaseUrls, journal: JournalGroup,
    who: str,
) -> None:
    # given
    login = schools.a.logins["admin"] if who == "admin" else journal.teacher_login
    # when
    body = gql.post(ADD, {"input": {"groupId": gid("StudyGroup", journal.group_id),
                                    "date": "2015-10-01", "lessonNumber": 6,
                                    "lessonTypeId": gid("LessonType",
                                                        journal.setup.lesson_type_id)}},
                    token=token_for(login))
    # then
    payload = body["data"]["addLesson"]
    assert payload["errors"] == []
    lesson = payload["lesson"]
    assert (lesson["date"], lesson["lessonNumber"], lesson["status"], lesson["version"]) == (
        "2015-10-01", 6, "SCHEDULED", 1)
    assert lesson["actualTeacher"]["id"] == gid("Person", journal.teacher_id)
    assert audit_actions(database, schools.a.id, raw_id(lesson["id"])) == ["create"]


@pytest.mark.parametrize("who", [*OUTSIDERS, "other_admin", "officer"])
def test_add_lesson_by_others_is_refused_and_writes_nothing(
    gql, token_for, schools: TwoSchools, database: DatabaseUrls, journal: JournalGroup,
    who: str,
) -> None:
    # when
    body = gql.post(ADD, {"input": {"groupId": gid("StudyGroup", journal.group_id),
                                    "date": "2015-10-01"}},
                    token=token_for(login_of(schools, who)))
    # then
    expected = "FORBIDDEN" if who in OUTSIDERS else "NOT_FOUND"
    assert codes(body["data"]["addLesson"]) == [("input.groupId", expected)]
    assert len(sql(database, schools.a.id, "SELECT id FROM lessons WHERE group_id = :g",
                   g=journal.group_id)) == 3


def test_add_lesson_with_bad_input_names_each_field(
    gql, admin_a: str, schools: TwoSchools, database: DatabaseUrls, journal: JournalGroup,
) -> None:
    # given: the first lesson is on 1 September at its own number
    first = lesson_row(database, journal, 0)
    group = gid("StudyGroup", journal.group_id)
    # when
    outside = gql.post(ADD, {"input": {"groupId": group, "date": "2016-07-01",
                                       "lessonNumber": 21}}, token=admin_a)["data"]["addLesson"]
    clash = gql.post(ADD, {"input": {"groupId": group, "date": first.date.isoformat(),
                                     "lessonNumber": first.lesson_number}},
                     token=admin_a)["data"]["addLesson"]
    # then
    assert codes(outside) == [("input.date", "OUT_OF_RANGE"), ("input.lessonNumber",
                                                               "OUT_OF_RANGE")]
    assert codes(clash) == [("input.lessonNumber", "OVERLAP")]
    assert gid("Lesson", first.id) in clash["errors"][0]["message"]
    assert len(sql(database, schools.a.id, "SELECT id FROM lessons WHERE group_id = :g",
                   g=journal.group_id)) == 3


def test_move_lesson_by_the_group_teacher_and_a_stale_version_conflicts(
    gql, token_for, schools: TwoSchools, database: DatabaseUrls, journal: JournalGroup,
) -> None:
    # given
    teacher = token_for(journal.teacher_login)
    lesson = gid("Lesson", journal.lesson_ids[0])
    # when
    moved = gql.post(MOVE, {"input": {"id": lesson, "date": "2015-09-07", "lessonNumber": 8,
                                      "expectedVersion": 1}}, token=teacher)["data"]["moveLesson"]
    stale = gql.post(MOVE, {"input": {"id": lesson, "date": "2015-09-08",
                                      "expectedVersion": 1}}, token=teacher)["data"]["moveLesson"]
    # then
    assert moved["errors"] == []
    assert (moved["lesson"]["date"], moved["lesson"]["lessonNumber"],
            moved["lesson"]["version"]) == ("2015-09-07", 8, 2)
    assert codes(stale) == [("input.expectedVersion", "CONFLICT")]
    assert "current version is 2" in stale["errors"][0]["message"]
    assert lesson_row(database, journal, 0).date == date(2015, 9, 7)
    assert audit_actions(database, schools.a.id, journal.lesson_ids[0]) == ["update"]


@pytest.mark.parametrize("who", [*OUTSIDERS, "other_admin"])
def test_move_and_cancel_lesson_by_others_is_refused_and_changes_nothing(
    gql, token_for, schools: TwoSchools, database: DatabaseUrls, journal: JournalGroup,
    who: str,
) -> None:
    # given
    token = token_for(login_of(schools, who))
    lesson = gid("Lesson", journal.lesson_ids[0])
    # when
    moved = gql.post(MOVE, {"input": {"id": lesson, "date": "2015-09-07"}}, token=token)
    cancelled = gql.post(CANCEL, {"input": {"id": lesson}}, token=token)
    # then
    expected = "FORBIDDEN" if who in OUTSIDERS else "NOT_FOUND"
    assert codes(moved["data"]["moveLesson"]) == [("input.id", expected)]
    assert codes(cancelled["data"]["cancelLesson"]) == [("input.id", expected)]
    row = lesson_row(database, journal, 0)
    assert (row.date, row.status, row.version) == (journal.lesson_dates[0], "held", 1)


def test_cancel_lesson_is_refused_while_it_has_attendance_and_audited_after(
    gql, admin_a: str, schools: TwoSchools, database: DatabaseUrls, journal: JournalGroup,
) -> None:
    # given: an absence on the first lesson, none on the second
    execute(database, schools.a.id, "INSERT INTO attendance (school_id, id, lesson_id, "
            "student_id, kind) VALUES (:school, gen_random_uuid(), :l, :s, 'absent')",
            l=journal.lesson_ids[0], s=journal.students[0])
    # when
    refused = gql.post(CANCEL, {"input": {"id": gid("Lesson", journal.lesson_ids[0])}},
                       token=admin_a)["data"]["cancelLesson"]
    done = gql.post(CANCEL, {"input": {"id": gid("Lesson", journal.lesson_ids[1]),
                                       "reason": "карантин"}},
                    token=admin_a)["data"]["cancelLesson"]
    # then
    assert codes(refused) == [("input.id", "INVALID")]
    assert lesson_row(database, journal, 0).status == "held"
    assert done["errors"] == [] and done["lesson"]["status"] == "CANCELLED"
    audit = sql(database, schools.a.id, "SELECT action, after FROM audit_log WHERE entity = "
                                        "'lessons' AND entity_id = :id", id=journal.lesson_ids[1])
    assert [(a.action, a.after["cancel_reason"]) for a in audit] == [("cancel", "карантин")]


# --- filling in ------------------------------------------------------------------------------

def test_update_lesson_late_topic_is_stored_with_a_warning_and_audited(
    gql, token_for, schools: TwoSchools, database: DatabaseUrls, journal: JournalGroup,
) -> None:
    # given: the lessons are in 2015, so today is long after the lesson day
    lesson = gid("Lesson", journal.lesson_ids[0])
    # when
    body = gql.post(UPDATE, {"input": {"id": lesson, "topic": "  Причастие  ",
                                       "homework": "Упр. 12", "expectedVersion": 1,
                                       "homeworkLinks": ["https://example.org/a"]}},
                    token=token_for(journal.teacher_login))
    # then
    payload = body["data"]["updateLesson"]
    assert payload["errors"] == []
    assert [(w["field"], w["code"]) for w in payload["warnings"]] == [
        ("input.topic", "LATE_ENTRY"), ("input.homework", "LATE_ENTRY")]
    lesson_out = payload["lesson"]
    assert (lesson_out["topic"], lesson_out["homework"], lesson_out["version"]) == (
        "Причастие", "Упр. 12", 2)
    # homeworkDueOn defaults to the group's next lesson
    assert lesson_out["homeworkDueOn"] == journal.lesson_dates[1].isoformat()
    row = lesson_row(database, journal, 0)
    assert row.topic == "Причастие" and row.topic_entered_at is not None
    assert row.homework_links == ["https://example.org/a"]
    audit = sql(database, schools.a.id, "SELECT action, before, after FROM audit_log WHERE "
                                        "entity = 'lessons' AND entity_id = :id",
                id=journal.lesson_ids[0])
    assert [(a.action, a.before["topic"], a.after["topic"]) for a in audit] == [
        ("update", None, "Причастие")]


def test_update_lesson_recorded_on_the_lesson_day_is_not_late(
    gql, token_for, database: DatabaseUrls, journal: JournalGroup,
) -> None:
    # given: yesterday's lesson, its topic written offline in class at 10:00 school time
    day = datetime.now(ZoneInfo("Asia/Yakutsk")).date() - timedelta(days=1)
    lesson = add_lesson(database, journal, day)
    # when
    body = gql.post(UPDATE, {"input": {"id": gid("Lesson", lesson), "topic": "Деепричастие",
                                       "recordedAt": f"{day.isoformat()}T10:00:00+09:00"}},
                    token=token_for(journal.teacher_login))
    late = gql.post(UPDATE, {"input": {"id": gid("Lesson", lesson), "homework": "§ 12"}},
                    token=token_for(journal.teacher_login))
    # then: the topic counts as written on the day; the homework, sent now, is late
    payload = body["data"]["updateLesson"]
    assert payload["errors"] == [] and payload["warnings"] == []
    assert payload["lesson"]["topic"] == "Деепричастие"
    assert [w["field"] for w in late["data"]["updateLesson"]["warnings"]] == ["input.homework"]


@pytest.mark.parametrize(("recorded", "code"), [
    ("lesson-day", "OUT_OF_RANGE"), ("day-before", "INVALID"), ("future", "INVALID"),
], ids=["outside-the-window", "before-the-lesson", "in-the-future"])
def test_update_lesson_refuses_a_recorded_at_outside_the_offline_window(
    gql, token_for, database: DatabaseUrls, journal: JournalGroup, recorded: str, code: str,
) -> None:
    """Guards against dating a topic back to the lesson day of 2015 to hide that it is late."""
    # given
    tz = ZoneInfo("Asia/Yakutsk")
    day = journal.lesson_dates[0]
    lesson = journal.lesson_ids[0]
    if recorded != "lesson-day":
        day = datetime.now(tz).date()
        lesson = add_lesson(database, journal, day)
    at = {"lesson-day": datetime.combine(day, time(10, 0), tzinfo=tz),
          "day-before": datetime.combine(day - timedelta(days=1), time(20, 0), tzinfo=tz),
          "future": datetime.now(tz) + timedelta(hours=1)}[recorded]
    # when
    body = gql.post(UPDATE, {"input": {"id": gid("Lesson", lesson), "topic": "Деепричастие",
                                       "recordedAt": at.isoformat()}},
                    token=token_for(journal.teacher_login))
    # then
    payload = body["data"]["updateLesson"]
    assert [(e["field"], e["code"]) for e in payload["errors"]] == [("input.recordedAt", code)]


def test_update_lesson_with_bad_input_names_each_field_and_writes_nothing(
    gql, token_for, schools: TwoSchools, database: DatabaseUrls, journal: JournalGroup,
) -> None:
    # when
    body = gql.post(UPDATE, {"input": {
        "id": gid("Lesson", journal.lesson_ids[0]), "topic": "т" * 501,
        "homework": "д" * 5001, "homeworkLinks": ["https://ok.example", "javascript:alert(1)"],
        "homeworkDueOn": "2015-08-01",
        "lessonTypeId": gid("LessonType", uuid.uuid4())}},
        token=token_for(journal.teacher_login))
    many = gql.post(UPDATE, {"input": {"id": gid("Lesson", journal.lesson_ids[0]),
                                       "homeworkLinks": ["https://e.org"] * 11}},
                    token=token_for(journal.teacher_login))
    # then
    assert codes(body["data"]["updateLesson"]) == [
        ("input.topic", "INVALID"), ("input.homework", "INVALID"),
        ("input.homeworkLinks.1", "INVALID"), ("input.lessonTypeId", "NOT_FOUND"),
        ("input.homeworkDueOn", "INVALID")]
    assert codes(many["data"]["updateLesson"]) == [("input.homeworkLinks", "INVALID")]
    row = lesson_row(database, journal, 0)
    assert (row.topic, row.homework, row.version) == (None, None, 1)
    assert audit_actions(database, schools.a.id, journal.lesson_ids[0]) == []


def test_update_lesson_with_a_stale_version_is_a_conflict_with_the_current_version(
    gql, admin_a: str, token_for, database: DatabaseUrls, journal: JournalGroup,
) -> None:
    # given: the administrator changed the lesson (version 2)
    lesson = gid("Lesson", journal.lesson_ids[0])
    gql.post(UPDATE, {"input": {"id": lesson, "topic": "Первая"}}, token=admin_a)
    # when: the teacher sends a change based on version 1
    body = gql.post(UPDATE, {"input": {"id": lesson, "topic": "Вторая", "expectedVersion": 1}},
                    token=token_for(journal.teacher_login))
    # then
    payload = body["data"]["updateLesson"]
    assert codes(payload) == [("input.expectedVersion", "CONFLICT")]
    assert "current version is 2" in payload["errors"][0]["message"]
    assert lesson_row(database, journal, 0).topic == "Первая"


@pytest.mark.parametrize("who", [*OUTSIDERS, "other_admin", "officer"])
def test_update_lesson_by_others_is_refused_and_changes_nothing(
    gql, token_for, schools: TwoSchools, database: DatabaseUrls, journal: JournalGroup,
    who: str,
) -> None:
    # when
    body = gql.post(UPDATE, {"input": {"id": gid("Lesson", journal.lesson_ids[0]),
                                       "topic": "Чужая"}},
                    token=token_for(login_of(schools, who)))
    # then
    expected = "FORBIDDEN" if who in OUTSIDERS else "NOT_FOUND"
    assert codes(body["data"]["updateLesson"]) == [("input.id", expected)]
    assert lesson_row(database, journal, 0).topic is None


def test_update_lesson_after_the_posting_window_needs_the_administrator(
    gql, admin_a: str, token_for, schools: TwoSchools, database: DatabaseUrls,
    journal: JournalGroup,
) -> None:
    # given: a 30-day window; the 2015 lessons are long past it
    lesson = gid("Lesson", journal.lesson_ids[0])
    with posting_window(database, schools.a.id, 30):
        # when
        teacher = gql.post(UPDATE, {"input": {"id": lesson, "topic": "Поздно"}},
                           token=token_for(journal.teacher_login))["data"]["updateLesson"]
        admin = gql.post(UPDATE, {"input": {"id": lesson, "topic": "Исправлено"}},
                         token=admin_a)["data"]["updateLesson"]
    # then
    assert codes(teacher) == [("input.id", "FORBIDDEN")]
    assert admin["errors"] == []
    assert lesson_row(database, journal, 0).topic == "Исправлено"
    assert audit_actions(database, schools.a.id, journal.lesson_ids[0]) == ["update"]


# --- substitution ----------------------------------------------------------------------------

def test_substitute_may_fill_in_that_lesson_only(
    gql, admin_a: str, token_for, schools: TwoSchools, database: DatabaseUrls,
    journal: JournalGroup,
) -> None:
    # given: school A's teacher does not teach the group
    substitute = token_for(schools.a.logins["teacher"])
    first, second = (gid("Lesson", i) for i in journal.lesson_ids[:2])
    refused_before = gql.post(UPDATE, {"input": {"id": first, "topic": "До замены"}},
                              token=substitute)["data"]["updateLesson"]
    # when
    set_ = gql.post(SET_SUB, {"input": {"lessonId": first, "reason": "болезнь",
                                        "teacherId": gid("Person", schools.a.people["teacher"])}},
                    token=admin_a)["data"]["setSubstitution"]
    mine = gql.post(UPDATE, {"input": {"id": first, "topic": "На замене"}},
                    token=substitute)["data"]["updateLesson"]
    other = gql.post(UPDATE, {"input": {"id": second, "topic": "Не моё"}},
                     token=substitute)["data"]["updateLesson"]
    listed = gql.post(LESSONS, {"groupId": gid("StudyGroup", journal.group_id),
                                "from": YEAR[0], "to": YEAR[1]},
                      token=substitute)["data"]["lessons"]
    # then
    assert codes(refused_before) == [("input.id", "FORBIDDEN")]
    assert set_["errors"] == []
    assert set_["lesson"]["isSubstitution"] is True
    assert set_["lesson"]["substitutionReason"] == "болезнь"
    assert set_["lesson"]["actualTeacher"]["id"] == gid("Person", schools.a.people["teacher"])
    assert mine["errors"] == [] and mine["lesson"]["topic"] == "На замене"
    assert codes(other) == [("input.id", "FORBIDDEN")]
    assert [lesson["id"] for lesson in listed] == [first]
    assert audit_actions(database, schools.a.id, journal.lesson_ids[0]) == [
        "substitute", "update"]
    # and after clearing it, the substitute may not any more
    cleared = gql.post(CLEAR_SUB, {"input": {"lessonId": first}},
                       token=admin_a)["data"]["clearSubstitution"]
    assert cleared["errors"] == [] and cleared["lesson"]["isSubstitution"] is False
    again = gql.post(UPDATE, {"input": {"id": first, "topic": "После"}},
                     token=substitute)["data"]["updateLesson"]
    assert codes(again) == [("input.id", "FORBIDDEN")]


@pytest.mark.parametrize("who", ["group_teacher", "student", "other_admin"])
def test_set_substitution_by_others_is_refused_and_changes_nothing(
    gql, token_for, schools: TwoSchools, database: DatabaseUrls, journal: JournalGroup,
    who: str,
) -> None:
    # given
    login = journal.teacher_login if who == "group_teacher" else login_of(schools, who)
    # when
    body = gql.post(SET_SUB, {"input": {"lessonId": gid("Lesson", journal.lesson_ids[0]),
                                        "reason": "курсы",
                                        "teacherId": gid("Person", schools.a.people["teacher"])}},
                    token=token_for(login))
    # then
    expected = "NOT_FOUND" if who == "other_admin" else "FORBIDDEN"
    assert codes(body["data"]["setSubstitution"]) == [("input.lessonId", expected)]
    assert lesson_row(database, journal, 0).actual_teacher_id == journal.teacher_id


def test_set_substitution_with_bad_input_names_each_field(
    gql, admin_a: str, schools: TwoSchools, database: DatabaseUrls, journal: JournalGroup,
) -> None:
    # when
    body = gql.post(SET_SUB, {"input": {"lessonId": gid("Lesson", journal.lesson_ids[0]),
                                        "reason": "  ",
                                        "teacherId": gid("Person", schools.a.people["student"])}},
                    token=admin_a)
    other_school = gql.post(SET_SUB, {"input": {
        "lessonId": gid("Lesson", journal.lesson_ids[0]), "reason": "болезнь",
        "teacherId": gid("Person", schools.b.people["teacher"])}}, token=admin_a)
    # then
    assert codes(body["data"]["setSubstitution"]) == [("input.teacherId", "INVALID"),
                                                      ("input.reason", "REQUIRED")]
    assert codes(other_school["data"]["setSubstitution"]) == [("input.teacherId", "NOT_FOUND")]
    assert lesson_row(database, journal, 0).actual_teacher_id == journal.teacher_id


# --- reading ---------------------------------------------------------------------------------

def test_lessons_are_listed_in_order_for_the_group_teacher_and_hidden_from_others(
    gql, admin_a: str, token_for, schools: TwoSchools, journal: JournalGroup,
) -> None:
    # given
    variables = {"groupId": gid("StudyGroup", journal.group_id), "from": YEAR[0],
                 "to": YEAR[1]}
    # when
    mine = gql.post(LESSONS, variables, token=token_for(journal.teacher_login))
    # then
    assert [lesson["id"] for lesson in mine["data"]["lessons"]] == [
        gid("Lesson", i) for i in journal.lesson_ids]
    assert mine["data"]["lessons"][0]["lessonType"]["name"] == "Урок"
    for who in [*OUTSIDERS, "other_admin", "officer"]:
        token = token_for(login_of(schools, who))
        assert gql.post(LESSONS, variables, token=token)["data"]["lessons"] == []
        node = gql.post(NODE, {"id": gid("Lesson", journal.lesson_ids[0])}, token=token)
        assert node["data"]["node"] is None
    for login in [journal.student_logins[0], journal.guardian_login]:
        assert gql.post(LESSONS, variables, token=token_for(login))["data"]["lessons"] == []
    node = gql.post(NODE, {"id": gid("Lesson", journal.lesson_ids[0])}, token=admin_a)
    assert node["data"]["node"]["id"] == gid("Lesson", journal.lesson_ids[0])


def test_lessons_statement_count_does_not_grow_with_the_lessons(
    gql, admin_a: str, schools: TwoSchools, database: DatabaseUrls,
) -> None:
    # given
    small = make_journal_group(database.owner, schools.a, students=1, lessons=3)
    large = make_journal_group(database.owner, schools.a, students=1, lessons=15)
    counts = []
    for j in (small, large):
        variables = {"groupId": gid("StudyGroup", j.group_id), "from": YEAR[0], "to": YEAR[1]}
        # when
        with count_statements() as counter:
            body = gql.post(LESSONS_LIGHT, variables, token=admin_a)
        # then
        assert len(body["data"]["lessons"]) == len(j.lesson_ids)
        assert all(lesson["actualTeacher"]["fullName"] for lesson in body["data"]["lessons"])
        counts.append(counter.count)
    print(f"lessons: {counts[0]} statements for 3 lessons, {counts[1]} for 15")
    assert counts[0] == counts[1]


def test_lessons_with_a_reversed_or_too_long_range(
    gql, admin_a: str, journal: JournalGroup,
) -> None:
    group = gid("StudyGroup", journal.group_id)
    empty = gql.post(LESSONS, {"groupId": group, "from": YEAR[1], "to": YEAR[0]}, token=admin_a)
    too_long = gql.post(LESSONS, {"groupId": group, "from": "2015-01-01", "to": "2017-01-01"},
                        token=admin_a)
    assert empty["data"]["lessons"] == []
    assert too_long["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"

