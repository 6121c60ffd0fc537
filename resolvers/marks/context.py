"""What a bulk journal write reads before it writes, in one statement.

`setMarks` needs the lessons and groups its entries name, the school's deadlines, each
group's grading system and its values, the kinds of work, the students' memberships and the
period locks of the days written. Read one by one that was nine statements (15 ms of a
30-mark request); here each is a JSON aggregate of one statement. RLS applies to every part,
so a lesson or group of another school is simply absent, as with separate reads. The grade
level, lock and without-marks rules are the SQL that `grading_uses`, `closing` and
`without_marks` run themselves.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from types import SimpleNamespace
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from db import models
from resolvers.grades.closing import LOCK_CTES, Lock, locks_of
from resolvers.grading.uses import GROUP_GRADE_LEVEL, pick
from resolvers.grading.without_marks import without_marks_sql
from resolvers.marks.checks import Scales
from resolvers.marks.targets import Spans
from resolvers.timeliness import Deadlines

CONTEXT = text(f"""
WITH ctx_lessons AS (
  SELECT l.id, l.school_id, l.group_id, l.date, l.status FROM lessons l
  WHERE l.id = ANY (CAST(:lesson_ids AS uuid[]))
),
ctx_groups AS (
  SELECT sg.id, sg.school_id, sg.academic_year_id, sg.subject_id, sg.class_id,
         lvl.grade_level,
         {without_marks_sql("sg.school_id", "sg.subject_id", "lvl.grade_level")}
           AS without_marks
  FROM study_groups sg
  CROSS JOIN LATERAL (SELECT {GROUP_GRADE_LEVEL} AS grade_level) lvl
  WHERE sg.id = ANY (CAST(:group_ids AS uuid[]) || ARRAY(SELECT group_id FROM ctx_lessons))
),
ctx_uses AS (
  SELECT u.academic_year_id, u.subject_id, u.grade_level, u.system_id
  FROM grading_system_uses u
  WHERE (u.school_id, u.academic_year_id) IN (SELECT school_id, academic_year_id FROM ctx_groups)
),
req AS (
  SELECT r.group_id, r.day
  FROM unnest(CAST(:day_groups AS uuid[]), CAST(:days AS date[])) AS r(group_id, day)
  UNION SELECT group_id, date FROM ctx_lessons
), {LOCK_CTES}
SELECT
  (SELECT json_agg(l) FROM ctx_lessons l) AS lessons,
  (SELECT json_agg(g) FROM ctx_groups g) AS groups,
  (SELECT json_agg(json_build_object(
            'school_id', s.id, 'timezone', s.timezone,
            'mark_deadline_days', ss.mark_deadline_days,
            'posting_window_days', ss.posting_window_days,
            'offline_window_hours', ss.offline_window_hours))
   FROM schools s LEFT JOIN school_settings ss ON ss.school_id = s.id
   WHERE s.id IN (SELECT school_id FROM ctx_groups)) AS rules,
  (SELECT json_agg(u) FROM ctx_uses u) AS uses,
  (SELECT json_agg(json_build_object('id', gs.id, 'name', gs.name, 'values', (
            SELECT json_agg(json_build_array(v.label, v.id) ORDER BY v.ordinal)
            FROM mark_values v WHERE v.school_id = gs.school_id AND v.system_id = gs.id)))
   FROM grading_systems gs WHERE gs.id IN (SELECT system_id FROM ctx_uses)) AS scales,
  (SELECT json_agg(w.id) FROM work_types w
   WHERE w.id = ANY (CAST(:work_type_ids AS uuid[]))
     AND w.school_id IN (SELECT school_id FROM ctx_groups)) AS work_types,
  (SELECT json_agg(json_build_array(gm.group_id, gm.student_id, gm.starts_on, gm.ends_on))
   FROM ctx_groups g
   JOIN group_memberships gm ON gm.school_id = g.school_id AND gm.group_id = g.id
   WHERE gm.student_id = ANY (CAST(:student_ids AS uuid[]))) AS spans,
  (SELECT json_agg(k) FROM locks k) AS locks
""")


# Planning the statement takes 4–5 ms with the row-level policies on each of its tables, and
# PostgreSQL keeps planning it anew for each request: the plan it would reuse (psycopg
# prepares a statement run 5 times on a connection) costs more in its estimate, though it runs
# in 1.5 ms. Every part is a lookup by key, so the reused plan is right whatever the values;
# the setting lasts to the end of the request's transaction (the document's other writes,
# key lookups too, plan the same way).
GENERIC_PLANS = text("SET LOCAL plan_cache_mode = force_generic_plan")


@dataclass(frozen=True)
class LessonRef:
    id: uuid.UUID
    school_id: uuid.UUID
    group_id: uuid.UUID
    date: date
    status: models.LessonStatus


@dataclass(frozen=True)
class GroupRef:
    id: uuid.UUID
    school_id: uuid.UUID
    academic_year_id: uuid.UUID
    subject_id: uuid.UUID
    class_id: uuid.UUID | None
    grade_level: int | None
    without_marks: bool = False  # resolvers/grading/without_marks.py


@dataclass(frozen=True)
class WriteContext:
    lessons: dict[uuid.UUID, LessonRef]
    groups: dict[uuid.UUID, GroupRef]
    rules: dict[uuid.UUID, Deadlines]  # by school
    systems: dict[uuid.UUID, uuid.UUID | None]  # by group: None when no rule applies
    scales: Scales
    work_types: set[uuid.UUID]
    spans: Spans
    locks: dict[tuple[uuid.UUID, date], Lock]


def _uuid(value: str | None) -> uuid.UUID | None:
    return uuid.UUID(value) if value is not None else None


def _date(value: str | None) -> date | None:
    return date.fromisoformat(value) if value is not None else None


async def read_context(session: AsyncSession, *, lesson_ids: Iterable[uuid.UUID],
                       group_ids: Iterable[uuid.UUID],
                       group_days: Iterable[tuple[uuid.UUID, date]],
                       student_ids: Iterable[uuid.UUID],
                       work_type_ids: Iterable[uuid.UUID]) -> WriteContext:
    """The context of writing to these lessons and groups (those of the lessons included),
    for these students and kinds of work; `group_days` are the (group, day) pairs written
    outside the lessons, whose locks are read with the lessons' own."""
    pairs = list(dict.fromkeys(group_days))
    await session.execute(GENERIC_PLANS)
    row = (await session.execute(CONTEXT, {
        "lesson_ids": list(set(lesson_ids)), "group_ids": list(set(group_ids)),
        "day_groups": [g for g, _ in pairs], "days": [d for _, d in pairs],
        "student_ids": list(set(student_ids)), "work_type_ids": list(set(work_type_ids)),
    })).one()
    lessons = {}
    for r in row.lessons or []:
        lesson = LessonRef(uuid.UUID(r["id"]), uuid.UUID(r["school_id"]),
                           uuid.UUID(r["group_id"]), date.fromisoformat(r["date"]),
                           models.LessonStatus(r["status"]))
        lessons[lesson.id] = lesson
    groups = {}
    for r in row.groups or []:
        group = GroupRef(uuid.UUID(r["id"]), uuid.UUID(r["school_id"]),
                         uuid.UUID(r["academic_year_id"]), uuid.UUID(r["subject_id"]),
                         _uuid(r["class_id"]), r["grade_level"], r["without_marks"])
        groups[group.id] = group
    uses: dict[uuid.UUID, list[Any]] = {}
    for r in row.uses or []:
        uses.setdefault(uuid.UUID(r["academic_year_id"]), []).append(SimpleNamespace(
            subject_id=_uuid(r["subject_id"]), grade_level=r["grade_level"],
            system_id=uuid.UUID(r["system_id"])))
    spans: Spans = {}
    for group_id, student_id, starts_on, ends_on in row.spans or []:
        spans.setdefault((uuid.UUID(group_id), uuid.UUID(student_id)), []).append(
            (date.fromisoformat(starts_on), _date(ends_on)))
    return WriteContext(
        lessons=lessons, groups=groups,
        rules={uuid.UUID(r["school_id"]): Deadlines.of(r["timezone"], r["mark_deadline_days"],
                                                       r["posting_window_days"],
                                                       r["offline_window_hours"])
               for r in row.rules or []},
        systems={g.id: pick(uses.get(g.academic_year_id, []), g.subject_id, g.grade_level)
                 for g in groups.values()},
        scales={uuid.UUID(r["id"]): (r["name"], [(label, uuid.UUID(value_id))
                                                 for label, value_id in r["values"] or []])
                for r in row.scales or []},
        work_types={uuid.UUID(w) for w in row.work_types or []},
        spans=spans,
        locks=locks_of(SimpleNamespace(group_id=uuid.UUID(r["group_id"]),
                                       day=date.fromisoformat(r["day"]),
                                       year_name=r["year_name"], year_status=r["year_status"],
                                       closed_period=r["closed_period"])
                       for r in row.locks or []))
