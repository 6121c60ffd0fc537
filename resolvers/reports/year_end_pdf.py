"""Year-end documents as PDF (reportlab, as resolvers/reports/pdf.py): a group's year page and
the class's summary sheet (сводная ведомость итоговых отметок), each with the school, the year
and the signature lines. Every name and label goes through `para` (escaped) or a table cell
(plain text)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from reportlab.lib.units import mm
from reportlab.platypus import Flowable, KeepTogether, PageBreak, Spacer, Table, TableStyle

from resolvers.aggregates.figures import AttainmentFigures
from resolvers.reports.pdf import (
    FONT_BOLD,
    HEADING,
    SMALL,
    SMALL_CENTER,
    TEXT,
    TITLE,
    WIDTH,
    _table,
    para,
    render,
)
from resolvers.reports.year_end import (
    BANDS,
    EXAM,
    ClassSummary,
    Column,
    Heading,
    Signature,
    Student,
    YearPage,
)

NUMBER_W, NAME_W, EXAM_W = 18, 170, 90


def percent(share: float | None) -> str:
    """A share (0–1) as the documents print it: «66,67 %»; «—» without one."""
    return "—" if share is None else f"{share * 100:.2f}".replace(".", ",") + " %"


def attainment_line(a: AttainmentFigures) -> str:
    """Успеваемость and качество with their counts, and who is not attested yet."""
    text = (f"успеваемость {percent(a.success_rate)} ({a.passing} из {a.students}), "
            f"качество {percent(a.quality_rate)} ({a.quality} из {a.students})")
    if a.not_yet_attested:
        text += f"; не аттестованы пока: {a.not_yet_attested}"
    return text


def _header(title: str, lines: Sequence[tuple[str, str]]) -> list[Flowable]:
    table = Table([[para(k, SMALL), para(v, TEXT)] for k, v in lines],
                  colWidths=[130, WIDTH - 130])
    table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"),
                               ("TOPPADDING", (0, 0), (-1, -1), 0.5),
                               ("BOTTOMPADDING", (0, 0), (-1, -1), 0.5)]))
    return [para(title, TITLE), Spacer(1, 3 * mm), table, Spacer(1, 4 * mm)]


def _heading_lines(h: Heading) -> list[tuple[str, str]]:
    return [("Школа", h.school), ("Класс", h.class_name or "—"),
            ("Учебный год", f"{h.year_label} ({h.year_starts_on:%d.%m.%Y} – "
                            f"{h.year_ends_on:%d.%m.%Y})"),
            ("Классный руководитель", h.class_teacher or "—")]


def signatures(lines: Sequence[Signature], printed_on: date) -> Flowable:
    """A line to sign per person, their name where known, «М.П.» and the date."""
    blank = "_" * 22
    rows: list[list[Any]] = [[para(s.role, TEXT), para(blank, TEXT),
                              para(f"/ {s.name or blank} /", TEXT)] for s in lines]
    rows.append([para("М.П.", HEADING), "", para("Дата «____» ______________ 20____ г.", TEXT)])
    table = Table(rows, colWidths=[150, 140, WIDTH - 290],
                  rowHeights=[22] * len(lines) + [30])
    table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "BOTTOM")]))
    return KeepTogether([Spacer(1, 8 * mm), table, Spacer(1, 3 * mm),
                         para(f"Распечатано {printed_on:%d.%m.%Y}", SMALL)])


def _name(student: Student, h: Heading) -> Any:
    note = []
    if student.starts_on > h.year_starts_on:
        note.append(f"с {student.starts_on:%d.%m.%Y}")
    if student.ends_on is not None and student.ends_on < h.year_ends_on:
        note.append(f"по {student.ends_on:%d.%m.%Y}")
    return para(student.full_name + (f" ({', '.join(note)})" if note else ""), SMALL)


# --- the year page ---------------------------------------------------------------------------

def year_page_story(page: YearPage, printed_on: date) -> list[Flowable]:
    h = page.heading
    lines = [*_heading_lines(h)[:2], ("Группа", page.group), ("Предмет", page.subject),
             ("Учитель", ", ".join(page.teachers) or "—"), *_heading_lines(h)[2:],
             ("Система оценивания", page.grading_system or "—")]
    # an exam cell holds the kind and the test score, «5 (ОГЭ, 78)», and may hold several
    widths = [EXAM_W if c.key == EXAM else 52 for c in page.columns]
    notes_w = WIDTH - NUMBER_W - NAME_W - sum(widths)
    rows: list[list[Any]] = [["№", para("Ученик", SMALL_CENTER),
                              *(para(c.title, SMALL_CENTER) for c in page.columns),
                              para("Примечание", SMALL_CENTER)]]
    for n, student in enumerate(page.students, start=1):
        rows.append([str(n), _name(student, h),
                     *(para(_label(student.cells.get(c.key)), SMALL_CENTER) if c.key == EXAM
                       else _label(student.cells.get(c.key)) for c in page.columns),
                     para(page.notes(student), SMALL)])
    story: list[Flowable] = [
        *_header("Итоговые отметки за учебный год", lines),
        _table(rows, [NUMBER_W, NAME_W, *widths, notes_w], size=8,
               extra=[("ALIGN", (2, 0), (-2, -1), "CENTER"),
                      ("ALIGN", (0, 0), (0, -1), "RIGHT")])]
    if not page.students:
        story.append(para("В группе не было учащихся в этом учебном году.", SMALL))
    return [*story, signatures(page.signatures, printed_on)]


def _label(cell: Any) -> str:
    return "" if cell is None else cell.label


def year_page_pdf(page: YearPage, *, printed_on: date | None = None) -> bytes:
    footer = f"{page.heading.school} · {page.title}"
    return render(year_page_story(page, printed_on or date.today()),
                  title=f"Итоговые отметки: {footer}", footer=footer)


# --- the summary sheet -----------------------------------------------------------------------

def _summary_table(summary: ClassSummary, column: Column) -> list[Flowable]:
    """Students × subjects for one column (a period, the year, the final grades), the counts of
    «5»..«2» of each subject and in all, and the class's figures of the column."""
    subjects = summary.subjects
    total_w = 44
    subject_w = (WIDTH - NUMBER_W - NAME_W - total_w) / max(len(subjects), 1)
    rows: list[list[Any]] = [["№", para("Ученик", SMALL_CENTER),
                              *(para(s.short_name, SMALL_CENTER) for s in subjects),
                              para("Всего", SMALL_CENTER)]]
    h = summary.heading
    for n, student in enumerate(summary.students, start=1):
        rows.append([str(n), _name(student, h),
                     *(_label(student.cells.get((s.id, column.key))) for s in subjects), ""])
    figures = summary.figures[column.key]
    first_count = len(rows)
    for band in BANDS:
        rows.append(["", para(f"Отметок «{band}»", SMALL),
                     *(str(summary.bands(s.id, column.key)[band]) for s in subjects),
                     str(figures.bands[band])])
    story: list[Flowable] = [
        para(f"{column.title}", HEADING), Spacer(1, 2 * mm),
        _table(rows, [NUMBER_W, NAME_W, *[subject_w] * len(subjects), total_w], size=7,
               extra=[("ALIGN", (2, 0), (-1, -1), "CENTER"),
                      ("ALIGN", (0, 0), (0, -1), "RIGHT"),
                      ("FONT", (1, first_count), (-1, -1), FONT_BOLD, 7)]),
        Spacer(1, 2 * mm),
        para(f"{column.title}: {attainment_line(figures.attainment)}", TEXT),
        Spacer(1, 5 * mm)]
    return story


def summary_story(summary: ClassSummary, printed_on: date) -> list[Flowable]:
    story = _header("Сводная ведомость итоговых отметок", _heading_lines(summary.heading))
    story += [para("Предметы: " + "; ".join(f"{s.short_name} — {s.name}"
                                            for s in summary.subjects), SMALL),
              para("Успеваемость и качество — по определению docs/figures.md из отметок "
                   "столбца: н/а — не успевает; осв. — не учитывается; отсрочка или нет "
                   "отметки — ещё не аттестован; качество — все отметки «4» и «5».", SMALL),
              Spacer(1, 4 * mm)]
    for n, column in enumerate(summary.columns):
        if n:
            story.append(PageBreak())
        story += _summary_table(summary, column)
    overall = [["", para("«5»", SMALL_CENTER), para("«4»", SMALL_CENTER),
                para("«3»", SMALL_CENTER), para("«2»", SMALL_CENTER),
                para("Успеваемость", SMALL_CENTER), para("Качество", SMALL_CENTER),
                para("Учащихся", SMALL_CENTER), para("Не аттестованы пока", SMALL_CENTER)]]
    for column in summary.columns:
        f = summary.figures[column.key]
        a = f.attainment
        overall.append([para(column.title, SMALL), *(str(f.bands[b]) for b in BANDS),
                        percent(a.success_rate), percent(a.quality_rate), str(a.students),
                        str(a.not_yet_attested or 0)])
    story += [Spacer(1, 4 * mm), para("Итоги класса", HEADING), Spacer(1, 2 * mm),
              _table(overall, [150, 40, 40, 40, 40, 80, 80, 60, 80], size=8,
                     extra=[("ALIGN", (1, 1), (-1, -1), "CENTER")]),
              signatures(summary.signatures, printed_on)]
    return story


def summary_pdf(summary: ClassSummary, *, printed_on: date | None = None) -> bytes:
    footer = f"{summary.heading.school} · Сводная ведомость · {summary.title}"
    return render(summary_story(summary, printed_on or date.today()),
                  title=f"Сводная ведомость итоговых отметок: {summary.title}", footer=footer)
