"""The journal page: a typed grid of a group's students × lessons in a period, and a cell.

Every test builds its own class with tests/journal_factory.py and writes marks, attendance
and grades directly as the owner, so it depends on no other domain's mutations.
"""

from __future__ import annotations

import json
import statistics
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import psycopg
from sqlalchemy import func, select, update

from db import models as m
from db.engine import DatabaseUrls, libpq_dsn, owner_session
from db.tenancy import set_tenant
from schema.ids import to_global_id as gid
from tests.factories import TwoSchools
from tests.journal_factory import JournalGroup, make_journal_group, transfer
from tests.sql_counter import count_statements

JOURNAL = """
query Journal($groupId: ID!, $periodId: ID!) {
  journal(groupId: $groupId, periodId: $periodId) {
    group { groupId name }
    period { periodId name startsOn endsOn }
    gradingSystem { name labels }
    lessons { lessonId date lessonNumber status topic homework lessonType teacher isSubstitution }
    students {
      studentId fullName startsOn endsOn marks markIds attendance
      extraMarks { markId workDate label }
      average suggestedValue periodGrade
    }
  }
}
"""

JOURNAL_NAME = """
query Journal($groupId: ID!, $periodId: ID!) {
  journal(groupId: $groupId, periodId: $periodId) { group { name } }
}
"""

CELL = """
query Cell($groupId: ID!, $lessonId: ID!, $studentId: ID!) {
  journalCell(groupId: $groupId, lessonId: $lessonId, studentId: $studentId) {
    lessonId studentId
    marks { markId label workType weight comment excludedFromAverage enteredAt recordedAt version }
    attendance { attendanceEntryId code lateMinutes enteredAt recordedAt version }
  }
}
"""

ISSUE_TOKEN = """
mutation Issue($input: IssueApiTokenInput!) {
  issueApiToken(input: $input) { secret errors { field code message } }
}
"""

Q1, Q3 = 0, 2  # indexes of quarters in setup.period_ids
Q3_START, Q3_END = date(2016, 1, 11), date(2016, 3, 20)  # 50 school days: room for 45 lessons


@dataclass
class MarkSpec:
    student: int
    lesson: int | None  # None: a work with its own date
    label: str
    work: str = "classwork"
    excluded: bool = False
    work_date: date | None = None



def page_vars(jg: JournalGroup, period: int = Q1) -> dict[str, str]:
    return {"groupId": gid("StudyGroup", jg.group_id),
            "periodId": gid("Period", jg.setup.period_ids[period])}


def add_marks(database: DatabaseUrls, jg: JournalGroup, specs: list[MarkSpec],
              values: dict[str, uuid.UUID] | None = None) -> list[uuid.UUID]:
    """Marks by label, of the group's five-point system unless `values` (label -> id) given."""
    values = jg.setup.value_ids if values is None else values
    ids: list[uuid.UUID] = []
    # one transaction has one now(): space the entries so their order is the specs' order
    start = datetime.now(UTC)
    with owner_session(database.owner) as s:
        set_tenant(s, [jg.school.id])
        for n, spec in enumerate(specs):
            day = (spec.work_date if spec.lesson is None
                   else jg.lesson_dates[spec.lesson])
            mark = m.Mark(
                school_id=jg.school.id, id=uuid.uuid4(), group_id=jg.group_id,
                lesson_id=None if spec.lesson is None else jg.lesson_ids[spec.lesson],
                student_id=jg.students[spec.student], work_date=day,
                work_type_id=jg.setup.work_type_ids[spec.work],
                value_id=values[spec.label], excluded_from_average=spec.excluded,
                entered_at=start + timedelta(milliseconds=n))
            s.add(mark)
            ids.append(mark.id)
    return ids


def add_attendance(database: DatabaseUrls, jg: JournalGroup,
                   entries: list[tuple[int, int, m.AttendanceKind, int | None]]) -> None:
    with owner_session(database.owner) as s:
        set_tenant(s, [jg.school.id])
        for student, lesson, kind, minutes in entries:
            s.add(m.Attendance(school_id=jg.school.id, lesson_id=jg.lesson_ids[lesson],
                               student_id=jg.students[student], kind=kind,
                               late_minutes=minutes))


def journal_of(gql, token: str, jg: JournalGroup, period: int = Q1) -> dict | None:
    result = gql.post(JOURNAL, page_vars(jg, period), token=token)
    assert "errors" not in result, result
    return result["data"]["journal"]


def test_journal_aligns_marks_and_attendance_with_lessons(
    gql, token_for, schools: TwoSchools, database: DatabaseUrls
) -> None:
    # given: 3 students, 5 lessons; the last lesson cancelled
    jg = make_journal_group(database.owner, schools.a, students=3, lessons=5)
    five, four, three = add_marks(database, jg, [MarkSpec(0, 0, "5"),
                                                 MarkSpec(0, 0, "4", "test"),
                                                 MarkSpec(1, 2, "3")])
    add_attendance(database, jg, [(0, 1, m.AttendanceKind.ABSENT, None),
                                  (2, 3, m.AttendanceKind.LATE, 5),
                                  (1, 4, m.AttendanceKind.ILL, None)])
    with owner_session(database.owner) as s:
        set_tenant(s, [jg.school.id])
        s.execute(update(m.Lesson).where(m.Lesson.id == jg.lesson_ids[4])
                  .values(status=m.LessonStatus.CANCELLED, topic="Причастие",
                          homework="Упр. 12"))
    # when
    page = journal_of(gql, token_for(jg.teacher_login), jg)
    # then
    assert page is not None
    assert page["group"]["groupId"] == gid("StudyGroup", jg.group_id)
    assert page["period"]["name"] == "1 четверть"
    assert page["period"]["startsOn"] == "2015-09-01"
    assert page["gradingSystem"] == {"name": "Пятибалльная", "labels": ["2", "3", "4", "5"]}
    assert [x["lessonId"] for x in page["lessons"]] == [gid("Lesson", i) for i in jg.lesson_ids]
    assert [x["date"] for x in page["lessons"]] == [d.isoformat() for d in jg.lesson_dates]
    last = page["lessons"][4]
    assert last["status"] == "CANCELLED" and last["topic"] == "Причастие"
    assert last["homework"] == "Упр. 12" and last["lessonType"] == "Урок"
    assert last["teacher"].startswith("ФамилияTeacher") and last["isSubstitution"] is False
    rows = {r["studentId"]: r for r in page["students"]}
    first, second, third = (rows[gid("Person", s)] for s in jg.students)
    assert first["marks"] == ["5 4", None, None, None, None]
    # each cell's mark ids, in the order of its labels: a cell is edited without another query
    assert first["markIds"] == [[gid("Mark", five), gid("Mark", four)], [], [], [], []]
    assert second["markIds"] == [[], [], [gid("Mark", three)], [], []]
    assert first["attendance"] == [None, "н", None, None, None]
    assert second["marks"] == [None, None, "3", None, None]
    assert second["attendance"] == [None, None, None, None, "б"]
    assert third["marks"] == [None] * 5
    assert third["attendance"] == [None, None, None, "оп", None]
    assert first["startsOn"] == "2015-09-01" and first["endsOn"] is None
    names = [r["fullName"] for r in page["students"]]
    assert names == sorted(names)


def test_journal_weighted_average_uses_work_type_weights(
    gql, token_for, schools: TwoSchools, database: DatabaseUrls
) -> None:
    # given: 5 (weight 1) and 3 (weight 2) count; an excluded 2 and nothing for the second
    jg = make_journal_group(database.owner, schools.a, students=2, lessons=3)
    add_marks(database, jg, [MarkSpec(0, 0, "5"), MarkSpec(0, 1, "3", "test"),
                             MarkSpec(0, 2, "2", excluded=True)])
    # when
    page = journal_of(gql, token_for(jg.teacher_login), jg)
    # then
    assert page is not None
    rows = {r["studentId"]: r for r in page["students"]}
    assert rows[gid("Person", jg.students[0])]["average"] == 3.67
    assert rows[gid("Person", jg.students[1])]["average"] is None


def test_journal_lists_marks_of_works_without_a_lesson(
    gql, token_for, schools: TwoSchools, database: DatabaseUrls
) -> None:
    # given: a test written on its own date in the quarter, and one in the next quarter
    jg = make_journal_group(database.owner, schools.a, students=1, lessons=1)
    inside, outside = add_marks(database, jg, [
        MarkSpec(0, None, "4", "test", work_date=date(2015, 10, 20)),
        MarkSpec(0, None, "2", "test", work_date=date(2015, 11, 20)),
    ])
    add_marks(database, jg, [MarkSpec(0, 0, "5")])
    # when
    page = journal_of(gql, token_for(jg.teacher_login), jg)
    # then
    assert page is not None
    student = page["students"][0]
    assert student["extraMarks"] == [{"markId": gid("Mark", inside), "workDate": "2015-10-20",
                                      "label": "4"}]
    assert gid("Mark", outside) not in json.dumps(page)
    assert student["marks"] == ["5"]
    assert student["average"] == round((5 * 1 + 4 * 2) / 3, 2)


def test_journal_period_grade_shows_the_label_or_the_state(
    gql, token_for, schools: TwoSchools, database: DatabaseUrls
) -> None:
    # given
    jg = make_journal_group(database.owner, schools.a, students=5, lessons=1)
    states = [(m.GradeState.GRADED, "4", None), (m.GradeState.NOT_ATTESTED, None, None),
              (m.GradeState.EXEMPT, None, None),
              (m.GradeState.DEFERRED, None, date(2015, 11, 30))]
    with owner_session(database.owner) as s:
        set_tenant(s, [jg.school.id])
        for student, (state, label, until) in zip(jg.students, states, strict=False):
            s.add(m.Grade(school_id=jg.school.id, academic_year_id=jg.school.year_id,
                          student_id=student, subject_id=jg.setup.subject_id,
                          kind=m.GradeKind.PERIOD, period_id=jg.setup.period_ids[Q1],
                          group_id=jg.group_id, state=state,
                          value_id=jg.setup.value_ids[label] if label else None,
                          deferred_until=until))
    # when
    page = journal_of(gql, token_for(jg.teacher_login), jg)
    # then
    assert page is not None
    grades = {r["studentId"]: r["periodGrade"] for r in page["students"]}
    assert [grades[gid("Person", s)] for s in jg.students] == ["4", "н/а", "осв.", "отсрочка",
                                                               None]
    # the grade is of its period only
    other = journal_of(gql, token_for(jg.teacher_login), jg, period=1)
    assert other is not None and {r["periodGrade"] for r in other["students"]} == {None}


def test_journal_keeps_a_transferred_students_marks_for_their_dates(
    gql, token_for, schools: TwoSchools, database: DatabaseUrls
) -> None:
    # given: students[0] of G1 moves to G2 after day D (the 3rd lesson day)
    g1 = make_journal_group(database.owner, schools.a, students=2, lessons=6)
    g2 = make_journal_group(database.owner, schools.a, students=1, lessons=6)
    mover, day_d = g1.students[0], g1.lesson_dates[2]
    transfer(database.owner, g1, g2, mover, last_day=day_d)
    add_marks(database, g1, [MarkSpec(0, 0, "5"), MarkSpec(0, 2, "4")])
    g2_mover = MarkSpec(0, 4, "3")
    with owner_session(database.owner) as s:
        set_tenant(s, [g2.school.id])
        s.add(m.Mark(school_id=g2.school.id, group_id=g2.group_id,
                     lesson_id=g2.lesson_ids[g2_mover.lesson], student_id=mover,
                     work_date=g2.lesson_dates[4],
                     work_type_id=g2.setup.work_type_ids["classwork"],
                     value_id=g2.setup.value_ids["3"]))
    # when
    old = journal_of(gql, token_for(g1.teacher_login), g1)
    new = journal_of(gql, token_for(g2.teacher_login), g2)
    # then: the old journal keeps the marks and shows when the membership ended
    assert old is not None and new is not None
    old_row = next(r for r in old["students"] if r["studentId"] == gid("Person", mover))
    assert old_row["endsOn"] == day_d.isoformat()
    assert old_row["marks"] == ["5", None, "4", None, None, None]
    assert old_row["average"] == 4.5
    # the new journal shows them from the next day, with only the new group's marks
    new_row = next(r for r in new["students"] if r["studentId"] == gid("Person", mover))
    assert new_row["startsOn"] == (day_d + timedelta(days=1)).isoformat()
    assert new_row["endsOn"] is None
    assert new_row["marks"] == [None, None, None, None, "3", None]
    assert new_row["average"] == 3.0
    assert len(new["students"]) == 2


def test_journal_leaves_out_students_who_were_not_members_during_the_period(
    gql, token_for, schools: TwoSchools, database: DatabaseUrls
) -> None:
    # given: students[1] left the group in September; Q2 starts in November
    jg = make_journal_group(database.owner, schools.a, students=2, lessons=1)
    with owner_session(database.owner) as s:
        set_tenant(s, [jg.school.id])
        s.execute(update(m.GroupMembership)
                  .where(m.GroupMembership.group_id == jg.group_id,
                         m.GroupMembership.student_id == jg.students[1])
                  .values(ends_on=date(2015, 9, 30)))
    # when
    q1 = journal_of(gql, token_for(jg.teacher_login), jg, period=0)
    q2 = journal_of(gql, token_for(jg.teacher_login), jg, period=1)
    # then
    assert q1 is not None and q2 is not None
    assert len(q1["students"]) == 2
    assert [r["studentId"] for r in q2["students"]] == [gid("Person", jg.students[0])]
    assert q2["lessons"] == []
    assert q2["students"][0]["marks"] == [] and q2["students"][0]["attendance"] == []


def issue_read_token(gql, token_for, schools: TwoSchools) -> str:
    result = gql.post(ISSUE_TOKEN, {"input": {
        "name": f"journal-{uuid.uuid4().hex[:6]}", "scopes": ["READ"],
        "schoolId": gid("School", schools.a.id)}},
        token=token_for(schools.a.logins["admin"]))["data"]["issueApiToken"]
    assert result["errors"] == []
    return str(result["secret"])


def test_journal_is_read_by_teachers_class_teacher_administrator_and_read_token(
    gql, token_for, schools: TwoSchools, database: DatabaseUrls
) -> None:
    # given: another group's teacher leads this group's class
    jg = make_journal_group(database.owner, schools.a, students=2, lessons=2)
    leader = make_journal_group(database.owner, schools.a, students=1, lessons=0)
    with owner_session(database.owner) as s:
        set_tenant(s, [jg.school.id])
        s.execute(update(m.SchoolClass).where(m.SchoolClass.id == jg.class_id)
                  .values(class_teacher_id=leader.teacher_id))
    readers = [token_for(jg.teacher_login), token_for(leader.teacher_login),
               token_for(schools.a.logins["admin"]), issue_read_token(gql, token_for, schools)]
    for token in readers:
        # when
        page = journal_of(gql, token, jg)
        # then
        assert page is not None and page["group"]["groupId"] == gid("StudyGroup", jg.group_id)
        assert len(page["students"]) == 2 and len(page["lessons"]) == 2


def test_journal_is_null_for_everyone_else(
    gql, token_for, schools: TwoSchools, database: DatabaseUrls
) -> None:
    # given
    jg = make_journal_group(database.owner, schools.a, students=2, lessons=2)
    add_marks(database, jg, [MarkSpec(0, 0, "5")])
    others = [
        schools.a.logins["teacher"],  # teaches another group of the same school
        schools.a.logins["class_teacher"],  # leads another class
        jg.student_logins[0],  # a student of the group
        jg.guardian_login,  # a guardian of a student of the group
        schools.officer_logins["region"],
        schools.officer_logins["muni_a"],
        schools.b.logins["admin"],
        schools.b.logins["teacher"],
    ]
    for login in others:
        # when
        result = gql.post(JOURNAL, page_vars(jg), token=token_for(login))
        # then: null, exactly as for a group that does not exist
        assert result == {"data": {"journal": None}}, login
    missing = {"groupId": gid("StudyGroup", uuid.uuid4()),
               "periodId": gid("Period", jg.setup.period_ids[Q1])}
    assert gql.post(JOURNAL, missing, token=token_for(schools.a.logins["admin"])) == {
        "data": {"journal": None}}


def test_journal_with_a_period_of_another_school_is_refused_like_any_foreign_period(
    gql, token_for, schools: TwoSchools, database: DatabaseUrls
) -> None:
    # given
    jg = make_journal_group(database.owner, schools.a, students=1, lessons=1)
    other = make_journal_group(database.owner, schools.b, students=1, lessons=1)
    variables = {"groupId": gid("StudyGroup", jg.group_id),
                 "periodId": gid("Period", other.setup.period_ids[Q1])}
    # when
    result = gql.post(JOURNAL, variables, token=token_for(jg.teacher_login))
    # then: issue 17 turned the null into the refusal of a period outside the group's scheme;
    # it names only the group's own periods, so it tells nothing of the other school
    assert result["data"] == {"journal": None}
    (error,) = result["errors"]
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "argument": "periodId"}
    assert "«1 четверть»" in error["message"]
    assert str(other.setup.period_ids[Q1]) not in error["message"]


def test_journal_with_a_malformed_id_is_a_bad_argument(
    gql, token_for, schools: TwoSchools
) -> None:
    # when
    result = gql.post(JOURNAL, {"groupId": gid("Person", uuid.uuid4()), "periodId": "x"},
                      token=token_for(schools.a.logins["admin"]))
    # then
    assert result["errors"][0]["extensions"] == {"code": "BAD_USER_INPUT",
                                                 "argument": "groupId"}


def test_journal_anonymous_is_unauthenticated(gql, schools: TwoSchools) -> None:
    # when
    result = gql.post(JOURNAL, {"groupId": gid("StudyGroup", schools.a.group_id),
                                "periodId": gid("Period", uuid.uuid4())})
    # then
    assert result["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


def fill(database: DatabaseUrls, jg: JournalGroup) -> None:
    """About two marks per three cells and an absence per ten: a busy page."""
    specs = [MarkSpec(i, j, "2345"[(i + j) % 4], "test" if j % 5 == 0 else "classwork")
             for i in range(len(jg.students)) for j in range(len(jg.lesson_ids))
             if (i + j) % 3 != 0]
    add_marks(database, jg, specs)
    add_attendance(database, jg, [(i, j, m.AttendanceKind.ABSENT, None)
                                  for i in range(len(jg.students))
                                  for j in range(len(jg.lesson_ids)) if (i * 7 + j) % 10 == 0])


def statements_of(gql, token: str, jg: JournalGroup, period: int = Q3) -> tuple[int, dict]:
    with count_statements() as counter:
        result = gql.post(JOURNAL, page_vars(jg, period), token=token)
    assert "errors" not in result, result
    return counter.count, result["data"]["journal"]


def test_journal_statement_count_does_not_grow_with_students_or_lessons(
    gql, token_for, schools: TwoSchools, database: DatabaseUrls
) -> None:
    # given
    small = make_journal_group(database.owner, schools.a, students=5, lessons=10,
                               first_day=Q3_START)
    big = make_journal_group(database.owner, schools.a, students=30, lessons=45,
                             first_day=Q3_START)
    fill(database, small)
    fill(database, big)
    # when
    small_count, small_page = statements_of(gql, token_for(small.teacher_login), small)
    big_count, big_page = statements_of(gql, token_for(big.teacher_login), big)
    admin_count, _ = statements_of(gql, token_for(schools.a.logins["admin"]), big)
    # then
    assert len(small_page["students"]) == 5 and len(small_page["lessons"]) == 10
    assert len(big_page["students"]) == 30 and len(big_page["lessons"]) == 45
    assert small_count == big_count == admin_count
    assert big_count == 2  # issue 8 (at most 6): the access context's one call and the page
    # and every student's suggested grade came with it (no request or statement per student)
    assert all(r["suggestedValue"] for r in big_page["students"])


def test_journal_cell_gives_marks_and_attendance_with_versions(
    gql, token_for, schools: TwoSchools, database: DatabaseUrls
) -> None:
    # given
    jg = make_journal_group(database.owner, schools.a, students=2, lessons=2)
    first, second = add_marks(database, jg, [MarkSpec(0, 1, "5"), MarkSpec(0, 1, "3", "test")])
    add_attendance(database, jg, [(0, 1, m.AttendanceKind.LATE, 7)])
    with owner_session(database.owner) as s:
        set_tenant(s, [jg.school.id])
        s.execute(update(m.Mark).where(m.Mark.id == second)
                  .values(comment="Диктант", version=3))
        entry = s.scalar(select(m.Attendance.id).where(
            m.Attendance.lesson_id == jg.lesson_ids[1]))
    variables = {"groupId": gid("StudyGroup", jg.group_id),
                 "lessonId": gid("Lesson", jg.lesson_ids[1]),
                 "studentId": gid("Person", jg.students[0])}
    # when
    cell = gql.post(CELL, variables, token=token_for(jg.teacher_login))["data"]["journalCell"]
    # then
    assert [x["markId"] for x in cell["marks"]] == [gid("Mark", first), gid("Mark", second)]
    assert cell["marks"][1] | {"enteredAt": None} == {
        "markId": gid("Mark", second), "label": "3", "workType": "Контрольная работа (журнал)",
        "weight": 2.0, "comment": "Диктант", "excludedFromAverage": False,
        "enteredAt": None, "recordedAt": None, "version": 3}
    assert cell["attendance"]["attendanceEntryId"] == gid("AttendanceEntry", entry)
    assert cell["attendance"]["code"] == "оп" and cell["attendance"]["lateMinutes"] == 7
    assert cell["attendance"]["version"] == 1
    # an empty cell: no marks, present
    empty = gql.post(CELL, variables | {"studentId": gid("Person", jg.students[1])},
                     token=token_for(jg.teacher_login))["data"]["journalCell"]
    assert empty["marks"] == [] and empty["attendance"] is None


def test_journal_cell_is_null_for_other_viewers_and_other_groups_lessons(
    gql, token_for, schools: TwoSchools, database: DatabaseUrls
) -> None:
    # given
    jg = make_journal_group(database.owner, schools.a, students=1, lessons=1)
    other = make_journal_group(database.owner, schools.a, students=1, lessons=1)
    add_marks(database, jg, [MarkSpec(0, 0, "5")])
    variables = {"groupId": gid("StudyGroup", jg.group_id),
                 "lessonId": gid("Lesson", jg.lesson_ids[0]),
                 "studentId": gid("Person", jg.students[0])}
    for login in [other.teacher_login, jg.student_logins[0], jg.guardian_login,
                  schools.b.logins["admin"], schools.officer_logins["region"]]:
        # when
        result = gql.post(CELL, variables, token=token_for(login))
        # then
        assert result == {"data": {"journalCell": None}}, login
    # a lesson of another group under this group's id
    foreign = variables | {"lessonId": gid("Lesson", other.lesson_ids[0])}
    assert gql.post(CELL, foreign, token=token_for(jg.teacher_login)) == {
        "data": {"journalCell": None}}


def journal_floor(conn: psycopg.Connection, jg: JournalGroup) -> str:
    """The floor of issue 8: the same rows fetched with psycopg directly (no GraphQL, no HTTP,
    no access context) on an open connection, and serialised to JSON."""
    key = (jg.school.id, jg.group_id)
    lessons = conn.execute(
        "SELECT l.id, l.date, l.lesson_number, l.status, l.topic, l.homework, lt.name,"
        " concat_ws(' ', t.last_name, t.first_name, t.middle_name)"
        " FROM lessons l LEFT JOIN lesson_types lt ON lt.id = l.lesson_type_id"
        " LEFT JOIN persons t ON t.id = l.actual_teacher_id"
        " WHERE l.school_id = %s AND l.group_id = %s AND l.date BETWEEN %s AND %s"
        " ORDER BY l.date, l.lesson_number", (*key, Q3_START, Q3_END)
    ).fetchall()
    students = conn.execute(
        "SELECT p.id, concat_ws(' ', p.last_name, p.first_name), gm.starts_on, gm.ends_on"
        " FROM group_memberships gm JOIN persons p ON p.id = gm.student_id"
        " WHERE gm.school_id = %s AND gm.group_id = %s ORDER BY 2", key).fetchall()
    marks = conn.execute(
        "SELECT mk.student_id, mk.lesson_id, v.label, w.weight FROM marks mk"
        " JOIN mark_values v ON v.id = mk.value_id JOIN work_types w ON w.id = mk.work_type_id"
        " WHERE mk.school_id = %s AND mk.group_id = %s", key).fetchall()
    absences = conn.execute(
        "SELECT a.student_id, a.lesson_id, a.kind FROM attendance a JOIN lessons l"
        " ON l.id = a.lesson_id WHERE l.school_id = %s AND l.group_id = %s", key).fetchall()
    return json.dumps({"lessons": lessons, "students": students, "marks": marks,
                       "attendance": absences}, default=str, ensure_ascii=False)


def median_ms(run: Callable[[], object], times: int = 20) -> float:
    run()  # warm up
    samples = []
    for _ in range(times):
        start = time.perf_counter()
        run()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def test_journal_page_of_30_students_and_45_lessons_timing(
    gql, token_for, schools: TwoSchools, database: DatabaseUrls
) -> None:
    """Not a benchmark (issue 8 is): a figure to report, the median of 20 requests."""
    # given: 30 × 45 with about 900 marks and 135 absences
    jg = make_journal_group(database.owner, schools.a, students=30, lessons=45,
                            first_day=Q3_START)
    fill(database, jg)
    token = token_for(jg.teacher_login)
    with owner_session(database.owner) as s:
        set_tenant(s, [jg.school.id])
        n_marks = s.scalar(select(func.count()).select_from(m.Mark)
                           .where(m.Mark.group_id == jg.group_id))
    with psycopg.connect(libpq_dsn(database.owner), autocommit=True) as conn:
        conn.execute("ANALYZE")  # fresh rows, no statistics yet: a production database has them
    # when
    graphql_ms = median_ms(lambda: gql.post(JOURNAL, page_vars(jg, Q3), token=token))
    with psycopg.connect(libpq_dsn(database.owner)) as conn:
        floor_ms = median_ms(lambda: journal_floor(conn, jg))
    statements, page = statements_of(gql, token, jg)
    # then
    print(f"\njournal 30×45, {n_marks} marks: {graphql_ms:.1f} ms median over HTTP, "
          f"{statements} statements; floor (psycopg + json.dumps) {floor_ms:.1f} ms; "
          f"ratio {graphql_ms / floor_ms:.1f}×")
    assert len(page["students"]) == 30 and statements <= 6


JOURNAL_IN = """
query Journal($groupId: ID!, $periodId: ID!, $in: ID) {
  journal(groupId: $groupId, periodId: $periodId, in: $in) {
    gradingSystem { name labels }
    students { marks average suggestedValue periodGrade }
  }
}
"""


def ten_point_system(database: DatabaseUrls, school_id: uuid.UUID) -> uuid.UUID:
    """The school's copy of the ten-point template (value v covers [10v-10, 10v), point
    10v-5), made once per test run."""
    with owner_session(database.owner) as s:
        set_tenant(s, [school_id])
        found = s.scalar(select(m.GradingSystem.id).where(
            m.GradingSystem.school_id == school_id,
            m.GradingSystem.name == "Десятибалльная (журнал)"))
        if found:
            return found
        system = m.GradingSystem(school_id=school_id, id=uuid.uuid4(),
                                 name="Десятибалльная (журнал)", kind=m.GradingKind.NUMERIC,
                                 template_code="ten_point")
        s.add(system)
        s.flush()
        for v in range(1, 11):
            s.add(m.MarkValue(school_id=school_id, system_id=system.id, label=str(v), ordinal=v,
                              range_low=10 * (v - 1), range_high=10 * v, point=10 * v - 5,
                              counts_as_pass=v >= 4, numeric_value=v))
        return system.id


def overlapping_ten_point_values(database: DatabaseUrls, school_id: uuid.UUID
                                 ) -> dict[str, uuid.UUID]:
    """A second system of the school whose numbers and ordinals 2–5 overlap the five-point
    ones, labelled "v/10" so that a label read from the wrong system shows; label -> id."""
    with owner_session(database.owner) as s:
        set_tenant(s, [school_id])
        system = m.GradingSystem(school_id=school_id, id=uuid.uuid4(),
                                 name=f"Десятибалльная /10 {uuid.uuid4().hex[:6]}",
                                 kind=m.GradingKind.NUMERIC, template_code="ten_point")
        s.add(system)
        s.flush()
        values: dict[str, uuid.UUID] = {}
        for v in range(1, 11):
            value = m.MarkValue(school_id=school_id, system_id=system.id, id=uuid.uuid4(),
                                label=f"{v}/10", ordinal=v, range_low=10 * (v - 1),
                                range_high=10 * v, point=10 * v - 5, counts_as_pass=v >= 4,
                                numeric_value=v)
            s.add(value)
            values[value.label] = value.id
    return values


def test_journal_shows_each_mark_with_the_label_of_its_own_grading_system(
    gql, token_for, schools: TwoSchools, database: DatabaseUrls
) -> None:
    """Guards against a mark labelled from another grading system of the same school."""
    # given a five-point group whose student has a five-point 4 on lesson 1, and ten-point
    # marks (number and ordinal 4 and 5, as five-point values have) on lesson 2 and a work
    jg = make_journal_group(database.owner, schools.a, students=1, lessons=2)
    ten = overlapping_ten_point_values(database, jg.school.id)
    add_marks(database, jg, [MarkSpec(0, 0, "4")])
    add_marks(database, jg, [MarkSpec(0, 1, "4/10"),
                             MarkSpec(0, None, "5/10", work_date=jg.lesson_dates[1])], ten)
    teacher = token_for(jg.teacher_login)
    # when the page and the second lesson's cell are read
    page = journal_of(gql, teacher, jg)
    cell = gql.post(CELL, {"groupId": gid("StudyGroup", jg.group_id),
                           "lessonId": gid("Lesson", jg.lesson_ids[1]),
                           "studentId": gid("Person", jg.students[0])},
                    token=teacher)["data"]["journalCell"]
    # then each mark has its own system's label, and the page's scale stays five-point
    assert page is not None
    assert page["gradingSystem"]["labels"] == ["2", "3", "4", "5"]
    (student,) = page["students"]
    assert student["marks"] == ["4", "4/10"]
    assert [x["label"] for x in student["extraMarks"]] == ["5/10"]
    assert [x["label"] for x in cell["marks"]] == ["4/10"]


def test_journal_in_another_system_converts_marks_averages_and_grades(
    gql, token_for, schools: TwoSchools, database: DatabaseUrls
) -> None:
    # given: five-point marks 5 (weight 1) and 3 (weight 2), and a period grade 4
    jg = make_journal_group(database.owner, schools.a, students=1, lessons=2)
    add_marks(database, jg, [MarkSpec(0, 0, "5"), MarkSpec(0, 1, "3", "test")])
    with owner_session(database.owner) as s:
        set_tenant(s, [jg.school.id])
        s.add(m.Grade(school_id=jg.school.id, academic_year_id=jg.school.year_id,
                      student_id=jg.students[0], subject_id=jg.setup.subject_id,
                      kind=m.GradeKind.PERIOD, period_id=jg.setup.period_ids[Q1],
                      group_id=jg.group_id, state=m.GradeState.GRADED,
                      value_id=jg.setup.value_ids["4"]))
    ten = ten_point_system(database, jg.school.id)
    # when the page is read on the ten-point scale
    result = gql.post(JOURNAL_IN, {**page_vars(jg), "in": gid("GradingSystem", ten)},
                      token=token_for(jg.teacher_login))
    # then each mark is the ten-point value holding its axis point (92.5 → 10, 60 → 7,
    # 77.5 → 8) and the average is told in ten-point numbers: (9.75·1 + 6.5·2) / 3 = 7.58
    assert "errors" not in result, result
    page = result["data"]["journal"]
    assert page["gradingSystem"]["labels"] == [str(v) for v in range(1, 11)]
    student = page["students"][0]
    assert student["marks"] == ["10", "7"]
    assert student["average"] == 7.58
    assert student["suggestedValue"] == "8"  # 7.58 rounds up at the default 0.5
    assert student["periodGrade"] == "8"


def test_journal_in_a_system_of_another_school_is_a_bad_argument(
    gql, token_for, schools: TwoSchools, database: DatabaseUrls
) -> None:
    jg = make_journal_group(database.owner, schools.a, students=1, lessons=1)
    other = ten_point_system(database, schools.b.id)
    result = gql.post(JOURNAL_IN, {**page_vars(jg), "in": gid("GradingSystem", other)},
                      token=token_for(jg.teacher_login))
    assert result["data"] == {"journal": None}
    assert result["errors"][0]["extensions"]["argument"] == "in"
