"""PDF rendering (reportlab): the printed class journal (regulation 5.8) and the monthly
report, A4 landscape, in DejaVu Sans so Cyrillic prints on any machine.

Everything a user typed (topics, homework, names) goes through `para`, which escapes it:
reportlab's Paragraph reads its text as markup, and a topic such as `<b>` or `<font …>` must
print as those characters, not change the page.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from datetime import date
from functools import lru_cache
from importlib.resources import files
from itertools import groupby
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    Flowable,
    KeepTogether,
    PageBreak,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from resolvers.printing import ABSENCE_CODES, PrintedJournal, PrintedStudent
from resolvers.report_sql import MonthlyReport

FONT, FONT_BOLD = "DejaVuSans", "DejaVuSans-Bold"
PAGE = landscape(A4)
MARGIN = 10 * mm
WIDTH = PAGE[0] - 2 * MARGIN

MONTHS = ["янв", "фев", "мар", "апр", "май", "июн", "июл", "авг", "сен", "окт", "ноя", "дек"]
LESSON_NOTES = {"cancelled": "отменён", "scheduled": "не проведён"}

# The grid: number, name, then a column per lesson, then the average and the period grade.
NUMBER_W, NAME_W, LESSON_W, AVERAGE_W, GRADE_W = 16, 150, 21, 36, 44
LESSONS_PER_PAGE = int((WIDTH - NUMBER_W - NAME_W - AVERAGE_W - GRADE_W) // LESSON_W)


class FontMissing(RuntimeError):
    """Neither the shipped DejaVu fonts nor the system's are there."""


def _font_dirs() -> list[Path]:
    shipped = Path(str(files("server") / "fonts"))
    return [shipped, Path("/usr/share/fonts/truetype/dejavu")]


@lru_cache(maxsize=1)
def register_fonts() -> None:
    for name, filename in ((FONT, "DejaVuSans.ttf"), (FONT_BOLD, "DejaVuSans-Bold.ttf")):
        path = next((d / filename for d in _font_dirs() if (d / filename).is_file()), None)
        if path is None:
            raise FontMissing(f"{filename} not found in {', '.join(map(str, _font_dirs()))}")
        pdfmetrics.registerFont(TTFont(name, str(path)))
    pdfmetrics.registerFontFamily(FONT, normal=FONT, bold=FONT_BOLD, italic=FONT,
                                  boldItalic=FONT_BOLD)


def _style(size: float, *, bold: bool = False, center: bool = False) -> ParagraphStyle:
    return ParagraphStyle(f"z{size}{bold}{center}", fontName=FONT_BOLD if bold else FONT,
                          fontSize=size, leading=size * 1.2,
                          alignment=TA_CENTER if center else 0)


TITLE, HEADING, TEXT, SMALL = _style(13, bold=True), _style(10, bold=True), _style(8), _style(7)
SMALL_CENTER = _style(7, center=True)


def para(value: object, style: ParagraphStyle = TEXT) -> Paragraph:
    """Text as text: markup characters escaped, line breaks kept."""
    register_fonts()  # a Paragraph looks its font up when it is made
    text = "" if value is None else str(value)
    return Paragraph(escape(text).replace("\n", "<br/>"), style)


def _table(data: list[list[Any]], widths: Sequence[float], *, header_rows: int = 1,
           size: float = 7, extra: Sequence[tuple[Any, ...]] = ()) -> Table:
    table = Table(data, colWidths=list(widths), repeatRows=header_rows, hAlign="LEFT")
    table.setStyle(TableStyle([
        ("FONT", (0, 0), (-1, -1), FONT, size),
        ("FONT", (0, 0), (-1, header_rows - 1), FONT_BOLD, size),
        ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
        ("BACKGROUND", (0, 0), (-1, header_rows - 1), colors.Color(0.92, 0.92, 0.92)),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("TOPPADDING", (0, 0), (-1, -1), 1.5),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5),
        ("LEFTPADDING", (0, 0), (-1, -1), 2),
        ("RIGHTPADDING", (0, 0), (-1, -1), 2),
        *extra,
    ]))
    return table


def _number(value: float | None) -> str:
    return "" if value is None else f"{value:.2f}".replace(".", ",")


# --- the journal ---------------------------------------------------------------------------

def _header(journal: PrintedJournal) -> list[Flowable]:
    lines = [
        ("Школа", journal.school),
        ("Класс", journal.class_name or "—"),
        ("Группа", journal.group),
        ("Предмет", journal.subject),
        ("Учитель", ", ".join(journal.teachers) or "—"),
        ("Учебный год, период", f"{journal.academic_year}, {journal.period} "
                                f"({journal.starts_on:%d.%m.%Y} – {journal.ends_on:%d.%m.%Y})"),
    ]
    table = Table([[para(k, SMALL), para(v, TEXT)] for k, v in lines],
                  colWidths=[110, WIDTH - 110])
    table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"),
                               ("TOPPADDING", (0, 0), (-1, -1), 0.5),
                               ("BOTTOMPADDING", (0, 0), (-1, -1), 0.5)]))
    return [para("Классный журнал", TITLE), Spacer(1, 3 * mm), table, Spacer(1, 4 * mm)]


def _grid(journal: PrintedJournal) -> list[Flowable]:
    """The marks grid by date, cut into pages of LESSONS_PER_PAGE columns; names repeat on
    each, the average and period grade close the last."""
    lessons = journal.lessons
    chunks = [range(i, min(i + LESSONS_PER_PAGE, len(lessons)))
              for i in range(0, len(lessons), LESSONS_PER_PAGE)] or [range(0)]
    out: list[Flowable] = []
    for n, chunk in enumerate(chunks):
        last = n == len(chunks) - 1
        months: list[Any] = ["№", para("Ученик", _style(7, bold=True))]
        days: list[Any] = ["", ""]
        spans: list[tuple[Any, ...]] = [("SPAN", (0, 0), (0, 1)), ("SPAN", (1, 0), (1, 1))]
        column = 2
        for month, group in groupby(chunk, key=lambda i: (lessons[i].date.year,
                                                          lessons[i].date.month)):
            width = len(list(group))
            months += [MONTHS[month[1] - 1]] + [""] * (width - 1)
            spans.append(("SPAN", (column, 0), (column + width - 1, 0)))
            column += width
        days += [f"{lessons[i].date.day}" for i in chunk]
        widths = [NUMBER_W, NAME_W] + [LESSON_W] * len(chunk)
        if last:
            months += [para("Ср. балл", SMALL_CENTER), para("Оценка за период",
                                                                 SMALL_CENTER)]
            days += ["", ""]
            spans += [("SPAN", (column, 0), (column, 1)), ("SPAN", (column + 1, 0),
                                                           (column + 1, 1))]
            widths += [AVERAGE_W, GRADE_W]
        rows: list[list[Any]] = [months, days]
        for number, student in enumerate(journal.students, start=1):
            row: list[Any] = [str(number), _student_name(student, journal)]
            row += [student.cell(i) for i in chunk]
            if last:
                row += [_number(student.average), student.period_grade or ""]
            rows.append(row)
        caption = ("Отметки и посещаемость" if len(chunks) == 1 else
                   f"Отметки и посещаемость (уроки {chunk.start + 1}–{chunk.stop} "
                   f"из {len(lessons)})")
        out += [para(caption, HEADING), Spacer(1, 2 * mm),
                _table(rows, widths, header_rows=2, extra=[
                    *spans, ("ALIGN", (2, 0), (-1, -1), "CENTER"),
                    ("ALIGN", (0, 0), (0, -1), "RIGHT")])]
        out.append(PageBreak() if not last else Spacer(1, 4 * mm))
    if not journal.students:
        out.append(para("В группе нет учащихся за этот период.", SMALL))
    return out


def _student_name(student: PrintedStudent, journal: PrintedJournal) -> Paragraph:
    """The name, with the dates of a student who joined or left during the period."""
    note = []
    if student.starts_on > journal.starts_on:
        note.append(f"с {student.starts_on:%d.%m}")
    if student.ends_on is not None and student.ends_on < journal.ends_on:
        note.append(f"по {student.ends_on:%d.%m}")
    return para(student.full_name + (f" ({', '.join(note)})" if note else ""), SMALL)


def _topics(journal: PrintedJournal) -> list[Flowable]:
    rows: list[list[Any]] = [["№", "Дата", "Урок", "Тема урока", "Домашнее задание",
                              "Учитель", "Примечание"]]
    for n, lesson in enumerate(journal.lessons, start=1):
        notes = [LESSON_NOTES[lesson.status]] if lesson.status in LESSON_NOTES else []
        if lesson.is_substitution:
            notes.insert(0, "замена")
        rows.append([str(n), f"{lesson.date:%d.%m.%Y}",
                     "" if lesson.number is None else str(lesson.number),
                     para(lesson.topic, SMALL), para(lesson.homework, SMALL),
                     para(lesson.teacher, SMALL), para(", ".join(notes), SMALL)])
    widths = [20, 50, 28, 0, 0, 130, 60]
    free = (WIDTH - sum(widths)) / 2
    widths[3] = widths[4] = free
    return [PageBreak(), para("Темы уроков и домашние задания", HEADING), Spacer(1, 2 * mm),
            _table(rows, widths, extra=[("VALIGN", (0, 0), (-1, -1), "TOP")])]


def _summary(journal: PrintedJournal) -> list[Flowable]:
    rows: list[list[Any]] = [["№", "Ученик", *ABSENCE_CODES, para("Пропущено уроков",
                                                                  SMALL_CENTER),
                              para("Средний балл", SMALL_CENTER),
                              para("Оценка за период", SMALL_CENTER),
                              "Отметки вне уроков"]]
    for n, student in enumerate(journal.students, start=1):
        rows.append([str(n), para(student.full_name, SMALL),
                     *(str(v) for v in student.absences().values()), str(student.missed),
                     _number(student.average), student.period_grade or "",
                     para("; ".join(f"{d:%d.%m} {label}" for d, label in student.extra_marks),
                          SMALL)])
    widths = [20, 190, 28, 28, 28, 28, 56, 50, 60, 0]
    widths[-1] = WIDTH - sum(widths)
    return [Spacer(1, 6 * mm),
            para("Сводка посещаемости и итоги периода (н — без причины, б — по болезни, "
                 "у — по уважительной причине, оп — опоздание)", HEADING),
            Spacer(1, 2 * mm),
            _table(rows, widths, extra=[("ALIGN", (2, 1), (-2, -1), "CENTER")])]


def signature_block(teachers: Sequence[str], printed_on: date) -> Flowable:
    """«Учитель», «Заместитель директора», «М.П.» and the date, as on the paper journal."""
    line = "_" * 22
    teacher = ", ".join(teachers) or line
    rows = [
        [para("Учитель", TEXT), para(line, TEXT), para(f"/ {teacher} /", TEXT)],
        [para("Заместитель директора", TEXT), para(line, TEXT), para(f"/ {line} /", TEXT)],
        [para("М.П.", HEADING), "", para("Дата «____» ______________ 20____ г.", TEXT)],
    ]
    table = Table(rows, colWidths=[140, 140, WIDTH - 280], rowHeights=[22, 22, 30])
    table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "BOTTOM")]))
    return KeepTogether([Spacer(1, 8 * mm), table, Spacer(1, 3 * mm),
                         para(f"Распечатано {printed_on:%d.%m.%Y}", SMALL)])


def journal_story(journal: PrintedJournal, printed_on: date) -> list[Flowable]:
    return [*_header(journal), *_grid(journal), *_topics(journal), *_summary(journal),
            signature_block(journal.teachers, printed_on)]


def _footer(text: str) -> Callable[[Canvas, Any], None]:
    def draw(canvas: Canvas, doc: Any) -> None:
        canvas.saveState()
        canvas.setFont(FONT, 7)
        canvas.drawString(MARGIN, MARGIN / 2, text)  # drawString never reads markup
        canvas.drawRightString(PAGE[0] - MARGIN, MARGIN / 2, f"стр. {doc.page}")
        canvas.restoreState()
    return draw


def render(story: list[Flowable], *, title: str, footer: str) -> bytes:
    register_fonts()
    out = io.BytesIO()
    doc = SimpleDocTemplate(out, pagesize=PAGE, leftMargin=MARGIN, rightMargin=MARGIN,
                            topMargin=MARGIN, bottomMargin=MARGIN, title=title,
                            author="zhurnal", creator="zhurnal")
    draw = _footer(footer)
    doc.build(story, onFirstPage=draw, onLaterPages=draw)
    return out.getvalue()


def journal_pdf(journals: Sequence[PrintedJournal], *, printed_on: date | None = None) -> bytes:
    """One group's journal, or every group of a class one after another (each from a new
    page, each with its own signature block)."""
    printed_on = printed_on or date.today()
    story: list[Flowable] = []
    for n, journal in enumerate(journals):
        if n:
            story.append(PageBreak())
        story += journal_story(journal, printed_on)
    first = journals[0]
    footer = (f"{first.school} · {first.title}" if len(journals) == 1 else
              f"{first.school} · {first.class_name or first.group} · {first.period}")
    return render(story, title=f"Классный журнал: {footer}", footer=footer)


# --- the monthly report ----------------------------------------------------------------------

# Narrow columns: break the long words where a typesetter would, not mid-syllable at random.
HEADER_BREAKS = {"Успеваемость": "Успевае-\nмость", "Посещаемость": "Посещае-\nмость",
                 "Опоздания": "Опозда-\nния", "проведено": "прове-\nдено"}


def _narrow(header: str) -> str:
    for word, broken in HEADER_BREAKS.items():
        header = header.replace(word, broken)
    return header


def monthly_pdf(report: MonthlyReport) -> bytes:
    headers = [para(_narrow(h), _style(6, bold=True, center=True)) for h in report.headers]
    body = [[para(v, _style(6.5)) if i < 2 else ("" if v is None else str(v).replace(".", ","))
             for i, v in enumerate(values)] for values in report.table_rows()]
    subtotal = [("FONT", (0, r), (-1, r), FONT_BOLD, 6.5)
                for r, values in enumerate(report.table_rows(), start=1)
                if values[1] == "Итого"]
    widths = [85, 150] + [(WIDTH - 235) / (len(report.headers) - 2)] * (len(report.headers) - 2)
    story: list[Flowable] = [
        para(report.title, TITLE), Spacer(1, 2 * mm), para(report.note, SMALL),
        Spacer(1, 4 * mm),
        _table([headers, *body], widths, size=6.5,
               extra=[("ALIGN", (2, 1), (-1, -1), "RIGHT"), *subtotal]),
        Spacer(1, 4 * mm), para(f"Сформировано {date.today():%d.%m.%Y}", SMALL),
    ]
    return render(story, title=report.title, footer=report.title)
