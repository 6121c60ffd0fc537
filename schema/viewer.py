"""The viewer (`me`): who is asking, with roles, schools, classes, groups and children."""

from __future__ import annotations

import uuid

import strawberry
from strawberry.types import Info

from db import models
from resolvers import viewer
from schema.classes import OnDate, SchoolClass, StudyGroup, school_today
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


@strawberry.type(description="A student whose diary the viewer reads (the viewer themselves, "
                             "or their child), and where they study on a day: the way from "
                             "`me` to the diary and to the journals of their groups. It has no "
                             "id: the student, class and groups carry theirs, so a normalised "
                             "cache keeps it inside `Viewer.students` of its day.")
class ViewerStudent:
    student: Person = strawberry.field(description="The student (their `id` is the "
                                                   "`studentId` of `diary`).")
    school: School = strawberry.field(description="The student's school.")
    school_class: SchoolClass | None = strawberry.field(
        description="The class the student is enrolled in on the day; null when none (before "
                    "their first enrollment, after leaving, between years).")
    groups: list[StudyGroup] = strawberry.field(
        description="The study groups the student is a member of on the day, by name: "
                    "whole-class groups, subgroups and cross-class groups (profile, elective, "
                    "optional), each with its `periods` and `currentPeriod` for `journal`.")


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
    student_ids: strawberry.Private[list[uuid.UUID]]

    @strawberry.field(description="The students whose diaries the viewer reads, with each "
                                  "one's school, class and groups on a day: the viewer when "
                                  "they are a student, and their children when they are a "
                                  "guardian, in every school; by name. Empty for staff, "
                                  "officers and integrator tokens. The SQL it runs does not "
                                  "grow with the number of children or groups.")
    async def students(self, info: Info, on: OnDate = None) -> list[ViewerStudent]:
        loaders = info.context.loaders
        persons = [p for p in await loaders.by_id(models.Person).load_many(self.student_ids)
                   if p is not None]
        ids = [p.id for p in persons]
        enrollments = await loaders.many(models.Enrollment.student_id).load_many(ids)
        memberships = await loaders.many(models.GroupMembership.student_id).load_many(ids)
        schools = await loaders.by_id(models.School).load_many([p.school_id for p in persons])
        days = [on or await school_today(info, p.school_id) for p in persons]
        places = [viewer.placement(e, m, d)
                  for e, m, d in zip(enrollments, memberships, days, strict=True)]
        classes = await loaders.by_id(models.SchoolClass).load_many(
            [c.class_id for c in places if c.class_id is not None])
        found = {c.id: c for c in classes if c is not None}
        groups = await loaders.by_id(models.StudyGroup).load_many(
            sorted({g for c in places for g in c.group_ids}))
        by_id = {g.id: g for g in groups if g is not None}
        out = []
        for person, school, place in zip(persons, schools, places, strict=True):
            if school is None:
                continue
            row = found.get(place.class_id) if place.class_id else None
            out.append(ViewerStudent(
                student=Person.from_model(person), school=School.from_model(school),
                school_class=SchoolClass.from_model(row) if row else None,
                groups=sorted((StudyGroup.from_model(by_id[g]) for g in place.group_ids
                               if g in by_id), key=lambda g: (g.name, str(g.id)))))
        return sorted(out, key=lambda v: (v.student.last_name, v.student.first_name,
                                          v.student.middle_name or "", v.school.name,
                                          str(v.student.id)))


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
        student_ids=reach.student_ids,
    )


@strawberry.type
class ViewerQuery:
    me: Viewer = strawberry.field(
        resolver=me, permission_classes=[IsAuthenticated],
        description="The viewer: roles per school, classes led, groups taught, children, "
                    "the students whose diaries they read (with class and groups), officer "
                    "reach or token scopes.")
