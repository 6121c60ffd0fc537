"""By-id access for roster writes: a row of another school looks exactly like a missing one.

Every `access_*` function takes a global id from the input as schema/ decoded it, loads the
row (RLS already limits it to the viewer's schools) and answers NOT_FOUND alike for a missing
row, a row of a school the viewer is no member of, or one outside the school of the object
being changed.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Sequence
from datetime import date
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db import models
from db.audit import ActorFor, Change, record, snapshot
from resolvers.input_ids import Id, required
from tenants.errors import DomainError, ErrorCode, Problem, not_found, refusal

T = TypeVar("T")
M = TypeVar("M", bound=models.Base)


class Errors:
    """Collects every problem of an input so the client hears about all of them at once."""

    def __init__(self) -> None:
        self.items: list[Problem] = []

    def add(self, field: str | None, code: ErrorCode, message: str) -> None:
        self.items.append(Problem(field=field, code=code, message=message))

    async def attempt(self, work: Awaitable[T]) -> T | None:
        try:
            return await work
        except DomainError as e:
            self.items.extend(e.problems)
            return None

    def raise_any(self) -> None:
        if self.items:
            raise DomainError(*self.items)


async def row_in_school(
    session: AsyncSession, model: type[M], school_id: uuid.UUID, row_id: uuid.UUID
) -> M | None:
    return await session.scalar(
        select(model).where(model.school_id == school_id,  # type: ignore[attr-defined]
                            model.id == row_id)  # type: ignore[attr-defined]
    )


async def access_in_school(
    session: AsyncSession, model: type[M], school_id: uuid.UUID, ref: Id, field: str,
    what: str,
) -> M:
    """A row the input refers to, which must belong to `school_id`."""
    row = await row_in_school(session, model, school_id, required(ref))
    if row is None:
        raise not_found(field, what)
    return row


async def roles_of(
    session: AsyncSession, school_id: uuid.UUID, person_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, set[models.SchoolRole]]:
    rows = await session.execute(
        select(models.PersonRole.person_id, models.PersonRole.role).where(
            models.PersonRole.school_id == school_id,
            models.PersonRole.person_id.in_(list(person_ids)))
    )
    out: dict[uuid.UUID, set[models.SchoolRole]] = {}
    for person_id, role in rows.all():
        out.setdefault(person_id, set()).add(role)
    return out


async def access_person(
    session: AsyncSession, school_id: uuid.UUID, ref: Id, field: str, role: models.SchoolRole
) -> models.Person:
    """A person of the school who holds `role` there (a teacher, a student)."""
    what = "teacher" if role is models.SchoolRole.TEACHER else str(role.value)
    person = await access_in_school(session, models.Person, school_id, ref, field, what)
    roles = await roles_of(session, school_id, [person.id])
    if role not in roles.get(person.id, set()):
        raise refusal(field, ErrorCode.INVALID, f"is not a {what} of the school")
    return person


async def year_of(session: AsyncSession, school_id: uuid.UUID,
                  year_id: uuid.UUID) -> models.AcademicYear:
    year = await row_in_school(session, models.AcademicYear, school_id, year_id)
    assert year is not None  # a foreign key guarantees it
    return year


def check_in_year(errors: Errors, year: models.AcademicYear, day: date | None, field: str) -> None:
    if day is not None and not year.starts_on <= day <= year.ends_on:
        errors.add(field, ErrorCode.OUT_OF_RANGE,
                   f"must lie inside the academic year {year.name} ({year.starts_on} – "
                   f"{year.ends_on})")


def check_span(
    errors: Errors, year: models.AcademicYear, starts_on: date, ends_on: date | None,
    start_field: str, end_field: str,
) -> None:
    """Both days inside the year, and the end not before the start."""
    check_in_year(errors, year, starts_on, start_field)
    check_in_year(errors, year, ends_on, end_field)
    if ends_on is not None and ends_on < starts_on:
        errors.add(end_field, ErrorCode.INVALID, "must not be before the start date")


def full_name(person: models.Person) -> str:
    return " ".join(p for p in (person.last_name, person.first_name, person.middle_name) if p)


class Audit:
    """The audit rows of one write, appended in its transaction after the rows are flushed."""

    def __init__(self, session: AsyncSession, actor: ActorFor, school_id: uuid.UUID) -> None:
        self.session = session
        self.actor = actor
        self.school_id = school_id
        self.changes: list[Change] = []

    def created(self, row: Any) -> None:
        self.changes.append(Change(school_id=self.school_id, action="create",
                                   entity=row.__tablename__, entity_id=row.id,
                                   after=snapshot(row)))

    def updated(self, row: Any, before: dict[str, Any] | None) -> None:
        self.changes.append(Change(school_id=self.school_id, action="update",
                                   entity=row.__tablename__, entity_id=row.id,
                                   before=before, after=snapshot(row)))

    def deleted(self, row: Any, before: dict[str, Any] | None) -> None:
        self.changes.append(Change(school_id=self.school_id, action="delete",
                                   entity=row.__tablename__, entity_id=row.id, before=before))

    async def write(self) -> None:
        await self.session.flush()
        await record(self.session, self.actor(self.school_id), *self.changes)
