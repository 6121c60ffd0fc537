"""People of a school: students, staff and guardians (personal data, shown by visibility)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import date

import strawberry
from strawberry import relay
from strawberry.types import Info

from db import models
from schema.errors import UserError
from schema.ids import try_uuid
from schema.schools import School
from tenants.personal_data import (
    leads_a_class,
    may_read_account,
    may_read_birth_date,
    may_read_birth_date_directly,
    may_read_identifiers,
)

SchoolRoleEnum = strawberry.enum(
    models.SchoolRole, name="SchoolRole",
    description="A role in a school: administrator, teacher (учитель), student (обучающийся), "
                "guardian (родитель, законный представитель).",
)


@strawberry.type(description="A person as one school knows them. Visible to themselves, the "
                             "school's administrators, and the staff who teach or lead them "
                             "(regulation 6.3); never to officers.")
class Person(relay.Node):
    id: relay.NodeID[uuid.UUID]
    last_name: str = strawberry.field(description="Фамилия.")
    first_name: str = strawberry.field(description="Имя.")
    middle_name: str | None = strawberry.field(description="Отчество, if any.")
    school_id: strawberry.Private[uuid.UUID]
    account_id: strawberry.Private[uuid.UUID | None]
    stored_external_id: strawberry.Private[str | None]
    stored_birth_date: strawberry.Private[date | None]

    @strawberry.field(description="«Фамилия Имя Отчество».")
    def full_name(self) -> str:
        return " ".join(p for p in (self.last_name, self.first_name, self.middle_name) if p)

    @strawberry.field(description="Date of birth (дата рождения), if recorded. Only for the "
                                  "school's administrators, the person, their guardians and "
                                  "their class teacher; null for everyone else.")
    async def birth_date(self, info: Info) -> date | None:
        if self.stored_birth_date is None:
            return None
        access = info.context.access
        if may_read_birth_date_directly(access, self.school_id, self.id):
            return self.stored_birth_date
        if not leads_a_class(access, self.school_id):
            return None
        enrollments = await info.context.loaders.many(models.Enrollment.student_id).load(self.id)
        class_ids = [e.class_id for e in enrollments]
        return self.stored_birth_date if may_read_birth_date(
            access, self.school_id, self.id, class_ids) else None

    @strawberry.field(description="Roles the person holds in their school.")
    async def roles(self, info: Info) -> list[SchoolRoleEnum]:
        rows = await info.context.loaders.many(models.PersonRole.person_id).load(self.id)
        return sorted(r.role for r in rows)

    @strawberry.field(description="The school this person record belongs to.")
    async def school(self, info: Info) -> School | None:
        row = await info.context.loaders.by_id(models.School).load(self.school_id)
        return School.from_model(row) if row else None

    @strawberry.field(description="Id in the school's other information systems (e.g. the "
                                  "regional contingent register); administrators only, else "
                                  "null.")
    def external_id(self, info: Info) -> str | None:
        if may_read_identifiers(info.context.access, self.school_id):
            return self.stored_external_id
        return None

    @strawberry.field(description="Guardians (родители, законные представители) of a student "
                                  "that the viewer may see; empty for anyone else.")
    async def guardians(self, info: Info) -> list[Guardian]:
        loaders = info.context.loaders
        links = await loaders.many(models.Guardianship.student_id).load(self.id)
        persons = await loaders.visible_person.load_many([g.guardian_id for g in links])
        found = [(link, p) for link, p in zip(links, persons, strict=True) if p is not None]
        found.sort(key=lambda lp: (lp[1].last_name, lp[1].first_name, str(lp[1].id)))
        return [Guardian(person=Person.from_model(p), relation=link.relation)
                for link, p in found]

    @strawberry.field(description="Children (students) of a guardian that the viewer may see; "
                                  "empty for anyone else.")
    async def children(self, info: Info) -> list[Person]:
        loaders = info.context.loaders
        links = await loaders.many(models.Guardianship.guardian_id).load(self.id)
        persons = await loaders.visible_person.load_many([g.student_id for g in links])
        rows = sorted((p for p in persons if p is not None),
                      key=lambda p: (p.last_name, p.first_name, str(p.id)))
        return [Person.from_model(p) for p in rows]

    @strawberry.field(description="Whether the person can log in (has an account). Only for "
                                  "the school's administrators and the person; else null.")
    def has_account(self, info: Info) -> bool | None:
        if may_read_account(info.context.access, self.school_id, self.id):
            return self.account_id is not None
        return None

    @strawberry.field(description="The login of the person's account. Only for the school's "
                                  "administrators and the person; else null.")
    async def login(self, info: Info) -> str | None:
        if self.account_id is None or not may_read_account(
                info.context.access, self.school_id, self.id):
            return None
        return await info.context.loaders.account_login.load(self.account_id)

    @classmethod
    def from_model(cls, row: models.Person) -> Person:
        return cls(id=row.id, last_name=row.last_name, first_name=row.first_name,
                   middle_name=row.middle_name, school_id=row.school_id,
                   account_id=row.account_id, stored_external_id=row.external_id,
                   stored_birth_date=row.birth_date)

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Person | None]:
        ids = [try_uuid(i) for i in node_ids]
        rows = await info.context.loaders.visible_person.load_many([i for i in ids if i])
        found = {r.id: cls.from_model(r) for r in rows if r is not None}
        return [found.get(i) if i else None for i in ids]


@strawberry.type(description="A guardian of a student (родитель, законный представитель) and "
                             "how they are related.")
class Guardian:
    person: Person = strawberry.field(description="The guardian.")
    relation: str | None = strawberry.field(
        description="How the guardian is related to the student, e.g. «мать», «отец», "
                    "«опекун»; null when not recorded.")


@strawberry.input(description="A new person of a school (student, staff or guardian).")
class CreatePersonInput:
    school_id: strawberry.ID = strawberry.field(
        description="The school; the viewer must be its administrator.")
    last_name: str = strawberry.field(description="Фамилия: 1–100 characters after trimming.")
    first_name: str = strawberry.field(description="Имя: 1–100 characters after trimming.")
    middle_name: str | None = strawberry.field(
        default=None, description="Отчество, at most 100 characters; blank means none.")
    birth_date: date | None = strawberry.field(
        default=None, description="Date of birth: not in the future, not before 1900.")
    external_id: str | None = strawberry.field(
        default=None, description="Id in the school's other information systems, at most 64 "
                                  "characters, unique in the school.")
    roles: list[SchoolRoleEnum] = strawberry.field(
        description="Roles in the school; at least one.")


@strawberry.input(description="Changes to a person; omitted fields keep their value.")
class UpdatePersonInput:
    id: strawberry.ID = strawberry.field(description="The person.")
    last_name: str | None = strawberry.field(
        default=strawberry.UNSET, description="New last name (фамилия); cannot be cleared.")
    first_name: str | None = strawberry.field(
        default=strawberry.UNSET, description="New first name (имя); cannot be cleared.")
    middle_name: str | None = strawberry.field(
        default=strawberry.UNSET, description="New middle name (отчество); null clears it.")
    birth_date: date | None = strawberry.field(
        default=strawberry.UNSET, description="New date of birth; null clears it.")
    external_id: str | None = strawberry.field(
        default=strawberry.UNSET, description="New external id, unique in the school; null "
                                              "clears it.")


@strawberry.input(description="A role to give a person in their school.")
class GrantRoleInput:
    person_id: strawberry.ID = strawberry.field(description="The person.")
    role: SchoolRoleEnum = strawberry.field(description="The role to grant.")


@strawberry.input(description="A role to take from a person in their school.")
class RevokeRoleInput:
    person_id: strawberry.ID = strawberry.field(description="The person.")
    role: SchoolRoleEnum = strawberry.field(
        description="The role to revoke; a school's last administrator keeps theirs.")


@strawberry.input(description="Make a person a guardian of a student of the same school.")
class LinkGuardianInput:
    guardian_id: strawberry.ID = strawberry.field(
        description="The guardian: a person with the guardian role.")
    student_id: strawberry.ID = strawberry.field(
        description="The student: a person with the student role, in the guardian's school.")
    relation: str | None = strawberry.field(
        default=None, description="How they are related, e.g. «мать»; at most 32 characters.")


@strawberry.input(description="End a guardian–student link.")
class UnlinkGuardianInput:
    guardian_id: strawberry.ID = strawberry.field(description="The guardian.")
    student_id: strawberry.ID = strawberry.field(description="The student.")


@strawberry.input(description="Give a person a new account with this login and password. An "
                              "account that already exists (the same human in another "
                              "school) is never bound by its login: issue a link code "
                              "(`createAccountLinkCode`) that its holder redeems.")
class SetPersonAccountInput:
    person_id: strawberry.ID = strawberry.field(description="The person; must have no account "
                                                            "yet.")
    login: str = strawberry.field(description="3–60 characters of a–z, 0–9, «.», «_», «-»; "
                                              "stored lowercased; must not be taken.")
    password: str | None = strawberry.field(
        default=None, description="Password of the new account, 8–256 characters; required.")


@strawberry.input(description="Take the login away from a person of the school.")
class UnbindPersonAccountInput:
    person_id: strawberry.ID = strawberry.field(
        description="The person; must have an account, and must not be the viewer.")


@strawberry.type(description="Result of `createPerson`.")
class CreatePersonPayload:
    person: Person | None = strawberry.field(description="The new person; null on error.")
    errors: list[UserError] = strawberry.field(description="Why nothing was written.")


@strawberry.type(description="Result of `updatePerson`.")
class UpdatePersonPayload:
    person: Person | None = strawberry.field(description="The changed person; null on error.")
    errors: list[UserError] = strawberry.field(description="Why nothing was written.")


@strawberry.type(description="Result of `grantRole` or `revokeRole`.")
class PersonRolePayload:
    person: Person | None = strawberry.field(description="The person with their roles now; "
                                                         "null on error.")
    errors: list[UserError] = strawberry.field(description="Why nothing was written.")


@strawberry.type(description="Result of `linkGuardian` or `unlinkGuardian`.")
class GuardianshipPayload:
    guardian: Person | None = strawberry.field(description="The guardian; null on error.")
    student: Person | None = strawberry.field(description="The student; null on error.")
    errors: list[UserError] = strawberry.field(description="Why nothing was written.")


@strawberry.type(description="Result of `setPersonAccount`.")
class SetPersonAccountPayload:
    person: Person | None = strawberry.field(description="The person, now with a login; null "
                                                         "on error.")
    errors: list[UserError] = strawberry.field(description="Why nothing was written.")


@strawberry.type(description="Result of `unbindPersonAccount`.")
class UnbindPersonAccountPayload:
    person: Person | None = strawberry.field(description="The person, now without a login; "
                                                         "null on error.")
    errors: list[UserError] = strawberry.field(description="Why nothing was written.")
