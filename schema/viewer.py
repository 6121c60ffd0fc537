"""The viewer (`me`): who is asking, with roles, schools, classes, groups and children."""

from __future__ import annotations

import uuid

import strawberry
from strawberry.types import Info

from db import models
from resolvers import viewer
from schema.classes import SchoolClass, StudyGroup
from schema.ids import to_global_id
from schema.people import Person, SchoolRoleEnum
from schema.permissions import IsAuthenticated
from schema.schools import Municipality, School

TokenScopeEnum = strawberry.enum(
    models.TokenScope, name="TokenScope",
    description="What an integrator token may do: read (school data), write_journal, "
                "read_aggregates (district and region figures).",
)


@strawberry.type(description="The viewer in one school: their person there and their roles.")
class ViewerSchool:
    school: School = strawberry.field(description="The school.")
    person: Person = strawberry.field(description="The viewer as this school knows them.")
    roles: list[SchoolRoleEnum] = strawberry.field(description="Roles held in this school.")


@strawberry.type(description="Who is asking and what they may reach.")
class Viewer:
    id: strawberry.ID = strawberry.field(
        description="Stable id of the viewer (of the account, or of the integrator token), so "
                    "a normalised cache keeps one `Viewer` per viewer and drops it on logout.")
    login: str = strawberry.field(description="Login of the account, or `token:<name>` for "
                                              "an integrator token.")
    schools: list[ViewerSchool] = strawberry.field(description="Schools the viewer belongs to.")
    classes: list[SchoolClass] = strawberry.field(
        description="Classes the viewer leads as class teacher (классный руководитель).")
    groups: list[StudyGroup] = strawberry.field(description="Groups the viewer teaches.")
    children: list[Person] = strawberry.field(
        description="Students the viewer is a guardian of, in every school.")
    officer_municipalities: list[Municipality] = strawberry.field(
        description="Municipalities the viewer oversees as a municipal officer.")
    officer_region: bool = strawberry.field(
        description="Whether the viewer is a regional officer (sees every school's figures).")
    token_scopes: list[TokenScopeEnum] | None = strawberry.field(
        description="Scopes of the integrator token; null for a person's session.")
    officer_school_ids: strawberry.Private[frozenset[uuid.UUID]]


async def me(info: Info) -> Viewer:
    reach = viewer.me(info.context.access)
    loaders = info.context.loaders
    ms = reach.memberships
    schools = await loaders.by_id(models.School).load_many([m.school_id for m in ms])
    persons = await loaders.by_id(models.Person).load_many([m.person_id for m in ms])
    classes = await loaders.by_id(models.SchoolClass).load_many(reach.class_ids)
    groups = await loaders.by_id(models.StudyGroup).load_many(reach.group_ids)
    children = await loaders.by_id(models.Person).load_many(reach.child_ids)
    municipalities = await loaders.by_id(models.Municipality).load_many(reach.municipality_ids)
    return Viewer(
        id=strawberry.ID(to_global_id("Viewer", reach.viewer_id)),
        login=reach.login,
        schools=[
            ViewerSchool(school=School.from_model(s), person=Person.from_model(p),
                         roles=sorted(m.roles))
            for m, s, p in zip(ms, schools, persons, strict=True) if s and p
        ],
        classes=[SchoolClass.from_model(c) for c in classes if c],
        groups=sorted((StudyGroup.from_model(g) for g in groups if g), key=lambda g: g.name),
        children=[Person.from_model(c) for c in children if c],
        officer_municipalities=[Municipality.from_model(m) for m in municipalities if m],
        officer_region=reach.officer_region,
        token_scopes=reach.token_scopes,
        officer_school_ids=reach.officer_school_ids,
    )


@strawberry.type
class ViewerQuery:
    me: Viewer = strawberry.field(
        resolver=me, permission_classes=[IsAuthenticated],
        description="The viewer: roles per school, classes led, groups taught, children, "
                    "officer reach or token scopes.")
