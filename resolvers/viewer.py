"""`me`: the access context, as the viewer sees it."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from db import models
from schema.classes import SchoolClass, StudyGroup
from schema.people import Person
from schema.permissions import IsAuthenticated
from schema.schools import Municipality, School
from schema.viewer import Viewer, ViewerSchool


async def me(info: Info) -> Viewer:
    access = info.context.access
    loaders = info.context.loaders
    ms = sorted(access.memberships.values(), key=lambda m: str(m.school_id))
    schools = await loaders.by_id(models.School).load_many([m.school_id for m in ms])
    persons = await loaders.by_id(models.Person).load_many([m.person_id for m in ms])
    classes = await loaders.by_id(models.SchoolClass).load_many(
        sorted({c for m in ms for c in m.led_class_ids}))
    groups = await loaders.by_id(models.StudyGroup).load_many(
        sorted({g for m in ms for g in m.taught_group_ids}))
    children = await loaders.by_id(models.Person).load_many(
        sorted({c for m in ms for c in m.child_ids}))
    municipalities = await loaders.by_id(models.Municipality).load_many(
        sorted(access.officer_municipality_ids))
    return Viewer(
        login=access.login or "",
        schools=[
            ViewerSchool(school=School.from_model(s), person=Person.from_model(p),
                         roles=sorted(m.roles))
            for m, s, p in zip(ms, schools, persons, strict=True) if s and p
        ],
        classes=[SchoolClass.from_model(c) for c in classes if c],
        groups=sorted((StudyGroup.from_model(g) for g in groups if g), key=lambda g: g.name),
        children=[Person.from_model(c) for c in children if c],
        officer_municipalities=[Municipality.from_model(m) for m in municipalities if m],
        officer_region=bool(access.officer_region_ids),
        token_scopes=sorted(access.scopes) if access.scopes is not None else None,
        officer_school_ids=access.officer_school_ids,
    )


@strawberry.type
class ViewerQuery:
    me: Viewer = strawberry.field(
        resolver=me, permission_classes=[IsAuthenticated],
        description="The viewer: roles per school, classes led, groups taught, children, "
                    "officer reach or token scopes.")
