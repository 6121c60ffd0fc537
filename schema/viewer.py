"""The viewer (`me`): who is asking, with roles, schools, classes, groups and children."""

from __future__ import annotations

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
    """Each list is read when it is asked for: `me { login }` answers from the access context
    alone, without a statement (the fixed cost of an authenticated request, issue 18)."""

    id: strawberry.ID = strawberry.field(
        description="Stable id of the viewer (of the account, or of the integrator token), so "
                    "a normalised cache keeps one `Viewer` per viewer and drops it on logout.")
    login: str = strawberry.field(description="Login of the account, or `token:<name>` for "
                                              "an integrator token.")
    reach: strawberry.Private[viewer.ViewerReach]

    @strawberry.field(description="Schools the viewer belongs to.")
    async def schools(self, info: Info) -> list[ViewerSchool]:
        loaders = info.context.loaders
        ms = self.reach.memberships
        schools = await loaders.by_id(models.School).load_many([m.school_id for m in ms])
        persons = await loaders.by_id(models.Person).load_many([m.person_id for m in ms])
        return [ViewerSchool(school=School.from_model(s), person=Person.from_model(p),
                             roles=sorted(m.roles))
                for m, s, p in zip(ms, schools, persons, strict=True) if s and p]

    @strawberry.field(description="Classes the viewer leads as class teacher (классный "
                                  "руководитель).")
    async def classes(self, info: Info) -> list[SchoolClass]:
        rows = await info.context.loaders.by_id(models.SchoolClass).load_many(
            self.reach.class_ids)
        return [SchoolClass.from_model(c) for c in rows if c]

    @strawberry.field(description="Groups the viewer teaches.")
    async def groups(self, info: Info) -> list[StudyGroup]:
        rows = await info.context.loaders.by_id(models.StudyGroup).load_many(
            self.reach.group_ids)
        return sorted((StudyGroup.from_model(g) for g in rows if g), key=lambda g: g.name)

    @strawberry.field(description="Students the viewer is a guardian of, in every school.")
    async def children(self, info: Info) -> list[Person]:
        rows = await info.context.loaders.by_id(models.Person).load_many(self.reach.child_ids)
        return [Person.from_model(c) for c in rows if c]

    @strawberry.field(description="Municipalities the viewer oversees as a municipal officer.")
    async def officer_municipalities(self, info: Info) -> list[Municipality]:
        rows = await info.context.loaders.by_id(models.Municipality).load_many(
            self.reach.municipality_ids)
        return [Municipality.from_model(m) for m in rows if m]

    @strawberry.field(description="Whether the viewer is a regional officer (sees every "
                                  "school's figures).")
    def officer_region(self) -> bool:
        return self.reach.officer_region

    @strawberry.field(description="Scopes of the integrator token; null for a person's "
                                  "session.")
    def token_scopes(self) -> list[TokenScopeEnum] | None:  # type: ignore[valid-type]
        return self.reach.token_scopes  # type: ignore[return-value]

    @strawberry.field(description="The students whose diaries the viewer reads, with each "
                                  "one's school, class and groups on a day: the viewer when "
                                  "they are a student, and their children when they are a "
                                  "guardian, in every school; by name. Empty for staff, "
                                  "officers and integrator tokens. The SQL it runs does not "
                                  "grow with the number of children or groups.")
    async def students(self, info: Info, on: OnDate = None) -> list[ViewerStudent]:
        loaders = info.context.loaders
        persons = [p for p in await loaders.by_id(models.Person).load_many(self.reach.student_ids)
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
    return Viewer(id=strawberry.ID(to_global_id("Viewer", reach.viewer_id)), login=reach.login,
                  reach=reach)


@strawberry.type
class ViewerQuery:
    me: Viewer = strawberry.field(
        resolver=me, permission_classes=[IsAuthenticated],
        description="The viewer: roles per school, classes led, groups taught, children, "
                    "the students whose diaries they read (with class and groups), officer "
                    "reach or token scopes.")
