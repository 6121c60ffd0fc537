"""The viewer (`me`): who is asking, with roles, schools, classes, groups and children."""

from __future__ import annotations

import uuid

import strawberry

from db import models
from schema.classes import SchoolClass, StudyGroup
from schema.people import Person, SchoolRoleEnum
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
