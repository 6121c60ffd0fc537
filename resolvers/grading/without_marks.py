"""Teaching without marks (безотметочное обучение): which grade levels, or subjects in which
grade levels, a school teaches without marks; the rule that tells whether a group is taught so;
and the refusal of marks and grades for such a group.

A group is taught without marks when its grade level (`GROUP_GRADE_LEVEL`, cross-class groups
included) is configured whole (a row with no subject) or its subject is configured for that
level. Its journal takes topics, attendance and comments; marks, period and year grades are
refused. The configuration is the school's, not a year's: it applies to every year.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import delete, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from db import audit, models
from db.audit import Actor, Change
from resolvers.grading.uses import GROUP_GRADE_LEVEL
from tenants.errors import DomainError, ErrorCode, Problem, refusal

MIN_GRADE, MAX_GRADE = 1, 11
MAX_SUBJECTS = 200
ENTITY = "teaching_without_marks"

REFUSED_MARK = ("the group is taught without marks (безотметочное обучение): its journal takes "
                "topics, attendance and comments, not marks")
REFUSED_GRADE = ("the group is taught without marks (безотметочное обучение): it takes no "
                 "period or year grades")


def without_marks_sql(school: str, subject: str, grade_level: str) -> str:
    """SQL, true when a group of `school` studying `subject` at `grade_level` (SQL
    expressions; the level as `GROUP_GRADE_LEVEL` gives it) is taught without marks. The one
    statement of the rule: every query that needs it uses this fragment."""
    return f"""EXISTS (
  SELECT 1 FROM teaching_without_marks twm
  WHERE twm.school_id = {school} AND twm.grade_level = {grade_level}
    AND (twm.subject_id IS NULL OR twm.subject_id = {subject}))"""


# A group's flag as SQL over `sg` (a study_groups row), for statements that read groups.
GROUP_WITHOUT_MARKS = without_marks_sql("sg.school_id", "sg.subject_id",
                                        f"({GROUP_GRADE_LEVEL})")

GROUPS_WITHOUT_MARKS = text(f"""
SELECT sg.id FROM study_groups sg
WHERE sg.id = ANY (CAST(:ids AS uuid[])) AND {GROUP_WITHOUT_MARKS}""")


async def groups_without_marks(session: AsyncSession, group_ids: Sequence[uuid.UUID]
                               ) -> set[uuid.UUID]:
    """Those of the groups taught without marks, in one statement."""
    if not group_ids:
        return set()
    rows = await session.scalars(GROUPS_WITHOUT_MARKS, {"ids": list(group_ids)})
    return set(rows)


async def require_graded_group(session: AsyncSession, group: models.StudyGroup,
                               field: str) -> None:
    """Period and year grades: refused for every state (graded, exempt, not attested,
    deferred) in a group taught without marks, which is not attested at all."""
    if group.id in await groups_without_marks(session, [group.id]):
        raise refusal(field, ErrorCode.INVALID, REFUSED_GRADE)


# --- the configuration ---------------------------------------------------------------------

@dataclass(frozen=True)
class SubjectLevels:
    """A subject taught without marks in some grade levels; `subject_id` is the decoded id, or
    the problem of one that is not a Subject's (reported with the input's other problems)."""

    subject_id: uuid.UUID | Problem
    grade_levels: Sequence[int]


async def teaching_without_marks(session: AsyncSession, school_id: uuid.UUID
                                 ) -> list[models.TeachingWithoutMarks]:
    """The school's rows by grade level, the whole level first, then by subject name (the
    caller checked the viewer may read the school's configuration)."""
    t, s = models.TeachingWithoutMarks, models.Subject
    return list(await session.scalars(
        select(t).outerjoin(s, (s.school_id == t.school_id) & (s.id == t.subject_id))
        .where(t.school_id == school_id)
        .order_by(t.grade_level, t.subject_id.is_not(None), s.name, t.id)))


def _levels(levels: Sequence[int], field: str, errors: list[Problem]) -> dict[int, int]:
    """Each level 1–11, once: the levels accepted, with their position in the input."""
    seen: dict[int, int] = {}
    for i, level in enumerate(levels):
        if not MIN_GRADE <= level <= MAX_GRADE:
            errors.append(Problem(field=f"{field}.{i}", code=ErrorCode.OUT_OF_RANGE,
                                  message=f"a grade level is between {MIN_GRADE} and "
                                          f"{MAX_GRADE}"))
        elif level in seen:
            errors.append(Problem(field=f"{field}.{i}", code=ErrorCode.DUPLICATE,
                                  message=f"grade level {level} is already given at "
                                          f"{field}.{seen[level]}"))
        else:
            seen[level] = i
    return seen


async def _wanted(session: AsyncSession, school_id: uuid.UUID, grade_levels: Sequence[int],
                  subjects: Sequence[SubjectLevels]
                  ) -> set[tuple[int, uuid.UUID | None]]:
    """The rows the input asks for, every problem collected."""
    errors: list[Problem] = []
    whole = _levels(grade_levels, "input.gradeLevels", errors)
    wanted: set[tuple[int, uuid.UUID | None]] = {(level, None) for level in whole}
    if len(subjects) > MAX_SUBJECTS:
        raise refusal("input.subjects", ErrorCode.OUT_OF_RANGE,
                      f"at most {MAX_SUBJECTS} subjects")
    ids = [s.subject_id for s in subjects if isinstance(s.subject_id, uuid.UUID)]
    known = set(await session.scalars(select(models.Subject.id).where(
        models.Subject.school_id == school_id, models.Subject.id.in_(ids)))) if ids else set()
    seen: dict[uuid.UUID, int] = {}
    for i, given in enumerate(subjects):
        field = f"input.subjects.{i}"
        subject = given.subject_id
        if isinstance(subject, Problem):
            errors.append(subject)
        elif subject not in known:
            errors.append(Problem(field=f"{field}.subjectId", code=ErrorCode.NOT_FOUND,
                                  message="no such subject in the school"))
        elif subject in seen:
            errors.append(Problem(field=f"{field}.subjectId", code=ErrorCode.DUPLICATE,
                                  message=f"the subject is already given at "
                                          f"input.subjects.{seen[subject]}: give its grade "
                                          "levels once"))
        else:
            seen[subject] = i
        if not given.grade_levels:
            errors.append(Problem(field=f"{field}.gradeLevels", code=ErrorCode.REQUIRED,
                                  message="give the grade levels the subject is taught "
                                          "without marks in"))
        levels = _levels(given.grade_levels, f"{field}.gradeLevels", errors)
        for level, j in levels.items():
            if level in whole:
                errors.append(Problem(field=f"{field}.gradeLevels.{j}", code=ErrorCode.DUPLICATE,
                                      message=f"grade level {level} is taught without marks "
                                              "as a whole (input.gradeLevels): every subject "
                                              "of it already is"))
        if isinstance(subject, uuid.UUID):
            wanted |= {(level, subject) for level in levels}
    if errors:
        raise DomainError(*errors)
    return wanted


async def set_teaching_without_marks(session: AsyncSession, actor: Actor,
                                     school_id: uuid.UUID, *, grade_levels: Sequence[int],
                                     subjects: Sequence[SubjectLevels]
                                     ) -> list[models.TeachingWithoutMarks]:
    """Replace the school's whole configuration (the school is one the viewer administers):
    rows no longer wanted are deleted, new ones created, each change audited; rows kept stay
    as they are. Returns the configuration now in force."""
    wanted = await _wanted(session, school_id, grade_levels, subjects)
    # Two administrators saving at once: the second waits and then sees the first's rows.
    await session.execute(text("SELECT pg_advisory_xact_lock(hashtext(:k))"),
                          {"k": f"{ENTITY}:{school_id}"})
    t = models.TeachingWithoutMarks
    current = list(await session.scalars(select(t).where(t.school_id == school_id)))
    have = {(r.grade_level, r.subject_id): r for r in current}
    gone = [r for key, r in have.items() if key not in wanted]
    changes = [Change(school_id=school_id, action="delete", entity=ENTITY, entity_id=r.id,
                      before=audit.snapshot(r)) for r in gone]
    if gone:
        await session.execute(delete(t).where(t.school_id == school_id,
                                              t.id.in_([r.id for r in gone])))
    now = datetime.now(UTC)  # given, not a server default, so the audit row can show it
    new = [t(school_id=school_id, id=uuid.uuid4(), grade_level=level, subject_id=subject,
             created_at=now)
           for level, subject in sorted(wanted - have.keys(), key=lambda k: (k[0], str(k[1])))]
    session.add_all(new)
    await session.flush()
    changes += [Change(school_id=school_id, action="create", entity=ENTITY, entity_id=r.id,
                       after=audit.snapshot(r)) for r in new]
    await audit.record(session, actor, *changes)
    return await teaching_without_marks(session, school_id)
