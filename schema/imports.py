"""Bulk import of people: the input (a file as base64), the payload (counts, accounts) and the
`importPeople` mutation."""

from __future__ import annotations

from functools import partial

import strawberry
from strawberry.types import Info

from db.people_import import ImportResult
from resolvers.people import imports
from schema.errors import UserError
from schema.input_ids import decoded
from schema.mutations import Input, actor, apply
from schema.permissions import IsAuthenticated
from tenants.errors import Problem


@strawberry.input(description="A CSV or XLSX file of students, staff and guardians with their "
                              "classes and links (the template: `zhurnal import template`). "
                              "Sent as base64 in JSON, at most 5 MB decoded.")
class ImportPeopleInput:
    school_id: strawberry.ID = strawberry.field(
        description="The school to import into; the viewer must administer it.")
    file_name: str = strawberry.field(
        description="The file's name; `.xlsx` is read as a workbook (first sheet), anything "
                    "else as CSV (UTF-8 with or without BOM, or Windows-1251; `;`, `,` or tab "
                    "between fields).")
    content_base64: str = strawberry.field(description="The file's bytes, base64-encoded.")
    dry_run: bool = strawberry.field(
        default=False, description="Only check the file and count what would change; write "
                                   "nothing and create no account.")


@strawberry.type(description="A login account the import created, with its one-time password "
                             "(shown only in this response: hand it to the person).")
class ImportedAccount:
    external_id: str = strawberry.field(description="The person's code in the file.")
    login: str = strawberry.field(description="The new account's login.")
    initial_password: str | None = strawberry.field(
        description="The one-time initial password; null in a dry run.")


@strawberry.type(description="Result of `importPeople`. With errors nothing was written and the "
                             "counts are zero.")
class ImportPeoplePayload:
    rows: int = strawberry.field(description="Rows of people read from the file (blank rows "
                                             "skipped).")
    created: int = strawberry.field(description="Rows that created a new person.")
    updated: int = strawberry.field(description="Rows that changed an existing person (names, "
                                                "dates, roles, class, subgroups, links or login "
                                                "added).")
    unchanged: int = strawberry.field(description="Rows that matched an existing person with "
                                                  "nothing to change.")
    dry_run: bool = strawberry.field(description="True when nothing was written by request.")
    academic_year: str | None = strawberry.field(
        description="The academic year whose classes the «class» column named.")
    ignored_columns: list[str] = strawberry.field(
        description="Columns of the file that were neither read nor stored (the platform keeps "
                    "only the personal data it needs).")
    accounts: list[ImportedAccount] = strawberry.field(
        description="Accounts created by this import, with one-time passwords.")
    errors: list[UserError] = strawberry.field(
        description="Every problem of the file: `field` is `input.file.rows.<row>.<column>` "
                    "(row as numbered in Excel, the header being row 1), or `input.file` / "
                    "`input.contentBase64` for the file as a whole.")


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
    school = decoded(input.school_id, "School", "input.schoolId")
    c = info.context
    result, errors = await apply(info, lambda: imports.import_people(
        c.session, c.access, school, input.file_name, input.content_base64,
        dry_run=input.dry_run, actor=partial(actor, info)))
    return _payload(result, errors, input.dry_run)


@strawberry.type
class ImportsMutation:
    import_people: ImportPeoplePayload = strawberry.field(
        resolver=import_people, permission_classes=[IsAuthenticated],
        description="Import students, staff and guardians with their classes, links and "
                    "logins from a CSV or XLSX file (school administrators). Every row is "
                    "checked first; with any error nothing is written. Persons are matched by "
                    "their code (external id), so importing the same file again changes "
                    "nothing; nothing is ever deleted. In a class divided into subgroups the "
                    "«Подгруппы» column places the student in the named subgroups (one per "
                    "split); left empty, the student joins the class and its whole-class groups "
                    "only, and `moveToSubgroup` places them later. A re-import keeps a "
                    "subgroup, joins one the student is in none of (from today), and refuses "
                    "another subgroup of the same split (a move: `moveToSubgroup`).")
