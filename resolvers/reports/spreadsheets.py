"""XLSX exports (openpyxl): the journal page and the monthly report, every text cell through
`safe_cell`, so a topic typed as `=HYPERLINK(...)` stays text in every spreadsheet program.

Formula injection (CWE-1236): a spreadsheet treats a cell that starts with `=`, `+`, `-` or
`@` (and, in some programs, a tab or carriage return before one) as a formula. Writing the
value as a string cell is not enough on its own — the file may be re-saved as CSV and
re-opened — so such text also gets a leading apostrophe, the prefix spreadsheets themselves
use for "this is text".
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from datetime import date
from typing import TYPE_CHECKING

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from db.formula_injection import neutralise
from resolvers.journal.printing import ABSENCE_CODES, PrintedJournal

if TYPE_CHECKING:
    from resolvers.reports.sql import MonthlyReport


Value = str | int | float | date | None


def safe_cell(value: object) -> str | int | float | date | None:
    """The value as it may be written to a cell: numbers and dates as they are (they are
    never formulas), anything else as text, with an apostrophe before a formula trigger and
    without the control characters XLSX cannot hold."""
    if value is None or (isinstance(value, int | float | date) and not isinstance(value, bool)):
        return value  # type: ignore[return-value]
    return neutralise(ILLEGAL_CHARACTERS_RE.sub("", str(value)))


def write_row(sheet: Worksheet, row: int, values: Sequence[object], *, bold: bool = False
              ) -> None:
    for column, value in enumerate(values, start=1):
        cell = sheet.cell(row=row, column=column)
        cell.value = safe_cell(value)
        if isinstance(cell.value, str):
            # openpyxl infers a formula from a leading "="; a text cell is never one.
            cell.data_type = "s"
        if bold:
            cell.font = Font(bold=True)


def write_table(sheet: Worksheet, headers: Sequence[str], rows: Iterable[Sequence[object]],
                *, widths: Sequence[int] = (), first_row: int = 1) -> int:
    """Headers in bold, then the rows; returns the next free row."""
    write_row(sheet, first_row, headers, bold=True)
    row = first_row + 1
    for values in rows:
        write_row(sheet, row, values)
        row += 1
    for n, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(n)].width = width
    sheet.freeze_panes = sheet.cell(row=first_row + 1, column=1)
    return row


def workbook_bytes(workbook: Workbook) -> bytes:
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _header_lines(journal: PrintedJournal) -> list[tuple[str, object]]:
    return [
        ("Школа", journal.school),
        ("Класс", journal.class_name or "—"),
        ("Группа", journal.group),
        ("Предмет", journal.subject),
        ("Учитель", ", ".join(journal.teachers) or "—"),
        ("Учебный год", journal.academic_year),
        ("Период", f"{journal.period} ({journal.starts_on:%d.%m.%Y}–{journal.ends_on:%d.%m.%Y})"),
        ("Система оценивания", journal.grading_system or "—"),
    ]


def journal_workbook(journal: PrintedJournal) -> bytes:
    """A journal page as a workbook: the marks grid, topics and homework, attendance."""
    book = Workbook()
    grid = book.active
    assert grid is not None
    grid.title = "Отметки"
    for n, line in enumerate(_header_lines(journal), start=1):
        write_row(grid, n, line)
    first = len(_header_lines(journal)) + 2
    headers = ["№", "Ученик", *(f"{lesson.date:%d.%m}" for lesson in journal.lessons),
               "Средний балл", "Оценка за период"]
    write_table(grid, headers, (
        [n, s.full_name, *(s.cell(i) or None for i in range(len(journal.lessons))), s.average,
         s.period_grade]
        for n, s in enumerate(journal.students, start=1)), widths=[5, 32], first_row=first)
    grid.freeze_panes = grid.cell(row=first + 1, column=3)

    topics = book.create_sheet("Темы и задания")
    write_table(topics, ["№", "Дата", "Урок", "Тема урока", "Домашнее задание", "Тип урока",
                         "Учитель", "Замена", "Состояние"], (
        [n, lesson.date, lesson.number, lesson.topic, lesson.homework, lesson.lesson_type,
         lesson.teacher, "замена" if lesson.is_substitution else None,
         LESSON_STATUS.get(lesson.status, lesson.status)]
        for n, lesson in enumerate(journal.lessons, start=1)),
        widths=[5, 12, 6, 50, 50, 16, 30, 8, 12])
    for (cell,) in topics.iter_rows(min_row=2, min_col=2, max_col=2):
        cell.number_format = "DD.MM.YYYY"
    for row in topics.iter_rows(min_row=2, min_col=4, max_col=5):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")

    attendance = book.create_sheet("Посещаемость")
    write_table(attendance, ["№", "Ученик", *ABSENCE_CODES, "Пропущено уроков",
                             "Отметки вне уроков"], (
        [n, s.full_name, *s.absences().values(), s.missed,
         "; ".join(f"{day:%d.%m} {label}" for day, label in s.extra_marks) or None]
        for n, s in enumerate(journal.students, start=1)), widths=[5, 32, 6, 6, 6, 6, 18, 30])
    return workbook_bytes(book)


LESSON_STATUS = {"held": "проведён", "scheduled": "запланирован", "cancelled": "отменён"}


def monthly_workbook(report: MonthlyReport) -> bytes:
    """The monthly monitoring report: a row per school, a subtotal per municipality, the
    total; no names of people anywhere."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Мониторинг"
    write_row(sheet, 1, [report.title], bold=True)
    write_row(sheet, 2, [report.note])
    write_table(sheet, report.headers, report.table_rows(),
                widths=[28, 44, *([12] * (len(report.headers) - 2))], first_row=4)
    for cell in sheet[4]:
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    return workbook_bytes(book)
