"""File exports: the printed journal (PDF, XLSX), the class journal, the monthly report, over
real HTTP with the API's bearer tokens, and the `zhurnal print` / `zhurnal report` commands.

Each journal test builds its own class (tests/journal_factory.py) and writes topics, marks
and attendance directly as the owner.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import openpyxl
import pytest
from pypdf import PdfReader
from sqlalchemy import select, update

from db import models as m
from db.engine import DatabaseUrls, libpq_dsn, owner_session
from db.tenancy import set_tenant
from resolvers.reports.pdf import MONTHLY_TABLES, OTHER_TABLE, monthly_groups, monthly_pdf
from resolvers.reports.spreadsheets import safe_cell
from resolvers.reports.sql import HEADERS, MonthlyReport, MonthlyRow, month_span
from schema.ids import to_global_id
from tests.api.test_reports import counts
from tests.factories import TwoSchools
from tests.journal_factory import JournalGroup, make_journal_group

ZHURNAL = str(Path(sys.executable).parent / "zhurnal")
Q1 = 0
HOSTILE_TOPICS = ["<b>жирный</b> шрифт", "<script>alert(1)</script>", "=1+2", "@SUM(A1)",
                  "-2+3", "+7 (999)"]


@pytest.fixture(scope="module")
def http(server_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server_url, timeout=60) as client:
        yield client


def get(http: httpx.Client, path: str, params: dict[str, str], token: str | None
        ) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return http.get(path, params=params, headers=headers)


def journal_params(jg: JournalGroup, group_id: uuid.UUID | None = None) -> dict[str, str]:
    return {"group": to_global_id("StudyGroup", group_id or jg.group_id),
            "period": to_global_id("Period", jg.setup.period_ids[Q1])}


def pdf_text(body: bytes) -> str:
    return "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(body)).pages)


def fill(database: DatabaseUrls, jg: JournalGroup) -> None:
    """Hostile topics, homework, a mark for everyone and a few absences."""
    with owner_session(database.owner) as s:
        set_tenant(s, [jg.school.id])
        for n, lesson_id in enumerate(jg.lesson_ids):
            s.execute(update(m.Lesson).where(m.Lesson.school_id == jg.school.id,
                                             m.Lesson.id == lesson_id)
                      .values(topic=HOSTILE_TOPICS[n % len(HOSTILE_TOPICS)],
                              homework=f"Упражнение {n + 1}"))
        for i, student in enumerate(jg.students):
            s.add(m.Mark(school_id=jg.school.id, id=uuid.uuid4(), group_id=jg.group_id,
                         lesson_id=jg.lesson_ids[0], student_id=student,
                         work_date=jg.lesson_dates[0],
                         work_type_id=jg.setup.work_type_ids["classwork"],
                         value_id=jg.setup.value_ids["5" if i % 2 else "4"]))
        s.add(m.Attendance(school_id=jg.school.id, lesson_id=jg.lesson_ids[1],
                           student_id=jg.students[0], kind=m.AttendanceKind.ILL))
        s.add(m.Attendance(school_id=jg.school.id, lesson_id=jg.lesson_ids[2],
                           student_id=jg.students[0], kind=m.AttendanceKind.ABSENT))


def student_names(database: DatabaseUrls, jg: JournalGroup) -> list[str]:
    with owner_session(database.owner) as s:
        set_tenant(s, [jg.school.id])
        return [f"{last} {first}" for last, first in s.execute(
            select(m.Person.last_name, m.Person.first_name)
            .where(m.Person.id.in_(jg.students)))]


@pytest.fixture(scope="module")
def page(database: DatabaseUrls, schools: TwoSchools) -> JournalGroup:
    jg = make_journal_group(database.owner, schools.a, students=3, lessons=len(HOSTILE_TOPICS))
    fill(database, jg)
    return jg


# --- the journal page ------------------------------------------------------------------------

def test_journal_pdf_is_printed_for_the_groups_teacher_and_the_administrator(
    http: httpx.Client, token_for, database: DatabaseUrls, schools: TwoSchools,
    page: JournalGroup,
) -> None:
    for login in (page.teacher_login, schools.a.logins["admin"]):
        # when
        response = get(http, "/exports/journal.pdf", journal_params(page), token_for(login))
        # then
        assert response.status_code == 200, response.text
        assert response.headers["content-type"] == "application/pdf"
        assert response.headers["cache-control"] == "no-store"
        assert "filename*=UTF-8''" in response.headers["content-disposition"]
        text = pdf_text(response.content)
        for name in student_names(database, page):
            assert name in text
        assert "Классный журнал" in text
        assert "М.П." in text
        assert "Заместитель директора" in text
        assert "Русский язык (журнал)" in text


def test_journal_pdf_prints_user_text_as_text(
    http: httpx.Client, token_for, page: JournalGroup,
) -> None:
    # when
    response = get(http, "/exports/journal.pdf", journal_params(page),
                   token_for(page.teacher_login))
    # then the markup in the topics is printed literally, not interpreted
    text = pdf_text(response.content)
    assert "<b>жирный</b> шрифт" in text
    assert "<script>alert(1)</script>" in text
    assert "Упражнение 1" in text


def test_journal_xlsx_is_exported_with_cyrillic_and_neutralised_formulas(
    http: httpx.Client, token_for, database: DatabaseUrls, schools: TwoSchools,
    page: JournalGroup,
) -> None:
    for login in (page.teacher_login, schools.a.logins["admin"]):
        # when
        response = get(http, "/exports/journal.xlsx", journal_params(page), token_for(login))
        # then
        assert response.status_code == 200, response.text
        assert response.headers["content-type"].startswith(
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        book = openpyxl.load_workbook(io.BytesIO(response.content))
        assert book.sheetnames == ["Отметки", "Темы и задания", "Посещаемость"]
        grid_text = [c.value for row in book["Отметки"].iter_rows() for c in row]
        for name in student_names(database, page):
            assert name in grid_text
        assert "Русский язык (журнал)" in grid_text
        topics = {row[0].row: row for row in book["Темы и задания"].iter_rows(min_row=2)}
        cells = {row[3].value: row[3] for row in topics.values()}
        for hostile in ("=1+2", "@SUM(A1)", "-2+3", "+7 (999)"):
            cell = cells["'" + hostile]
            assert cell.data_type == "s"
        assert "<b>жирный</b> шрифт" in cells
        assert not any(c.data_type == "f" for sheet in book for row in sheet.iter_rows()
                       for c in row)


def test_journal_xlsx_grid_aligns_marks_and_attendance_with_dates(
    http: httpx.Client, token_for, database: DatabaseUrls, page: JournalGroup,
) -> None:
    # when
    response = get(http, "/exports/journal.xlsx", journal_params(page),
                   token_for(page.teacher_login))
    # then the header row has the lesson dates and the first student's cells line up
    sheet = openpyxl.load_workbook(io.BytesIO(response.content))["Отметки"]
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    header = next(r for r in rows if r[0] == "№")
    assert header[2:2 + len(page.lesson_dates)] == [f"{d:%d.%m}" for d in page.lesson_dates]
    assert header[-2:] == ["Средний балл", "Оценка за период"]
    first = rows[rows.index(header) + 1]
    assert first[2:5] == ["4", "б", "н"]
    attendance = openpyxl.load_workbook(io.BytesIO(response.content))["Посещаемость"]
    summary = [c.value for c in next(attendance.iter_rows(min_row=2, max_row=2))]
    assert summary[2:7] == [1, 1, 0, 0, 2]  # н, б, у, оп, missed lessons


@pytest.mark.parametrize("path", ["/exports/journal.pdf", "/exports/journal.xlsx"])
def test_journal_export_is_not_found_for_anyone_else_alike_a_missing_group(
    path: str, http: httpx.Client, token_for, schools: TwoSchools, page: JournalGroup,
) -> None:
    # given the answer for a group that does not exist
    missing = get(http, path, journal_params(page, uuid.uuid4()),
                  token_for(schools.a.logins["admin"]))
    assert missing.status_code == 404
    # when anyone else asks for the real group
    for login in (schools.a.logins["teacher"], schools.a.logins["class_teacher"],
                  page.student_logins[0], page.guardian_login, schools.a.logins["student"],
                  schools.b.logins["admin"], schools.officer_logins["region"],
                  schools.officer_logins["muni_a"]):
        response = get(http, path, journal_params(page), token_for(login))
        # then the answer is the same
        assert response.status_code == 404, login
        assert response.content == missing.content, login


def test_journal_export_needs_a_token(
    http: httpx.Client, page: JournalGroup,
) -> None:
    for path in ("/exports/journal.pdf", "/exports/journal.xlsx",
                 "/exports/class-journal.pdf", "/exports/monthly-report.xlsx"):
        for token in (None, "not-a-token"):
            # when
            response = get(http, path, journal_params(page), token)
            # then
            assert response.status_code == 401, path
            assert response.headers["www-authenticate"] == "Bearer"
            assert response.json()["error"] == "UNAUTHENTICATED"


def test_journal_export_with_a_malformed_or_missing_id_is_a_bad_request(
    http: httpx.Client, token_for, schools: TwoSchools, page: JournalGroup,
) -> None:
    token = token_for(schools.a.logins["admin"])
    for params in ({"group": "nonsense", "period": journal_params(page)["period"]},
                   {"group": to_global_id("Period", page.group_id),
                    "period": journal_params(page)["period"]},
                   {"period": journal_params(page)["period"]}):
        # when
        response = get(http, "/exports/journal.pdf", params, token)
        # then
        assert response.status_code == 400
        assert response.json()["message"].startswith("group:")


def test_journal_export_of_a_period_of_another_school_is_not_found(
    http: httpx.Client, token_for, schools: TwoSchools, database: DatabaseUrls,
    page: JournalGroup,
) -> None:
    # given a period of school B (its journal setup)
    other = make_journal_group(database.owner, schools.b, students=1, lessons=1)
    params = {"group": journal_params(page)["group"],
              "period": to_global_id("Period", other.setup.period_ids[Q1])}
    # when
    response = get(http, "/exports/journal.pdf", params, token_for(schools.a.logins["admin"]))
    # then
    assert response.status_code == 404


# --- the class journal -----------------------------------------------------------------------

def add_literature_group(database: DatabaseUrls, jg: JournalGroup) -> str:
    """A second group of the class, another subject, with its own teacher and one lesson."""
    name = f"Литература {uuid.uuid4().hex[:6]}"
    with owner_session(database.owner) as s:
        set_tenant(s, [jg.school.id])
        subject = m.Subject(school_id=jg.school.id, id=uuid.uuid4(), name=name,
                            short_name="Лит")
        s.add(subject)
        s.flush()
        group = m.StudyGroup(school_id=jg.school.id, id=uuid.uuid4(),
                             academic_year_id=jg.school.year_id, subject_id=subject.id,
                             kind=m.GroupKind.WHOLE_CLASS, class_id=jg.class_id,
                             name=f"{name} группа")
        s.add(group)
        s.flush()
        for student in jg.students:
            s.add(m.GroupMembership(school_id=jg.school.id, group_id=group.id,
                                    student_id=student, starts_on=date(2015, 9, 1)))
        # its own teacher: the fixture's named teachers lead exactly what test_viewer expects
        teacher = m.Person(school_id=jg.school.id, id=uuid.uuid4(), last_name="Словесникова",
                           first_name="Анна")
        s.add(teacher)
        s.flush()
        s.add(m.PersonRole(school_id=jg.school.id, person_id=teacher.id,
                           role=m.SchoolRole.TEACHER))
        s.add(m.TeacherAssignment(school_id=jg.school.id, group_id=group.id,
                                  teacher_id=teacher.id, starts_on=date(2015, 9, 1)))
        s.add(m.Lesson(school_id=jg.school.id, id=uuid.uuid4(), group_id=group.id,
                       date=jg.lesson_dates[0], lesson_number=2, topic="Басни Крылова",
                       status=m.LessonStatus.HELD))
    return name


def class_params(jg: JournalGroup, class_id: uuid.UUID | None = None) -> dict[str, str]:
    return {"class": to_global_id("SchoolClass", class_id or jg.class_id),
            "period": to_global_id("Period", jg.setup.period_ids[Q1])}


def test_class_journal_pdf_holds_every_group_of_the_class_for_the_administrator(
    http: httpx.Client, token_for, database: DatabaseUrls, schools: TwoSchools,
) -> None:
    # given a class with two groups
    jg = make_journal_group(database.owner, schools.a, students=2, lessons=2)
    literature = add_literature_group(database, jg)
    # when
    response = get(http, "/exports/class-journal.pdf", class_params(jg),
                   token_for(schools.a.logins["admin"]))
    # then
    assert response.status_code == 200, response.text
    text = pdf_text(response.content)
    assert "Русский язык (журнал)" in text
    assert literature in text
    assert "Басни Крылова" in text
    assert text.count("М.П.") == 2


def test_class_journal_pdf_holds_only_the_groups_a_teacher_reads(
    http: httpx.Client, token_for, database: DatabaseUrls, schools: TwoSchools,
) -> None:
    # given a class with two groups, the second taught by another teacher
    jg = make_journal_group(database.owner, schools.a, students=2, lessons=2)
    literature = add_literature_group(database, jg)
    # when the first group's teacher prints the class
    response = get(http, "/exports/class-journal.pdf", class_params(jg),
                   token_for(jg.teacher_login))
    # then only their group is there
    assert response.status_code == 200
    text = pdf_text(response.content)
    assert "Русский язык (журнал)" in text
    assert literature not in text


def test_class_journal_pdf_is_not_found_for_other_schools_and_roles(
    http: httpx.Client, token_for, database: DatabaseUrls, schools: TwoSchools,
    page: JournalGroup,
) -> None:
    missing = get(http, "/exports/class-journal.pdf", class_params(page, uuid.uuid4()),
                  token_for(schools.a.logins["admin"]))
    assert missing.status_code == 404
    for login in (schools.b.logins["admin"], page.student_logins[0],
                  schools.officer_logins["region"]):
        response = get(http, "/exports/class-journal.pdf", class_params(page),
                       token_for(login))
        assert response.status_code == 404, login
        assert response.content == missing.content


# --- the command line ------------------------------------------------------------------------

def run(*args: str, database: DatabaseUrls) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "200", "DATABASE_URL": libpq_dsn(database.owner)}
    return subprocess.run([ZHURNAL, *args], capture_output=True, text=True, env=env,
                          timeout=120, check=False)


def test_print_journal_command_writes_a_pdf(
    tmp_path: Path, database: DatabaseUrls, page: JournalGroup,
) -> None:
    # given
    out = tmp_path / "journal.pdf"
    params = journal_params(page)
    # when (a global id for the group, a bare UUID for the period)
    result = run("print", "journal", "--group", params["group"], "--period",
                 str(page.setup.period_ids[Q1]), "--out", str(out), database=database)
    # then
    assert result.returncode == 0, result.stderr
    text = pdf_text(out.read_bytes())
    for name in student_names(database, page):
        assert name in text
    assert "М.П." in text


def test_print_class_command_writes_a_pdf_and_refuses_an_unknown_class(
    tmp_path: Path, database: DatabaseUrls, page: JournalGroup,
) -> None:
    out = tmp_path / "class.pdf"
    result = run("print", "class", "--class", str(page.class_id), "--period",
                 str(page.setup.period_ids[Q1]), "--out", str(out), database=database)
    assert result.returncode == 0, result.stderr
    assert "Классный журнал" in pdf_text(out.read_bytes())
    # an unknown class is one clear line, no file
    missing = tmp_path / "missing.pdf"
    result = run("print", "class", "--class", str(uuid.uuid4()), "--period",
                 str(page.setup.period_ids[Q1]), "--out", str(missing), database=database)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert not missing.exists()


# --- the monthly report ----------------------------------------------------------------------

def report_cells(body: bytes) -> list[object]:
    sheet = openpyxl.load_workbook(io.BytesIO(body)).active
    assert sheet is not None
    return [c.value for row in sheet.iter_rows() for c in row]


def all_person_names(database: DatabaseUrls, schools: TwoSchools) -> set[str]:
    with owner_session(database.owner) as s:
        set_tenant(s, [schools.a.id, schools.b.id])
        return {name for row in s.execute(select(m.Person.last_name, m.Person.first_name))
                for name in row if len(name) > 2}


def test_monthly_report_xlsx_has_a_row_per_school_of_the_officers_reach_and_no_names(
    http: httpx.Client, token_for, database: DatabaseUrls, schools: TwoSchools,
    page: JournalGroup,
) -> None:
    # when the regional officer asks for September
    response = get(http, "/exports/monthly-report.xlsx", {"month": "2015-09"},
                   token_for(schools.officer_logins["region"]))
    # then every school of the region has a row, and no person is named
    assert response.status_code == 200, response.text
    cells = report_cells(response.content)
    assert schools.a.name in cells and schools.b.name in cells
    text = " ".join(str(c) for c in cells if c is not None)
    for name in all_person_names(database, schools):
        assert name not in text
    assert "Успеваемость, %" in cells and "Качество, %" in cells


def test_monthly_report_of_a_municipality_officer_holds_their_schools_only(
    http: httpx.Client, token_for, schools: TwoSchools,
) -> None:
    # when
    response = get(http, "/exports/monthly-report.xlsx", {"month": "2015-09"},
                   token_for(schools.officer_logins["muni_a"]))
    # then
    cells = report_cells(response.content)
    assert schools.a.name in cells
    assert schools.b.name not in cells


def test_monthly_report_filtered_by_municipality_and_not_found_outside_the_reach(
    http: httpx.Client, token_for, schools: TwoSchools,
) -> None:
    region = token_for(schools.officer_logins["region"])
    response = get(http, "/exports/monthly-report.xlsx",
                   {"month": "2015-09", "municipality": "г. Бета"}, region)
    cells = report_cells(response.content)
    assert schools.b.name in cells and schools.a.name not in cells
    # a municipality outside the reach looks like one that does not exist
    outside = get(http, "/exports/monthly-report.xlsx",
                  {"month": "2015-09", "municipality": "г. Бета"},
                  token_for(schools.officer_logins["muni_a"]))
    nowhere = get(http, "/exports/monthly-report.xlsx",
                  {"month": "2015-09", "municipality": "Нигде"}, region)
    assert outside.status_code == nowhere.status_code == 404
    assert outside.content == nowhere.content


def test_monthly_report_is_refused_to_teachers_students_and_guardians(
    http: httpx.Client, token_for, schools: TwoSchools,
) -> None:
    for role in ("teacher", "class_teacher", "student", "guardian"):
        response = get(http, "/exports/monthly-report.xlsx", {"month": "2015-09"},
                       token_for(schools.a.logins[role]))
        assert response.status_code == 404, role


def test_monthly_report_of_a_school_administrator_holds_their_school(
    http: httpx.Client, token_for, schools: TwoSchools,
) -> None:
    response = get(http, "/exports/monthly-report.xlsx", {"month": "2015-09"},
                   token_for(schools.b.logins["admin"]))
    cells = report_cells(response.content)
    assert schools.b.name in cells and schools.a.name not in cells


def test_monthly_report_suppresses_figures_of_fewer_than_five_students(
    http: httpx.Client, token_for, schools: TwoSchools,
) -> None:
    # when the month has no lessons at all (August)
    response = get(http, "/exports/monthly-report.xlsx", {"month": "2015-08"},
                   token_for(schools.officer_logins["region"]))
    # then the student-based figures read "<5"
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    assert sheet is not None
    row = next(r for r in sheet.iter_rows(values_only=True) if r[1] == schools.a.name)
    assert row[2] == "<5"
    assert row[3] == 0  # lessons held are no student's figure


def test_monthly_report_pdf_names_the_schools(
    http: httpx.Client, token_for, schools: TwoSchools,
) -> None:
    response = get(http, "/exports/monthly-report.pdf", {"month": "2015-11"},
                   token_for(schools.officer_logins["region"]))
    assert response.status_code == 200
    text = pdf_text(response.content)
    assert schools.a.name in text and schools.b.name in text
    assert "ноябрь 2015" in text


def text_runs(body: bytes) -> list[tuple[str, str, float]]:
    """Every line of text the PDF draws, as (text, font name, size)."""
    runs: list[tuple[str, str, float]] = []

    def visit(text: str, cm: Any, tm: Any, font: Any, size: float) -> None:
        if text.strip():
            runs.append((text.strip(), str((font or {}).get("/BaseFont", "")), size))

    for pdf_page in PdfReader(io.BytesIO(body)).pages:
        pdf_page.extract_text(visitor_text=visit)
    return runs


def broken_header_words(text: str, headers: list[str], prose: str) -> set[str]:
    """Header words that never print whole, and pieces of them a line break left: a token
    that is a word's start or end but no word of the headers or of the note and title."""
    words = {w for h in headers for w in h.split()}
    tokens = {t.rstrip("-\u00ad") for line in text.splitlines() for t in line.split()}
    pieces = {t for t in tokens - words - set(prose.split())
              if any(t != w and (w.startswith(t) or w.endswith(t)) for w in words)}
    return (words - tokens) | pieces


def check_monthly_layout(body: bytes, report: MonthlyReport, schools: list[str]) -> None:
    text = pdf_text(body)
    prose = f"{report.title} {report.note} Итого"  # words that may start a header word
    assert broken_header_words(text, report.headers, prose) == set()
    assert report.note.split(".")[0] in " ".join(text.split())  # the suppression note
    for n, (caption, _) in enumerate(MONTHLY_TABLES, start=1):
        assert f"{n}. {caption}" in text
    for school in schools:  # a line in each of the three tables
        assert text.count(school) == len(MONTHLY_TABLES), school
    runs = text_runs(body)
    assert min(size for _, _, size in runs) >= 6.5
    totals = [font for line, font, _ in runs if line.startswith("Итого")]
    assert totals and all(font.endswith("DejaVuSans-Bold") for font in totals)
    schools_fonts = [font for line, font, _ in runs if line in schools]
    assert schools_fonts and not any(f.endswith("Bold") for f in schools_fonts)


def test_monthly_report_pdf_prints_three_readable_tables(
    http: httpx.Client, token_for, schools: TwoSchools,
) -> None:
    # when the regional officer prints November
    response = get(http, "/exports/monthly-report.pdf", {"month": "2015-11"},
                   token_for(schools.officer_logins["region"]))
    # then the indicators come in three tables that repeat the school, no header word is
    # split, nothing prints below 6.5 pt, subtotals and the total are bold
    assert response.status_code == 200, response.text
    check_monthly_layout(response.content, MonthlyReport(date(2015, 11, 1), "все школы"),
                         [schools.a.name, schools.b.name])


def test_monthly_report_pdf_of_many_schools_repeats_the_header_on_every_page() -> None:
    # given a region of 8 municipalities of 6 schools, a small one among them
    rows = [MonthlyRow(f"Район {m}", f"Школа № {m}{s}",
                       counts(3 if (m, s) == (1, 1) else 40 + s, lessons=100 + 50 * s,
                              absent=s, passing=30, planned=1000 + s))
            for m in range(1, 9) for s in range(1, 7)]
    report = MonthlyReport(month=date(2015, 11, 1), scope="область", rows=rows)
    # when
    body = monthly_pdf(report, printed_on=date(2015, 12, 1))
    # then the tables run over several pages, each page's rows under the header
    pages = [p.extract_text() or "" for p in PdfReader(io.BytesIO(body)).pages]
    assert len(pages) > len(MONTHLY_TABLES)
    assert all("Муниципалитет" in text and "Школа" in text for text in pages)
    check_monthly_layout(body, report, [r.school for r in rows if r.school])
    text = pdf_text(body)
    assert "<5" in text  # the small school's figures are suppressed
    assert "1 001,0" in text.replace("\u00a0", " ")  # hours, the thousands set apart
    assert "Сформировано 01.12.2015" in text


def test_every_indicator_of_the_monthly_report_has_its_table() -> None:
    groups = monthly_groups(HEADERS)
    assert [caption for caption, _ in groups] == [c for c, _ in MONTHLY_TABLES]
    assert sorted(i for _, columns in groups for i in columns) == list(range(2, len(HEADERS)))
    # and a column no table names yet is printed all the same, in a last table
    assert monthly_groups([*HEADERS, "Новый показатель"])[-1] == (OTHER_TABLE, [len(HEADERS)])


def test_monthly_report_with_a_bad_month_is_a_bad_request(
    http: httpx.Client, token_for, schools: TwoSchools,
) -> None:
    for month in ("", "2015-13", "ноябрь", "2015-1"):
        response = get(http, "/exports/monthly-report.xlsx", {"month": month},
                       token_for(schools.officer_logins["region"]))
        assert response.status_code == 400, month


def test_report_monthly_command_writes_xlsx_and_pdf(
    tmp_path: Path, database: DatabaseUrls, schools: TwoSchools,
) -> None:
    # when
    result = run("report", "monthly", "--month", "2015-11", "--municipality", "г. Альфа",
                 "--out", str(tmp_path), database=database)
    # then
    assert result.returncode == 0, result.stderr
    cells = report_cells((tmp_path / "monthly-report-2015-11.xlsx").read_bytes())
    assert schools.a.name in cells and schools.b.name not in cells
    assert schools.a.name in pdf_text((tmp_path / "monthly-report-2015-11.pdf").read_bytes())


# --- the pieces ------------------------------------------------------------------------------

@pytest.mark.parametrize(("value", "written"), [
    ("=1+2", "'=1+2"), ("+1", "'+1"), ("-1", "'-1"), ("@SUM(A1)", "'@SUM(A1)"),
    ("\t=1", "'\t=1"), ("\r=1", "'\r=1"), ("Тема: =1", "Тема: =1"), ("5", "5"),
    ("a\x00b", "ab"), (4.5, 4.5), (3, 3), (None, None), (date(2015, 11, 2), date(2015, 11, 2)),
])
def test_safe_cell_neutralises_formula_triggers(value: object, written: object) -> None:
    assert safe_cell(value) == written


def test_a_month_spans_its_days() -> None:
    assert month_span("2016-02") == (date(2016, 2, 1), date(2016, 2, 29))
    assert month_span("2015-11") == (date(2015, 11, 1), date(2015, 11, 30))
    with pytest.raises(ValueError, match="YYYY-MM"):
        month_span("2015-1")
