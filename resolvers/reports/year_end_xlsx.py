"""Year-end documents as XLSX (openpyxl): the year page of a group and the class's summary
sheet, every cell through resolvers/reports/spreadsheets.py `write_row` (formula injection
neutralised, as in every export). Shares are numbers (0–1) shown as percentages."""

from __future__ import annotations

from datetime import date

from openpyxl import Workbook
from openpyxl.styles import Alignment
from openpyxl.worksheet.worksheet import Worksheet

from resolvers.reports.spreadsheets import workbook_bytes, write_row, write_table
from resolvers.reports.year_end import BANDS, EXAM, ClassSummary, Heading, Signature, YearPage

PERCENT = "0.00%"


def _heading_lines(h: Heading) -> list[tuple[str, object]]:
    return [("Школа", h.school), ("Класс", h.class_name or "—"),
            ("Учебный год", h.year_label), ("Классный руководитель", h.class_teacher or "—")]


def _signatures(sheet: Worksheet, row: int, lines: list[Signature], printed_on: date) -> None:
    blank = "_" * 22
    for n, s in enumerate(lines):
        write_row(sheet, row + n, [s.role, blank, f"/ {s.name or blank} /"])
    write_row(sheet, row + len(lines), ["М.П.", None, "Дата «____» ______________ 20____ г."])
    write_row(sheet, row + len(lines) + 1, [f"Распечатано {printed_on:%d.%m.%Y}"])


def _cell(cell: object) -> str | None:
    return getattr(cell, "label", None)


def year_page_workbook(page: YearPage, *, printed_on: date | None = None) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Итоговые отметки"
    h = page.heading
    lines = [*_heading_lines(h)[:2], ("Группа", page.group), ("Предмет", page.subject),
             ("Учитель", ", ".join(page.teachers) or "—"), *_heading_lines(h)[2:],
             ("Система оценивания", page.grading_system or "—")]
    write_row(sheet, 1, ["Итоговые отметки за учебный год"], bold=True)
    for n, line in enumerate(lines, start=2):
        write_row(sheet, n, line)
    first = len(lines) + 3
    end = write_table(sheet, ["№", "Ученик", *(c.title for c in page.columns), "Примечание"], (
        [n, s.full_name, *(_cell(s.cells.get(c.key)) for c in page.columns),
         page.notes(s) or None]
        for n, s in enumerate(page.students, start=1)),
        widths=[5, 36, *(18 if c.key == EXAM else 12 for c in page.columns), 40],
        first_row=first)
    sheet.freeze_panes = sheet.cell(row=first + 1, column=3)
    _signatures(sheet, end + 2, page.signatures, printed_on or date.today())
    return workbook_bytes(book)


def summary_workbook(summary: ClassSummary, *, printed_on: date | None = None) -> bytes:
    """Sheet «Сводная ведомость»: a row per student, per subject a column per period, the year
    and the final grade, then the counts of «5»..«2» of each column; sheet «Итоги»: per column
    the counts over every subject, успеваемость and качество with their counts."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Сводная ведомость"
    write_row(sheet, 1, ["Сводная ведомость итоговых отметок"], bold=True)
    lines = _heading_lines(summary.heading)
    for n, line in enumerate(lines, start=2):
        write_row(sheet, n, line)
    top = len(lines) + 3
    columns = summary.columns
    # two header rows: the subject over its columns, then each column's title
    write_row(sheet, top, ["№", "Ученик", *(s.name for s in summary.subjects
                                            for _ in columns)], bold=True)
    for n in range(len(summary.subjects)):
        start = 3 + n * len(columns)
        sheet.merge_cells(start_row=top, start_column=start, end_row=top,
                          end_column=start + len(columns) - 1)
        sheet.cell(row=top, column=start).alignment = Alignment(horizontal="center",
                                                                wrap_text=True)
    end = write_table(sheet, ["№", "Ученик", *(c.title for _ in summary.subjects
                                              for c in columns)], (
        [n, st.full_name, *(_cell(st.cells.get((s.id, c.key)))
                            for s in summary.subjects for c in columns)]
        for n, st in enumerate(summary.students, start=1)), widths=[5, 36], first_row=top + 1)
    for band in BANDS:
        write_row(sheet, end, [None, f"Отметок «{band}»",
                               *(summary.bands(s.id, c.key)[band]
                                 for s in summary.subjects for c in columns)], bold=True)
        end += 1
    sheet.freeze_panes = sheet.cell(row=top + 2, column=3)
    _signatures(sheet, end + 2, summary.signatures, printed_on or date.today())

    totals = book.create_sheet("Итоги")
    write_row(totals, 1, ["Итоги класса: успеваемость и качество по docs/figures.md, "
                          "из отметок столбца"], bold=True)
    row = write_table(totals, ["Столбец", "«5»", "«4»", "«3»", "«2»", "Учащихся", "Успевают",
                               "Успеваемость", "На «4» и «5»", "Качество",
                               "Не аттестованы пока"], (
        [c.title, *(f.bands[b] for b in BANDS), f.attainment.students, f.attainment.passing,
         f.attainment.success_rate, f.attainment.quality, f.attainment.quality_rate,
         f.attainment.not_yet_attested]
        for c in columns if (f := summary.figures[c.key])),
        widths=[18, 6, 6, 6, 6, 10, 10, 14, 12, 12, 20], first_row=3)
    for column in ("H", "J"):
        for cell in totals[column][3:row - 1]:
            cell.number_format = PERCENT
    return workbook_bytes(book)
