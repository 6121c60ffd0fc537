"""`me`: the access context as the viewer sees it, in the order it is shown."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from db import models
from tenants.access import AccessContext, SchoolMembership


@dataclass(frozen=True)
class ViewerReach:
    """What `me` shows, as ids: the schools (with the viewer's person and roles there), the
    classes led, groups taught and children over every school, and the officer reach."""

    viewer_id: uuid.UUID  # the account, or the integrator token: stable per viewer
    login: str
    memberships: list[SchoolMembership]
    class_ids: list[uuid.UUID]
    group_ids: list[uuid.UUID]
    child_ids: list[uuid.UUID]
    student_ids: list[uuid.UUID]  # whose diaries: the viewer as a student, and their children
    municipality_ids: list[uuid.UUID]
    officer_region: bool
    token_scopes: list[models.TokenScope] | None
    officer_school_ids: frozenset[uuid.UUID]


def me(access: AccessContext) -> ViewerReach:
    ms = sorted(access.memberships.values(), key=lambda m: str(m.school_id))
    viewer_id = access.account_id or access.token_id
    assert viewer_id is not None  # `me` is for the authenticated only
    return ViewerReach(
        viewer_id=viewer_id,
        login=access.login or "",
        memberships=ms,
        class_ids=sorted({c for m in ms for c in m.led_class_ids}),
        group_ids=sorted({g for m in ms for g in m.taught_group_ids}),
        child_ids=sorted({c for m in ms for c in m.child_ids}),
        student_ids=diary_students(ms),
        municipality_ids=sorted(access.officer_municipality_ids),
        officer_region=bool(access.officer_region_ids),
        token_scopes=sorted(access.scopes) if access.scopes is not None else None,
        officer_school_ids=access.officer_school_ids,
    )


def diary_students(memberships: Sequence[SchoolMembership]) -> list[uuid.UUID]:
    """The students whose diaries the viewer reads, as person ids over every school: their own
    person where they are a student, and their children (a child in another school too)."""
    own = {m.person_id for m in memberships if models.SchoolRole.STUDENT in m.roles}
    return sorted(own | {c for m in memberships for c in m.child_ids})


def in_force(row: models.Enrollment | models.GroupMembership, day: date) -> bool:
    return row.starts_on <= day and (row.ends_on is None or row.ends_on >= day)


@dataclass(frozen=True)
class Placement:
    """Where a student studies on a day: their class (None between enrollments) and groups."""

    class_id: uuid.UUID | None
    group_ids: list[uuid.UUID]


def placement(enrollments: Sequence[models.Enrollment],
              memberships: Sequence[models.GroupMembership], day: date) -> Placement:
    """The class and groups of one student on `day`, from all their enrollments and group
    memberships. A move closes the old enrollment the day before the new one starts; should two
    overlap all the same (imported data), the one that started last is the class."""
    current = sorted((e for e in enrollments if in_force(e, day)),
                     key=lambda e: (e.starts_on, e.id))
    groups = sorted({m.group_id for m in memberships if in_force(m, day)})
    return Placement(current[-1].class_id if current else None, groups)
