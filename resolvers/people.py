"""Queries and mutations of the people domain: the roster of persons, roles, links, accounts."""

from __future__ import annotations

from typing import Annotated

import strawberry
from sqlalchemy import exists, or_, select
from strawberry import relay
from strawberry.types import Info

from db import models
from resolvers.people_writes import (
    create_person,
    grant_role,
    link_guardian,
    revoke_role,
    set_person_account,
    unbind_person_account,
    unlink_guardian,
    update_person,
)
from schema.ids import from_global_id
from schema.mutations import Input, apply
from schema.pagination import After, First, paginate
from schema.people import (
    CreatePersonInput,
    CreatePersonPayload,
    GrantRoleInput,
    GuardianshipPayload,
    LinkGuardianInput,
    Person,
    PersonRolePayload,
    RevokeRoleInput,
    SchoolRoleEnum,
    SetPersonAccountInput,
    SetPersonAccountPayload,
    UnbindPersonAccountInput,
    UnbindPersonAccountPayload,
    UnlinkGuardianInput,
    UpdatePersonInput,
    UpdatePersonPayload,
)
from schema.permissions import IsAuthenticated
from tenants.errors import DomainError, bad_argument
from tenants.visibility import person_filter

SEARCH_MAX = 100


def _like_prefix(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"{escaped}%"


async def people(
    info: Info,
    *,
    school_id: Annotated[strawberry.ID, strawberry.argument(
        description="The school whose people to list.")],
    role: Annotated[SchoolRoleEnum | None, strawberry.argument(
        description="Only people holding this role.")] = None,
    search: Annotated[str | None, strawberry.argument(
        description="Only people whose last or first name starts with this text (case "
                    "does not matter).")] = None,
    first: First = None,
    after: After = None,
) -> relay.Connection[Person]:
    try:
        school = from_global_id(school_id, "School", "schoolId")
    except DomainError:
        raise bad_argument("schoolId", "is not the id of a School") from None
    person = models.Person
    stmt = select(person).where(person.school_id == school,
                                person_filter(info.context.access))
    if role is not None:
        stmt = stmt.where(exists().where(models.PersonRole.school_id == person.school_id,
                                         models.PersonRole.person_id == person.id,
                                         models.PersonRole.role == role))
    text = (search or "").strip()
    if len(text) > SEARCH_MAX:
        raise bad_argument("search", f"must be at most {SEARCH_MAX} characters")
    if text:
        pattern = _like_prefix(text)
        stmt = stmt.where(or_(person.last_name.ilike(pattern, escape="\\"),
                              person.first_name.ilike(pattern, escape="\\")))
    return await paginate(info.context.session, stmt,
                          keys=[person.last_name, person.first_name, person.id],
                          first=first, after=after, to_node=Person.from_model)


def _person(row: models.Person | None) -> Person | None:
    return Person.from_model(row) if row is not None else None


async def create(info: Info, input: Input[CreatePersonInput]) -> CreatePersonPayload:
    row, errors = await apply(info, lambda: create_person(info, input))
    return CreatePersonPayload(person=_person(row), errors=errors)


async def update(info: Info, input: Input[UpdatePersonInput]) -> UpdatePersonPayload:
    row, errors = await apply(info, lambda: update_person(info, input))
    return UpdatePersonPayload(person=_person(row), errors=errors)


async def grant(info: Info, input: Input[GrantRoleInput]) -> PersonRolePayload:
    row, errors = await apply(info, lambda: grant_role(info, input))
    return PersonRolePayload(person=_person(row), errors=errors)


async def revoke(info: Info, input: Input[RevokeRoleInput]) -> PersonRolePayload:
    row, errors = await apply(info, lambda: revoke_role(info, input))
    return PersonRolePayload(person=_person(row), errors=errors)


async def link(info: Info, input: Input[LinkGuardianInput]) -> GuardianshipPayload:
    pair, errors = await apply(info, lambda: link_guardian(info, input))
    guardian, student = pair if pair else (None, None)
    return GuardianshipPayload(guardian=_person(guardian), student=_person(student),
                               errors=errors)


async def unlink(info: Info, input: Input[UnlinkGuardianInput]) -> GuardianshipPayload:
    pair, errors = await apply(info, lambda: unlink_guardian(info, input))
    guardian, student = pair if pair else (None, None)
    return GuardianshipPayload(guardian=_person(guardian), student=_person(student),
                               errors=errors)


async def set_account(info: Info, input: Input[SetPersonAccountInput]
                      ) -> SetPersonAccountPayload:
    row, errors = await apply(info, lambda: set_person_account(info, input))
    return SetPersonAccountPayload(person=_person(row), errors=errors)


async def unbind_account(info: Info, input: Input[UnbindPersonAccountInput]
                         ) -> UnbindPersonAccountPayload:
    row, errors = await apply(info, lambda: unbind_person_account(info, input))
    return UnbindPersonAccountPayload(person=_person(row), errors=errors)


@strawberry.type
class PeopleQuery:
    people: relay.Connection[Person] = strawberry.field(
        resolver=people, permission_classes=[IsAuthenticated],
        description="People of a school the viewer may see, by last name, first name: "
                    "everyone for its administrators; colleagues and their students for a "
                    "teacher; their children and the staff for a guardian; nothing for "
                    "officers.")


@strawberry.type
class PeopleMutation:
    create_person: CreatePersonPayload = strawberry.field(
        resolver=create, permission_classes=[IsAuthenticated],
        description="Add a person (student, staff or guardian) to a school, with their "
                    "roles (school administrators).")
    update_person: UpdatePersonPayload = strawberry.field(
        resolver=update, permission_classes=[IsAuthenticated],
        description="Change a person's names, birth date or external id (school "
                    "administrators).")
    grant_role: PersonRolePayload = strawberry.field(
        resolver=grant, permission_classes=[IsAuthenticated],
        description="Give a person a role in their school (school administrators).")
    revoke_role: PersonRolePayload = strawberry.field(
        resolver=revoke, permission_classes=[IsAuthenticated],
        description="Take a role from a person; the school's last administrator keeps "
                    "theirs (school administrators).")
    link_guardian: GuardianshipPayload = strawberry.field(
        resolver=link, permission_classes=[IsAuthenticated],
        description="Record that a person is a guardian (родитель, законный представитель) "
                    "of a student of the same school (school administrators).")
    unlink_guardian: GuardianshipPayload = strawberry.field(
        resolver=unlink, permission_classes=[IsAuthenticated],
        description="End a guardian–student link (school administrators).")
    set_person_account: SetPersonAccountPayload = strawberry.field(
        resolver=set_account, permission_classes=[IsAuthenticated],
        description="Give a person a new account with a login and password (school "
                    "administrators). An existing account is never bound by its login: "
                    "issue a link code (`createAccountLinkCode`) that its holder redeems.")
    unbind_person_account: UnbindPersonAccountPayload = strawberry.field(
        resolver=unbind_account, permission_classes=[IsAuthenticated],
        description="Take the login away from a person of the school; the account stays, "
                    "with its password, for its other schools (school administrators; not "
                    "their own).")
