"""Year-end documents (issue 15): a group's year page and the class's summary sheet (сводная
ведомость итоговых отметок), PDF and XLSX, and the class journal's title and contents pages —
over real HTTP, read back with pypdf and openpyxl, every figure compared with the API's.

One class of grade 9 in a year of its own (2003/2004, so no other test's groups share its
grade level and dates): four subjects (one split into two subgroups, one pass/fail), six
students. Everything a school gives go through the API as the administrator: period grades,
closing the periods, year grades (`setYearGrades`), an ОГЭ in algebra with test scores
(`createExamKind`, `setExamResults`), the class's final grades (`setFinalGrades`) and
archiving the year. The final grades are expected by the documented rule computed here
(tests/api/test_final_grades.py `expected_final`), and every grade the documents print is
compared with the API's (`journal`, `reportCard`), every figure with `aggregates` or with
docs/figures.md's definitions applied here to the API's grades. Every test prints the
archived year.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import openpyxl
import pytest
from pypdf import PdfReader
from sqlalchemy import select

from db import models as m
from db.engine import DatabaseUrls, libpq_dsn, owner_session
from db.tenancy import set_tenant
from resolvers.auth.passwords import hash_password
from resolvers.reports.year_end import Cell, cell, joined
from resolvers.reports.year_end_pdf import percent
from schema.ids import to_global_id as gid
from tests.api.test_exams import create_kind
from tests.api.test_final_grades import expected_final
from tests.factories import PASSWORD, TwoSchools
from tests.sql_counter import count_statements

QUARTERS = [(date(2003, 9, 1), date(2003, 10, 31)), (date(2003, 11, 10), date(2003, 12, 28)),
            (date(2004, 1, 12), date(2004, 3, 21)), (date(2004, 3, 31), date(2004, 5, 31))]
HALVES = [(date(2003, 9, 1), date(2003, 12, 28)), (date(2004, 1, 12), date(2004, 5, 31))]
NA, EX, DEF = "not_attested", "exempt", "deferred"
# Grade 10 of the same year works in half-years: its one group's grades, two students.
SENIOR_GRADES = [["5", "4"], ["3", NA]]
# Quarter grades per subject, a row per student (s0..s5).
GRADES: dict[str, list[list[str]]] = {
    "Алгебра": [["5", "5", "5", "5"], ["4", "4", "5", "4"], ["3", "3", "4", "3"],
                ["2", "3", "3", "3"], ["4", NA, "4", "4"], ["5", "5", DEF, "5"]],
    "История": [["5"] * 4, ["5"] * 4, ["4"] * 4, ["3"] * 4, [EX] * 4, ["4"] * 4],
    "Английский язык": [["5"] * 4, ["4"] * 4, ["4"] * 4, ["3"] * 4, ["3"] * 4, ["4"] * 4],
    "Физкультура": [["зачёт"] * 4, ["зачёт"] * 4, ["зачёт", "незачёт", "зачёт", "зачёт"],
                    ["зачёт"] * 4, ["зачёт"] * 4, ["зачёт"] * 4],
}
SUBGROUPS = {"Английский язык": [[0, 1, 2], [3, 4, 5]]}
# ОГЭ in algebra (a state exam of grade 9 that counts in the final grade, a test score out of
# 31): (grade or state, test score) per student; s4 (н/а for the year) sits none, s5 (ill)
# has it deferred to a reserve day. Final grades come from setFinalGrades: the year grade,
# and in algebra the mean of the year and exam grades rounded half up.
EXAMS: dict[str, list[tuple[str, float | None] | None]] = {
    "Алгебра": [("5", 29), ("5", 25.5), ("5", 24), ("4", 18), None, (DEF, None)]}
OGE_MAX = 31
EXAM_DEFERRED_UNTIL = "2004-06-25"
STATE_LABELS = {NA: "н/а", EX: "осв.", DEF: "отсрочка"}
STATES = {NA: "NOT_ATTESTED", EX: "EXEMPT", DEF: "DEFERRED"}

SET_PERIOD_GRADE = """
mutation Set($input: SetPeriodGradeInput!) { setPeriodGrade(input: $input) {
  grade { id } errors { field code message } } }"""
SET_YEAR_GRADES = """
mutation Set($input: SetYearGradesInput!) { setYearGrades(input: $input) {
  grades { state value student { id } } gaps { student { id } reason }
  errors { field code message } } }"""
CLOSE_PERIOD = """
mutation Close($input: ClosePeriodInput!) { closePeriod(input: $input) {
  errors { field code message } } }"""
SET_EXAM_RESULTS = """
mutation Set($input: SetExamResultsInput!) { setExamResults(input: $input) {
  grades { id } errors { field code message } } }"""
SET_FINAL_GRADES = """
mutation Set($input: SetFinalGradesInput!) { setFinalGrades(input: $input) {
  grades { state value suggestedValue student { id } subject { id } }
  gaps { student { id } subject { id } reason } errors { field code message } } }"""
REPORT_CARD = """
query Card($s: ID!, $y: ID!) { reportCard(studentId: $s, academicYearId: $y) {
  subjects { subject { id }
             yearGrade { state value }
             examGrades { state value testScore deferredUntil examKind { shortName } }
             finalGrade { state value } } } }"""
CLOSE_YEAR = """
mutation Close($input: CloseAcademicYearInput!) { closeAcademicYear(input: $input) {
  academicYear { status } errors { field code message } } }"""
JOURNAL = """
query J($g: ID!, $p: ID!) { journal(groupId: $g, periodId: $p) {
  students { studentId fullName periodGrade } } }"""
AGGREGATES = """
query A($filter: AggregateFilter!) { aggregates(filter: $filter) { rows {
  attainment { basis students passing quality successRate qualityRate notYetAttested } } } }"""


@dataclass
class Group:
    id: uuid.UUID
    subject: str
    name: str
    students: list[int]


@dataclass
class YearClass:
    school_id: uuid.UUID
    year_id: uuid.UUID
    year_name: str
    class_id: uuid.UUID
    class_name: str
    class_teacher: str
    class_teacher_login: str
    subject_teacher_login: str
    student_login: str
    guardian_login: str
    period_ids: list[uuid.UUID]
    students: list[uuid.UUID]
    names: list[str]
    groups: list[Group]
    subject_ids: dict[str, uuid.UUID]
    logins: dict[str, str] = field(default_factory=dict)
    # grade 10, half-years: a class with one group (История)
    senior_class_id: uuid.UUID = field(default_factory=uuid.uuid4)
    senior_group: Group | None = None
    senior_period_ids: list[uuid.UUID] = field(default_factory=list)
    senior_students: list[uuid.UUID] = field(default_factory=list)
    senior_names: list[str] = field(default_factory=list)
    # filled through the API
    period_grades: dict[tuple[str, int, int], str] = field(default_factory=dict)
    year_grades: dict[tuple[str, int], str] = field(default_factory=dict)
    exam_kind: dict[str, Any] = field(default_factory=dict)  # as createExamKind gave it
    final_grades: dict[tuple[str, int], str] = field(default_factory=dict)  # setFinalGrades
    final_gaps: dict[tuple[str, int], str] = field(default_factory=dict)  # … and its gaps
    five_point_id: uuid.UUID | None = None

    def index(self, printed_name: str) -> int:
        """The student of a name as a sheet holds it (a formula-like one after its «'»)."""
        return self.names.index(printed_name.removeprefix("'") if printed_name.startswith(
            "'=") else printed_name)

    def in_order(self, students: Any) -> list[int]:
        """Students as the documents list them: by name."""
        return sorted(students, key=lambda i: self.names[i])

    def groups_of(self, subject: str) -> list[Group]:
        return [g for g in self.groups if g.subject == subject]


def make_year_class(database: DatabaseUrls, schools: TwoSchools, *, hostile_name: str
                    ) -> YearClass:
    school = schools.a
    tag = uuid.uuid4().hex[:6]
    digest = hash_password(PASSWORD)
    with owner_session(database.owner) as s:
        set_tenant(s, [school.id])
        sid = school.id
        year = m.AcademicYear(school_id=sid, id=uuid.uuid4(), name=f"2003/2004 {tag}",
                              starts_on=QUARTERS[0][0], ends_on=QUARTERS[-1][1])
        s.add(year)
        s.flush()
        scheme = m.PeriodScheme(school_id=sid, id=uuid.uuid4(), academic_year_id=year.id,
                                name="Четверти", kind=m.SchemeKind.QUARTERS)
        s.add(scheme)
        s.flush()
        period_ids = []
        for n, (start, end) in enumerate(QUARTERS, start=1):
            p = m.Period(school_id=sid, id=uuid.uuid4(), scheme_id=scheme.id, ordinal=n,
                         name=f"{n} четверть", starts_on=start, ends_on=end)
            s.add(p)
            period_ids.append(p.id)
        s.add(m.GradeLevelScheme(school_id=sid, academic_year_id=year.id, grade_level=9,
                                 scheme_id=scheme.id))
        five = s.scalar(select(m.GradingSystem.id).where(
            m.GradingSystem.school_id == sid, m.GradingSystem.name == "Пятибалльная"))
        pass_fail = m.GradingSystem(school_id=sid, id=uuid.uuid4(), name=f"Зачёт {tag}",
                                    kind=m.GradingKind.PASS_FAIL, template_code="pass_fail")
        s.add(pass_fail)
        s.flush()
        for ordinal, (label, low, high, point, ok) in enumerate(
                [("незачёт", 0, 50, 25, False), ("зачёт", 50, 100, 75, True)], start=1):
            s.add(m.MarkValue(school_id=sid, system_id=pass_fail.id, label=label,
                              ordinal=ordinal, range_low=low, range_high=high, point=point,
                              counts_as_pass=ok))
        subject_ids = {}
        for name in GRADES:
            subject = m.Subject(school_id=sid, id=uuid.uuid4(), name=f"{name} {tag}",
                                short_name=name[:4])
            s.add(subject)
            subject_ids[name] = subject.id
        s.flush()
        s.add(m.GradingSystemUse(school_id=sid, academic_year_id=year.id, subject_id=None,
                                 grade_level=None, system_id=five))
        s.add(m.GradingSystemUse(school_id=sid, academic_year_id=year.id,
                                 subject_id=subject_ids["Физкультура"], grade_level=None,
                                 system_id=pass_fail.id))
        logins: dict[str, str] = {}

        def person(key: str, role: m.SchoolRole, last: str, *, login: bool = True
                   ) -> uuid.UUID:
            account_id = None
            if login:
                account = m.Account(id=uuid.uuid4(), login=f"yd.{tag}.{key}",
                                    password_hash=digest)
                s.add(account)
                s.flush()
                account_id = account.id
                logins[key] = account.login
            p = m.Person(school_id=sid, id=uuid.uuid4(), account_id=account_id,
                         last_name=last, first_name=f"Ю{tag}", external_id=f"yd.{tag}.{key}")
            s.add(p)
            s.flush()
            s.add(m.PersonRole(school_id=sid, person_id=p.id, role=role))
            return p.id

        class_teacher = person("ct", m.SchoolRole.TEACHER, "Руководова")
        subject_teacher = person("st", m.SchoolRole.TEACHER, "Алгебраистов")
        students = [person(f"s{i}", m.SchoolRole.STUDENT,
                           hostile_name if i == 2 else f"Ученик{i}", login=i == 0)
                    for i in range(6)]
        guardian = person("parent", m.SchoolRole.GUARDIAN, "Родителева")
        s.add(m.Guardianship(school_id=sid, guardian_id=guardian, student_id=students[0],
                             relation="mother"))
        klass = m.SchoolClass(school_id=sid, id=uuid.uuid4(), academic_year_id=year.id,
                              grade_level=9, letter=f"Д{tag[:3]}",
                              class_teacher_id=class_teacher)
        s.add(klass)
        s.flush()
        for student in students:
            s.add(m.Enrollment(school_id=sid, class_id=klass.id, student_id=student,
                               starts_on=QUARTERS[0][0]))
        groups = []
        for name, subject_id in subject_ids.items():
            parts = SUBGROUPS.get(name, [list(range(6))])
            split_id = None
            if len(parts) > 1:
                split = m.Split(school_id=sid, id=uuid.uuid4(), class_id=klass.id,
                                subject_id=subject_id)
                s.add(split)
                s.flush()
                split_id = split.id
            for n, members in enumerate(parts, start=1):
                suffix = f" (гр. {n})" if len(parts) > 1 else ""
                group = m.StudyGroup(
                    school_id=sid, id=uuid.uuid4(), academic_year_id=year.id,
                    subject_id=subject_id,
                    kind=m.GroupKind.SUBGROUP if suffix else m.GroupKind.WHOLE_CLASS,
                    class_id=klass.id, split_id=split_id, name=f"9Д {name}{suffix} {tag}")
                s.add(group)
                s.flush()
                for i in members:
                    s.add(m.GroupMembership(school_id=sid, group_id=group.id,
                                            student_id=students[i], starts_on=QUARTERS[0][0]))
                s.add(m.TeacherAssignment(
                    school_id=sid, group_id=group.id, starts_on=QUARTERS[0][0],
                    teacher_id=subject_teacher if name == "Алгебра" else class_teacher))
                groups.append(Group(group.id, name, group.name, members))
        s.flush()
        names = [f"{hostile_name if i == 2 else f'Ученик{i}'} Ю{tag}" for i in range(6)]
        year_id, year_name, class_id = year.id, year.name, klass.id
        # grade 10: half-years
        halves = m.PeriodScheme(school_id=sid, id=uuid.uuid4(), academic_year_id=year.id,
                                name="Полугодия", kind=m.SchemeKind.HALF_YEARS)
        s.add(halves)
        s.flush()
        senior_periods = []
        for n, (start, end) in enumerate(HALVES, start=1):
            p = m.Period(school_id=sid, id=uuid.uuid4(), scheme_id=halves.id, ordinal=n,
                         name=f"{n} полугодие", starts_on=start, ends_on=end)
            s.add(p)
            senior_periods.append(p.id)
        s.add(m.GradeLevelScheme(school_id=sid, academic_year_id=year.id, grade_level=10,
                                 scheme_id=halves.id))
        senior = m.SchoolClass(school_id=sid, id=uuid.uuid4(), academic_year_id=year.id,
                               grade_level=10, letter=f"Е{tag[:3]}",
                               class_teacher_id=class_teacher)
        s.add(senior)
        s.flush()
        history = m.StudyGroup(school_id=sid, id=uuid.uuid4(), academic_year_id=year.id,
                               subject_id=subject_ids["История"],
                               kind=m.GroupKind.WHOLE_CLASS, class_id=senior.id,
                               name=f"10Е История {tag}")
        s.add(history)
        s.flush()
        s.add(m.TeacherAssignment(school_id=sid, group_id=history.id,
                                  teacher_id=class_teacher, starts_on=QUARTERS[0][0]))
        senior_students = [person(f"t{i}", m.SchoolRole.STUDENT, f"Старший{i}", login=False)
                           for i in range(len(SENIOR_GRADES))]
        for student in senior_students:
            s.add(m.Enrollment(school_id=sid, class_id=senior.id, student_id=student,
                               starts_on=QUARTERS[0][0]))
            s.add(m.GroupMembership(school_id=sid, group_id=history.id, student_id=student,
                                    starts_on=QUARTERS[0][0]))
        senior_group = Group(history.id, "История", history.name,
                             list(range(len(senior_students))))
        senior_class_id = senior.id
    return YearClass(
        school_id=sid, year_id=year_id, year_name=year_name, class_id=class_id,
        class_name=f"9 «Д{tag[:3]}»", class_teacher=f"Руководова Ю{tag}",
        class_teacher_login=logins["ct"], subject_teacher_login=logins["st"],
        student_login=logins["s0"], guardian_login=logins["parent"], period_ids=period_ids,
        students=students, names=names, groups=groups, subject_ids=subject_ids,
        logins=logins, five_point_id=five, senior_class_id=senior_class_id,
        senior_group=senior_group,
        senior_period_ids=senior_periods, senior_students=senior_students,
        senior_names=[f"Старший{i} Ю{tag}" for i in range(len(senior_students))])


def post(gql: Any, document: str, name: str, token: str, **variables: Any) -> dict[str, Any]:
    body = gql.post(document, variables, token=token)
    assert "errors" not in body, body
    result = body["data"][name]
    assert result["errors"] == [], result
    return result


def label_of(grade: dict[str, Any]) -> str:
    """A grade of the API as the documents print it: its value, or its state."""
    if grade["state"] == "GRADED":
        return grade["value"]
    return STATE_LABELS[{v: k for k, v in STATES.items()}[grade["state"]]]


def exam_input(yc: YearClass, i: int, result: tuple[str, float | None]) -> dict[str, Any]:
    label, score = result
    student = gid("Person", yc.students[i])
    if label == DEF:
        return {"studentId": student, "state": "DEFERRED", "deferredReason": "болезнь",
                "deferredUntil": EXAM_DEFERRED_UNTIL}
    return {"studentId": student, "state": "GRADED", "value": label,
            **({"testScore": score} if score is not None else {})}


def close_the_year(gql: Any, token: str, yc: YearClass) -> None:
    """Period grades, closing, year grades, exams and finals, archiving — as a school does."""
    for subject, rows in GRADES.items():
        for group in yc.groups_of(subject):
            for i in group.students:
                for q, grade in enumerate(rows[i]):
                    state = STATES.get(grade, "GRADED")
                    extra: dict[str, Any] = {"value": grade} if state == "GRADED" else {}
                    if grade == DEF:
                        extra = {"deferredReason": "болезнь", "deferredUntil": "2004-06-20"}
                    post(gql, SET_PERIOD_GRADE, "setPeriodGrade", token, input={
                        "groupId": gid("StudyGroup", group.id),
                        "periodId": gid("Period", yc.period_ids[q]),
                        "studentId": gid("Person", yc.students[i]), "state": state, **extra})
                    yc.period_grades[(subject, i, q)] = STATE_LABELS.get(grade, grade)
    assert yc.senior_group is not None
    for i, grades in enumerate(SENIOR_GRADES):
        for h, grade in enumerate(grades):
            state = STATES.get(grade, "GRADED")
            post(gql, SET_PERIOD_GRADE, "setPeriodGrade", token, input={
                "groupId": gid("StudyGroup", yc.senior_group.id),
                "periodId": gid("Period", yc.senior_period_ids[h]),
                "studentId": gid("Person", yc.senior_students[i]), "state": state,
                **({"value": grade} if state == "GRADED" else {})})
    for period_id in [*yc.period_ids, *yc.senior_period_ids]:
        post(gql, CLOSE_PERIOD, "closePeriod", token, input={"periodId": gid("Period",
                                                                             period_id)})
    senior = post(gql, SET_YEAR_GRADES, "setYearGrades", token, input={
        "groupId": gid("StudyGroup", yc.senior_group.id),
        "academicYearId": gid("AcademicYear", yc.year_id)})
    assert [(g["state"], g["value"]) for g in senior["grades"]] == [
        ("GRADED", "5"), ("NOT_ATTESTED", None)]  # 4.5 rounds up; н/а stays
    for group in yc.groups:
        result = post(gql, SET_YEAR_GRADES, "setYearGrades", token, input={
            "groupId": gid("StudyGroup", group.id),
            "academicYearId": gid("AcademicYear", yc.year_id)})
        for g in result["grades"]:
            i = yc.students.index(uuid.UUID(raw(g["student"]["id"])))
            yc.year_grades[(group.subject, i)] = (
                g["value"] if g["state"] == "GRADED" else
                STATE_LABELS[{v: k for k, v in STATES.items()}[g["state"]]])
    # the ОГЭ in algebra: a state exam, its results entered by the administration
    assert yc.five_point_id is not None
    yc.exam_kind = create_kind(gql, token, yc.school_id, yc.five_point_id,
                               name=f"ОГЭ {raw_tag(yc)}", shortName="ОГЭ", level="STATE",
                               maxTestScore=OGE_MAX, gradeLevels=[9])
    for subject, results in EXAMS.items():
        for group in yc.groups_of(subject):
            given = [exam_input(yc, i, r) for i in group.students if (r := results[i])]
            if given:
                post(gql, SET_EXAM_RESULTS, "setExamResults", token, input={
                    "groupId": gid("StudyGroup", group.id), "examKindId": yc.exam_kind["id"],
                    "results": given})
    # the final grades of the whole class by the rule (not of the grade-10 class: it has none)
    finals = post(gql, SET_FINAL_GRADES, "setFinalGrades", token,
                  input={"classId": gid("SchoolClass", yc.class_id)})
    subject_of = {v: k for k, v in yc.subject_ids.items()}

    def key(g: dict[str, Any]) -> tuple[str, int]:
        return (subject_of[uuid.UUID(raw(g["subject"]["id"]))],
                yc.students.index(uuid.UUID(raw(g["student"]["id"]))))

    for g in finals["grades"]:
        assert g["value"] == g["suggestedValue"]
        yc.final_grades[key(g)] = label_of(g)
    yc.final_gaps = {key(g): g["reason"] for g in finals["gaps"]}
    archived = post(gql, CLOSE_YEAR, "closeAcademicYear", token,
                    input={"academicYearId": gid("AcademicYear", yc.year_id)})
    assert archived["academicYear"]["status"] == "ARCHIVED"


def raw(global_id: str) -> str:
    import base64

    return base64.b64decode(global_id).decode().split(":", 1)[1]


HOSTILE = "=HYPERLINK(\"http://x\")"


@pytest.fixture(scope="module")
def yc(gql: Any, token_for: Any, database: DatabaseUrls, schools: TwoSchools) -> YearClass:
    year_class = make_year_class(database, schools, hostile_name=HOSTILE)
    close_the_year(gql, token_for(schools.a.logins["admin"]), year_class)
    return year_class


@pytest.fixture(scope="module")
def http(server_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server_url, timeout=60) as client:
        yield client


def get(http: httpx.Client, path: str, params: dict[str, str], token: str | None
        ) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return http.get(path, params=params, headers=headers)


def pdf_pages(body: bytes) -> list[str]:
    return [page.extract_text() or "" for page in PdfReader(io.BytesIO(body)).pages]


def group_params(group: Group) -> dict[str, str]:
    return {"group": gid("StudyGroup", group.id)}


def class_params(yc: YearClass) -> dict[str, str]:
    return {"class": gid("SchoolClass", yc.class_id)}


def rows_of(sheet: Any) -> list[list[Any]]:
    return [[c.value for c in row] for row in sheet.iter_rows()]


# --- what the API says -----------------------------------------------------------------------

def api_period_grades(gql: Any, token: str, yc: YearClass) -> dict[tuple[str, int, int], str]:
    """Every period grade as the journal shows it."""
    out = {}
    for group in yc.groups:
        for q, period_id in enumerate(yc.period_ids):
            body = gql.post(JOURNAL, {"g": gid("StudyGroup", group.id),
                                      "p": gid("Period", period_id)}, token=token)
            for row in body["data"]["journal"]["students"]:
                i = yc.students.index(uuid.UUID(raw(row["studentId"])))
                if row["periodGrade"] is not None:
                    out[(group.subject, i, q)] = row["periodGrade"]
    return out


def api_attainment(gql: Any, token: str, yc: YearClass, q: int) -> dict[str, Any]:
    start, end = QUARTERS[q]
    body = gql.post(AGGREGATES, {"filter": {
        "schoolIds": [gid("School", yc.school_id)], "gradeLevels": [9],
        "from": start.isoformat(), "to": end.isoformat(),
        "periodId": gid("Period", yc.period_ids[q])}}, token=token)
    assert "errors" not in body, body
    (row,) = body["data"]["aggregates"]["rows"]
    return row["attainment"]


def exam_label_of(grade: dict[str, Any]) -> str:
    """An exam result of the API as the documents print it: its grade or state, then its
    kind's short name and test score."""
    about = [grade["examKind"]["shortName"]]
    if grade["testScore"] is not None:
        about.append(f"{grade['testScore']:g}".replace(".", ","))
    return f"{label_of(grade)} ({', '.join(about)})"


def api_cards(gql: Any, token: str, yc: YearClass) -> dict[tuple[str, int], dict[str, str]]:
    """Each student's year, exam and final grade per subject as `reportCard` gives them,
    labelled as the documents print them ("" where there is none)."""
    subject_of = {v: k for k, v in yc.subject_ids.items()}
    out = {}
    for i, student in enumerate(yc.students):
        body = gql.post(REPORT_CARD, {"s": gid("Person", student),
                                      "y": gid("AcademicYear", yc.year_id)}, token=token)
        assert "errors" not in body, body
        card = body["data"]["reportCard"]
        assert card is not None
        for row in card["subjects"]:
            out[(subject_of[uuid.UUID(raw(row["subject"]["id"]))], i)] = {
                "year": label_of(row["yearGrade"]) if row["yearGrade"] else "",
                "exam": "; ".join(exam_label_of(g) for g in row["examGrades"]),
                "final": label_of(row["finalGrade"]) if row["finalGrade"] else ""}
    return out


@pytest.fixture(scope="module")
def cards(gql: Any, token_for: Any, schools: TwoSchools, yc: YearClass
          ) -> dict[tuple[str, int], dict[str, str]]:
    return api_cards(gql, token_for(schools.a.logins["admin"]), yc)


Cards = dict[tuple[str, int], dict[str, str]]
LABEL_STATES = {v: k for k, v in STATE_LABELS.items()}
# The exam cells as entered (EXAMS), written out by hand.
EXAM_CELLS = ["5 (ОГЭ, 29)", "5 (ОГЭ, 25,5)", "5 (ОГЭ, 24)", "4 (ОГЭ, 18)", "",
              "отсрочка (ОГЭ)"]


def rule_final(yc: YearClass, subject: str, i: int) -> str:
    """The final grade by the documented rule (docs/results.md, computed by
    tests/api/test_final_grades.py `expected_final`) from the year grade the API gave and
    the exam results entered; "" for none."""
    year = yc.year_grades.get((subject, i))
    result = EXAMS.get(subject, [None] * 6)[i]
    exams = [("five", result[0], True)] if result else []
    if year is not None and year not in LABEL_STATES and not exams:
        return year  # no exam counts: the year grade (a зачёт too)
    state, value = expected_final(LABEL_STATES.get(year, year), exams)
    if state is None:
        return ""
    return value if state == "graded" else STATE_LABELS[state]


def class_figures(cards: Cards, column: str) -> list[Any]:
    """[students, passing, успеваемость, quality, качество, not yet attested] of the grade-9
    class in the year or final column, by docs/figures.md, from the API's grades."""
    students = passing = quality = pending = 0
    for i in range(6):
        labels = [cards[(subject, i)][column] for subject in GRADES]
        if any(label in ("", STATE_LABELS[DEF]) for label in labels):
            pending += 1  # missing or deferred: not yet attested
            continue
        results = [label for label in labels if label != STATE_LABELS[EX]]
        if not results:
            continue
        students += 1
        if any(label in (STATE_LABELS[NA], "2", "незачёт") for label in results):
            continue
        passing += 1
        graded = [label for label in results if label in ("2", "3", "4", "5")]
        quality += bool(graded) and all(label in ("4", "5") for label in graded)
    return [students, passing, round(passing / students, 4), quality,
            round(quality / students, 4), pending]


def test_the_api_holds_the_exam_results_and_the_final_grades_by_the_rule(
    yc: YearClass, cards: Cards,
) -> None:
    # the final grades setFinalGrades wrote are the rule's, computed here
    assert yc.final_grades == {(subject, i): final for subject in GRADES for i in range(6)
                               if (final := rule_final(yc, subject, i))}
    # by hand: s2's ОГЭ raised algebra's «3» to (3 + 5) / 2 = 4, s3's to (3 + 4) / 2 = 3.50 →
    # «4»; s4's н/а stays; s5 (deferred in the 3rd quarter) has no year grade: a gap
    assert [yc.final_grades.get(("Алгебра", i)) for i in range(6)] == [
        "5", "5", "4", "4", "н/а", None]
    assert yc.final_gaps == {("Алгебра", 5): "no year grade yet"}
    assert yc.final_grades[("История", 4)] == "осв."
    assert yc.final_grades[("Физкультура", 2)] == "зачёт"
    # the report card holds every one of them, and the exam results as entered
    assert sorted(cards) == sorted((subject, i) for subject in GRADES for i in range(6))
    for (subject, i), got in cards.items():
        assert got == {"year": yc.year_grades.get((subject, i), ""),
                       "exam": EXAM_CELLS[i] if subject == "Алгебра" else "",
                       "final": yc.final_grades.get((subject, i), "")}, (subject, i)


def test_the_journal_shows_what_the_year_was_given(
    gql: Any, token_for: Any, schools: TwoSchools, yc: YearClass,
) -> None:
    # the documents below are compared with these: the API holds every period grade set
    assert api_period_grades(gql, token_for(schools.a.logins["admin"]), yc) == yc.period_grades
    # and the year grades came out of the school's rule as the figures below assume
    assert yc.year_grades[("Алгебра", 3)] == "3" and yc.year_grades[("Алгебра", 4)] == "н/а"
    assert ("Алгебра", 5) not in yc.year_grades  # deferred in the 3rd quarter: a gap
    assert yc.year_grades[("Физкультура", 2)] == "зачёт"
    assert yc.year_grades[("История", 4)] == "осв."


CARD_PERIODS = """
query Card($s: ID!, $y: ID!) { reportCard(studentId: $s, academicYearId: $y) {
  subjects { subject { id }
             periods { period { id } closed grade { state value deferredUntil }
                       currentAverage { average } } } } }"""


def test_the_report_card_holds_every_period_grade_with_its_state_as_the_journal(
    gql: Any, token_for: Any, schools: TwoSchools, yc: YearClass,
) -> None:
    # given: the archived year, its period grades graded, н/а, осв. and отсрочка (set through
    # the API above), quarters for grade 9 and half-years for grade 10
    admin = token_for(schools.a.logins["admin"])
    subject_of = {v: k for k, v in yc.subject_ids.items()}
    assert yc.senior_group is not None
    students = [(student, i, yc.period_ids, None) for i, student in enumerate(yc.students)]
    students += [(student, i, yc.senior_period_ids, SENIOR_GRADES[i])
                 for i, student in enumerate(yc.senior_students)]
    seen_states: set[str] = set()
    for student, i, period_ids, senior in students:
        # when
        body = gql.post(CARD_PERIODS, {"s": gid("Person", student),
                                       "y": gid("AcademicYear", yc.year_id)}, token=admin)
        # then: each subject's periods are the class's scheme, closed, no running average;
        # each grade's label is the journal's (graded, н/а, осв., отсрочка with its date)
        assert "errors" not in body, body
        rows = body["data"]["reportCard"]["subjects"]
        expected_subjects = ["История"] if senior else list(GRADES)
        assert sorted(subject_of[uuid.UUID(raw(r["subject"]["id"]))] for r in rows) == sorted(
            expected_subjects)
        for r in rows:
            subject = subject_of[uuid.UUID(raw(r["subject"]["id"]))]
            assert [p["period"]["id"] for p in r["periods"]] == [
                gid("Period", p) for p in period_ids]
            assert all(p["closed"] and p["currentAverage"] is None for p in r["periods"])
            labels = [label_of(p["grade"]) if p["grade"] else None for p in r["periods"]]
            expected = ([STATE_LABELS.get(g, g) for g in senior] if senior else
                        [yc.period_grades[(subject, i, q)] for q in range(len(period_ids))])
            assert labels == expected, (subject, i, senior is not None)
            for p in r["periods"]:
                seen_states.add(p["grade"]["state"])
                assert p["grade"]["deferredUntil"] == (
                    "2004-06-20" if p["grade"]["state"] == "DEFERRED" else None)
    assert seen_states == {"GRADED", "NOT_ATTESTED", "EXEMPT", "DEFERRED"}


# --- the year page ---------------------------------------------------------------------------

def expected_year_row(yc: YearClass, cards: Cards, subject: str, i: int) -> list[str]:
    """The period grades as the journal gives them, the year, exam and final grades as the
    report card does."""
    api = cards[(subject, i)]
    return [*(yc.period_grades.get((subject, i, q), "") for q in range(4)),
            api["year"], api["exam"], api["final"]]


def test_year_page_xlsx_holds_every_grade_of_each_student_as_the_api(
    http: httpx.Client, token_for: Any, yc: YearClass, cards: Cards,
) -> None:
    for group in yc.groups:
        # when the class teacher prints the group's year page
        response = get(http, "/exports/year-page.xlsx", group_params(group),
                       token_for(yc.class_teacher_login))
        # then
        assert response.status_code == 200, response.text
        assert response.headers["cache-control"] == "no-store"
        rows = rows_of(openpyxl.load_workbook(io.BytesIO(response.content)).active)
        header = next(r for r in rows if r[0] == "№")
        assert header[2:9] == ["1 четверть", "2 четверть", "3 четверть", "4 четверть", "Год",
                               "Экзамен", "Итог"]
        body = rows[rows.index(header) + 1:rows.index(header) + 1 + len(group.students)]
        assert [yc.index(row[1]) for row in body] == yc.in_order(group.students)
        for row in body:
            assert [v or "" for v in row[2:9]] == expected_year_row(
                yc, cards, group.subject, yc.index(row[1]))
        cells = [c for r in rows for c in r if c is not None]
        assert f"{group.subject} {raw_tag(yc)}" in cells
        assert yc.class_teacher in " ".join(str(c) for c in cells)
        assert "Директор" in cells and "М.П." in cells


def test_year_page_pdf_names_the_school_year_students_and_signatures(
    http: httpx.Client, token_for: Any, schools: TwoSchools, yc: YearClass, cards: Cards,
) -> None:
    group = yc.groups_of("Алгебра")[0]
    # when the administrator prints it
    response = get(http, "/exports/year-page.pdf", group_params(group),
                   token_for(schools.a.logins["admin"]))
    # then
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    text = "\n".join(pdf_pages(response.content))
    assert schools.a.name in text and yc.year_name in text and "(архив)" in text
    assert yc.class_name in text and group.name in text
    for name in yc.names:
        assert name in text  # the formula-like name prints as text
    for label in ("Классный руководитель", "Директор", "Учитель", "М.П."):
        assert label in text
    assert yc.class_teacher in text and "Алгебраистов" in text
    assert "отсрочка до 20.06.2004" in text  # s5's deferral, with its date
    flat = " ".join(text.split())
    assert "Экзамен: отсрочка до 25.06.2004" in flat  # and of s5's exam
    for i in group.students:
        row = " ".join(label for label in expected_year_row(yc, cards, "Алгебра", i)
                       if label)
        assert f"{yc.names[i]} {row}" in flat, i


def test_year_page_and_summary_of_a_half_year_class_follow_its_own_scheme(
    http: httpx.Client, token_for: Any, yc: YearClass,
) -> None:
    assert yc.senior_group is not None
    token = token_for(yc.class_teacher_login)
    # when the class teacher of the grade-10 class prints its year page and summary
    page = get(http, "/exports/year-page.xlsx", group_params(yc.senior_group), token)
    summary = get(http, "/exports/class-summary.xlsx",
                  {"class": gid("SchoolClass", yc.senior_class_id)}, token)
    # then their columns are the half-years of grade 10, not the quarters of grade 9
    assert page.status_code == summary.status_code == 200
    rows = rows_of(openpyxl.load_workbook(io.BytesIO(page.content)).active)
    header = next(r for r in rows if r[0] == "№")
    assert header[2:8] == ["1 полугодие", "2 полугодие", "Год", "Экзамен", "Итог",
                           "Примечание"]
    body = rows[rows.index(header) + 1:rows.index(header) + 3]
    assert [r[1:5] for r in body] == [[yc.senior_names[0], "5", "4", "5"],
                                      [yc.senior_names[1], "3", "н/а", "н/а"]]
    book = openpyxl.load_workbook(io.BytesIO(summary.content))
    grid = rows_of(book["Сводная ведомость"])
    titles = next(r for n, r in enumerate(grid) if n and grid[n - 1][0] == "№"
                  and r[0] == "№")
    assert titles[2:] == ["1 полугодие", "2 полугодие", "Год", "Итог"]
    totals = {r[0]: r for r in rows_of(book["Итоги"])[3:]}
    assert list(totals) == ["1 полугодие", "2 полугодие", "Год", "Итог"]
    # the year: one «5» passes with quality, one н/а fails; no final grade yet: pending
    assert totals["Год"][5:11] == [2, 1, 0.5, 1, 0.5, 0]
    assert totals["Итог"][5:11] == [0, 0, None, 0, None, 2]


# --- the summary sheet -----------------------------------------------------------------------

COLUMN_TITLES = ["1 четверть", "2 четверть", "3 четверть", "4 четверть", "Год", "Итог"]


def expected_cells(yc: YearClass, cards: Cards, subject: str, i: int) -> list[str]:
    """A summary row's cells of a subject: the journal's period grades, the report card's
    year and final grades."""
    api = cards[(subject, i)]
    return [*(yc.period_grades.get((subject, i, q), "") for q in range(4)),
            api["year"], api["final"]]


def bands(labels: list[str]) -> list[int]:
    counted = Counter(labels)
    return [counted[b] for b in ("5", "4", "3", "2")]


def test_summary_xlsx_holds_students_by_subjects_with_counts_and_figures(
    http: httpx.Client, gql: Any, token_for: Any, schools: TwoSchools, yc: YearClass,
    cards: Cards,
) -> None:
    admin = token_for(schools.a.logins["admin"])
    # when the class teacher prints the summary sheet
    response = get(http, "/exports/class-summary.xlsx", class_params(yc),
                   token_for(yc.class_teacher_login))
    # then
    assert response.status_code == 200, response.text
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    rows = rows_of(book["Сводная ведомость"])
    top = next(n for n, r in enumerate(rows) if r[0] == "№")
    header = [c for c in rows[top][2:] if c]
    assert sorted(header) == sorted(f"{s} {raw_tag(yc)}" for s in GRADES)
    subjects = [name.rsplit(" ", 1)[0] for name in header]  # in the sheet's order
    assert rows[top + 1][2:8] == COLUMN_TITLES
    students = rows[top + 2:top + 8]
    assert [yc.index(row[1]) for row in students] == yc.in_order(range(6))
    for row in students:
        i = yc.index(row[1])
        expected = [c for s in subjects for c in expected_cells(yc, cards, s, i)]
        assert [v or "" for v in row[2:]] == expected, i
    counts = {r[1]: r[2:] for r in rows[top + 8:top + 12]}
    for n, subject in enumerate(subjects):
        for c, _title in enumerate(COLUMN_TITLES):
            column = [expected_cells(yc, cards, subject, i)[c] for i in range(6)]
            got = [counts[f"Отметок «{b}»"][n * 6 + c] for b in ("5", "4", "3", "2")]
            assert got == bands(column), (subject, c)
    # the class's figures: each quarter as `aggregates` computes them from period grades
    totals = rows_of(book["Итоги"])
    by_title = {r[0]: r for r in totals[3:]}
    assert list(by_title) == COLUMN_TITLES
    for q in range(4):
        api = api_attainment(gql, admin, yc, q)
        assert api["basis"] == "PERIOD_GRADES"
        row = by_title[COLUMN_TITLES[q]]
        assert row[5:11] == [api["students"], api["passing"], api["successRate"],
                             api["quality"], api["qualityRate"], api["notYetAttested"]], q
    # quarter 2 by hand (docs/figures.md): s2 failed physical education, s4 н/а in algebra
    assert by_title["2 четверть"][5:11] == [6, 4, 0.6667, 3, 0.5, 0]
    # the year and the final grades: as docs/figures.md defines them over the API's grades
    assert by_title["Год"][5:11] == class_figures(cards, "year")
    assert by_title["Итог"][5:11] == class_figures(cards, "final")
    # the year by hand: s5 is not yet attested (deferred), s4 fails (н/а), s2 and s3 pass
    # with a «3»
    assert by_title["Год"][5:11] == [5, 4, 0.8, 2, 0.4, 1]
    # the final grades by hand: s2's exam raised algebra to «4» (quality now), s3's too
    # (history «3» keeps s3 out of quality); s5 still has no year grade, so no final grade
    assert by_title["Итог"][5:11] == [5, 4, 0.8, 3, 0.6, 1]
    # counts in all = the sum over the subjects
    for c, title in enumerate(COLUMN_TITLES):
        labels = [expected_cells(yc, cards, s, i)[c] for s in subjects for i in range(6)]
        assert by_title[title][1:5] == bands(labels), title
    assert book["Итоги"]["H4"].number_format == "0.00%"


def raw_tag(yc: YearClass) -> str:
    return yc.year_name.split()[-1]


def test_summary_pdf_prints_every_student_subject_and_figure(
    http: httpx.Client, gql: Any, token_for: Any, schools: TwoSchools, yc: YearClass,
    cards: Cards,
) -> None:
    admin = token_for(schools.a.logins["admin"])
    # when
    response = get(http, "/exports/class-summary.pdf", class_params(yc), admin)
    # then
    assert response.status_code == 200, response.text
    pages = pdf_pages(response.content)
    text = "\n".join(pages)
    flat = " ".join(text.split())
    assert "Сводная ведомость итоговых отметок" in text
    assert schools.a.name in text and yc.year_name in text and yc.class_name in text
    for subject in GRADES:
        assert f"{subject} {raw_tag(yc)}" in flat
    for name in yc.names:
        assert text.count(name) == len(COLUMN_TITLES)  # a table per column
    assert "Директор" in text and "Классный руководитель" in text and yc.class_teacher in text
    for q in range(4):
        api = api_attainment(gql, admin, yc, q)
        assert (f"{COLUMN_TITLES[q]}: успеваемость {percent(api['successRate'])} "
                f"({api['passing']} из {api['students']}), качество "
                f"{percent(api['qualityRate'])}") in flat
    for title, column in (("Год", "year"), ("Итог", "final")):
        students, passing, success, quality, share, pending = class_figures(cards, column)
        assert (f"{title}: успеваемость {percent(success)} ({passing} из {students}), "
                f"качество {percent(share)} ({quality} из {students}); "
                f"не аттестованы пока: {pending}") in flat
    assert "Год: успеваемость 80,00 % (4 из 5), качество 40,00 % (2 из 5); " \
           "не аттестованы пока: 1" in flat
    assert "Итог: успеваемость 80,00 % (4 из 5), качество 60,00 % (3 из 5); " \
           "не аттестованы пока: 1" in flat


def test_summary_statements_do_not_grow_with_the_class(
    http: httpx.Client, token_for: Any, database: DatabaseUrls, schools: TwoSchools,
    yc: YearClass,
) -> None:
    # given a class of one student and one group in the same school
    small = small_class(database, yc)
    admin = token_for(schools.a.logins["admin"])

    def statements(class_id: uuid.UUID, path: str) -> int:
        with count_statements() as counter:
            response = get(http, path, {"class": gid("SchoolClass", class_id)}, admin)
        assert response.status_code == 200, response.text
        return counter.count

    def page_statements(group_id: uuid.UUID) -> int:
        with count_statements() as counter:
            response = get(http, "/exports/year-page.pdf",
                           {"group": gid("StudyGroup", group_id)}, admin)
        assert response.status_code == 200, response.text
        return counter.count

    # then six students in five groups take as many statements as one in one
    for path in ("/exports/class-summary.xlsx", "/exports/class-summary.pdf"):
        assert statements(yc.class_id, path) == statements(small[0], path), path
    assert page_statements(yc.groups[0].id) == page_statements(small[1])


def small_class(database: DatabaseUrls, yc: YearClass) -> tuple[uuid.UUID, uuid.UUID]:
    """A class of grade 8 in the same year (not grade 9: the figures compared with
    `aggregates` count grade 9), one student, one group, one grade."""
    sid = yc.school_id
    with owner_session(database.owner) as s:
        set_tenant(s, [sid])
        student = m.Person(school_id=sid, id=uuid.uuid4(), last_name="Один",
                           first_name="Ученик")
        klass = m.SchoolClass(school_id=sid, id=uuid.uuid4(), academic_year_id=yc.year_id,
                              grade_level=8, letter=uuid.uuid4().hex[:4])
        s.add_all([student, klass])
        s.flush()
        group = m.StudyGroup(school_id=sid, id=uuid.uuid4(), academic_year_id=yc.year_id,
                             subject_id=yc.subject_ids["История"],
                             kind=m.GroupKind.WHOLE_CLASS, class_id=klass.id, name="8 малый")
        s.add(group)
        s.flush()
        s.add(m.Enrollment(school_id=sid, class_id=klass.id, student_id=student.id,
                           starts_on=QUARTERS[0][0]))
        s.add(m.GroupMembership(school_id=sid, group_id=group.id, student_id=student.id,
                                starts_on=QUARTERS[0][0]))
        s.add(m.Grade(school_id=sid, id=uuid.uuid4(), academic_year_id=yc.year_id,
                      student_id=student.id, subject_id=yc.subject_ids["История"],
                      kind=m.GradeKind.YEAR, group_id=group.id,
                      state=m.GradeState.EXEMPT))
        return klass.id, group.id


# --- who may print ---------------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/exports/year-page.pdf", "/exports/year-page.xlsx",
                                  "/exports/class-summary.pdf", "/exports/class-summary.xlsx"])
def test_year_documents_are_not_found_for_anyone_else_alike_a_missing_one(
    path: str, http: httpx.Client, gql: Any, token_for: Any, schools: TwoSchools,
    yc: YearClass,
) -> None:
    from tests.api.test_journal import issue_read_token

    by_group = path.startswith("/exports/year-page")
    real = group_params(yc.groups[0]) if by_group else class_params(yc)
    missing_id = (gid("StudyGroup", uuid.uuid4()) if by_group
                  else gid("SchoolClass", uuid.uuid4()))
    missing = get(http, path, {next(iter(real)): missing_id},
                  token_for(schools.a.logins["admin"]))
    assert missing.status_code == 404
    # the group's own subject teacher, another class's teacher, the student, the guardian,
    # another school's administrator, officers and a READ token of the school: the same
    # answer as for nothing at all
    tokens = {login: token_for(login) for login in (
        yc.subject_teacher_login, schools.a.logins["class_teacher"],
        schools.a.logins["teacher"], yc.student_login, yc.guardian_login,
        schools.b.logins["admin"], schools.officer_logins["region"],
        schools.officer_logins["muni_a"])}
    tokens["READ token of school A"] = issue_read_token(gql, token_for, schools)
    for who, token in tokens.items():
        response = get(http, path, real, token)
        assert response.status_code == 404, who
        assert response.content == missing.content, who
    # the class teacher gets it (the test can fail)
    assert get(http, path, real, token_for(yc.class_teacher_login)).status_code == 200
    for token in (None, "not-a-token"):
        assert get(http, path, real, token).status_code == 401


def test_year_documents_with_a_malformed_id_are_a_bad_request(
    http: httpx.Client, token_for: Any, schools: TwoSchools, yc: YearClass,
) -> None:
    admin = token_for(schools.a.logins["admin"])
    for path, parameter, wrong in (
            ("/exports/year-page.pdf", "group", gid("SchoolClass", yc.class_id)),
            ("/exports/class-summary.xlsx", "class", gid("StudyGroup", yc.groups[0].id))):
        for params in ({parameter: "nonsense"}, {parameter: wrong}, {}):
            response = get(http, path, params, admin)
            assert response.status_code == 400, (path, params)
            assert response.json()["message"].startswith(f"{parameter}:")


def test_summary_xlsx_neutralises_formulas(
    http: httpx.Client, token_for: Any, schools: TwoSchools, yc: YearClass,
) -> None:
    for path, params in (("/exports/class-summary.xlsx", class_params(yc)),
                         ("/exports/year-page.xlsx", group_params(yc.groups[0]))):
        response = get(http, path, params, token_for(schools.a.logins["admin"]))
        book = openpyxl.load_workbook(io.BytesIO(response.content))
        cells = [c for sheet in book for row in sheet.iter_rows() for c in row]
        hostile = [c for c in cells if isinstance(c.value, str) and "HYPERLINK" in c.value]
        assert hostile, path
        assert all(c.value.startswith("'=") and c.data_type == "s" for c in hostile), path
        assert not any(c.data_type == "f" for c in cells), path


# --- the class journal: title page and contents ----------------------------------------------

def test_class_journal_pdf_opens_with_a_title_page_and_contents_with_page_numbers(
    http: httpx.Client, token_for: Any, schools: TwoSchools, yc: YearClass,
) -> None:
    # when the class teacher prints the class journal of the first quarter
    response = get(http, "/exports/class-journal.pdf",
                   {"class": gid("SchoolClass", yc.class_id),
                    "period": gid("Period", yc.period_ids[0])},
                   token_for(yc.class_teacher_login))
    # then page 1 is the title page, page 2 the contents, then the groups
    assert response.status_code == 200, response.text
    pages = pdf_pages(response.content)
    title = " ".join(pages[0].split())
    assert "КЛАССНЫЙ ЖУРНАЛ" in title and schools.a.name in title
    assert yc.class_name in title and yc.year_name in title
    assert f"Классный руководитель: {yc.class_teacher}" in title
    contents = " ".join(pages[1].split())
    assert "Содержание № Предмет Группа Учитель Стр." in contents
    contents = contents[contents.index("Содержание"):]
    starts = []
    for group in sorted(yc.groups, key=lambda g: (f"{g.subject} {raw_tag(yc)}", g.name)):
        # each group's line ends with the page it starts on, and that page is its header
        page = _page_of(contents[contents.index(group.name):], yc)
        assert group.name in " ".join(pages[page - 1].split())
        assert "Классный журнал" in pages[page - 1]
        starts.append(page)
    assert starts == sorted(starts) and starts[0] == 3
    assert len(set(starts)) == len(yc.groups)


def _page_of(line: str, yc: YearClass) -> int:
    """The page number at the end of a contents line (the first bare number after the
    group's teacher)."""
    words = line.split()
    teacher_end = next(n for n, w in enumerate(words) if w.startswith(f"Ю{raw_tag(yc)}"))
    return int(words[teacher_end + 1])


# --- the command line ------------------------------------------------------------------------

def test_print_year_page_and_summary_commands_write_pdf_and_xlsx(
    tmp_path: Path, database: DatabaseUrls, yc: YearClass,
) -> None:
    zhurnal = str(Path(sys.executable).parent / "zhurnal")
    env = {**os.environ, "COLUMNS": "200", "DATABASE_URL": libpq_dsn(database.owner)}

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([zhurnal, "print", *args], capture_output=True, text=True,
                              env=env, timeout=120, check=False)

    group = yc.groups_of("Алгебра")[0]
    # when
    page = run("year-page", "--group", str(group.id), "--out", str(tmp_path / "page.pdf"))
    summary = run("summary", "--class", gid("SchoolClass", yc.class_id),
                  "--out", str(tmp_path / "summary.xlsx"))
    # then
    assert page.returncode == 0, page.stderr
    assert summary.returncode == 0, summary.stderr
    assert yc.names[0] in "\n".join(pdf_pages((tmp_path / "page.pdf").read_bytes()))
    book = openpyxl.load_workbook(tmp_path / "summary.xlsx")
    assert book.sheetnames == ["Сводная ведомость", "Итоги"]
    # an unknown class and a file of another kind are one clear line each, no file
    missing = run("summary", "--class", str(uuid.uuid4()), "--out", str(tmp_path / "m.pdf"))
    wrong = run("summary", "--class", str(yc.class_id), "--out", str(tmp_path / "m.csv"))
    for result in (missing, wrong):
        assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "no such group or class" in missing.stderr and ".xlsx" in wrong.stderr
    assert not (tmp_path / "m.pdf").exists() and not (tmp_path / "m.csv").exists()


# --- the pieces ------------------------------------------------------------------------------

def test_several_exam_results_of_a_subject_share_one_cell() -> None:
    # given two exams in one subject (issue 15 part B allows several kinds of exam)
    oge = cell("graded", "4", 4, None)
    retake = cell("deferred", None, None, date(2004, 6, 20))
    # then one cell holds both labels and the deferral's date, and counts in no band
    assert joined([oge, retake]) == Cell("4; отсрочка", None, "отсрочка до 20.06.2004")
    assert joined([oge]) == Cell("4", 4)
    assert [cell(state, None, None, None).label for state in (NA, EX)] == ["н/а", "осв."]
    assert percent(0.6667) == "66,67 %" and percent(None) == "—"


def test_an_exam_cell_names_the_exam_kind_and_the_test_score() -> None:
    # given exam results as the documents read them: a kind's short name, a test score
    def exam(state: str, label: str | None, score: str | None, until: date | None = None,
             kind: str = "ОГЭ") -> Cell:
        return cell(state, label, 5 if label == "5" else None, until, exam_kind=kind,
                    test_score=Decimal(score) if score else None)

    # then the grade, then the kind and the score, without trailing zeros, a decimal comma
    assert exam("graded", "5", "78.00") == Cell("5 (ОГЭ, 78)", 5)
    assert exam("graded", "5", "25.50") == Cell("5 (ОГЭ, 25,5)", 5)
    assert exam("graded", "5", "100.00", kind="ЕГЭ").label == "5 (ЕГЭ, 100)"
    assert exam("graded", "4", None, kind="Перев.").label == "4 (Перев.)"
    assert exam("deferred", None, None, date(2004, 6, 25)) == Cell(
        "отсрочка (ОГЭ)", None, "отсрочка до 25.06.2004")
    assert exam("not_attested", None, None).label == "н/а (ОГЭ)"
    # several in one cell
    assert joined([exam("graded", "4", "18.00"), exam("graded", "5", None, kind="Перев.")]
                  ).label == "4 (ОГЭ, 18); 5 (Перев.)"
    # a grade of another kind has no exam kind: as before
    assert cell("graded", "5", 5, None) == Cell("5", 5)
