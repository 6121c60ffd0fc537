"""The diary: a student's days with lessons, homework, marks and attendance, for those who may.

Data comes from tests/journal_factory.py; lessons, marks and attendance are written directly
as the owner (tests/api/test_journal.py helpers), so no other domain's mutations are needed.
"""

from __future__ import annotations

import uuid
from datetime import date, timedelta

from sqlalchemy import update

from db import models as m
from db.engine import DatabaseUrls, owner_session
from db.tenancy import set_tenant
from tests.api.test_journal import (
    MarkSpec,
    add_attendance,
    add_marks,
    gid,
    issue_read_token,
    overlapping_ten_point_values,
)
from tests.factories import TwoSchools
from tests.journal_factory import JournalGroup, make_journal_group, transfer
from tests.sql_counter import count_statements

DIARY = """
query Diary($studentId: ID!, $from: Date!, $to: Date!) {
  diary(studentId: $studentId, from: $from, to: $to) {
    studentId studentName
    days {
      date
      lessons {
        lessonId lessonNumber status subject teacher topic homework homeworkLinks homeworkDueOn
        marks { label workType comment }
        attendance lateMinutes
      }
      homeworkDue { subject homework homeworkLinks assignedOn }
      workMarks { subject label workType comment }
    }
  }
}
"""

FIRST = date(2015, 9, 1)  # a Tuesday: the factory's lessons are on school days from here


def diary_vars(student: uuid.UUID, start: date, end: date) -> dict[str, str]:
    return {"studentId": gid("Person", student), "from": start.isoformat(),
            "to": end.isoformat()}


def diary_of(gql, token: str, student: uuid.UUID, start: date, end: date) -> dict | None:
    result = gql.post(DIARY, diary_vars(student, start, end), token=token)
    assert "errors" not in result, result
    return result["data"]["diary"]


def set_lesson(database: DatabaseUrls, jg: JournalGroup, index: int, **values: object) -> None:
    with owner_session(database.owner) as s:
        set_tenant(s, [jg.school.id])
        s.execute(update(m.Lesson).where(m.Lesson.id == jg.lesson_ids[index]).values(**values))


def test_diary_lists_each_days_lessons_with_homework_marks_and_attendance(
    gql, token_for, schools: TwoSchools, database: DatabaseUrls
) -> None:
    # given: lessons on 1, 2 and 3 September; homework given on the 1st, due on the 3rd
    jg = make_journal_group(database.owner, schools.a, students=2, lessons=3)
    set_lesson(database, jg, 0, topic="Имя существительное", homework="Упр. 5",
               homework_links=["https://example.org/5"], homework_due_on=jg.lesson_dates[2])
    add_marks(database, jg, [MarkSpec(0, 0, "5"), MarkSpec(0, 0, "4", "test"),
                             MarkSpec(1, 0, "2"),  # another student's mark stays out
                             MarkSpec(0, None, "3", "test", work_date=jg.lesson_dates[1])])
    add_attendance(database, jg, [(0, 1, m.AttendanceKind.LATE, 10),
                                  (1, 2, m.AttendanceKind.ABSENT, None)])
    # when
    diary = diary_of(gql, token_for(jg.student_logins[0]), jg.students[0], FIRST,
                     FIRST + timedelta(days=6))
    # then
    assert diary is not None
    assert diary["studentId"] == gid("Person", jg.students[0])
    assert diary["studentName"].startswith("ФамилияS00")
    assert [d["date"] for d in diary["days"]] == [
        (FIRST + timedelta(days=i)).isoformat() for i in range(7)]
    first, second, third = (diary["days"][i] for i in range(3))
    lesson = first["lessons"][0]
    assert lesson["lessonId"] == gid("Lesson", jg.lesson_ids[0])
    assert lesson["subject"] == "Русский язык (журнал)" and lesson["status"] == "HELD"
    assert lesson["teacher"].startswith("ФамилияTeacher")
    assert lesson["topic"] == "Имя существительное" and lesson["homework"] == "Упр. 5"
    assert lesson["homeworkLinks"] == ["https://example.org/5"]
    assert lesson["homeworkDueOn"] == jg.lesson_dates[2].isoformat()
    assert lesson["marks"] == [
        {"label": "5", "workType": "Работа на уроке (журнал)", "comment": None},
        {"label": "4", "workType": "Контрольная работа (журнал)", "comment": None}]
    assert lesson["attendance"] is None
    assert second["lessons"][0]["attendance"] == "оп"
    assert second["lessons"][0]["lateMinutes"] == 10
    assert second["workMarks"] == [{"subject": "Русский язык (журнал)", "label": "3",
                                    "workType": "Контрольная работа (журнал)",
                                    "comment": None}]
    assert third["lessons"][0]["attendance"] is None  # the other student's absence
    assert third["homeworkDue"] == [{"subject": "Русский язык (журнал)", "homework": "Упр. 5",
                                     "homeworkLinks": ["https://example.org/5"],
                                     "assignedOn": FIRST.isoformat()}]
    assert all(d["lessons"] == [] for d in diary["days"][3:])


def test_diary_shows_each_mark_with_the_label_of_its_own_grading_system(
    gql, token_for, schools: TwoSchools, database: DatabaseUrls
) -> None:
    """Guards against a mark labelled from another grading system of the same school."""
    # given a five-point 4 and a ten-point 4 (same number and ordinal) on the first lesson,
    # and a ten-point 5 for a work of the second day
    jg = make_journal_group(database.owner, schools.a, students=1, lessons=2)
    ten = overlapping_ten_point_values(database, jg.school.id)
    add_marks(database, jg, [MarkSpec(0, 0, "4")])
    add_marks(database, jg, [MarkSpec(0, 0, "4/10", "test"),
                             MarkSpec(0, None, "5/10", work_date=jg.lesson_dates[1])], ten)
    # when the student reads the diary of those days
    diary = diary_of(gql, token_for(jg.student_logins[0]), jg.students[0], FIRST,
                     jg.lesson_dates[1])
    # then each mark shows its own system's label
    assert diary is not None
    first, second = diary["days"][0], diary["days"][1]
    assert [x["label"] for x in first["lessons"][0]["marks"]] == ["4", "4/10"]
    assert [x["label"] for x in second["workMarks"]] == ["5/10"]


def test_diary_follows_a_mid_year_transfer(
    gql, token_for, schools: TwoSchools, database: DatabaseUrls
) -> None:
    # given: students[0] of G1 moves to G2 after the 2nd lesson day
    g1 = make_journal_group(database.owner, schools.a, students=1, lessons=4)
    g2 = make_journal_group(database.owner, schools.a, students=1, lessons=4)
    mover, day_d = g1.students[0], g1.lesson_dates[1]
    transfer(database.owner, g1, g2, mover, last_day=day_d)
    # when
    diary = diary_of(gql, token_for(g1.student_logins[0]), mover, FIRST,
                     g1.lesson_dates[3])
    # then: G1's lessons up to D, G2's after
    lesson_ids = [x["lessonId"] for d in diary["days"] for x in d["lessons"]] if diary else []
    assert lesson_ids == [gid("Lesson", g1.lesson_ids[0]), gid("Lesson", g1.lesson_ids[1]),
                          gid("Lesson", g2.lesson_ids[2]), gid("Lesson", g2.lesson_ids[3])]


def test_diary_is_read_by_the_student_guardian_teachers_class_teacher_admin_and_token(
    gql, token_for, schools: TwoSchools, database: DatabaseUrls
) -> None:
    # given: another group's teacher leads the class
    jg = make_journal_group(database.owner, schools.a, students=2, lessons=1)
    leader = make_journal_group(database.owner, schools.a, students=1, lessons=0)
    with owner_session(database.owner) as s:
        set_tenant(s, [jg.school.id])
        s.execute(update(m.SchoolClass).where(m.SchoolClass.id == jg.class_id)
                  .values(class_teacher_id=leader.teacher_id))
    tokens = [token_for(login) for login in (jg.student_logins[0], jg.guardian_login,
                                             jg.teacher_login, leader.teacher_login,
                                             schools.a.logins["admin"])]
    tokens.append(issue_read_token(gql, token_for, schools))
    for token in tokens:
        # when
        diary = diary_of(gql, token, jg.students[0], FIRST, FIRST)
        # then
        assert diary is not None and len(diary["days"][0]["lessons"]) == 1


def test_diary_is_null_for_everyone_else(
    gql, token_for, schools: TwoSchools, database: DatabaseUrls
) -> None:
    # given
    jg = make_journal_group(database.owner, schools.a, students=2, lessons=1)
    add_marks(database, jg, [MarkSpec(0, 0, "5"), MarkSpec(1, 0, "4")])
    refused = [
        (jg.guardian_login, jg.students[1]),  # a guardian, for a child not theirs
        (jg.student_logins[0], jg.students[1]),  # a classmate
        (schools.a.logins["teacher"], jg.students[0]),  # a teacher of another group
        (schools.a.logins["class_teacher"], jg.students[0]),  # the teacher of another class
        (schools.a.logins["student"], jg.students[0]),
        (schools.officer_logins["region"], jg.students[0]),
        (schools.officer_logins["muni_a"], jg.students[0]),
        (schools.b.logins["admin"], jg.students[0]),
        (schools.b.logins["guardian"], jg.students[0]),
    ]
    for login, student in refused:
        # when
        result = gql.post(DIARY, diary_vars(student, FIRST, FIRST), token=token_for(login))
        # then: null, exactly as for a student that does not exist
        assert result == {"data": {"diary": None}}, login
    missing = diary_vars(uuid.uuid4(), FIRST, FIRST)
    assert gql.post(DIARY, missing, token=token_for(schools.a.logins["admin"])) == {
        "data": {"diary": None}}


def test_diary_of_a_staff_member_is_not_open_to_every_member(
    gql, token_for, schools: TwoSchools
) -> None:
    # given: staff are visible to the whole school, their records are not
    variables = diary_vars(schools.a.people["teacher"], FIRST, FIRST)
    # when
    result = gql.post(DIARY, variables, token=token_for(schools.a.logins["student"]))
    # then
    assert result == {"data": {"diary": None}}


def test_diary_range_is_at_most_31_days(gql, token_for, schools: TwoSchools) -> None:
    # given
    token = token_for(schools.a.logins["student"])
    student = schools.a.people["student"]
    # when
    too_long = gql.post(DIARY, diary_vars(student, FIRST, FIRST + timedelta(days=31)),
                        token=token)
    backwards = gql.post(DIARY, diary_vars(student, FIRST, FIRST - timedelta(days=1)),
                         token=token)
    longest = gql.post(DIARY, diary_vars(student, FIRST, FIRST + timedelta(days=30)),
                       token=token)
    # then
    for result in (too_long, backwards):
        assert result["data"] == {"diary": None}
        assert result["errors"][0]["extensions"] == {"code": "BAD_USER_INPUT",
                                                     "argument": "to"}
    assert len(longest["data"]["diary"]["days"]) == 31


def test_diary_with_a_malformed_id_is_a_bad_argument(gql, token_for, schools: TwoSchools
                                                     ) -> None:
    # when
    result = gql.post(DIARY, {"studentId": "nope", "from": "2015-09-01", "to": "2015-09-02"},
                      token=token_for(schools.a.logins["admin"]))
    # then
    assert result["errors"][0]["extensions"] == {"code": "BAD_USER_INPUT",
                                                 "argument": "studentId"}


def statements_of(gql, token: str, student: uuid.UUID, days: int) -> tuple[int, dict]:
    with count_statements() as counter:
        result = gql.post(DIARY, diary_vars(student, FIRST, FIRST + timedelta(days=days - 1)),
                          token=token)
    assert "errors" not in result, result
    return counter.count, result["data"]["diary"]


def test_diary_statement_count_does_not_grow_with_lessons_or_days(
    gql, token_for, schools: TwoSchools, database: DatabaseUrls
) -> None:
    # given: one student in one group with a lesson a day; another in five such groups
    one = make_journal_group(database.owner, schools.a, students=1, lessons=7)
    five = [make_journal_group(database.owner, schools.a, students=1, lessons=7)
            for _ in range(5)]
    busy = five[0].students[0]
    with owner_session(database.owner) as s:
        set_tenant(s, [schools.a.id])
        for jg in five[1:]:
            s.add(m.GroupMembership(school_id=schools.a.id, group_id=jg.group_id,
                                    student_id=busy, starts_on=FIRST))
    for jg in [one, *five]:
        add_marks(database, jg, [MarkSpec(0, i, "5") for i in range(7)])
        add_attendance(database, jg, [(0, 3, m.AttendanceKind.ILL, None)])
    add_marks(database, five[0], [MarkSpec(0, i, "4") for i in range(7)])
    # when
    counts = {}
    for name, (login, student, days) in {
        "1 lesson, 1 day": (one.student_logins[0], one.students[0], 1),
        "1 lesson, 7 days": (one.student_logins[0], one.students[0], 7),
        "5 lessons, 1 day": (five[0].student_logins[0], busy, 1),
        "5 lessons, 7 days": (five[0].student_logins[0], busy, 7),
    }.items():
        counts[name], diary = statements_of(gql, token_for(login), student, days)
        assert diary is not None
    # then
    _, busy_week = statements_of(gql, token_for(five[0].student_logins[0]), busy, 7)
    assert sum(len(d["lessons"]) for d in busy_week["days"]) == 25  # 5 school days × 5
    assert len(set(counts.values())) == 1, counts
    assert counts["5 lessons, 7 days"] == 2  # the access context's one call and the diary
