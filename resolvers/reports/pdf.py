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
    CondPageBreak,
    Flowable,
    KeepTogether,
    PageBreak,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from resolvers.journal.printing import ABSENCE_CODES, ClassCover, PrintedJournal, PrintedStudent
from resolvers.reports.sql import MonthlyReport

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
           size: float = 7, extra: Sequence[tuple[Any, ...]] = (),
           row_heights: Sequence[float] | None = None) -> Table:
    table = Table(data, colWidths=list(widths), repeatRows=header_rows, hAlign="LEFT",
                  rowHeights=list(row_heights) if row_heights else None)
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


class PageMark(Flowable):
    """Takes no room; records the page it lands on under `key` (for a contents page)."""

    def __init__(self, key: int, pages: dict[int, int]) -> None:
        super().__init__()
        self.key, self.pages = key, pages

    def wrap(self, available_width: float, available_height: float) -> tuple[float, float]:
        return 0, 0

    def draw(self) -> None:
        self.pages[self.key] = self.canv.getPageNumber()


TITLE_PAGE = _style(22, bold=True, center=True)
TITLE_LINE = _style(13, center=True)
CONTENTS_ROW = 18  # pt: fixed, so the pages of both passes are the same


def _cover(cover: ClassCover, first: PrintedJournal) -> list[Flowable]:
    return [Spacer(1, 30 * mm), para(cover.school, TITLE_LINE), Spacer(1, 20 * mm),
            para("КЛАССНЫЙ ЖУРНАЛ", TITLE_PAGE), Spacer(1, 8 * mm),
            para(f"{cover.class_name} класса", TITLE_LINE), Spacer(1, 4 * mm),
            para(f"Учебный год {cover.academic_year}", TITLE_LINE), Spacer(1, 4 * mm),
            para(f"{first.period} ({first.starts_on:%d.%m.%Y} – {first.ends_on:%d.%m.%Y})",
                 TITLE_LINE),
            Spacer(1, 15 * mm),
            para(f"Классный руководитель: {cover.class_teacher or '_' * 30}", TITLE_LINE)]


def _contents(journals: Sequence[PrintedJournal], pages: dict[int, int]) -> list[Flowable]:
    rows: list[list[Any]] = [["№", "Предмет", "Группа", "Учитель", "Стр."]]
    for n, journal in enumerate(journals):
        rows.append([str(n + 1), para(journal.subject, SMALL), para(journal.group, SMALL),
                     para(", ".join(journal.teachers) or "—", SMALL),
                     str(pages.get(n, "…"))])
    widths = [24, 0, 0, 200, 40]
    widths[1] = widths[2] = (WIDTH - sum(widths)) / 2
    # fixed row heights: both passes paginate alike
    table = _table(rows, widths, size=8, extra=[("ALIGN", (-1, 0), (-1, -1), "RIGHT")],
                   row_heights=[CONTENTS_ROW] * len(rows))
    return [para("Содержание", TITLE), Spacer(1, 4 * mm), table]


def class_journal_pdf(cover: ClassCover, journals: Sequence[PrintedJournal], *,
                      printed_on: date | None = None) -> bytes:
    """A class's journal for a period: a title page (school, class, year, period, class
    teacher), the contents (each group with the page it starts on), then each group from a
    new page. Rendered twice: the first pass finds the pages, the second prints them."""
    printed_on = printed_on or date.today()
    first = journals[0]
    footer = f"{cover.school} · {cover.class_name} · {first.period}"
    pages: dict[int, int] = {}

    def story(numbers: dict[int, int]) -> list[Flowable]:
        out = [*_cover(cover, first), PageBreak(), *_contents(journals, numbers)]
        for n, journal in enumerate(journals):
            out += [PageBreak(), PageMark(n, pages), *journal_story(journal, printed_on)]
        return out

    render(story({}), title=f"Классный журнал: {footer}", footer=footer)
    return render(story(dict(pages)), title=f"Классный журнал: {footer}", footer=footer)


# --- the monthly report ----------------------------------------------------------------------

# The 24 indicators do not fit one A4 row legibly: three tables by subject, each after the
# municipality and the school again (header names as in report_sql.HEADERS; a header in none
# of them goes to a last table, so a new column is never dropped from the print).
MONTHLY_TABLES = [
    ("Контингент и отметки",
     ["Учащихся", "Отметок", "Средняя отметка (0–100)", "Успеваемость и качество: основа",
      "Аттестовано учащихся", "Успевают", "Успеваемость, %", "На «4» и «5»", "Качество, %"]),
    ("Посещаемость и своевременность заполнения журнала",
     ["Посещаемость, %", "Пропуски н", "Пропуски б", "Пропуски у", "Опоздания оп",
      "Уроков проведено", "Темы в день урока, %", "Посещаемость в день урока, %",
      "ДЗ в день урока, %", "Отметки в срок, %"]),
    ("Выполнение учебного плана и итоговые отметки",
     ["Часов по плану", "Уроков к плану, %", "Итоговых ожидалось", "Итоговых отсрочено",
      "Итоговых нет"]),
]
OTHER_TABLE = "Другие показатели"
REPORT_SIZE, REPORT_HEADER_SIZE = 7.5, 7  # pt; both print legibly on A4
MUNICIPALITY_W, SCHOOL_W = 95, 170
CELL_PAD = 2.5
FRAME_HEIGHT = PAGE[1] - 2 * MARGIN - 12  # SimpleDocTemplate's frame pads 6 pt each side
ORPHAN_HEIGHT = 40 * mm  # a caption, the header and a few rows
SUBTOTAL_BACKGROUND, TOTAL_BACKGROUND = colors.Color(0.95, 0.95, 0.95), colors.Color(0.86,
                                                                                      0.86, 0.86)
# Header words wrap at spaces only: a word wider than its column overflows rather than split.
REPORT_HEADER = ParagraphStyle("zReportHeader", fontName=FONT_BOLD, fontSize=REPORT_HEADER_SIZE,
                               leading=REPORT_HEADER_SIZE * 1.2, alignment=TA_CENTER,
                               splitLongWords=False)
REPORT_CELL, REPORT_CELL_BOLD = _style(REPORT_SIZE), _style(REPORT_SIZE, bold=True)


def monthly_groups(headers: Sequence[str]) -> list[tuple[str, list[int]]]:
    """The tables as (caption, column indexes into `headers`), the two name columns left out."""
    index = {h: i for i, h in enumerate(headers)}
    groups = [(caption, [index[h] for h in names if h in index])
              for caption, names in MONTHLY_TABLES]
    grouped = {i for _, columns in groups for i in columns}
    rest = [i for i in range(2, len(headers)) if i not in grouped]
    return [g for g in groups if g[1]] + ([(OTHER_TABLE, rest)] if rest else [])


def _decimals(values: Sequence[object]) -> int:
    """The most fractional digits (two at most) among a column's numbers, so that its commas
    line up."""
    return min(2, max((len(repr(v).partition(".")[2]) for v in values if isinstance(v, float)),
                      default=0))


def _figure(value: object, decimals: int) -> str:
    """A number the Russian way (thousands apart by a no-break space, a decimal comma); text
    («<5») as it is."""
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    spec = f",.{decimals}f" if isinstance(value, float) else ","
    return format(value, spec).replace(",", "\u00a0").replace(".", ",")


def _column_widths(headers: Sequence[str], cells: Sequence[Sequence[str]],
                   room: float) -> list[float]:
    """Each column at least as wide as its longest header word and widest figure; the room
    left is shared so that the columns come out as even as those minimums allow."""
    register_fonts()
    pad = 2 * CELL_PAD + 1
    least = [max([pdfmetrics.stringWidth(w, FONT_BOLD, REPORT_HEADER_SIZE) for w in h.split()]
                 + [pdfmetrics.stringWidth(c, FONT_BOLD, REPORT_SIZE) for c in column]) + pad
             for h, column in zip(headers, zip(*cells, strict=True) if cells else
                                  [()] * len(headers), strict=True)]
    if sum(least) >= room:
        return least
    even = sorted(least)
    for k in range(len(even), 0, -1):  # the k narrowest share what the others leave them
        share = (room - sum(even[k:])) / k
        if share >= even[k - 1]:
            return [max(width, share) for width in least]
    return least  # not reached: k = 1 always fits


def _monthly_table(report: MonthlyReport, rows: list[list[object]],
                   columns: list[int]) -> Table:
    headers = [report.headers[i] for i in columns]
    decimals = {i: _decimals([row[i] for row in rows]) for i in columns}
    figures = [[_figure(row[i], decimals[i]) for i in columns] for row in rows]
    widths = _column_widths(headers, figures, WIDTH - MUNICIPALITY_W - SCHOOL_W)
    data: list[list[Any]] = [[para(h, REPORT_HEADER) for h in report.headers[:2]]
                             + [para(h, REPORT_HEADER) for h in headers]]
    extra: list[tuple[Any, ...]] = [("ALIGN", (2, 1), (-1, -1), "RIGHT"),
                                    ("VALIGN", (0, 0), (-1, 0), "MIDDLE"),
                                    ("LEFTPADDING", (0, 0), (-1, -1), CELL_PAD),
                                    ("RIGHTPADDING", (0, 0), (-1, -1), CELL_PAD)]
    for r, (row, cells) in enumerate(zip(rows, figures, strict=True), start=1):
        total = row[1] == "Итого"
        style = REPORT_CELL_BOLD if total else REPORT_CELL
        data.append([para(row[0], style), para(row[1], style), *cells])
        if total:
            last = r == len(rows)
            extra += [("FONT", (2, r), (-1, r), FONT_BOLD, REPORT_SIZE),
                      ("BACKGROUND", (0, r), (-1, r),
                       TOTAL_BACKGROUND if last else SUBTOTAL_BACKGROUND)]
    return _table(data, [MUNICIPALITY_W, SCHOOL_W, *widths], size=REPORT_SIZE, extra=extra)


def monthly_story(report: MonthlyReport, printed_on: date) -> list[Flowable]:
    """The title, the note on suppressed figures, then a table per group of indicators."""
    rows = report.table_rows()
    story: list[Flowable] = [para(report.title, TITLE), Spacer(1, 2 * mm),
                             para(report.note, SMALL)]
    for n, (caption, columns) in enumerate(monthly_groups(report.headers), start=1):
        section = [Spacer(1, 5 * mm), para(f"{n}. {caption}", HEADING), Spacer(1, 2 * mm),
                   _monthly_table(report, rows, columns)]
        # a table that fits a page starts on the next one rather than split; a longer one
        # starts here, unless its caption would stand alone at the foot of the page
        if sum(f.wrap(WIDTH, PAGE[1])[1] for f in section) <= FRAME_HEIGHT:
            story.append(KeepTogether(section))
        else:
            story += [CondPageBreak(ORPHAN_HEIGHT), *section]
    story += [Spacer(1, 4 * mm), para(f"Сформировано {printed_on:%d.%m.%Y}", SMALL)]
    return story


def monthly_pdf(report: MonthlyReport, *, printed_on: date | None = None) -> bytes:
    return render(monthly_story(report, printed_on or date.today()), title=report.title,
                  footer=report.title)
