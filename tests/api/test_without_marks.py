"""Teaching without marks (безотметочное обучение): the school's configuration, and what it
refuses (marks, period and year grades) and keeps (topics, attendance) in the journal.

The tests configure a school of their own, so no other test's journal is taught without marks.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, text, update

from db import models as m
from db.engine import DatabaseUrls, owner_session
from db.tenancy import set_tenant
from resolvers.auth.passwords import hash_password
from schema.ids import to_global_id as gid
from tests.factories import PASSWORD, SchoolFixture, TwoSchools, seed_school
from tests.journal_factory import JournalGroup, make_journal_group

SET = """
mutation Set($input: SetTeachingWithoutMarksInput!) { setTeachingWithoutMarks(input: $input) {
  teachingWithoutMarks { gradeLevel subjectId subject { name } } errors { field code message } } }
"""
READ = """
query Read($schoolId: ID!) { teachingWithoutMarks(schoolId: $schoolId) {
  gradeLevel subjectId subject { name } } }
"""
SET_MARKS = """
mutation Set($input: SetMarksInput!) { setMarks(input: $input) {
  marks { id value } errors { field code message } } }
"""
SET_ATTENDANCE = """
mutation Set($input: SetAttendanceInput!) { setAttendance(input: $input) {
  entries { kind } errors { field code message } } }
"""
UPDATE_LESSON = """
mutation Update($input: UpdateLessonInput!) { updateLesson(input: $input) {
  lesson { topic } errors { field code message } } }
"""
SET_PERIOD_GRADE = """
mutation Set($input: SetPeriodGradeInput!) { setPeriodGrade(input: $input) {
  grade { value state } errors { field code message } } }
"""
SET_YEAR_GRADES = """
mutation Set($input: SetYearGradesInput!) { setYearGrades(input: $input) {
  grades { value } errors { field code message } } }
"""
JOURNAL = """
query Journal($groupId: ID!, $periodId: ID!) { journal(groupId: $groupId, periodId: $periodId) {
  withoutMarks lessons { topic } students { marks attendance } } }
"""

TZ = ZoneInfo("Asia/Yakutsk")
ORKSE = "ОРКСЭ (без отметок)"


@dataclass
class Setup:
    school: SchoolFixture
    orkse_id: uuid.UUID
    grade1: JournalGroup  # grade 1, taught without marks as a whole
    grade4_orkse: JournalGroup  # ОРКСЭ in grade 4, taught without marks
    grade4_russian: JournalGroup  # another subject of grade 4: with marks
    grade6_orkse: JournalGroup  # ОРКСЭ in grade 6: with marks
    cross_class: JournalGroup  # a cross-class group of grade-1 students


def sql(database: DatabaseUrls, school_id: uuid.UUID, query: str, **params: Any) -> list[Any]:
    with owner_session(database.owner) as s:
        set_tenant(s, [school_id])
        return list(s.execute(text(query), {"school": school_id, **params}).all())


def regrade(database: DatabaseUrls, jg: JournalGroup, level: int,
            subject_id: uuid.UUID | None = None) -> JournalGroup:
    """The journal group's class moved to `level` (and its group to another subject), with a
    grading system for the level: without the configuration, its marks would be accepted."""
    with owner_session(database.owner) as s:
        set_tenant(s, [jg.school.id])
        s.execute(update(m.SchoolClass).where(m.SchoolClass.id == jg.class_id)
                  .values(grade_level=level))
        if subject_id is not None:
            s.execute(update(m.StudyGroup).where(m.StudyGroup.id == jg.group_id)
                      .values(subject_id=subject_id))
        use = s.scalar(select(m.GradingSystemUse.id).where(
            m.GradingSystemUse.school_id == jg.school.id, m.GradingSystemUse.grade_level == level,
            m.GradingSystemUse.subject_id.is_(None)))
        if use is None:
            s.add(m.GradingSystemUse(school_id=jg.school.id, academic_year_id=jg.school.year_id,
                                     subject_id=None, grade_level=level,
                                     system_id=jg.setup.system_id))
    return jg


def cross_class_of(database: DatabaseUrls, school: SchoolFixture, of: JournalGroup
                   ) -> JournalGroup:
    """A cross-class group (no class of its own) of `of`'s students, taught by a new
    journal teacher: its grade level is its members' classes'."""
    host = make_journal_group(database.owner, school, students=1, lessons=0)
    with owner_session(database.owner) as s:
        set_tenant(s, [school.id])
        group_id = uuid.uuid4()
        group = m.StudyGroup(school_id=school.id, id=group_id,
                             academic_year_id=school.year_id, subject_id=of.setup.subject_id,
                             kind=m.GroupKind.CROSS_CLASS, class_id=None,
                             name=f"Курс {uuid.uuid4().hex[:6]}")
        s.add(group)
        s.flush()
        for student in of.students:
            s.add(m.GroupMembership(school_id=school.id, group_id=group_id, student_id=student,
                                    starts_on=date(2015, 9, 1)))
        s.add(m.TeacherAssignment(school_id=school.id, group_id=group_id,
                                  teacher_id=host.teacher_id, starts_on=date(2015, 9, 1)))
    host.group_id, host.students, host.class_id = group_id, of.students, of.class_id
    return host


@pytest.fixture(scope="module")
def setup(database: DatabaseUrls, schools: TwoSchools) -> Setup:
    """A school of its own in school B's municipality (so the municipal officer of A is not
    over it), with groups in and out of what the tests configure."""
    school = SchoolFixture(uuid.uuid4(), "Школа без отметок", schools.b.municipality_id)
    with owner_session(database.owner) as s:
        s.add(m.School(id=school.id, municipality_id=school.municipality_id, name=school.name,
                       short_name=school.name))
        s.flush()
        set_tenant(s, [school.id])
        seed_school(s, school, f"nm{uuid.uuid4().hex[:4]}", hash_password(PASSWORD))
        orkse_id = uuid.uuid4()
        s.add(m.Subject(school_id=school.id, id=orkse_id, name=ORKSE, short_name="ОРК"))

    def group(level: int, subject_id: uuid.UUID | None = None) -> JournalGroup:
        jg = make_journal_group(database.owner, school, students=2, lessons=2)
        return regrade(database, jg, level, subject_id)

    grade1 = group(1)
    return Setup(school, orkse_id, grade1, group(4, orkse_id), group(4), group(6, orkse_id),
                 cross_class_of(database, school, grade1))


def configure(gql, token: str, school_id: uuid.UUID, levels: list[int],
              subjects: list[dict[str, Any]]) -> dict[str, Any]:
    body = gql.post(SET, {"input": {"schoolId": gid("School", school_id),
                                    "gradeLevels": levels, "subjects": subjects}}, token=token)
    assert "errors" not in body, body
    return body["data"]["setTeachingWithoutMarks"]


def read(gql, token: str, school_id: uuid.UUID) -> list[dict[str, Any]]:
    body = gql.post(READ, {"schoolId": gid("School", school_id)}, token=token)
    assert "errors" not in body, body
    return body["data"]["teachingWithoutMarks"]


def rows_of(database: DatabaseUrls, school_id: uuid.UUID) -> list[tuple[int, Any]]:
    return [(r.grade_level, r.subject_id) for r in sql(
        database, school_id, "SELECT grade_level, subject_id FROM teaching_without_marks "
        "WHERE school_id = :school ORDER BY grade_level, subject_id NULLS FIRST")]


@pytest.fixture()
def configured(gql, token_for, setup: Setup) -> Setup:
    """Grade 1 whole, and ОРКСЭ in grade 4."""
    result = configure(gql, token_for(setup.school.logins["admin"]), setup.school.id, [1],
                       [{"subjectId": gid("Subject", setup.orkse_id), "gradeLevels": [4]}])
    assert result["errors"] == []
    return setup


def fields(result: dict[str, Any]) -> list[tuple[str, str]]:
    return [(e["field"], e["code"]) for e in result["errors"]]


# --- the configuration ---------------------------------------------------------------------

def test_set_teaching_without_marks_replaces_the_whole_configuration_and_audits_each_change(
    gql, token_for, database: DatabaseUrls, setup: Setup
) -> None:
    # given
    token, school = token_for(setup.school.logins["admin"]), setup.school.id
    orkse = gid("Subject", setup.orkse_id)
    configure(gql, token, school, [], [])
    first = configure(gql, token, school, [1], [{"subjectId": orkse, "gradeLevels": [5, 4]}])
    # when: grade 5 dropped, grade 1 kept
    result = configure(gql, token, school, [1], [{"subjectId": orkse, "gradeLevels": [4]}])
    # then
    assert first["errors"] == [] and result["errors"] == []
    assert [(r["gradeLevel"], r["subjectId"]) for r in first["teachingWithoutMarks"]] == [
        (1, None), (4, orkse), (5, orkse)]
    assert result["teachingWithoutMarks"] == [
        {"gradeLevel": 1, "subjectId": None, "subject": None},
        {"gradeLevel": 4, "subjectId": orkse, "subject": {"name": ORKSE}}]
    assert rows_of(database, school) == [(1, None), (4, setup.orkse_id)]
    audit = sql(database, school, "SELECT action, before, after FROM audit_log "
                "WHERE school_id = :school AND entity = 'teaching_without_marks' ORDER BY seq")
    tail = [(a.action, (a.after or a.before)["grade_level"]) for a in audit[-4:]]
    assert tail == [("create", 1), ("create", 4), ("create", 5), ("delete", 5)]


def test_teaching_without_marks_is_read_by_members_and_officers_over_the_school(
    gql, token_for, schools: TwoSchools, configured: Setup
) -> None:
    # given
    school = configured.school
    expected = [(1, None), (4, ORKSE)]
    # when
    seen = {who: [(r["gradeLevel"], r["subject"] and r["subject"]["name"])
                  for r in read(gql, token_for(login), school.id)]
            for who, login in (("teacher", school.logins["teacher"]),
                               ("student", school.logins["student"]),
                               ("region", schools.officer_logins["region"]))}
    # then
    assert seen == {"teacher": expected, "student": expected, "region": expected}


def test_teaching_without_marks_of_another_school_reads_empty(
    gql, token_for, schools: TwoSchools, configured: Setup
) -> None:
    # when: school A's administrator, and the officer of A's municipality only
    admin_a = read(gql, token_for(schools.a.logins["admin"]), configured.school.id)
    officer = read(gql, token_for(schools.officer_logins["muni_a"]), configured.school.id)
    # then
    assert admin_a == [] and officer == []


def test_set_teaching_without_marks_of_another_school_is_not_found_and_writes_nothing(
    gql, token_for, database: DatabaseUrls, schools: TwoSchools, configured: Setup
) -> None:
    # when
    results = [configure(gql, token_for(login), configured.school.id, [2], [])
               for login in (schools.a.logins["admin"], schools.officer_logins["region"])]
    # then
    assert [fields(r) for r in results] == [[("input.schoolId", "NOT_FOUND")]] * 2
    assert [r["teachingWithoutMarks"] for r in results] == [[], []]
    assert rows_of(database, configured.school.id) == [(1, None), (4, configured.orkse_id)]


@pytest.mark.parametrize("role", ["teacher", "class_teacher", "student", "guardian"])
def test_set_teaching_without_marks_by_another_role_is_forbidden(
    gql, token_for, database: DatabaseUrls, configured: Setup, role: str
) -> None:
    # when
    result = configure(gql, token_for(configured.school.logins[role]), configured.school.id,
                       [], [])
    # then
    assert fields(result) == [("input.schoolId", "FORBIDDEN")]
    assert rows_of(database, configured.school.id) == [(1, None), (4, configured.orkse_id)]


def _bad_inputs(orkse: str, other: str) -> list[tuple[list[int], list[dict[str, Any]],
                                                       list[tuple[str, str]]]]:
    missing = gid("Subject", uuid.uuid4())
    return [
        ([0], [], [("input.gradeLevels.0", "OUT_OF_RANGE")]),
        ([1, 12], [], [("input.gradeLevels.1", "OUT_OF_RANGE")]),
        ([2, 2], [], [("input.gradeLevels.1", "DUPLICATE")]),
        ([], [{"subjectId": missing, "gradeLevels": [4]}],
         [("input.subjects.0.subjectId", "NOT_FOUND")]),
        ([], [{"subjectId": other, "gradeLevels": [4]}],
         [("input.subjects.0.subjectId", "NOT_FOUND")]),
        ([], [{"subjectId": gid("School", uuid.uuid4()), "gradeLevels": [4]}],
         [("input.subjects.0.subjectId", "INVALID")]),
        ([], [{"subjectId": orkse, "gradeLevels": [4]}, {"subjectId": orkse, "gradeLevels": [5]}],
         [("input.subjects.1.subjectId", "DUPLICATE")]),
        ([], [{"subjectId": orkse, "gradeLevels": []}],
         [("input.subjects.0.gradeLevels", "REQUIRED")]),
        ([], [{"subjectId": orkse, "gradeLevels": [4, 0, 4]}],
         [("input.subjects.0.gradeLevels.1", "OUT_OF_RANGE"),
          ("input.subjects.0.gradeLevels.2", "DUPLICATE")]),
        ([3], [{"subjectId": orkse, "gradeLevels": [3]}],
         [("input.subjects.0.gradeLevels.0", "DUPLICATE")]),
    ]


def test_set_teaching_without_marks_refuses_bad_input_naming_the_field(
    gql, token_for, database: DatabaseUrls, schools: TwoSchools, configured: Setup
) -> None:
    # given
    token = token_for(configured.school.logins["admin"])
    with owner_session(database.owner) as s:
        set_tenant(s, [schools.a.id])
        other = s.scalar(select(m.Subject.id).where(m.Subject.school_id == schools.a.id))
    # when
    cases = _bad_inputs(gid("Subject", configured.orkse_id), gid("Subject", other))
    results = [configure(gql, token, configured.school.id, levels, subjects)
               for levels, subjects, _ in cases]
    # then
    assert [fields(r) for r in results] == [want for _, _, want in cases]
    assert rows_of(database, configured.school.id) == [(1, None), (4, configured.orkse_id)]


# --- marks refused, the rest of the journal kept ------------------------------------------

def today() -> date:
    return datetime.now(TZ).date()


def lesson_today(database: DatabaseUrls, jg: JournalGroup) -> uuid.UUID:
    lesson_id = uuid.uuid4()
    with owner_session(database.owner) as s:
        set_tenant(s, [jg.school.id])
        s.add(m.Lesson(school_id=jg.school.id, id=lesson_id, group_id=jg.group_id,
                       date=today(), lesson_number=1, status=m.LessonStatus.HELD,
                       lesson_type_id=jg.setup.lesson_type_id,
                       scheduled_teacher_id=jg.teacher_id, actual_teacher_id=jg.teacher_id))
    return lesson_id


def set_marks(gql, token_for, database: DatabaseUrls, jg: JournalGroup) -> dict[str, Any]:
    lesson = lesson_today(database, jg)
    work = gid("WorkType", jg.setup.work_type_ids["classwork"])
    body = gql.post(SET_MARKS, {"input": {"lessonId": gid("Lesson", lesson), "marks": [
        {"studentId": gid("Person", s), "value": "5", "workTypeId": work}
        for s in jg.students]}}, token=token_for(jg.teacher_login))
    assert "errors" not in body, body
    return body["data"]["setMarks"]


def marks_count(database: DatabaseUrls, jg: JournalGroup) -> int:
    return len(sql(database, jg.school.id, "SELECT 1 FROM marks WHERE school_id = :school "
                   "AND group_id = :g", g=jg.group_id))


@pytest.mark.parametrize("which", ["grade1", "grade4_orkse", "cross_class"])
def test_set_marks_in_a_group_taught_without_marks_is_refused_on_each_mark(
    gql, token_for, database: DatabaseUrls, configured: Setup, which: str
) -> None:
    # given: grade 1 as a whole, ОРКСЭ in grade 4, a cross-class group of grade-1 students
    jg: JournalGroup = getattr(configured, which)
    # when
    result = set_marks(gql, token_for, database, jg)
    # then
    assert fields(result) == [("input.marks.0.value", "INVALID"),
                              ("input.marks.1.value", "INVALID")]
    assert "taught without marks" in result["errors"][0]["message"]
    assert result["marks"] == [] and marks_count(database, jg) == 0


@pytest.mark.parametrize("which", ["grade4_russian", "grade6_orkse"])
def test_set_marks_in_another_subject_or_level_is_accepted(
    gql, token_for, database: DatabaseUrls, configured: Setup, which: str
) -> None:
    # given: another subject of grade 4; ОРКСЭ in grade 6
    jg: JournalGroup = getattr(configured, which)
    before = marks_count(database, jg)
    # when
    result = set_marks(gql, token_for, database, jg)
    # then
    assert result["errors"] == [] and [x["value"] for x in result["marks"]] == ["5", "5"]
    assert marks_count(database, jg) == before + 2


def test_a_mark_entered_before_the_configuration_can_still_be_removed_but_not_changed(
    gql, token_for, database: DatabaseUrls, configured: Setup
) -> None:
    # given: a mark of grade 1 from before grade 1 was taught without marks
    jg = configured.grade1
    lesson, mark_id = lesson_today(database, jg), uuid.uuid4()
    with owner_session(database.owner) as s:
        set_tenant(s, [jg.school.id])
        s.add(m.Mark(school_id=jg.school.id, id=mark_id, group_id=jg.group_id,
                     lesson_id=lesson, student_id=jg.students[0], work_date=today(),
                     work_type_id=jg.setup.work_type_ids["classwork"],
                     value_id=jg.setup.value_ids["4"], version=1))
    token = token_for(jg.teacher_login)

    def send(**change: Any) -> dict[str, Any]:
        return gql.post(SET_MARKS, {"input": {"lessonId": gid("Lesson", lesson), "marks": [{
            "studentId": gid("Person", jg.students[0]), "markId": gid("Mark", mark_id),
            **change}]}}, token=token)["data"]["setMarks"]

    # when
    changed = send(value="5")
    removed = send(remove=True)
    # then
    assert fields(changed) == [("input.marks.0.value", "INVALID")]
    assert removed["errors"] == [] and marks_count(database, jg) == 0


def test_attendance_and_topics_are_kept_in_a_group_taught_without_marks(
    gql, token_for, database: DatabaseUrls, configured: Setup
) -> None:
    # given
    jg = configured.grade1
    token = token_for(jg.teacher_login)
    lesson = gid("Lesson", lesson_today(database, jg))
    # when
    attendance = gql.post(SET_ATTENDANCE, {"input": {"lessonId": lesson, "entries": [
        {"studentId": gid("Person", jg.students[0]), "kind": "ABSENT"}]}}, token=token)
    topic = gql.post(UPDATE_LESSON, {"input": {"id": lesson, "topic": "Звуки и буквы"}},
                     token=token)
    # then
    assert attendance["data"]["setAttendance"] == {"entries": [{"kind": "ABSENT"}],
                                                   "errors": []}
    assert topic["data"]["updateLesson"] == {"lesson": {"topic": "Звуки и буквы"},
                                             "errors": []}


# --- period and year grades ------------------------------------------------------------------

def period_grade(gql, token: str, jg: JournalGroup, **choice: Any) -> dict[str, Any]:
    body = gql.post(SET_PERIOD_GRADE, {"input": {
        "groupId": gid("StudyGroup", jg.group_id), "periodId": gid("Period",
                                                                   jg.setup.period_ids[0]),
        "studentId": gid("Person", jg.students[0]), **choice}}, token=token)
    assert "errors" not in body, body
    return body["data"]["setPeriodGrade"]


@pytest.mark.parametrize("choice", [{"state": "GRADED", "value": "5"}, {"state": "EXEMPT"},
                                    {"state": "NOT_ATTESTED"}])
def test_period_grade_in_a_group_taught_without_marks_is_refused_in_every_state(
    gql, token_for, database: DatabaseUrls, configured: Setup, choice: dict[str, Any]
) -> None:
    # given
    jg = configured.grade1
    # when
    result = period_grade(gql, token_for(jg.teacher_login), jg, **choice)
    # then
    assert fields(result) == [("input.groupId", "INVALID")] and result["grade"] is None
    assert "taught without marks" in result["errors"][0]["message"]
    assert sql(database, jg.school.id, "SELECT 1 FROM grades WHERE school_id = :school "
               "AND group_id = :g", g=jg.group_id) == []


def test_period_grade_in_a_group_with_marks_is_accepted(
    gql, token_for, configured: Setup
) -> None:
    # given: the same school, the same period
    jg = configured.grade4_russian
    # when
    result = period_grade(gql, token_for(jg.teacher_login), jg, state="GRADED", value="4")
    # then
    assert result == {"grade": {"value": "4", "state": "GRADED"}, "errors": []}


def test_year_grades_of_a_group_taught_without_marks_are_refused(
    gql, token_for, configured: Setup
) -> None:
    # given
    jg = configured.grade1
    # when
    body = gql.post(SET_YEAR_GRADES, {"input": {
        "groupId": gid("StudyGroup", jg.group_id),
        "academicYearId": gid("AcademicYear", jg.school.year_id)}},
        token=token_for(configured.school.logins["admin"]))
    # then
    result = body["data"]["setYearGrades"]
    assert fields(result) == [("input.groupId", "INVALID")] and result["grades"] == []


# --- the journal page ------------------------------------------------------------------------

def test_journal_page_says_when_the_group_is_taught_without_marks(
    gql, token_for, configured: Setup
) -> None:
    # when
    flags = {}
    for which in ("grade1", "grade4_orkse", "cross_class", "grade4_russian", "grade6_orkse"):
        jg: JournalGroup = getattr(configured, which)
        body = gql.post(JOURNAL, {"groupId": gid("StudyGroup", jg.group_id),
                                  "periodId": gid("Period", jg.setup.period_ids[0])},
                        token=token_for(jg.teacher_login))
        assert "errors" not in body, body
        flags[which] = body["data"]["journal"]["withoutMarks"]
    # then
    assert flags == {"grade1": True, "grade4_orkse": True, "cross_class": True,
                     "grade4_russian": False, "grade6_orkse": False}
