"""`me`: the access context as the viewer sees it, in the order it is shown."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

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
        municipality_ids=sorted(access.officer_municipality_ids),
        officer_region=bool(access.officer_region_ids),
        token_scopes=sorted(access.scopes) if access.scopes is not None else None,
        officer_school_ids=access.officer_school_ids,
    )
