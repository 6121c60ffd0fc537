"""The `importPeople` mutation: a school administrator's bulk import of people from a file."""

from __future__ import annotations

import base64
import binascii

import strawberry
from strawberry.types import Info

from db.import_parse import MAX_FILE_BYTES, ImportProblem
from db.people_import import ImportResult, run_import
from resolvers.people_writes import require_school_admin, school_today
from schema.ids import from_global_id
from schema.imports import ImportedAccount, ImportPeopleInput, ImportPeoplePayload
from schema.mutations import Input, actor, apply
from schema.permissions import IsAuthenticated
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


async def import_people_write(info: Info, data: ImportPeopleInput) -> ImportResult:
    school_id = from_global_id(data.school_id, "School", "input.schoolId")
    require_school_admin(info.context.access, school_id, "input.schoolId")
    content = decode_content(data.content_base64)
    result = await run_import(info.context.session, school_id, content, data.file_name,
                              actor=actor(info, school_id),
                              today=await school_today(info, school_id), dry_run=data.dry_run)
    if result.problems:
        raise DomainError(*(problem_error(p) for p in result.problems))
    return result


def _payload(result: ImportResult | None, errors: list[Problem],
             dry_run: bool) -> ImportPeoplePayload:
    if result is None:
        return ImportPeoplePayload(rows=0, created=0, updated=0, unchanged=0, dry_run=dry_run,
                                   academic_year=None, ignored_columns=[], accounts=[],
                                   errors=errors)
    return ImportPeoplePayload(
        rows=result.rows, created=result.created, updated=result.updated,
        unchanged=result.unchanged, dry_run=result.dry_run, academic_year=result.academic_year,
        ignored_columns=result.ignored_columns,
        accounts=[ImportedAccount(external_id=a.external_id, login=a.login,
                                  initial_password=a.password) for a in result.accounts],
        errors=errors)


async def import_people(info: Info, input: Input[ImportPeopleInput]) -> ImportPeoplePayload:
    result, errors = await apply(info, lambda: import_people_write(info, input))
    return _payload(result, errors, input.dry_run)


@strawberry.type
class ImportsMutation:
    import_people: ImportPeoplePayload = strawberry.field(
        resolver=import_people, permission_classes=[IsAuthenticated],
        description="Import students, staff and guardians with their classes, links and "
                    "logins from a CSV or XLSX file (school administrators). Every row is "
                    "checked first; with any error nothing is written. Persons are matched by "
                    "their code (external id), so importing the same file again changes "
                    "nothing; nothing is ever deleted.")
