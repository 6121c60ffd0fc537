"""excuseAbsences: the class teacher turns a student's н into у or б with the excuse's document,
on any lesson of the student, audited; nobody else but the administrator."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from sqlalchemy import text

from db import models as m
from db.engine import DatabaseUrls, owner_session
from db.tenancy import set_tenant
from schema.ids import from_global_id
from tests.api.test_diary import diary_of
from tests.api.test_journal import CELL, add_attendance
from tests.api.test_marks import fields, gid, sql
from tests.factories import TwoSchools
from tests.journal_factory import JournalGroup, make_journal_group

EXCUSE = """
mutation Excuse($input: ExcuseAbsencesInput!) {
  excuseAbsences(input: $input) {
    entries { id kind excuseReason lessonId version enteredBy { id } student { id } }
    errors { field code message }
  }
}
"""
REASON = "справка от врача № 12"


@pytest.fixture()
def jg(database: DatabaseUrls, schools: TwoSchools) -> JournalGroup:
    """A class led by school A's class teacher, who does not teach its group; its first
    student was absent (н) at the first two lessons and late at the third, the second student
    was present throughout."""
    group = make_journal_group(database.owner, schools.a, students=2, lessons=3)
    with owner_session(database.owner) as s:
        set_tenant(s, [schools.a.id])
        s.execute(text("UPDATE classes SET class_teacher_id = :t WHERE id = :c"),
                  {"t": schools.a.people["class_teacher"], "c": group.class_id})
    add_attendance(database, group, [(0, 0, m.AttendanceKind.ABSENT, None),
                                     (0, 1, m.AttendanceKind.ABSENT, None),
                                     (0, 2, m.AttendanceKind.LATE, 5)])
    return group


def excuse(gql, token: str, input: dict[str, Any]) -> dict[str, Any]:
    body = gql.post(EXCUSE, {"input": input}, token=token)
    assert "errors" not in body, body
    return body["data"]["excuseAbsences"]


def kinds(database: DatabaseUrls, jg: JournalGroup) -> list[tuple[str, str | None]]:
    return [(r.kind, r.excuse_reason) for r in sql(
        database, jg.school.id,
        "SELECT a.kind, a.excuse_reason FROM attendance a JOIN lessons l ON l.id = a.lesson_id "
        "WHERE a.school_id = :school AND a.student_id = :s ORDER BY l.date",
        s=jg.students[0])]


def by_lessons(jg: JournalGroup, student: int, *lessons: int, kind: str = "EXCUSED"
               ) -> dict[str, Any]:
    return {"studentId": gid("Person", jg.students[student]), "kind": kind, "reason": REASON,
            "lessonIds": [gid("Lesson", jg.lesson_ids[n]) for n in lessons]}


def test_excuse_absences_by_the_class_teacher_in_a_group_they_do_not_teach(
    gql, token_for, schools: TwoSchools, database: DatabaseUrls, jg: JournalGroup
) -> None:
    # when
    result = excuse(gql, token_for(schools.a.logins["class_teacher"]),
                    by_lessons(jg, 0, 0, kind="ILL"))
    # then
    assert result["errors"] == []
    [entry] = result["entries"]
    assert (entry["kind"], entry["excuseReason"], entry["version"]) == ("ILL", REASON, 2)
    assert entry["enteredBy"]["id"] == gid("Person", schools.a.people["class_teacher"])
    assert kinds(database, jg) == [("ill", REASON), ("absent", None), ("late", None)]


def test_excuse_absences_over_a_date_range_excuses_every_absence_and_is_audited(
    gql, token_for, schools: TwoSchools, database: DatabaseUrls, jg: JournalGroup
) -> None:
    # when
    result = excuse(gql, token_for(schools.a.logins["class_teacher"]), {
        "studentId": gid("Person", jg.students[0]), "kind": "EXCUSED", "reason": REASON,
        "from": jg.lesson_dates[0].isoformat(), "to": jg.lesson_dates[2].isoformat()})
    # then: the two н are у; the lateness is left alone
    assert result["errors"] == []
    assert [e["lessonId"] for e in result["entries"]] == [gid("Lesson", jg.lesson_ids[n])
                                                         for n in (0, 1)]
    assert kinds(database, jg) == [("excused", REASON), ("excused", REASON), ("late", None)]
    audit = sql(database, jg.school.id,
                "SELECT action, actor_person_id, before, after FROM audit_log "
                "WHERE entity = 'attendance' AND entity_id = :id",
                id=from_global_id(result["entries"][0]["id"], "AttendanceEntry", "id"))
    assert [(a.action, a.actor_person_id, a.before["kind"], a.after["kind"],
             a.after["excuse_reason"]) for a in audit] == [
        ("update", schools.a.people["class_teacher"], "absent", "excused", REASON)]


def test_excused_absence_reads_as_u_and_b_in_the_journal_and_the_diary(
    gql, token_for, schools: TwoSchools, database: DatabaseUrls, jg: JournalGroup
) -> None:
    # given
    class_teacher = token_for(schools.a.logins["class_teacher"])
    assert excuse(gql, class_teacher, by_lessons(jg, 0, 0))["errors"] == []
    assert excuse(gql, class_teacher, by_lessons(jg, 0, 1, kind="ILL"))["errors"] == []
    # when
    cell = gql.post(CELL, {"groupId": gid("StudyGroup", jg.group_id),
                           "lessonId": gid("Lesson", jg.lesson_ids[0]),
                           "studentId": gid("Person", jg.students[0])},
                    token=token_for(jg.teacher_login))
    diary = diary_of(gql, token_for(jg.guardian_login), jg.students[0], jg.lesson_dates[0],
                     jg.lesson_dates[2])
    # then
    assert cell["data"]["journalCell"]["attendance"]["code"] == "у"
    assert diary is not None
    codes = [lesson["attendance"] for day in diary["days"] for lesson in day["lessons"]]
    assert codes == ["у", "б", "оп"]


def test_excuse_absences_refuses_what_is_not_an_unexcused_absence(
    gql, token_for, schools: TwoSchools, database: DatabaseUrls, jg: JournalGroup
) -> None:
    token = token_for(schools.a.logins["class_teacher"])
    # when: a present student; a late one; a range with no н
    present = excuse(gql, token, by_lessons(jg, 1, 0))
    late = excuse(gql, token, by_lessons(jg, 0, 2))
    empty = excuse(gql, token, {"studentId": gid("Person", jg.students[1]), "kind": "ILL",
                                "reason": REASON, "from": "2015-09-01", "to": "2015-09-30"})
    blank = excuse(gql, token, {**by_lessons(jg, 0, 0), "reason": "  "})
    # then
    assert fields(present) == [("input.lessonIds.0", "INVALID")]
    assert "no absence to excuse" in present["errors"][0]["message"]
    assert fields(late) == [("input.lessonIds.0", "INVALID")]
    assert fields(empty) == [("input.from", "INVALID")]
    assert fields(blank) == [("input.reason", "REQUIRED")]
    assert kinds(database, jg) == [("absent", None), ("absent", None), ("late", None)]


def test_excuse_absences_refuses_a_student_of_another_class(
    gql, token_for, schools: TwoSchools, database: DatabaseUrls, jg: JournalGroup
) -> None:
    # given: another class, not led by the class teacher, with an н
    other = make_journal_group(database.owner, schools.a, students=1, lessons=1)
    add_attendance(database, other, [(0, 0, m.AttendanceKind.ABSENT, None)])
    # when
    result = excuse(gql, token_for(schools.a.logins["class_teacher"]), by_lessons(other, 0, 0))
    # then: the class teacher does not even see the student
    assert fields(result) == [("input.studentId", "NOT_FOUND")]
    assert [r.kind for r in sql(database, other.school.id, "SELECT kind FROM attendance "
                                "WHERE student_id = :s", s=other.students[0])] == ["absent"]


@pytest.mark.parametrize(("who", "code"), [
    ("group_teacher", "FORBIDDEN"), ("teacher", "NOT_FOUND"), ("student", "FORBIDDEN"),
    ("guardian", "FORBIDDEN"), ("officer", "NOT_FOUND"), ("school_b_admin", "NOT_FOUND"),
    ("school_b_class_teacher", "NOT_FOUND"),
])
def test_excuse_absences_is_refused_to_everyone_but_the_class_teacher_and_administrator(
    gql, token_for, schools: TwoSchools, database: DatabaseUrls, jg: JournalGroup, who: str,
    code: str,
) -> None:
    # given
    login = {"group_teacher": jg.teacher_login, "teacher": schools.a.logins["teacher"],
             "student": jg.student_logins[0], "guardian": jg.guardian_login,
             "officer": schools.officer_logins.get("region"),
             "school_b_admin": schools.b.logins["admin"],
             "school_b_class_teacher": schools.b.logins["class_teacher"]}[who]
    assert login is not None
    # when
    result = excuse(gql, token_for(login), by_lessons(jg, 0, 0))
    # then
    assert fields(result) == [("input.studentId", code)]
    assert kinds(database, jg) == [("absent", None), ("absent", None), ("late", None)]


def test_excuse_absences_by_the_administrator_succeeds(
    gql, token_for, schools: TwoSchools, database: DatabaseUrls, jg: JournalGroup
) -> None:
    result = excuse(gql, token_for(schools.a.logins["admin"]), by_lessons(jg, 0, 0, 1))
    assert result["errors"] == [] and len(result["entries"]) == 2


def test_excuse_absences_with_bad_input_names_each_field(
    gql, token_for, schools: TwoSchools, jg: JournalGroup
) -> None:
    token = token_for(schools.a.logins["class_teacher"])
    both = excuse(gql, token, {**by_lessons(jg, 0, 0), "from": "2015-09-01",
                               "to": "2015-09-30"})
    backwards = excuse(gql, token, {"studentId": gid("Person", jg.students[0]),
                                    "kind": "ILL", "reason": REASON,
                                    "from": "2015-09-30", "to": "2015-09-01"})
    twice = excuse(gql, token, by_lessons(jg, 0, 0, 0))
    unknown = excuse(gql, token, {**by_lessons(jg, 0), "lessonIds": [
        gid("Lesson", uuid.uuid4())]})
    assert fields(both) == [("input.lessonIds", "INVALID")]
    assert fields(backwards) == [("input.to", "INVALID")]
    assert fields(twice) == [("input.lessonIds.1", "DUPLICATE")]
    assert fields(unknown) == [("input.lessonIds.0", "NOT_FOUND")]


def test_set_attendance_back_to_absent_drops_the_excuse_reason(
    gql, token_for, schools: TwoSchools, database: DatabaseUrls, jg: JournalGroup
) -> None:
    # given
    assert excuse(gql, token_for(schools.a.logins["class_teacher"]),
                  by_lessons(jg, 0, 0))["errors"] == []
    # when: the group's teacher records н again
    body = gql.post("mutation S($input: SetAttendanceInput!) { setAttendance(input: $input) "
                    "{ errors { field code } } }",
                    {"input": {"lessonId": gid("Lesson", jg.lesson_ids[0]), "entries": [
                        {"studentId": gid("Person", jg.students[0]), "kind": "ABSENT"}]}},
                    token=token_for(jg.teacher_login))
    # then
    assert body["data"]["setAttendance"]["errors"] == []
    assert kinds(database, jg)[0] == ("absent", None)

