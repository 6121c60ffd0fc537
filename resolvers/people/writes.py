"""Writes of the people domain: persons, roles, guardian links and accounts, each audited.

Every write is the school administrator's; a person is looked up through the viewer's
visibility, so an id of another school (or one the viewer may not see) is NOT_FOUND alike.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import False_

from db import models
from db.audit import ActorFor, Change, record, snapshot
from db.logins import LOGIN_PATTERN, LOGIN_RULE, normalize_login
from resolvers.auth.passwords import hashed
from resolvers.input_ids import KEEP, Id, Keep, required
from resolvers.school_config import admin_school
from tenants.access import AccessContext
from tenants.errors import DomainError, ErrorCode, Problem, not_found, refusal
from tenants.rules import require_admin
from tenants.visibility import person_filter

NAME_MAX = 100
EXTERNAL_ID_MAX = 64
RELATION_MAX = 32
EARLIEST_BIRTH_DATE = date(1900, 1, 1)
PASSWORD_MIN = 8
# argon2 hashes any length, but an unbounded password is a cheap way to burn CPU.
PASSWORD_MAX = 256


@dataclass(frozen=True)
class NewPerson:
    school: Id
    last_name: str
    first_name: str
    middle_name: str | None
    birth_date: date | None
    external_id: str | None
    roles: list[models.SchoolRole]


@dataclass(frozen=True)
class PersonChanges:
    """KEEP leaves a field as it is; None clears it (refused for the names)."""

    person: Id
    last_name: str | Keep | None
    first_name: str | Keep | None
    middle_name: str | Keep | None
    birth_date: date | Keep | None
    external_id: str | Keep | None


async def visible_person(session: AsyncSession, access: AccessContext, person_id: uuid.UUID
                         ) -> models.Person | None:
    """The person, if the viewer may read them (tenants/visibility.py)."""
    visible = person_filter(access)
    if isinstance(visible, False_):
        # Nobody visible (an officer): no statement, which the officer role would refuse.
        return None
    return await session.scalar(select(models.Person).where(models.Person.id == person_id,
                                                            visible))


async def access_person_by_id(session: AsyncSession, access: AccessContext, ref: Id,
                              field: str) -> models.Person:
    """A person the viewer administers; missing and invisible ids are both NOT_FOUND."""
    row = await visible_person(session, access, required(ref))
    if row is None:
        raise not_found(field, "person")
    require_admin(access, row.school_id, field)
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


async def school_today(session: AsyncSession, school_id: uuid.UUID) -> date:
    """Today in the school's time zone (a birth date entered at 00:30 in Blagoveshchensk)."""
    school = await session.get(models.School, school_id)
    zone = ZoneInfo(school.timezone) if school else None
    return datetime.now(zone).date()


async def external_id_taken(session: AsyncSession, school_id: uuid.UUID, external_id: str,
                            person_id: uuid.UUID | None = None) -> bool:
    stmt = select(models.Person.id).where(models.Person.school_id == school_id,
                                          models.Person.external_id == external_id)
    if person_id is not None:
        stmt = stmt.where(models.Person.id != person_id)
    return (await session.scalar(stmt.limit(1))) is not None


async def roles_of(session: AsyncSession, person: models.Person) -> set[models.SchoolRole]:
    # Read afresh, not through the loader: the payload's `roles` must see this write.
    rows = await session.scalars(
        select(models.PersonRole.role).where(models.PersonRole.school_id == person.school_id,
                                             models.PersonRole.person_id == person.id))
    return set(rows)


async def create_person(session: AsyncSession, access: AccessContext, data: NewPerson, *,
                        actor: ActorFor) -> models.Person:
    school_id = admin_school(access, required(data.school), "input.schoolId")
    check = Checker([])
    last_name = check.name(data.last_name, "input.lastName")
    first_name = check.name(data.first_name, "input.firstName")
    middle_name = check.optional_text(data.middle_name, "input.middleName", NAME_MAX)
    check.birth_date(data.birth_date, "input.birthDate", await school_today(session, school_id))
    external_id = check.optional_text(data.external_id, "input.externalId", EXTERNAL_ID_MAX)
    if external_id and await external_id_taken(session, school_id, external_id):
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
    await record(session, actor(school_id),
                 Change(school_id=school_id, action="create", entity="persons",
                        entity_id=person.id, after=snapshot(person)),
                 *(Change(school_id=school_id, action="create", entity="person_roles",
                          entity_id=r.id, after=snapshot(r)) for r in roles))
    return person


async def update_person(session: AsyncSession, access: AccessContext, data: PersonChanges, *,
                        actor: ActorFor) -> models.Person:
    person = await access_person_by_id(session, access, data.person, "input.id")
    check = Checker([])
    changes: dict[str, Any] = {}
    for key, field in (("last_name", "lastName"), ("first_name", "firstName")):
        value = getattr(data, key)
        if value is KEEP:
            continue
        if value is None:
            check.add(f"input.{field}", ErrorCode.REQUIRED, "cannot be cleared")
        else:
            changes[key] = check.name(value, f"input.{field}")
    if data.middle_name is not KEEP:
        changes["middle_name"] = check.optional_text(data.middle_name, "input.middleName",
                                                     NAME_MAX)
    if data.birth_date is not KEEP:
        check.birth_date(data.birth_date, "input.birthDate",
                         await school_today(session, person.school_id))
        changes["birth_date"] = data.birth_date
    if data.external_id is not KEEP:
        external_id = check.optional_text(data.external_id, "input.externalId",
                                          EXTERNAL_ID_MAX)
        if external_id and await external_id_taken(session, person.school_id, external_id,
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
        await record(session, actor(person.school_id),
                     Change(school_id=person.school_id, action="update", entity="persons",
                            entity_id=person.id, before=before, after=snapshot(person)))
    return person


async def grant_role(session: AsyncSession, access: AccessContext, person_ref: Id,
                     role: models.SchoolRole, *, actor: ActorFor) -> models.Person:
    person = await access_person_by_id(session, access, person_ref, "input.personId")
    if role in await roles_of(session, person):
        raise DomainError(Problem(field="input.role", code=ErrorCode.DUPLICATE,
                                       message="the person already holds this role"))
    row = models.PersonRole(school_id=person.school_id, id=uuid.uuid4(), person_id=person.id,
                            role=role)
    session.add(row)
    await session.flush()
    await record(session, actor(person.school_id),
                 Change(school_id=person.school_id, action="create", entity="person_roles",
                        entity_id=row.id, after=snapshot(row)))
    return person


async def revoke_role(session: AsyncSession, access: AccessContext, person_ref: Id,
                      role: models.SchoolRole, *, actor: ActorFor) -> models.Person:
    person = await access_person_by_id(session, access, person_ref, "input.personId")
    school_id = person.school_id
    if role == models.SchoolRole.ADMINISTRATOR:
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
        models.PersonRole.role == role).with_for_update())
    if row is None:
        raise not_found("input.role", "role of this person")
    before = snapshot(row)
    await session.delete(row)
    await session.flush()
    await record(session, actor(school_id),
                 Change(school_id=school_id, action="delete", entity="person_roles",
                        entity_id=row.id, before=before))
    return person


async def _guardian_and_student(
    session: AsyncSession, access: AccessContext, guardian_ref: Id, student_ref: Id
) -> tuple[models.Person, models.Person]:
    guardian = await access_person_by_id(session, access, guardian_ref, "input.guardianId")
    student = await access_person_by_id(session, access, student_ref, "input.studentId")
    return guardian, student


async def _link(session: AsyncSession, guardian: models.Person, student: models.Person
                ) -> models.Guardianship | None:
    return await session.scalar(select(models.Guardianship).where(
        models.Guardianship.school_id == guardian.school_id,
        models.Guardianship.guardian_id == guardian.id,
        models.Guardianship.student_id == student.id))


async def link_guardian(session: AsyncSession, access: AccessContext, guardian_ref: Id,
                        student_ref: Id, relation_text: str | None, *, actor: ActorFor
                        ) -> tuple[models.Person, models.Person]:
    guardian, student = await _guardian_and_student(session, access, guardian_ref, student_ref)
    check = Checker([])
    relation = check.optional_text(relation_text, "input.relation", RELATION_MAX)
    if models.SchoolRole.GUARDIAN not in await roles_of(session, guardian):
        check.add("input.guardianId", ErrorCode.INVALID, "the person has no guardian role")
    if student.school_id != guardian.school_id:
        check.add("input.studentId", ErrorCode.INVALID,
                  "the student must belong to the guardian's school")
    elif student.id == guardian.id:
        check.add("input.studentId", ErrorCode.INVALID, "a person cannot be their own guardian")
    elif models.SchoolRole.STUDENT not in await roles_of(session, student):
        check.add("input.studentId", ErrorCode.INVALID, "the person has no student role")
    elif await _link(session, guardian, student) is not None:
        check.add("input.studentId", ErrorCode.DUPLICATE,
                  "the guardian is already linked to this student")
    check.raise_if_any()
    row = models.Guardianship(school_id=guardian.school_id, id=uuid.uuid4(),
                              guardian_id=guardian.id, student_id=student.id, relation=relation)
    session.add(row)
    await session.flush()
    await record(session, actor(row.school_id),
                 Change(school_id=row.school_id, action="create", entity="guardianships",
                        entity_id=row.id, after=snapshot(row)))
    return guardian, student


async def unlink_guardian(session: AsyncSession, access: AccessContext, guardian_ref: Id,
                          student_ref: Id, *, actor: ActorFor
                          ) -> tuple[models.Person, models.Person]:
    guardian, student = await _guardian_and_student(session, access, guardian_ref, student_ref)
    row = await _link(session, guardian, student)
    if row is None:
        raise not_found("input.studentId", "guardianship of this guardian and student")
    before = snapshot(row)
    await session.delete(row)
    await session.flush()
    await record(session, actor(row.school_id),
                 Change(school_id=row.school_id, action="delete", entity="guardianships",
                        entity_id=row.id, before=before))
    return guardian, student


# The same words whether the login is unknown or another school's: a school learns nothing
# about accounts outside it from a refused link (an existing account takes a link code).
LINK_NEEDS_CODE = ("a new account needs a password; to give the person an account they "
                   "already have, issue a link code (createAccountLinkCode) and let them "
                   "redeem it")
LOGIN_TAKEN = ("this login is taken: choose another one for a new account; to give the person "
               "an account they already have, issue a link code (createAccountLinkCode)")


async def set_person_account(session: AsyncSession, access: AccessContext, person_ref: Id,
                             login_text: str, password: str | None, *, actor: ActorFor
                             ) -> models.Person:
    """Create an account with this login and password for the person. An account that exists
    is never bound by its login: its holder redeems a link code instead (account_link_writes),
    so no administrator can take over another school's (or an officer's) account."""
    person = await access_person_by_id(session, access, person_ref, "input.personId")
    check = Checker([])
    if person.account_id is not None:
        check.add("input.personId", ErrorCode.INVALID, "the person already has an account")
    login = normalize_login(login_text)
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
    elif password is None:
        check.add("input.password", ErrorCode.REQUIRED, LINK_NEEDS_CODE)
    elif not PASSWORD_MIN <= len(password) <= PASSWORD_MAX:
        check.add("input.password", ErrorCode.INVALID,
                  f"must be {PASSWORD_MIN}–{PASSWORD_MAX} characters")
    elif existing is not None:
        check.add("input.login", ErrorCode.DUPLICATE, LOGIN_TAKEN)
    check.raise_if_any()
    assert password is not None
    account_id = uuid.uuid4()
    digest = await hashed(password)
    # Explicit columns: the application role may insert these and nothing else.
    await session.execute(insert(models.Account).values(
        id=account_id, login=login, password_hash=digest, is_active=True))
    before = snapshot(person)
    person.account_id = account_id
    await session.flush()
    await record(session, actor(person.school_id),
                 Change(school_id=person.school_id, action="create", entity="accounts",
                        entity_id=account_id,
                        after={"id": str(account_id), "login": login, "is_active": True}),
                 Change(school_id=person.school_id, action="update", entity="persons",
                        entity_id=person.id, before=before, after=snapshot(person)))
    return person


async def unbind_person_account(session: AsyncSession, access: AccessContext, person_ref: Id,
                                *, actor: ActorFor) -> models.Person:
    """Take the login away from a person of the school; the account itself stays (it may
    belong to the same human in other schools) and keeps its password."""
    person = await access_person_by_id(session, access, person_ref, "input.personId")
    if person.account_id is None:
        raise refusal("input.personId", ErrorCode.INVALID, "the person has no account")
    if person.id == access.person_id(person.school_id):
        # Also keeps the school from losing its last administrator who can log in.
        raise refusal("input.personId", ErrorCode.INVALID,
                         "you cannot unbind your own account; another administrator can")
    before = snapshot(person)
    person.account_id = None
    await session.flush()
    await record(session, actor(person.school_id),
                 Change(school_id=person.school_id, action="update", entity="persons",
                        entity_id=person.id, before=before, after=snapshot(person)))
    return person
