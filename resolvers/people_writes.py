"""Writes of the people domain: persons, roles, guardian links and accounts, each audited.

Every write is the school administrator's; a person is looked up through the viewer's
visibility, so an id of another school (or one the viewer may not see) is NOT_FOUND alike.
"""

from __future__ import annotations

import contextlib
import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import insert, select
from strawberry.dataloader import DataLoader
from strawberry.types import Info
from strawberry.types.unset import UnsetType

from db import models
from db.audit import Change, record, snapshot
from db.logins import LOGIN_PATTERN, LOGIN_RULE, normalize_login
from resolvers.auth.passwords import hashed
from schema.ids import from_global_id
from schema.mutations import actor
from schema.people import (
    CreatePersonInput,
    GrantRoleInput,
    LinkGuardianInput,
    RevokeRoleInput,
    SetPersonAccountInput,
    UnbindPersonAccountInput,
    UnlinkGuardianInput,
    UpdatePersonInput,
)
from tenants.access import AccessContext
from tenants.errors import DomainError, ErrorCode, Problem, not_found, refusal
from tenants.rules import require_admin

NAME_MAX = 100
EXTERNAL_ID_MAX = 64
RELATION_MAX = 32
EARLIEST_BIRTH_DATE = date(1900, 1, 1)
PASSWORD_MIN = 8
# argon2 hashes any length, but an unbounded password is a cheap way to burn CPU.
PASSWORD_MAX = 256


def require_school_admin(access: AccessContext, school_id: uuid.UUID, field: str) -> None:
    """A school from the client: NOT_FOUND unless the viewer belongs to it, FORBIDDEN unless
    they administer it."""
    if access.membership(school_id) is None:
        raise not_found(field, "school")
    require_admin(access, school_id, field)


async def access_person_by_id(info: Info, value: str, field: str) -> models.Person:
    """A person the viewer administers; missing and invisible ids are both NOT_FOUND."""
    person_id = from_global_id(value, "Person", field)
    row = await info.context.loaders.visible_person.load(person_id)
    if row is None:
        raise not_found(field, "person")
    require_admin(info.context.access, row.school_id, field)
    return row


@dataclass
class Checker:
    """Collects every problem of an input, so the client sees them all at once."""

    errors: list[Problem]

    def add(self, field: str, code: ErrorCode, message: str) -> None:
        self.errors.append(Problem(field=field, code=code, message=message))

    def name(self, value: str, field: str) -> str:
        text = value.strip()
        if not text:
            self.add(field, ErrorCode.REQUIRED, "must not be blank")
        elif len(text) > NAME_MAX:
            self.add(field, ErrorCode.INVALID, f"must be at most {NAME_MAX} characters")
        return text

    def optional_text(self, value: str | None, field: str, limit: int) -> str | None:
        text = (value or "").strip() or None
        if text is not None and len(text) > limit:
            self.add(field, ErrorCode.INVALID, f"must be at most {limit} characters")
        return text

    def birth_date(self, value: date | None, field: str, today: date) -> None:
        if value is None:
            return
        if value > today:
            self.add(field, ErrorCode.OUT_OF_RANGE, "must not be in the future")
        elif value < EARLIEST_BIRTH_DATE:
            self.add(field, ErrorCode.OUT_OF_RANGE, "must not be before 1900-01-01")

    def raise_if_any(self) -> None:
        if self.errors:
            raise DomainError(*self.errors)


async def school_today(info: Info, school_id: uuid.UUID) -> date:
    """Today in the school's time zone (a birth date entered at 00:30 in Blagoveshchensk)."""
    school = await info.context.loaders.by_id(models.School).load(school_id)
    zone = ZoneInfo(school.timezone) if school else None
    return datetime.now(zone).date()


async def external_id_taken(info: Info, school_id: uuid.UUID, external_id: str,
                            person_id: uuid.UUID | None = None) -> bool:
    stmt = select(models.Person.id).where(models.Person.school_id == school_id,
                                          models.Person.external_id == external_id)
    if person_id is not None:
        stmt = stmt.where(models.Person.id != person_id)
    return (await info.context.session.scalar(stmt.limit(1))) is not None


async def roles_of(info: Info, person: models.Person) -> set[models.SchoolRole]:
    # Read afresh, not through the loader: the payload's `roles` must see this write.
    rows = await info.context.session.scalars(
        select(models.PersonRole.role).where(models.PersonRole.school_id == person.school_id,
                                             models.PersonRole.person_id == person.id))
    return set(rows)


def forget(loader: DataLoader[uuid.UUID, Any], key: uuid.UUID) -> None:
    """Drop a cached relation this write changed, so a later field in the same request (a
    second mutation of the document) reads it afresh."""
    with contextlib.suppress(KeyError):  # strawberry's clear() raises for an absent key
        loader.clear(key)


async def create_person(info: Info, data: CreatePersonInput) -> models.Person:
    session = info.context.session
    school_id = from_global_id(data.school_id, "School", "input.schoolId")
    require_school_admin(info.context.access, school_id, "input.schoolId")
    check = Checker([])
    last_name = check.name(data.last_name, "input.lastName")
    first_name = check.name(data.first_name, "input.firstName")
    middle_name = check.optional_text(data.middle_name, "input.middleName", NAME_MAX)
    check.birth_date(data.birth_date, "input.birthDate", await school_today(info, school_id))
    external_id = check.optional_text(data.external_id, "input.externalId", EXTERNAL_ID_MAX)
    if external_id and await external_id_taken(info, school_id, external_id):
        check.add("input.externalId", ErrorCode.DUPLICATE,
                  "another person of the school has this external id")
    if not data.roles:
        check.add("input.roles", ErrorCode.REQUIRED, "give at least one role")
    check.raise_if_any()
    person = models.Person(school_id=school_id, id=uuid.uuid4(), last_name=last_name,
                           first_name=first_name, middle_name=middle_name,
                           birth_date=data.birth_date, external_id=external_id)
    session.add(person)
    await session.flush()
    roles = [models.PersonRole(school_id=school_id, id=uuid.uuid4(), person_id=person.id,
                               role=role) for role in sorted(set(data.roles))]
    session.add_all(roles)
    await session.flush()
    await session.refresh(person)
    await record(session, actor(info, school_id),
                 Change(school_id=school_id, action="create", entity="persons",
                        entity_id=person.id, after=snapshot(person)),
                 *(Change(school_id=school_id, action="create", entity="person_roles",
                          entity_id=r.id, after=snapshot(r)) for r in roles))
    return person


async def update_person(info: Info, data: UpdatePersonInput) -> models.Person:
    session = info.context.session
    person = await access_person_by_id(info, data.id, "input.id")
    check = Checker([])
    changes: dict[str, Any] = {}
    for key, field in (("last_name", "lastName"), ("first_name", "firstName")):
        value = getattr(data, key)
        if isinstance(value, UnsetType):
            continue
        if value is None:
            check.add(f"input.{field}", ErrorCode.REQUIRED, "cannot be cleared")
        else:
            changes[key] = check.name(value, f"input.{field}")
    if not isinstance(data.middle_name, UnsetType):
        changes["middle_name"] = check.optional_text(data.middle_name, "input.middleName",
                                                     NAME_MAX)
    if not isinstance(data.birth_date, UnsetType):
        check.birth_date(data.birth_date, "input.birthDate",
                         await school_today(info, person.school_id))
        changes["birth_date"] = data.birth_date
    if not isinstance(data.external_id, UnsetType):
        external_id = check.optional_text(data.external_id, "input.externalId",
                                          EXTERNAL_ID_MAX)
        if external_id and await external_id_taken(info, person.school_id, external_id,
                                                   person.id):
            check.add("input.externalId", ErrorCode.DUPLICATE,
                      "another person of the school has this external id")
        changes["external_id"] = external_id
    check.raise_if_any()
    changes = {k: v for k, v in changes.items() if getattr(person, k) != v}
    if changes:
        before = snapshot(person)
        for key, value in changes.items():
            setattr(person, key, value)
        await session.flush()
        await record(session, actor(info, person.school_id),
                     Change(school_id=person.school_id, action="update", entity="persons",
                            entity_id=person.id, before=before, after=snapshot(person)))
    return person


async def grant_role(info: Info, data: GrantRoleInput) -> models.Person:
    session = info.context.session
    person = await access_person_by_id(info, data.person_id, "input.personId")
    if data.role in await roles_of(info, person):
        raise DomainError(Problem(field="input.role", code=ErrorCode.DUPLICATE,
                                       message="the person already holds this role"))
    row = models.PersonRole(school_id=person.school_id, id=uuid.uuid4(), person_id=person.id,
                            role=data.role)
    session.add(row)
    await session.flush()
    await record(session, actor(info, person.school_id),
                 Change(school_id=person.school_id, action="create", entity="person_roles",
                        entity_id=row.id, after=snapshot(row)))
    forget(info.context.loaders.many(models.PersonRole.person_id), person.id)
    return person


async def revoke_role(info: Info, data: RevokeRoleInput) -> models.Person:
    session = info.context.session
    person = await access_person_by_id(info, data.person_id, "input.personId")
    school_id = person.school_id
    if data.role == models.SchoolRole.ADMINISTRATOR:
        # Lock every administrator grant of the school, so two administrators revoking each
        # other at once cannot leave the school with none.
        admins = (await session.scalars(
            select(models.PersonRole.person_id).where(
                models.PersonRole.school_id == school_id,
                models.PersonRole.role == models.SchoolRole.ADMINISTRATOR,
            ).with_for_update())).all()
        if set(admins) == {person.id}:
            raise DomainError(Problem(
                field="input.role", code=ErrorCode.INVALID,
                message="the school's last administrator cannot lose the role; grant it to "
                        "someone else first"))
    row = await session.scalar(select(models.PersonRole).where(
        models.PersonRole.school_id == school_id, models.PersonRole.person_id == person.id,
        models.PersonRole.role == data.role).with_for_update())
    if row is None:
        raise not_found("input.role", "role of this person")
    before = snapshot(row)
    await session.delete(row)
    await session.flush()
    await record(session, actor(info, school_id),
                 Change(school_id=school_id, action="delete", entity="person_roles",
                        entity_id=row.id, before=before))
    forget(info.context.loaders.many(models.PersonRole.person_id), person.id)
    return person


async def _guardian_and_student(
    info: Info, guardian_value: str, student_value: str
) -> tuple[models.Person, models.Person]:
    guardian = await access_person_by_id(info, guardian_value, "input.guardianId")
    student = await access_person_by_id(info, student_value, "input.studentId")
    return guardian, student


async def _link(info: Info, guardian: models.Person, student: models.Person
                ) -> models.Guardianship | None:
    return await info.context.session.scalar(select(models.Guardianship).where(
        models.Guardianship.school_id == guardian.school_id,
        models.Guardianship.guardian_id == guardian.id,
        models.Guardianship.student_id == student.id))


def _forget_links(info: Info, guardian: models.Person, student: models.Person) -> None:
    loaders = info.context.loaders
    forget(loaders.many(models.Guardianship.student_id), student.id)
    forget(loaders.many(models.Guardianship.guardian_id), guardian.id)


async def link_guardian(info: Info, data: LinkGuardianInput
                        ) -> tuple[models.Person, models.Person]:
    session = info.context.session
    guardian, student = await _guardian_and_student(info, data.guardian_id, data.student_id)
    check = Checker([])
    relation = check.optional_text(data.relation, "input.relation", RELATION_MAX)
    if models.SchoolRole.GUARDIAN not in await roles_of(info, guardian):
        check.add("input.guardianId", ErrorCode.INVALID, "the person has no guardian role")
    if student.school_id != guardian.school_id:
        check.add("input.studentId", ErrorCode.INVALID,
                  "the student must belong to the guardian's school")
    elif student.id == guardian.id:
        check.add("input.studentId", ErrorCode.INVALID, "a person cannot be their own guardian")
    elif models.SchoolRole.STUDENT not in await roles_of(info, student):
        check.add("input.studentId", ErrorCode.INVALID, "the person has no student role")
    elif await _link(info, guardian, student) is not None:
        check.add("input.studentId", ErrorCode.DUPLICATE,
                  "the guardian is already linked to this student")
    check.raise_if_any()
    row = models.Guardianship(school_id=guardian.school_id, id=uuid.uuid4(),
                              guardian_id=guardian.id, student_id=student.id, relation=relation)
    session.add(row)
    await session.flush()
    await record(session, actor(info, row.school_id),
                 Change(school_id=row.school_id, action="create", entity="guardianships",
                        entity_id=row.id, after=snapshot(row)))
    _forget_links(info, guardian, student)
    return guardian, student


async def unlink_guardian(info: Info, data: UnlinkGuardianInput
                          ) -> tuple[models.Person, models.Person]:
    session = info.context.session
    guardian, student = await _guardian_and_student(info, data.guardian_id, data.student_id)
    row = await _link(info, guardian, student)
    if row is None:
        raise not_found("input.studentId", "guardianship of this guardian and student")
    before = snapshot(row)
    await session.delete(row)
    await session.flush()
    await record(session, actor(info, row.school_id),
                 Change(school_id=row.school_id, action="delete", entity="guardianships",
                        entity_id=row.id, before=before))
    _forget_links(info, guardian, student)
    return guardian, student


# The same words whether the login is unknown or another school's: a school learns nothing
# about accounts outside it from a refused link (an existing account takes a link code).
LINK_NEEDS_CODE = ("a new account needs a password; to give the person an account they "
                   "already have, issue a link code (createAccountLinkCode) and let them "
                   "redeem it")
LOGIN_TAKEN = ("this login is taken: choose another one for a new account; to give the person "
               "an account they already have, issue a link code (createAccountLinkCode)")


async def set_person_account(info: Info, data: SetPersonAccountInput) -> models.Person:
    """Create an account with this login and password for the person. An account that exists
    is never bound by its login: its holder redeems a link code instead (account_link_writes),
    so no administrator can take over another school's (or an officer's) account."""
    session = info.context.session
    person = await access_person_by_id(info, data.person_id, "input.personId")
    check = Checker([])
    if person.account_id is not None:
        check.add("input.personId", ErrorCode.INVALID, "the person already has an account")
    login = normalize_login(data.login)
    existing: uuid.UUID | None = None
    if not LOGIN_PATTERN.fullmatch(login):
        check.add("input.login", ErrorCode.INVALID,
                  f"must be {LOGIN_RULE}")
    else:
        existing = await session.scalar(
            select(models.Account.id).where(models.Account.login == login))
    # Under RLS: only a holder in this school is found, whom the administrator may see anyway.
    holder = existing and await session.scalar(select(models.Person.id).where(
        models.Person.school_id == person.school_id,
        models.Person.account_id == existing).limit(1))
    if holder:
        check.add("input.login", ErrorCode.DUPLICATE,
                  "this account already belongs to another person of the school")
    elif data.password is None:
        check.add("input.password", ErrorCode.REQUIRED, LINK_NEEDS_CODE)
    elif not PASSWORD_MIN <= len(data.password) <= PASSWORD_MAX:
        check.add("input.password", ErrorCode.INVALID,
                  f"must be {PASSWORD_MIN}–{PASSWORD_MAX} characters")
    elif existing is not None:
        check.add("input.login", ErrorCode.DUPLICATE, LOGIN_TAKEN)
    check.raise_if_any()
    assert data.password is not None
    account_id = uuid.uuid4()
    digest = await hashed(data.password)
    # Explicit columns: the application role may insert these and nothing else.
    await session.execute(insert(models.Account).values(
        id=account_id, login=login, password_hash=digest, is_active=True))
    before = snapshot(person)
    person.account_id = account_id
    await session.flush()
    await record(session, actor(info, person.school_id),
                 Change(school_id=person.school_id, action="create", entity="accounts",
                        entity_id=account_id,
                        after={"id": str(account_id), "login": login, "is_active": True}),
                 Change(school_id=person.school_id, action="update", entity="persons",
                        entity_id=person.id, before=before, after=snapshot(person)))
    return person


async def unbind_person_account(info: Info, data: UnbindPersonAccountInput) -> models.Person:
    """Take the login away from a person of the school; the account itself stays (it may
    belong to the same human in other schools) and keeps its password."""
    session = info.context.session
    person = await access_person_by_id(info, data.person_id, "input.personId")
    if person.account_id is None:
        raise refusal("input.personId", ErrorCode.INVALID, "the person has no account")
    if person.id == info.context.access.person_id(person.school_id):
        # Also keeps the school from losing its last administrator who can log in.
        raise refusal("input.personId", ErrorCode.INVALID,
                         "you cannot unbind your own account; another administrator can")
    before = snapshot(person)
    person.account_id = None
    await session.flush()
    await record(session, actor(info, person.school_id),
                 Change(school_id=person.school_id, action="update", entity="persons",
                        entity_id=person.id, before=before, after=snapshot(person)))
    return person
