"""Bulk import of people: the input (a file as base64) and the payload (counts, accounts)."""

from __future__ import annotations

import strawberry

from schema.errors import UserError


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
                                                "dates, roles, class, links or login added).")
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
