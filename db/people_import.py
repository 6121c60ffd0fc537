"""Bulk import of a school's people from one CSV or XLSX file, and the templates for it.

Parsing (db/import_parse.py) knows nothing of the database; checking against the school and
writing (db/import_apply.py) run in the caller's transaction; both the command line and the
`importPeople` mutation come through `run_import`.
"""

from __future__ import annotations

import asyncio
import csv
import io
import uuid
from datetime import date, datetime
from pathlib import Path

from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import AsyncSession

from db.audit import Actor
from db.import_apply import ImportResult, NewAccount, Progress, apply_import, capped
from db.import_parse import COLUMNS, ImportFileError, ImportProblem, parse_file

__all__ = ["ImportProblem", "ImportResult", "NewAccount", "UnknownSchool", "import_as_operator",
           "run_import", "write_templates"]


async def run_import(session: AsyncSession, school_id: uuid.UUID, data: bytes, file_name: str,
                     *, actor: Actor, today: date, dry_run: bool,
                     progress: Progress | None = None) -> ImportResult:
    """Read, check and (unless a dry run or a problem) write the file. On problems nothing was
    written by this call, and the caller must not commit anything else of it either."""
    try:
        # In a worker thread: a 0.5 MB workbook took seconds to read, and on the event loop
        # every other request of the process waited for it.
        parsed = await asyncio.to_thread(parse_file, data, file_name, today)
    except ImportFileError as e:
        return ImportResult(problems=capped(e.problems), dry_run=dry_run)
    if progress:
        progress("read", len(parsed.rows), len(parsed.rows))
    return await apply_import(session, school_id, parsed, actor=actor, today=today,
                              dry_run=dry_run, progress=progress)


class UnknownSchool(Exception):
    pass


def import_as_operator(owner_url: URL, school_id: uuid.UUID, path: Path, *, dry_run: bool,
                       progress: Progress | None = None) -> ImportResult:
    """The command line's import: as the database owner, in one transaction committed only
    when the whole file is valid. The audit rows name no person: the operator has none."""
    import asyncio

    return asyncio.run(_import_as_operator(owner_url, school_id, path, dry_run, progress))


async def _import_as_operator(owner_url: URL, school_id: uuid.UUID, path: Path, dry_run: bool,
                              progress: Progress | None) -> ImportResult:
    from zoneinfo import ZoneInfo

    from sqlalchemy import select
    from sqlalchemy.ext.asyncio import create_async_engine

    from db.engine import app_sessions
    from db.models import School
    from db.tenancy import set_tenant_async

    data = path.read_bytes()
    engine = create_async_engine(owner_url)
    try:
        async with app_sessions(engine)() as session, session.begin():
            school = await session.scalar(select(School).where(School.id == school_id))
            if school is None:
                raise UnknownSchool(f"no school with id {school_id}")
            # The owner bypasses nothing here: RLS is forced, so scope to the school.
            await set_tenant_async(session, [school_id])
            actor = Actor(account_id=None, person_id=None, token_id=None,
                          request_id=f"cli-import-{uuid.uuid4().hex[:12]}")
            today = datetime.now(ZoneInfo(school.timezone)).date()
            result = await run_import(session, school_id, data, path.name, actor=actor,
                                      today=today, dry_run=dry_run, progress=progress)
            if not result.written:
                await session.rollback()
            return result
    finally:
        await engine.dispose()


# Example rows of the template: two students with a guardian each (one placed in the subgroups
# of her class, one left to moveToSubgroup), a teacher who is also an administrator. Codes are
# the school's own (e.g. numbers from the alphabetical register). The classes and subgroup
# names are the demo school's, so the template imports into it as it is.
EXAMPLE_ROWS: list[dict[str, str]] = [
    {"external_id": "1001", "role": "ученик", "last_name": "Иванова", "first_name": "Мария",
     "middle_name": "Петровна", "birth_date": "14.03.2008", "class": "7А",
     "subgroups": "Английский язык (гр. 1); Информатика (гр. 2)"},
    {"external_id": "1002", "role": "ученик", "last_name": "Петров", "first_name": "Илья",
     "middle_name": "Сергеевич", "birth_date": "02.11.2009", "class": "5А"},
    {"external_id": "2001", "role": "родитель", "last_name": "Иванова", "first_name": "Ольга",
     "middle_name": "Николаевна", "guardian_of": "1001", "relation": "мать",
     "login": "ivanova.olga"},
    {"external_id": "2002", "role": "родитель", "last_name": "Петров", "first_name": "Сергей",
     "middle_name": "Иванович", "guardian_of": "1002", "relation": "отец"},
    {"external_id": "3001", "role": "учитель, администратор", "last_name": "Смирнова",
     "first_name": "Анна", "middle_name": "Викторовна", "login": "smirnova.anna"},
]


def template_rows() -> tuple[list[str], list[list[str]]]:
    header = [c.russian for c in COLUMNS]
    rows = [[example.get(c.key, "") for c in COLUMNS] for example in EXAMPLE_ROWS]
    return header, rows


def template_csv() -> bytes:
    """UTF-8 with a BOM and `;` between fields: what Russian Excel opens without asking."""
    header, rows = template_rows()
    out = io.StringIO(newline="")
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8-sig")


def template_xlsx() -> bytes:
    """The people sheet first (the only one read), then a sheet explaining each column."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    header, rows = template_rows()
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "Люди"
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for i in range(len(COLUMNS)):
        letter = sheet.cell(row=1, column=i + 1).column_letter
        longest = max(len(r[i]) for r in [header, *rows])
        sheet.column_dimensions[letter].width = min(50, max(12, longest + 4))
        # Codes, dates and classes as text, so Excel keeps «01.09.2010» and «0042» as typed.
        sheet.column_dimensions[letter].number_format = "@"
    notes = workbook.create_sheet("Пояснения")
    notes.append(["Столбец", "English header (also accepted)", "Обязателен", "Meaning"])
    for cell in notes[1]:
        cell.font = Font(bold=True)
    for column in COLUMNS:
        notes.append([column.russian, column.english, "да" if column.required else "нет",
                      column.help])
    notes.column_dimensions["A"].width = 20
    notes.column_dimensions["B"].width = 28
    notes.column_dimensions["D"].width = 90
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def write_templates(out_dir: Path) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, content in (("people.csv", template_csv()), ("people.xlsx", template_xlsx())):
        path = out_dir / name
        path.write_bytes(content)
        written.append(path)
    return written
