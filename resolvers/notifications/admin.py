"""What the API does with notifications: an administrator's dead letters and their retry, and
a student's or guardian's own preferences."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import time

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.audit import Actor, Change, record, snapshot
from db.models import NotificationDelivery, NotificationPreference, SchoolRole
from resolvers.notifications.queue import KINDS
from tenants.access import AccessContext, SchoolMembership
from tenants.errors import DomainError, ErrorCode, Problem, forbidden, not_found, request_error
from tenants.rules import is_admin

PAGE_KEYS = (NotificationDelivery.created_at, NotificationDelivery.id)
# Simple and permissive: one @, something on each side, a dot in the domain, no spaces.
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def dead_letters(access: AccessContext, school_id: uuid.UUID
                 ) -> Select[tuple[NotificationDelivery]] | None:
    """The school's dead deliveries, for PAGE_KEYS; None (nothing) for a school the viewer
    does not belong to; FORBIDDEN for a member who is not an administrator."""
    if access.membership(school_id) is None:
        return None
    if not is_admin(access, school_id):
        raise request_error("FORBIDDEN", "only the school's administrators may read this")
    return select(NotificationDelivery).where(NotificationDelivery.school_id == school_id,
                                              NotificationDelivery.status == "dead")


async def visible_deliveries(session: AsyncSession, access: AccessContext,
                             ids: list[uuid.UUID]) -> list[NotificationDelivery]:
    """The deliveries among `ids` whose school the viewer administers (nothing is read for a
    viewer who administers none: an officer's role may not even read the table)."""
    schools = [s for s in access.memberships if is_admin(access, s)]
    if not ids or not schools:
        return []
    return list(await session.scalars(select(NotificationDelivery).where(
        NotificationDelivery.school_id.in_(schools), NotificationDelivery.id.in_(ids))))


async def retry(session: AsyncSession, access: AccessContext, delivery_id: uuid.UUID,
                actor: Callable[[uuid.UUID], Actor]) -> NotificationDelivery:
    """Put one dead letter back in the queue (attempts reset, due now); audited."""
    found = await visible_deliveries(session, access, [delivery_id])
    if not found:
        raise not_found("input.id", "dead notification")
    row = found[0]
    if row.status != "dead":
        raise DomainError(Problem(field="input.id", code=ErrorCode.CONFLICT,
                                  message=f"the delivery is {row.status}, not dead"))
    before = snapshot(row)
    row.status, row.attempts, row.locked_until = "pending", 0, None
    row.next_attempt_at = func.clock_timestamp()  # type: ignore[assignment]  # due now
    await session.flush()
    await session.refresh(row)
    await record(session, actor(row.school_id), Change(
        row.school_id, "retry", "notification_deliveries", row.id, before, snapshot(row)))
    return row


RECEIVERS = frozenset({SchoolRole.STUDENT, SchoolRole.GUARDIAN})


def _own(access: AccessContext, person_id: uuid.UUID) -> SchoolMembership | None:
    """The viewer's membership whose person is `person_id`: preferences are one's own."""
    for m in access.memberships.values():
        if m.person_id == person_id:
            return m
    return None


async def own_preferences(session: AsyncSession, access: AccessContext,
                          person_id: uuid.UUID) -> NotificationPreference | None:
    """The viewer's own preferences as this person (None: none set, or not the viewer)."""
    m = _own(access, person_id)
    if m is None or not (m.roles & RECEIVERS):
        return None
    return await session.scalar(select(NotificationPreference).where(
        NotificationPreference.school_id == m.school_id,
        NotificationPreference.person_id == m.person_id))


@dataclass(frozen=True)
class PreferenceRequest:
    person_id: uuid.UUID
    email: str | None
    email_enabled: bool
    events: list[str] | None
    quiet_from: time | None
    quiet_until: time | None
    email_mode: str = "immediate"
    message_email: bool = True


EMAIL_MODES = ("immediate", "digest")


async def set_preferences(session: AsyncSession, access: AccessContext, req: PreferenceRequest,
                          actor: Callable[[uuid.UUID], Actor]) -> NotificationPreference:
    """Create or replace the viewer's own preferences (as one of their persons); audited."""
    m = _own(access, req.person_id)
    if m is None:
        raise not_found("input.personId", "person of the viewer")
    if not (m.roles & RECEIVERS):
        raise forbidden("input.personId", "notifications are for students and guardians")
    school, person = m.school_id, m.person_id
    problems: list[Problem] = []
    if req.email is not None and (len(req.email) > 254 or not EMAIL.match(req.email)):
        problems.append(Problem("input.email", ErrorCode.INVALID, "is not an email address"))
    if req.email_enabled and req.email is None:
        problems.append(Problem("input.email", ErrorCode.REQUIRED,
                                "an address is needed when email is on"))
    for i, kind in enumerate(req.events or []):
        if kind not in KINDS:
            problems.append(Problem(f"input.events.{i}", ErrorCode.INVALID,
                                    f"is not one of {', '.join(KINDS)}"))
    if req.email_mode not in EMAIL_MODES:
        problems.append(Problem("input.emailMode", ErrorCode.INVALID,
                                f"is not one of {', '.join(EMAIL_MODES)}"))
    if (req.quiet_from is None) != (req.quiet_until is None):
        problems.append(Problem("input.quietUntil" if req.quiet_until is None
                                else "input.quietFrom", ErrorCode.REQUIRED,
                                "quiet hours need both a start and an end"))
    if problems:
        raise DomainError(*problems)
    row = await session.scalar(select(NotificationPreference).where(
        NotificationPreference.school_id == school,
        NotificationPreference.person_id == person))
    before = snapshot(row)
    if row is None:
        row = NotificationPreference(school_id=school, id=uuid.uuid4(), person_id=person)
        session.add(row)
    row.email, row.email_enabled = req.email, req.email_enabled
    row.events = None if req.events is None else sorted(set(req.events))
    row.quiet_from, row.quiet_until = req.quiet_from, req.quiet_until
    row.email_mode, row.message_email = req.email_mode, req.message_email
    await session.flush()
    await record(session, actor(school), Change(
        school, "update" if before else "create", "notification_preferences", row.id,
        before, snapshot(row)))
    return row
