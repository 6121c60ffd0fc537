"""Attendance: setAttendance (a lesson at once) and the AttendanceEntry node."""

from __future__ import annotations

import uuid
from datetime import datetime, time, timedelta
from typing import Any

import pytest
from sqlalchemy import text

from db.engine import DatabaseUrls, owner_session
from db.tenancy import set_tenant
from tests.api.test_marks import TZ, add_lesson, fields, gid, sql, today
from tests.factories import TwoSchools
from tests.journal_factory import JournalGroup, make_journal_group
from tests.sql_counter import count_statements

SET_ATTENDANCE = """
mutation Set($input: SetAttendanceInput!) { setAttendance(input: $input) {
  entries { id kind lateMinutes recordedAt version lessonId student { id } enteredBy { id } }
  conflicts { id kind version } warnings { field code message } replayed
  errors { field code message } } }
"""
NODE = "query Node($id: ID!) { node(id: $id) { id ... on AttendanceEntry { kind } } }"


def set_attendance(gql, token: str, input: dict[str, Any]) -> dict[str, Any]:
    body = gql.post(SET_ATTENDANCE, {"input": input}, token=token)
    assert "errors" not in body, body
    return body["data"]["setAttendance"]


def entry(jg: JournalGroup, n: int, kind: str, **extra: Any) -> dict[str, Any]:
    return {"studentId": gid("Person", jg.students[n]), "kind": kind, **extra}


def rows_of(database: DatabaseUrls, jg: JournalGroup, lesson: uuid.UUID) -> list[Any]:
    return sql(database, jg.school.id, "SELECT id, student_id, kind, late_minutes, version "
               "FROM attendance WHERE school_id = :school AND lesson_id = :l "
               "ORDER BY entered_at, id", l=lesson)


def audit_of(database: DatabaseUrls, jg: JournalGroup, entity: str, ids: list[Any]
             ) -> list[Any]:
    return sql(database, jg.school.id, "SELECT action, entity_id, recorded_at FROM audit_log "
               "WHERE school_id = :school AND entity = :e AND entity_id = ANY(:ids) "
               "ORDER BY seq", e=entity, ids=list(ids))


def entered_at(database: DatabaseUrls, jg: JournalGroup, lesson: uuid.UUID) -> Any:
    return sql(database, jg.school.id, "SELECT attendance_entered_at FROM lessons "
               "WHERE school_id = :school AND id = :l", l=lesson)[0][0]


@pytest.fixture()
def jg(database: DatabaseUrls, schools: TwoSchools) -> JournalGroup:
    return make_journal_group(database.owner, schools.a, students=3, lessons=2)


def test_set_attendance_by_the_group_teacher_writes_entries_and_audit(
    gql, token_for, database: DatabaseUrls, jg: JournalGroup
) -> None:
    # given: a lesson today
    lesson = add_lesson(database, jg, today())
    recorded = datetime.now(TZ).replace(microsecond=0) - timedelta(minutes=3)
    # when
    result = set_attendance(gql, token_for(jg.teacher_login), {
        "lessonId": gid("Lesson", lesson),
        "entries": [entry(jg, 0, "ABSENT", recordedAt=recorded.isoformat()),
                    entry(jg, 1, "LATE", lateMinutes=10), entry(jg, 2, "PRESENT")]})
    # then
    assert result["errors"] == [] and result["warnings"] == []
    assert [(e["kind"], e["lateMinutes"], e["version"]) for e in result["entries"]] == [
        ("ABSENT", None, 1), ("LATE", 10, 1)]
    assert result["entries"][0]["enteredBy"]["id"] == gid("Person", jg.teacher_id)
    rows = rows_of(database, jg, lesson)
    assert {(r.student_id, r.kind) for r in rows} == {(jg.students[0], "absent"),
                                                      (jg.students[1], "late")}
    audit = audit_of(database, jg, "attendance", [r.id for r in rows])
    assert {(a.action, a.recorded_at) for a in audit} == {("create", recorded),
                                                          ("create", None)}
    assert entered_at(database, jg, lesson) is not None
    assert [a.action for a in audit_of(database, jg, "lessons", [lesson])] == ["update"]


def test_set_attendance_present_removes_and_a_change_bumps_the_version(
    gql, token_for, database: DatabaseUrls, jg: JournalGroup
) -> None:
    # given
    token = token_for(jg.teacher_login)
    lesson = gid("Lesson", jg.lesson_ids[0])
    set_attendance(gql, token, {"lessonId": lesson, "entries": [entry(jg, 0, "ABSENT"),
                                                                 entry(jg, 1, "ILL")]})
    first_entered = entered_at(database, jg, jg.lesson_ids[0])
    # when
    result = set_attendance(gql, token, {"lessonId": lesson, "entries": [
        entry(jg, 0, "EXCUSED", expectedVersion=1), entry(jg, 1, "PRESENT", expectedVersion=1)]})
    # then
    assert result["errors"] == []
    assert [(e["kind"], e["version"]) for e in result["entries"]] == [("EXCUSED", 2)]
    assert [(r.kind, r.version) for r in rows_of(database, jg, jg.lesson_ids[0])] == [
        ("excused", 2)]
    assert entered_at(database, jg, jg.lesson_ids[0]) == first_entered


@pytest.mark.parametrize(("minutes", "code"), [(None, "REQUIRED"), (0, "OUT_OF_RANGE"),
                                               (46, "OUT_OF_RANGE")])
def test_set_attendance_late_needs_1_to_45_minutes(
    gql, token_for, database: DatabaseUrls, jg: JournalGroup, minutes: int | None, code: str
) -> None:
    # when
    result = set_attendance(gql, token_for(jg.teacher_login), {
        "lessonId": gid("Lesson", jg.lesson_ids[0]),
        "entries": [entry(jg, 0, "ABSENT"), entry(jg, 1, "LATE", lateMinutes=minutes)]})
    # then
    assert fields(result) == [("input.entries.1.lateMinutes", code)]
    assert rows_of(database, jg, jg.lesson_ids[0]) == []
    assert entered_at(database, jg, jg.lesson_ids[0]) is None


@pytest.mark.parametrize("who", ["teacher", "class_teacher", "student", "guardian",
                                 "own_student", "own_guardian"])
def test_set_attendance_by_other_roles_is_forbidden(
    gql, token_for, schools: TwoSchools, database: DatabaseUrls, jg: JournalGroup, who: str
) -> None:
    # given
    login = {"own_student": jg.student_logins[0], "own_guardian": jg.guardian_login}.get(
        who) or schools.a.logins[who]
    # when
    result = set_attendance(gql, token_for(login), {"lessonId": gid("Lesson", jg.lesson_ids[0]),
                                                    "entries": [entry(jg, 0, "ABSENT")]})
    # then
    assert fields(result) == [("input.lessonId", "FORBIDDEN")]
    assert rows_of(database, jg, jg.lesson_ids[0]) == []


def test_set_attendance_by_the_administrator_succeeds(
    gql, token_for, schools: TwoSchools, database: DatabaseUrls, jg: JournalGroup
) -> None:
    result = set_attendance(gql, token_for(schools.a.logins["admin"]), {
        "lessonId": gid("Lesson", jg.lesson_ids[0]), "entries": [entry(jg, 0, "ILL")]})
    assert result["errors"] == []
    assert len(rows_of(database, jg, jg.lesson_ids[0])) == 1


@pytest.mark.parametrize("who", ["b_admin", "officer"])
def test_set_attendance_on_a_lesson_of_another_school_is_not_found(
    gql, token_for, schools: TwoSchools, database: DatabaseUrls, jg: JournalGroup, who: str
) -> None:
    # given
    login = schools.b.logins["admin"] if who == "b_admin" else schools.officer_logins["region"]
    missing = set_attendance(gql, token_for(login), {"lessonId": gid("Lesson", uuid.uuid4()),
                                                     "entries": [entry(jg, 0, "ABSENT")]})
    # when
    result = set_attendance(gql, token_for(login), {"lessonId": gid("Lesson", jg.lesson_ids[0]),
                                                    "entries": [entry(jg, 0, "ABSENT")]})
    # then
    assert result["errors"] == missing["errors"] == [
        {"field": "input.lessonId", "code": "NOT_FOUND", "message": "no such lesson"}]
    assert rows_of(database, jg, jg.lesson_ids[0]) == []


def test_set_attendance_for_a_student_of_another_school_or_who_left_is_refused(
    gql, token_for, schools: TwoSchools, database: DatabaseUrls, jg: JournalGroup
) -> None:
    # given: the second student left the group before the second lesson
    with owner_session(database.owner) as s:
        set_tenant(s, [jg.school.id])
        s.execute(text("UPDATE group_memberships SET ends_on = :d WHERE group_id = :g "
                       "AND student_id = :s"),
                  {"d": jg.lesson_dates[0], "g": jg.group_id, "s": jg.students[1]})
    # when
    result = set_attendance(gql, token_for(jg.teacher_login), {
        "lessonId": gid("Lesson", jg.lesson_ids[1]),
        "entries": [entry(jg, 0, "ABSENT"), entry(jg, 1, "ABSENT"),
                    {"studentId": gid("Person", schools.b.people["student"]),
                     "kind": "ABSENT"}]})
    # then
    assert fields(result) == [("input.entries.1.studentId", "INVALID"),
                              ("input.entries.2.studentId", "NOT_FOUND")]
    assert rows_of(database, jg, jg.lesson_ids[1]) == []


def test_set_attendance_conflict_carries_the_current_version(
    gql, token_for, database: DatabaseUrls, jg: JournalGroup
) -> None:
    # given
    token = token_for(jg.teacher_login)
    lesson = gid("Lesson", jg.lesson_ids[0])
    made = set_attendance(gql, token, {"lessonId": lesson, "entries": [entry(jg, 0, "ABSENT")]})
    set_attendance(gql, token, {"lessonId": lesson,
                                "entries": [entry(jg, 0, "ILL", expectedVersion=1)]})
    # when
    result = set_attendance(gql, token, {"lessonId": lesson, "entries": [
        entry(jg, 1, "ABSENT"), entry(jg, 0, "EXCUSED", expectedVersion=1)]})
    # then
    assert result["errors"] == [{
        "field": "input.entries.1.expectedVersion", "code": "CONFLICT",
        "message": "the entry changed since it was read: it is now ill (version 2)"}]
    assert result["conflicts"] == [{"id": made["entries"][0]["id"], "kind": "ILL",
                                    "version": 2}]
    assert [(r.kind, r.version) for r in rows_of(database, jg, jg.lesson_ids[0])] == [
        ("ill", 2)]


def test_set_attendance_retry_with_the_same_client_key_writes_nothing_new(
    gql, token_for, database: DatabaseUrls, jg: JournalGroup
) -> None:
    # given
    token = token_for(jg.teacher_login)
    input = {"clientKey": f"att-{uuid.uuid4()}", "lessonId": gid("Lesson", jg.lesson_ids[0]),
             "entries": [entry(jg, 0, "ABSENT"), entry(jg, 1, "LATE", lateMinutes=5)]}
    first = set_attendance(gql, token, input)
    # when
    again = set_attendance(gql, token, input)
    # then
    assert first["errors"] == [] and again["replayed"] is True
    assert again["entries"] == first["entries"]
    rows = rows_of(database, jg, jg.lesson_ids[0])
    assert [r.version for r in rows] == [1, 1]
    assert len(audit_of(database, jg, "attendance", [r.id for r in rows])) == 2


def test_set_attendance_after_the_lesson_day_warns_and_is_stored(
    gql, token_for, database: DatabaseUrls, jg: JournalGroup
) -> None:
    # given: yesterday's lesson; one entry recorded in class on the day (offline, inside the
    # 72-hour window), one entered now
    lesson = add_lesson(database, jg, today() - timedelta(days=1))
    on_the_day = datetime.combine(today() - timedelta(days=1), time(10, 0), tzinfo=TZ)
    # when
    result = set_attendance(gql, token_for(jg.teacher_login), {
        "lessonId": gid("Lesson", lesson),
        "entries": [entry(jg, 0, "ABSENT", recordedAt=on_the_day.isoformat()),
                    entry(jg, 1, "ILL")]})
    # then
    assert result["errors"] == []
    assert [(w["field"], w["code"]) for w in result["warnings"]] == [
        ("input.entries.1", "LATE_ENTRY")]
    assert len(rows_of(database, jg, lesson)) == 2


def test_set_attendance_dated_back_outside_the_offline_window_is_refused(
    gql, token_for, database: DatabaseUrls, jg: JournalGroup
) -> None:
    """Guards against `recordedAt` hiding a late entry: the factory's lessons were in 2015."""
    # given
    on_the_day = datetime.combine(jg.lesson_dates[0], time(10, 0), tzinfo=TZ)
    # when
    result = set_attendance(gql, token_for(jg.teacher_login), {
        "lessonId": gid("Lesson", jg.lesson_ids[0]),
        "entries": [entry(jg, 0, "ABSENT", recordedAt=on_the_day.isoformat())]})
    # then
    assert fields(result) == [("input.entries.0.recordedAt", "OUT_OF_RANGE")]
    assert rows_of(database, jg, jg.lesson_ids[0]) == []


def test_set_attendance_of_a_future_lesson_is_refused(
    gql, token_for, database: DatabaseUrls, jg: JournalGroup
) -> None:
    lesson = add_lesson(database, jg, today() + timedelta(days=2))
    result = set_attendance(gql, token_for(jg.teacher_login), {
        "lessonId": gid("Lesson", lesson), "entries": [entry(jg, 0, "ABSENT")]})
    assert fields(result) == [("input.lessonId", "INVALID")]
    assert rows_of(database, jg, lesson) == []


def test_set_attendance_statement_count_is_the_same_for_5_and_30_students(
    gql, token_for, database: DatabaseUrls, schools: TwoSchools
) -> None:
    # given
    group = make_journal_group(database.owner, schools.a, students=30, lessons=2)
    token = token_for(group.teacher_login)

    def run(lesson: uuid.UUID, n: int) -> int:
        with count_statements() as counter:
            result = set_attendance(gql, token, {
                "clientKey": str(uuid.uuid4()), "lessonId": gid("Lesson", lesson),
                "entries": [entry(group, i, "LATE", lateMinutes=5) for i in range(n)]})
        assert result["errors"] == [] and len(result["entries"]) == n
        return counter.count

    # when
    five, thirty = run(group.lesson_ids[0], 5), run(group.lesson_ids[1], 30)
    # then
    assert five == thirty


def test_attendance_node_is_visible_to_the_journal_and_the_diary_only(
    gql, token_for, schools: TwoSchools, jg: JournalGroup
) -> None:
    # given
    made = set_attendance(gql, token_for(jg.teacher_login), {
        "lessonId": gid("Lesson", jg.lesson_ids[0]), "entries": [entry(jg, 0, "ILL")]})
    node_id = made["entries"][0]["id"]

    def node(login: str) -> Any:
        return gql.post(NODE, {"id": node_id}, token=token_for(login))["data"]["node"]

    # when / then
    for login in (jg.teacher_login, schools.a.logins["admin"], jg.student_logins[0],
                  jg.guardian_login):
        assert node(login) == {"id": node_id, "kind": "ILL"}
    for login in (schools.a.logins["teacher"], schools.a.logins["student"],
                  schools.b.logins["admin"], schools.officer_logins["region"]):
        assert node(login) is None


