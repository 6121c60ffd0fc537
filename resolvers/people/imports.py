"""The people import: a school administrator's bulk import of people from a file."""

from __future__ import annotations

import base64
import binascii

from sqlalchemy.ext.asyncio import AsyncSession

from db.audit import ActorFor
from db.import_parse import MAX_FILE_BYTES, ImportProblem
from db.people_import import ImportResult, run_import
from resolvers.input_ids import Id, required
from resolvers.people.writes import school_today
from resolvers.school_config import admin_school
from tenants.access import AccessContext
from tenants.errors import DomainError, ErrorCode, Problem, refusal

# Base64 is 4 characters for every 3 bytes: refuse an oversized file before decoding it.
MAX_BASE64_CHARS = (MAX_FILE_BYTES + 2) // 3 * 4


def _camel(key: str) -> str:
    head, *rest = key.split("_")
    return head + "".join(part.title() for part in rest)


def problem_error(problem: ImportProblem) -> Problem:
    """`input.file.rows.7.birthDate` for a cell, `input.file` for the file as a whole."""
    field = "input.file"
    if problem.row is not None:
        field += f".rows.{problem.row}"
        if problem.column is not None:
            field += f".{_camel(problem.column)}"
    return Problem(field=field, code=ErrorCode(problem.code), message=problem.describe())


def decode_content(value: str) -> bytes:
    if len(value) > MAX_BASE64_CHARS:
        raise refusal("input.contentBase64", ErrorCode.OUT_OF_RANGE,
                         f"the file is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB; split "
                         "it into several files")
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise refusal("input.contentBase64", ErrorCode.INVALID,
                         "is not valid base64") from None


async def import_people(session: AsyncSession, access: AccessContext, school: Id,
                        file_name: str, content_base64: str, *, dry_run: bool,
                        actor: ActorFor) -> ImportResult:
    school_id = admin_school(access, required(school), "input.schoolId")
    content = decode_content(content_base64)
    result = await run_import(session, school_id, content, file_name, actor=actor(school_id),
                              today=await school_today(session, school_id), dry_run=dry_run)
    if result.problems:
        raise DomainError(*(problem_error(p) for p in result.problems))
    return result

