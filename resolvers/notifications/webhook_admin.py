"""Managing webhooks: created, listed and deleted by the administrators of the school an
integrator token reaches; their delivery log and the replay of one delivery.

Decisions (docs/notifications.md): a webhook belongs to a token that reaches one school and
may read (`READ`); its URL is https:// (http:// to the machine itself outside production:
resolvers/notifications/urls.py); officers do not manage webhooks (a payload names students
by id, and officers never see students); the secret is shown once, when the webhook is
created.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.audit import Actor, Change, record, snapshot
from db.models import ApiToken, NotificationDelivery, TokenScope, Webhook
from resolvers.notifications import urls
from resolvers.notifications.queue import KINDS
from tenants.access import AccessContext
from tenants.errors import DomainError, ErrorCode, Problem, forbidden, not_found
from tenants.rules import is_admin

DELIVERY_PAGE_KEYS = (NotificationDelivery.created_at, NotificationDelivery.id)
WEBHOOK_PAGE_KEYS = (Webhook.created_at, Webhook.id)


def _admin_schools(access: AccessContext) -> list[uuid.UUID]:
    return [s for s in access.memberships if is_admin(access, s)]


@dataclass(frozen=True)
class WebhookRequest:
    token_id: uuid.UUID
    url: str
    events: list[str] | None


async def create_webhook(session: AsyncSession, access: AccessContext, req: WebhookRequest,
                         actor: Callable[[uuid.UUID], Actor]) -> tuple[Webhook, str]:
    """A new webhook and its signing secret (shown once); audited in the token's school."""
    token = await session.scalar(select(ApiToken).where(ApiToken.id == req.token_id))
    school = token.reach_school_id if token else None
    if token is None or school is None or access.membership(school) is None:
        if token is not None and school is None and token.issued_by_account_id == \
                access.account_id:
            raise DomainError(Problem("input.tokenId", ErrorCode.INVALID,
                                      "webhooks need a token that reaches one school"))
        raise not_found("input.tokenId", "API token")
    if not is_admin(access, school):
        raise forbidden("input.tokenId", "only the school's administrators manage webhooks")
    problems: list[Problem] = []
    if token.revoked_at is not None:
        problems.append(Problem("input.tokenId", ErrorCode.INVALID, "the token is revoked"))
    if TokenScope.READ.value not in token.scopes:
        problems.append(Problem("input.tokenId", ErrorCode.INVALID,
                                "the token has no READ scope, so it may receive no events"))
    url_problem = urls.url_problem(req.url, production=urls.is_production())
    if url_problem:
        problems.append(Problem("input.url", ErrorCode.INVALID, url_problem))
    for i, kind in enumerate(req.events or []):
        if kind not in KINDS:
            problems.append(Problem(f"input.events.{i}", ErrorCode.INVALID,
                                    f"is not one of {', '.join(KINDS)}"))
    if problems:
        raise DomainError(*problems)
    secret = "whsec_" + secrets.token_urlsafe(32)
    row = Webhook(school_id=school, id=uuid.uuid4(), token_id=token.id, url=req.url,
                  events=None if req.events is None else sorted(set(req.events)),
                  secret=secret, created_by_account_id=access.account_id)
    session.add(row)
    await session.flush()
    await session.refresh(row)
    await record(session, actor(school), Change(school, "create", "webhooks", row.id, None,
                                                snapshot(row)))
    return row, secret


def webhooks(access: AccessContext, token_id: uuid.UUID | None
             ) -> Select[tuple[Webhook]] | None:
    """The webhooks of the schools the viewer administers (of one token, if given); None when
    they administer none."""
    schools = _admin_schools(access)
    if not schools:
        return None
    stmt = select(Webhook).where(Webhook.school_id.in_(schools))
    if token_id is not None:
        stmt = stmt.where(Webhook.token_id == token_id)
    return stmt


async def visible_webhooks(session: AsyncSession, access: AccessContext,
                           ids: Sequence[uuid.UUID]) -> list[Webhook]:
    if not ids or not _admin_schools(access):
        return []
    stmt = webhooks(access, None)
    assert stmt is not None
    return list(await session.scalars(stmt.where(Webhook.id.in_(ids))))


async def delete_webhook(session: AsyncSession, access: AccessContext, webhook_id: uuid.UUID,
                         actor: Callable[[uuid.UUID], Actor]) -> Webhook:
    found = await visible_webhooks(session, access, [webhook_id])
    if not found:
        raise not_found("input.id", "webhook")
    row = found[0]
    before = snapshot(row)
    await session.delete(row)
    await session.flush()
    await record(session, actor(row.school_id), Change(row.school_id, "delete", "webhooks",
                                                       row.id, before, None))
    return row


def webhook_deliveries(access: AccessContext, webhook_id: uuid.UUID
                       ) -> Select[tuple[NotificationDelivery]] | None:
    """The delivery log of one webhook (empty alike for an unknown and an invisible one)."""
    schools = _admin_schools(access)
    if not schools:
        return None
    return select(NotificationDelivery).where(
        NotificationDelivery.school_id.in_(schools),
        NotificationDelivery.webhook_id == webhook_id)


async def replay(session: AsyncSession, access: AccessContext, delivery_id: uuid.UUID,
                 actor: Callable[[uuid.UUID], Actor]) -> NotificationDelivery:
    """Send one webhook delivery again (sent, failed or dead): due now, attempts start over,
    the same payload id so a receiver can tell it is the same event."""
    schools = _admin_schools(access)
    row = None if not schools else await session.scalar(select(NotificationDelivery).where(
        NotificationDelivery.school_id.in_(schools),
        NotificationDelivery.id == delivery_id,
        NotificationDelivery.webhook_id.is_not(None)))
    if row is None:
        raise not_found("input.id", "webhook delivery")
    if row.status == "sending":
        raise DomainError(Problem("input.id", ErrorCode.CONFLICT,
                                  "a worker is sending it right now"))
    before = snapshot(row)
    row.status, row.attempts, row.locked_until = "pending", 0, None
    row.next_attempt_at = func.clock_timestamp()  # type: ignore[assignment]
    await session.flush()
    await session.refresh(row)
    await record(session, actor(row.school_id), Change(
        row.school_id, "replay", "notification_deliveries", row.id, before, snapshot(row)))
    return row
