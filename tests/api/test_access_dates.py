"""The access context follows dates: a teacher assignment or a substitution counts only on the
days it holds, today in the school's time zone (migration 0009); deleteTeacherAssignment."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select, update

from db import models as m
from db.engine import DatabaseUrls, owner_session
from db.tenancy import set_tenant
from schema.ids import to_global_id as gid
from tests.factories import TwoSchools
from tests.journal_factory import JournalGroup, make_journal_group

ERRORS = "errors { field code message }"
JOURNAL = """
query Journal($groupId: ID!, $periodId: ID!) {
  journal(groupId: $groupId, periodId: $periodId) { students { studentId fullName } } }
"""
PERSON = "query P($id: ID!) { node(id: $id) { id ... on Person { fullName } } }"
LESSON = "query L($id: ID!) { node(id: $id) { id ... on Lesson { topic } } }"
SET_MARKS = f"""
mutation Set($input: SetMarksInput!) {{ setMarks(input: $input) {{ marks {{ id }} {ERRORS} }} }}
"""
UPDATE_LESSON = f"""
mutation U($input: UpdateLessonInput!) {{ updateLesson(input: $input) {{
  lesson {{ id }} {ERRORS} }} }}
"""
END = f"""
mutation E($input: EndTeacherAssignmentInput!) {{ endTeacherAssignment(input: $input) {{
  assignment {{ id endsOn }} {ERRORS} }} }}
"""
DELETE = f"""
mutation D($input: DeleteTeacherAssignmentInput!) {{ deleteTeacherAssignment(input: $input) {{
  deletedTeacherAssignmentId {ERRORS} }} }}
"""

SCHOOL_TZ = ZoneInfo("Asia/Yakutsk")  # the fixture schools' time zone (the column's default)


def today() -> date:
    return datetime.now(SCHOOL_TZ).date()


def codes(payload: dict[str, Any]) -> list[tuple[str | None, str]]:
    return [(e["field"], e["code"]) for e in payload["errors"]]


def post(gql: Any, document: str, variables: dict[str, Any], token: str) -> dict[str, Any]:
    body = gql.post(document, variables, token=token)
    assert "errors" not in body, body
    return body["data"]


def set_assignment_dates(database: DatabaseUrls, jg: JournalGroup, starts_on: date,
                         ends_on: date | None) -> uuid.UUID:
    with owner_session(database.owner) as s:
        set_tenant(s, [jg.school.id])
        a = m.TeacherAssignment
        s.execute(update(a).where(a.group_id == jg.group_id)
                  .values(starts_on=starts_on, ends_on=ends_on))
        return s.scalars(select(a.id).where(a.group_id == jg.group_id)).one()


def what_the_teacher_gets(gql: Any, token: str, jg: JournalGroup) -> dict[str, bool]:
    journal = post(gql, JOURNAL, {"groupId": gid("StudyGroup", jg.group_id),
                                  "periodId": gid("Period", jg.setup.period_ids[0])},
                   token)["journal"]
    student = post(gql, PERSON, {"id": gid("Person", jg.students[0])}, token)["node"]
    marked = post(gql, SET_MARKS, {"input": {
        "lessonId": gid("Lesson", jg.lesson_ids[0]), "marks": [{
            "studentId": gid("Person", jg.students[0]), "value": "5",
            "workTypeId": gid("WorkType", jg.setup.work_type_ids["classwork"])}]}},
        token)["setMarks"]
    assert marked["errors"] == [] or codes(marked) == [("input.lessonId", "FORBIDDEN")], marked
    return {"journal": journal is not None, "student": student is not None,
            "marks": marked["errors"] == []}


def marks_in(database: DatabaseUrls, jg: JournalGroup) -> int:
    with owner_session(database.owner) as s:
        set_tenant(s, [jg.school.id])
        return s.scalar(select(func.count()).select_from(m.Mark)
                        .where(m.Mark.group_id == jg.group_id)) or 0


# --- teacher assignments: before, during, after ----------------------------------------------

SPANS = {  # (starts_on, ends_on) relative to today
    "starts_tomorrow": (1, None),
    "started_yesterday_open_ended": (-1, None),
    "ends_today": (-30, 0),
    "starts_and_ends_today": (0, 0),
    "ended_yesterday": (-30, -1),
}
HOLDS = {"started_yesterday_open_ended", "ends_today", "starts_and_ends_today"}


@pytest.mark.parametrize("span", list(SPANS))
def test_teacher_reads_and_marks_the_group_only_on_the_days_of_the_assignment(
    gql, token_for, database: DatabaseUrls, schools: TwoSchools, span: str
) -> None:
    # given: the group's only assignment spans these days
    jg = make_journal_group(database.owner, schools.a, students=2, lessons=1)
    start, end = SPANS[span]
    set_assignment_dates(database, jg, today() + timedelta(days=start),
                         None if end is None else today() + timedelta(days=end))
    # when
    got = what_the_teacher_gets(gql, token_for(jg.teacher_login), jg)
    # then
    holds = span in HOLDS
    assert got == {"journal": holds, "student": holds, "marks": holds}
    assert marks_in(database, jg) == (1 if holds else 0)


def test_teacher_loses_the_group_the_day_after_end_teacher_assignment(
    gql, token_for, database: DatabaseUrls, schools: TwoSchools
) -> None:
    # given: the assignment of 1 September 2015, ended through the API on 2 September
    jg = make_journal_group(database.owner, schools.a, students=1, lessons=1)
    teacher = token_for(jg.teacher_login)
    assert what_the_teacher_gets(gql, teacher, jg)["journal"] is True
    with owner_session(database.owner) as s:
        set_tenant(s, [jg.school.id])
        assignment_id = s.scalars(select(m.TeacherAssignment.id).where(
            m.TeacherAssignment.group_id == jg.group_id)).one()
    # when
    ended = post(gql, END, {"input": {"id": gid("TeacherAssignment", assignment_id),
                                      "endsOn": "2015-09-02"}},
                 token_for(schools.a.logins["admin"]))["endTeacherAssignment"]
    # then
    assert ended["errors"] == []
    assert what_the_teacher_gets(gql, teacher, jg) == {
        "journal": False, "student": False, "marks": False}
    assert marks_in(database, jg) == 1  # the one written before the end, none after


# --- substitutions: from the lesson's day on ------------------------------------------------

def test_substitute_gets_the_lesson_from_its_day_on_not_before(
    gql, token_for, database: DatabaseUrls, schools: TwoSchools
) -> None:
    # given: another group's teacher substitutes a past, today's and a future lesson
    jg = make_journal_group(database.owner, schools.a, students=1, lessons=1)
    sub = make_journal_group(database.owner, schools.a, students=1, lessons=0)
    lessons = {"past": jg.lesson_ids[0]}
    with owner_session(database.owner) as s:
        set_tenant(s, [jg.school.id])
        s.execute(update(m.Lesson).where(m.Lesson.id == jg.lesson_ids[0])
                  .values(actual_teacher_id=sub.teacher_id))
        for key, day in (("today", today()), ("future", today() + timedelta(days=2))):
            lesson = m.Lesson(school_id=jg.school.id, id=uuid.uuid4(), group_id=jg.group_id,
                              date=day, lesson_number=1, status=m.LessonStatus.SCHEDULED,
                              lesson_type_id=jg.setup.lesson_type_id,
                              scheduled_teacher_id=jg.teacher_id,
                              actual_teacher_id=sub.teacher_id)
            s.add(lesson)
            lessons[key] = lesson.id
    token = token_for(sub.teacher_login)
    # when
    seen = {key: post(gql, LESSON, {"id": gid("Lesson", lid)}, token)["node"] is not None
            for key, lid in lessons.items()}
    future = post(gql, UPDATE_LESSON, {"input": {"id": gid("Lesson", lessons["future"]),
                                                 "topic": "Заранее"}}, token)["updateLesson"]
    past = post(gql, UPDATE_LESSON, {"input": {"id": gid("Lesson", lessons["past"]),
                                               "topic": "На замене"}}, token)["updateLesson"]
    # then
    assert seen == {"past": True, "today": True, "future": False}
    assert codes(future) == [("input.id", "FORBIDDEN")]
    assert past["errors"] == []


# --- class teachers and guardians: no dates, they hold while the row names them --------------

def test_class_teacher_reads_the_class_journal_until_the_class_names_another(
    gql, token_for, database: DatabaseUrls, schools: TwoSchools
) -> None:
    # given: another group's teacher leads this group's class
    jg = make_journal_group(database.owner, schools.a, students=1, lessons=1)
    leader = make_journal_group(database.owner, schools.a, students=1, lessons=0)
    with owner_session(database.owner) as s:
        set_tenant(s, [jg.school.id])
        s.execute(update(m.SchoolClass).where(m.SchoolClass.id == jg.class_id)
                  .values(class_teacher_id=leader.teacher_id))
    token = token_for(leader.teacher_login)
    variables = {"groupId": gid("StudyGroup", jg.group_id),
                 "periodId": gid("Period", jg.setup.period_ids[0])}
    before = post(gql, JOURNAL, variables, token)["journal"]
    # when
    update_class = f"""mutation U($input: UpdateClassInput!) {{ updateClass(input: $input) {{
      {ERRORS} }} }}"""
    changed = post(gql, update_class, {"input": {"id": gid("SchoolClass", jg.class_id),
                                                 "classTeacherId": None}},
                   token_for(schools.a.logins["admin"]))["updateClass"]
    # then
    assert before is not None and changed["errors"] == []
    assert post(gql, JOURNAL, variables, token)["journal"] is None


def test_guardian_sees_the_child_until_unlinked(
    gql, token_for, database: DatabaseUrls, schools: TwoSchools
) -> None:
    # given
    jg = make_journal_group(database.owner, schools.a, students=1, lessons=0)
    token = token_for(jg.guardian_login)
    child = {"id": gid("Person", jg.students[0])}
    before = post(gql, PERSON, child, token)["node"]
    # when
    unlink = f"""mutation U($input: UnlinkGuardianInput!) {{ unlinkGuardian(input: $input) {{
      {ERRORS} }} }}"""
    unlinked = post(gql, unlink, {"input": {"guardianId": gid("Person", jg.guardian_id),
                                            "studentId": gid("Person", jg.students[0])}},
                    token_for(schools.a.logins["admin"]))["unlinkGuardian"]
    # then
    assert before is not None and unlinked["errors"] == []
    assert post(gql, PERSON, child, token)["node"] is None


# --- deleteTeacherAssignment -------------------------------------------------------------------

def audit_of(database: DatabaseUrls, school_id: uuid.UUID, entity_id: uuid.UUID
             ) -> list[tuple[str, Any, Any]]:
    with owner_session(database.owner) as s:
        set_tenant(s, [school_id])
        return [tuple(r) for r in s.execute(
            select(m.AuditEntry.action, m.AuditEntry.before, m.AuditEntry.after)
            .where(m.AuditEntry.school_id == school_id, m.AuditEntry.entity_id == entity_id)
            .order_by(m.AuditEntry.seq)).all()]


def new_assignment(database: DatabaseUrls, jg: JournalGroup, teacher_id: uuid.UUID,
                   starts_on: date) -> uuid.UUID:
    with owner_session(database.owner) as s:
        set_tenant(s, [jg.school.id])
        row = m.TeacherAssignment(school_id=jg.school.id, id=uuid.uuid4(), group_id=jg.group_id,
                                  teacher_id=teacher_id, starts_on=starts_on)
        s.add(row)
        return row.id


def assignment_exists(database: DatabaseUrls, jg: JournalGroup, assignment_id: uuid.UUID
                      ) -> bool:
    with owner_session(database.owner) as s:
        set_tenant(s, [jg.school.id])
        return s.get(m.TeacherAssignment, (jg.school.id, assignment_id)) is not None


def test_delete_teacher_assignment_made_by_mistake_is_audited_and_ends_access(
    gql, token_for, database: DatabaseUrls, schools: TwoSchools
) -> None:
    # given: a teacher of another group assigned to this one by mistake, nothing recorded yet
    jg = make_journal_group(database.owner, schools.a, students=1, lessons=1)
    wrong = make_journal_group(database.owner, schools.a, students=1, lessons=0)
    assignment_id = new_assignment(database, jg, wrong.teacher_id, date(2015, 9, 1))
    token = token_for(wrong.teacher_login)
    journal = {"groupId": gid("StudyGroup", jg.group_id),
               "periodId": gid("Period", jg.setup.period_ids[0])}
    assert post(gql, JOURNAL, journal, token)["journal"] is not None
    # when
    deleted = post(gql, DELETE, {"input": {"id": gid("TeacherAssignment", assignment_id)}},
                   token_for(schools.a.logins["admin"]))["deleteTeacherAssignment"]
    # then
    assert deleted == {"deletedTeacherAssignmentId": gid("TeacherAssignment", assignment_id),
                       "errors": []}
    assert not assignment_exists(database, jg, assignment_id)
    [(action, before, after)] = audit_of(database, jg.school.id, assignment_id)
    assert action == "delete" and after is None
    assert before["teacher_id"] == str(wrong.teacher_id)
    assert post(gql, JOURNAL, journal, token)["journal"] is None


@pytest.mark.parametrize("record", ["lesson", "mark"])
def test_delete_teacher_assignment_is_refused_once_the_journal_records_the_teacher(
    gql, token_for, database: DatabaseUrls, schools: TwoSchools, record: str
) -> None:
    # given: the factory's assignment, and the teacher's lesson (or a mark they entered)
    jg = make_journal_group(database.owner, schools.a, students=1,
                            lessons=1 if record == "lesson" else 0)
    with owner_session(database.owner) as s:
        set_tenant(s, [jg.school.id])
        assignment_id = s.scalars(select(m.TeacherAssignment.id).where(
            m.TeacherAssignment.group_id == jg.group_id)).one()
        if record == "mark":  # a work without a lesson, entered by the teacher
            s.add(m.Mark(school_id=jg.school.id, id=uuid.uuid4(), group_id=jg.group_id,
                         lesson_id=None, student_id=jg.students[0], work_date=date(2015, 9, 3),
                         work_type_id=jg.setup.work_type_ids["classwork"],
                         value_id=jg.setup.value_ids["5"], entered_by_id=jg.teacher_id))
    # when
    refused = post(gql, DELETE, {"input": {"id": gid("TeacherAssignment", assignment_id)}},
                   token_for(schools.a.logins["admin"]))["deleteTeacherAssignment"]
    # then
    assert refused["deletedTeacherAssignmentId"] is None
    assert codes(refused) == [("input.id", "INVALID")]
    assert "endTeacherAssignment" in refused["errors"][0]["message"]
    assert assignment_exists(database, jg, assignment_id)
    assert audit_of(database, jg.school.id, assignment_id) == []


@pytest.mark.parametrize("value", ["", "nonsense", gid("Lesson", uuid.uuid4()),
                                   gid("TeacherAssignment", uuid.uuid4())],
                         ids=["empty", "nonsense", "another_type", "unknown"])
def test_delete_teacher_assignment_with_a_bad_id_names_the_field(
    gql, token_for, schools: TwoSchools, value: str
) -> None:
    # when
    payload = post(gql, DELETE, {"input": {"id": value}},
                   token_for(schools.a.logins["admin"]))["deleteTeacherAssignment"]
    # then
    assert payload["deletedTeacherAssignmentId"] is None
    assert [e["field"] for e in payload["errors"]] == ["input.id"]
    assert payload["errors"][0]["code"] in {"INVALID", "NOT_FOUND"}
