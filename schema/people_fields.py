"""The people domain's fields: the roster of persons, and the mutations of persons, roles,
guardian links and accounts."""

from __future__ import annotations

import contextlib
import uuid
from functools import partial
from typing import Annotated, Any

import strawberry
from strawberry import relay
from strawberry.dataloader import DataLoader
from strawberry.types import Info

from db import models
from resolvers.people import writes as people_writes
from resolvers.people.queries import people as people_listing
from schema.ids import query_id
from schema.input_ids import decoded, kept
from schema.mutations import Input, actor, apply
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
    school = query_id(school_id, "School", "schoolId")
    assert school is not None
    listing = people_listing(info.context.access, school, role, search)
    return await paginate(info.context.session, listing.stmt, keys=listing.keys,
                          first=first, after=after, to_node=Person.from_model)


def forget(loader: DataLoader[uuid.UUID, Any], key: uuid.UUID) -> None:
    """Drop a cached relation a write changed, so a later field in the same request (a
    second mutation of the document) reads it afresh."""
    with contextlib.suppress(KeyError):  # strawberry's clear() raises for an absent key
        loader.clear(key)


def _person(info: Info, row: models.Person | None) -> Person | None:
    """The payload's person; the write read it as the viewer may see it, so the payload's
    fields find it in the loader like the write would have."""
    if row is None:
        return None
    info.context.loaders.visible_person.prime(row.id, row)
    return Person.from_model(row)


def _forget_roles(info: Info, row: models.Person | None) -> None:
    if row is not None:
        forget(info.context.loaders.many(models.PersonRole.person_id), row.id)


def _forget_links(info: Info, pair: tuple[models.Person, models.Person] | None) -> None:
    if pair is not None:
        guardian, student = pair
        loaders = info.context.loaders
        forget(loaders.many(models.Guardianship.student_id), student.id)
        forget(loaders.many(models.Guardianship.guardian_id), guardian.id)


async def create(info: Info, input: Input[CreatePersonInput]) -> CreatePersonPayload:
    data = people_writes.NewPerson(
        school=decoded(input.school_id, "School", "input.schoolId"), last_name=input.last_name,
        first_name=input.first_name, middle_name=input.middle_name,
        birth_date=input.birth_date, external_id=input.external_id, roles=list(input.roles))
    c = info.context
    row, errors = await apply(info, lambda: people_writes.create_person(
        c.session, c.access, data, actor=partial(actor, info)))
    return CreatePersonPayload(person=_person(info, row), errors=errors)


async def update(info: Info, input: Input[UpdatePersonInput]) -> UpdatePersonPayload:
    data = people_writes.PersonChanges(
        person=decoded(input.id, "Person", "input.id"), last_name=kept(input.last_name),
        first_name=kept(input.first_name), middle_name=kept(input.middle_name),
        birth_date=kept(input.birth_date), external_id=kept(input.external_id))
    c = info.context
    row, errors = await apply(info, lambda: people_writes.update_person(
        c.session, c.access, data, actor=partial(actor, info)))
    return UpdatePersonPayload(person=_person(info, row), errors=errors)


async def grant(info: Info, input: Input[GrantRoleInput]) -> PersonRolePayload:
    person = decoded(input.person_id, "Person", "input.personId")
    c = info.context
    row, errors = await apply(info, lambda: people_writes.grant_role(
        c.session, c.access, person, input.role, actor=partial(actor, info)))
    _forget_roles(info, row)
    return PersonRolePayload(person=_person(info, row), errors=errors)


async def revoke(info: Info, input: Input[RevokeRoleInput]) -> PersonRolePayload:
    person = decoded(input.person_id, "Person", "input.personId")
    c = info.context
    row, errors = await apply(info, lambda: people_writes.revoke_role(
        c.session, c.access, person, input.role, actor=partial(actor, info)))
    _forget_roles(info, row)
    return PersonRolePayload(person=_person(info, row), errors=errors)


async def link(info: Info, input: Input[LinkGuardianInput]) -> GuardianshipPayload:
    guardian_ref = decoded(input.guardian_id, "Person", "input.guardianId")
    student_ref = decoded(input.student_id, "Person", "input.studentId")
    c = info.context
    pair, errors = await apply(info, lambda: people_writes.link_guardian(
        c.session, c.access, guardian_ref, student_ref, input.relation,
        actor=partial(actor, info)))
    _forget_links(info, pair)
    guardian, student = pair if pair else (None, None)
    return GuardianshipPayload(guardian=_person(info, guardian),
                               student=_person(info, student), errors=errors)


async def unlink(info: Info, input: Input[UnlinkGuardianInput]) -> GuardianshipPayload:
    guardian_ref = decoded(input.guardian_id, "Person", "input.guardianId")
    student_ref = decoded(input.student_id, "Person", "input.studentId")
    c = info.context
    pair, errors = await apply(info, lambda: people_writes.unlink_guardian(
        c.session, c.access, guardian_ref, student_ref, actor=partial(actor, info)))
    _forget_links(info, pair)
    guardian, student = pair if pair else (None, None)
    return GuardianshipPayload(guardian=_person(info, guardian),
                               student=_person(info, student), errors=errors)


async def set_account(info: Info, input: Input[SetPersonAccountInput]
                      ) -> SetPersonAccountPayload:
    person = decoded(input.person_id, "Person", "input.personId")
    c = info.context
    row, errors = await apply(info, lambda: people_writes.set_person_account(
        c.session, c.access, person, input.login, input.password, actor=partial(actor, info)))
    return SetPersonAccountPayload(person=_person(info, row), errors=errors)


async def unbind_account(info: Info, input: Input[UnbindPersonAccountInput]
                         ) -> UnbindPersonAccountPayload:
    person = decoded(input.person_id, "Person", "input.personId")
    c = info.context
    row, errors = await apply(info, lambda: people_writes.unbind_person_account(
        c.session, c.access, person, actor=partial(actor, info)))
    return UnbindPersonAccountPayload(person=_person(info, row), errors=errors)


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
