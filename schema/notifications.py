"""Notifications in the API: an administrator's dead letters and their retry; a student's or
guardian's own preferences (docs/notifications.md)."""

from __future__ import annotations

import enum
import uuid
from collections.abc import Iterable
from datetime import datetime, time
from typing import Annotated

import strawberry
from strawberry import relay
from strawberry.types import Info

from db import models
from resolvers.notifications import admin, webhook_admin
from schema.errors import UserError
from schema.ids import (
    SchoolIdArg,
    from_global_id,
    nodes_in_order,
    query_id,
    school_arg,
    to_global_id,
)
from schema.mutations import Input, actor, apply
from schema.pagination import After, First, empty_connection, paginate
from schema.people import Person
from schema.permissions import IsAuthenticated


@strawberry.enum(description="What a notification is about.")
class NotificationEventKind(enum.Enum):
    MARK = strawberry.enum_value("mark", description="A mark was given or changed.")
    ABSENCE = strawberry.enum_value("absence", description="An absence or lateness was "
                                                           "recorded or changed.")
    HOMEWORK = strawberry.enum_value("homework", description="Homework was set or changed.")
    GRADE = strawberry.enum_value("grade", description="A period, year, exam or final grade "
                                                       "was given or changed.")


@strawberry.enum(description="How emails about changes are sent.")
class EmailMode(enum.Enum):
    IMMEDIATE = strawberry.enum_value("immediate", description="Each change at once (after "
                                                               "the quiet hours).")
    DAILY_DIGEST = strawberry.enum_value("digest", description="One email a day at the "
                                                               "school's digest hour, listing "
                                                               "the day's changes.")


@strawberry.type(description="One notification to one person over one channel, as the worker "
                             "delivers it. Administrators of its school see it.")
class NotificationDelivery(relay.Node):
    id: relay.NodeID[uuid.UUID]
    channel: str = strawberry.field(description="How it is sent: `email`, `digest` (a "
                                                "day's emails in one), `push` or `webhook`.")
    status: str = strawberry.field(description="`pending` (waiting for its time), `sending` "
                                               "(a worker holds it), `sent`, `dead` (every "
                                               "attempt failed), `held` (waiting for the "
                                               "daily digest) or `digested` (sent in one).")
    attempts: int = strawberry.field(description="Attempts made so far.")
    last_error: str | None = strawberry.field(description="Why the last attempt failed.")
    next_attempt_at: datetime = strawberry.field(description="When it is next due.")
    created_at: datetime = strawberry.field(description="When it was queued.")
    sent_at: datetime | None = strawberry.field(description="When it was delivered.")
    idempotency_key: str = strawberry.field(
        description="Sent with the message (email Message-ID, webhook payload `id` and "
                    "`X-Zhurnal-Delivery`): the same on every attempt and replay.")
    response_status: int | None = strawberry.field(
        description="A webhook's HTTP status on the last attempt (null: email, or no answer).")
    recipient_id: strawberry.Private[uuid.UUID | None]
    webhook_id: strawberry.Private[uuid.UUID | None]

    @strawberry.field(description="Who it is for (an email); null for a webhook.")
    async def recipient(self, info: Info) -> Person | None:
        if self.recipient_id is None:
            return None
        row = await info.context.loaders.visible_person.load(self.recipient_id)
        return Person.from_model(row) if row else None

    @strawberry.field(name="webhookId",
                      description="Global id of the Webhook it goes to; null for an email.")
    def webhook_id_global(self) -> strawberry.ID | None:
        return None if self.webhook_id is None else strawberry.ID(
            to_global_id("Webhook", self.webhook_id))

    @classmethod
    def from_model(cls, row: models.NotificationDelivery) -> NotificationDelivery:
        return cls(id=row.id, channel=row.channel, status=row.status, attempts=row.attempts,
                   last_error=row.last_error, next_attempt_at=row.next_attempt_at,
                   created_at=row.created_at, sent_at=row.sent_at,
                   idempotency_key=row.idempotency_key, response_status=row.response_status,
                   recipient_id=row.recipient_id, webhook_id=row.webhook_id)

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[NotificationDelivery | None]:
        return await nodes_in_order(
            node_ids, lambda ids: admin.visible_deliveries(info.context.session,
                                                           info.context.access, ids),
            cls.from_model)


@strawberry.type(description="How the viewer (a student or guardian) hears of changes in one "
                             "school. Without preferences, nothing is sent.")
class NotificationPreferences:
    email: str | None = strawberry.field(description="The address emails go to.")
    email_enabled: bool = strawberry.field(description="Whether emails are sent (an "
                                                       "unsubscribe link turns this off).")
    events: list[NotificationEventKind] | None = strawberry.field(
        description="Which events are sent; null: all.")
    quiet_from: time | None = strawberry.field(
        description="Start of the quiet hours, in the school's time zone: a notification due "
                    "between quietFrom and quietUntil waits until quietUntil.")
    quiet_until: time | None = strawberry.field(description="End of the quiet hours (may be "
                                                            "after midnight: 22:00–07:00).")
    email_mode: EmailMode = strawberry.field(description="Each change at once, or a daily "
                                                         "digest.")
    messages_by_email: bool = strawberry.field(description="Whether a new message or "
                                                           "announcement is emailed.")

    @classmethod
    def from_model(cls, row: models.NotificationPreference) -> NotificationPreferences:
        return cls(email=row.email, email_enabled=row.email_enabled,
                   email_mode=EmailMode(row.email_mode), messages_by_email=row.message_email,
                   events=None if row.events is None
                   else [NotificationEventKind(e) for e in row.events],
                   quiet_from=row.quiet_from, quiet_until=row.quiet_until)


async def dead_letters(info: Info, *, school_id: SchoolIdArg, first: First = None,
                       after: After = None) -> relay.Connection[NotificationDelivery]:
    stmt = admin.dead_letters(info.context.access, school_arg(school_id))
    if stmt is None:
        return empty_connection(first)
    return await paginate(info.context.session, stmt, keys=admin.PAGE_KEYS, first=first,
                          after=after, to_node=NotificationDelivery.from_model)


async def preferences(info: Info, *, person_id: Annotated[strawberry.ID, strawberry.argument(
        description="Global id of the viewer's own Person (a student or guardian).")]
                      ) -> NotificationPreferences | None:
    person = query_id(person_id, "Person", "personId")
    assert person is not None  # a non-null argument
    row = await admin.own_preferences(info.context.session, info.context.access, person)
    return NotificationPreferences.from_model(row) if row else None


@strawberry.input(description="The dead letter to send again.")
class RetryNotificationInput:
    id: strawberry.ID = strawberry.field(description="Global id of the NotificationDelivery.")


@strawberry.type(description="Result of `retryNotification`.")
class RetryNotificationPayload:
    delivery: NotificationDelivery | None = strawberry.field(description="The delivery, due "
                                                                         "again now.")
    errors: list[UserError] = strawberry.field(description="Why nothing changed.")


@strawberry.input(description="The viewer's preferences as one of their persons (a student or "
                              "guardian in one school), replaced whole.")
class SetNotificationPreferencesInput:
    person_id: strawberry.ID = strawberry.field(description="Global id of the viewer's own "
                                                            "Person.")
    email: str | None = strawberry.field(default=None, description="The address emails go to.")
    email_enabled: bool = strawberry.field(default=True, description="Whether emails are "
                                                                     "sent.")
    events: list[NotificationEventKind] | None = strawberry.field(
        default=None, description="Which events to send; null: all.")
    quiet_from: time | None = strawberry.field(default=None, description="Start of the quiet "
                                                                         "hours (school time).")
    quiet_until: time | None = strawberry.field(default=None, description="End of the quiet "
                                                                          "hours.")
    email_mode: EmailMode = strawberry.field(default=EmailMode.IMMEDIATE,
                                             description="Each change at once, or a daily "
                                                         "digest at the school's hour.")
    messages_by_email: bool = strawberry.field(default=True, description="Whether a new "
                                                                         "message or "
                                                                         "announcement is "
                                                                         "emailed.")


@strawberry.type(description="Result of `setNotificationPreferences`.")
class SetNotificationPreferencesPayload:
    preferences: NotificationPreferences | None = strawberry.field(description="As saved.")
    errors: list[UserError] = strawberry.field(description="Why nothing was saved.")


async def retry(info: Info, input: Input[RetryNotificationInput]) -> RetryNotificationPayload:
    row, errors = await apply(info, lambda: admin.retry(
        info.context.session, info.context.access,
        from_global_id(input.id, "NotificationDelivery", "input.id"),
        actor=lambda school_id: actor(info, school_id)))
    return RetryNotificationPayload(
        delivery=NotificationDelivery.from_model(row) if row else None, errors=errors)


async def set_preferences(info: Info, input: Input[SetNotificationPreferencesInput]
                          ) -> SetNotificationPreferencesPayload:
    def request() -> admin.PreferenceRequest:
        return admin.PreferenceRequest(
            person_id=from_global_id(input.person_id, "Person", "input.personId"),
            email=input.email, email_enabled=input.email_enabled,
            events=None if input.events is None else [e.value for e in input.events],
            quiet_from=input.quiet_from, quiet_until=input.quiet_until,
            email_mode=input.email_mode.value, message_email=input.messages_by_email)

    row, errors = await apply(info, lambda: admin.set_preferences(
        info.context.session, info.context.access, request(),
        actor=lambda school_id: actor(info, school_id)))
    return SetNotificationPreferencesPayload(
        preferences=NotificationPreferences.from_model(row) if row else None, errors=errors)


@strawberry.type(description="An integrator's subscription: the events of the school its API "
                             "token reaches are POSTed to `url`, signed (see "
                             "docs/notifications.md). Managed by the school's administrators.")
class Webhook(relay.Node):
    id: relay.NodeID[uuid.UUID]
    url: str = strawberry.field(description="Where the events are POSTed.")
    events: list[NotificationEventKind] | None = strawberry.field(
        description="Which events are sent; null: all.")
    created_at: datetime = strawberry.field(description="When it was created.")
    token_id: strawberry.Private[uuid.UUID]

    @strawberry.field(description="Global id of the ApiToken it belongs to.")
    def api_token_id(self) -> strawberry.ID:
        return strawberry.ID(to_global_id("ApiToken", self.token_id))

    @classmethod
    def from_model(cls, row: models.Webhook) -> Webhook:
        return cls(id=row.id, url=row.url, created_at=row.created_at, token_id=row.token_id,
                   events=None if row.events is None
                   else [NotificationEventKind(e) for e in row.events])

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Webhook | None]:
        return await nodes_in_order(
            node_ids, lambda ids: webhook_admin.visible_webhooks(info.context.session,
                                                                 info.context.access, ids),
            cls.from_model)


@strawberry.input(description="A webhook to create for an integrator token.")
class CreateWebhookInput:
    token_id: strawberry.ID = strawberry.field(description="Global id of the ApiToken (one "
                                                           "school's, with READ).")
    url: str = strawberry.field(description="An http:// or https:// URL to POST events to.")
    events: list[NotificationEventKind] | None = strawberry.field(
        default=None, description="Which events to send; null: all.")


@strawberry.type(description="Result of `createWebhook`.")
class CreateWebhookPayload:
    webhook: Webhook | None = strawberry.field(description="The webhook.")
    secret: str | None = strawberry.field(description="The signing secret (`whsec_…`): shown "
                                                       "only now.")
    errors: list[UserError] = strawberry.field(description="Why nothing was created.")


@strawberry.input(description="The webhook to delete.")
class DeleteWebhookInput:
    id: strawberry.ID = strawberry.field(description="Global id of the Webhook.")


@strawberry.type(description="Result of `deleteWebhook`.")
class DeleteWebhookPayload:
    deleted_id: strawberry.ID | None = strawberry.field(description="Global id of the deleted "
                                                                    "Webhook.")
    errors: list[UserError] = strawberry.field(description="Why nothing was deleted.")


@strawberry.input(description="The webhook delivery to send again.")
class ReplayWebhookDeliveryInput:
    id: strawberry.ID = strawberry.field(description="Global id of the NotificationDelivery "
                                                     "of a webhook.")


@strawberry.type(description="Result of `replayWebhookDelivery`.")
class ReplayWebhookDeliveryPayload:
    delivery: NotificationDelivery | None = strawberry.field(description="The delivery, due "
                                                                         "again now.")
    errors: list[UserError] = strawberry.field(description="Why nothing changed.")


async def create_webhook(info: Info, input: Input[CreateWebhookInput]) -> CreateWebhookPayload:
    def request() -> webhook_admin.WebhookRequest:
        return webhook_admin.WebhookRequest(
            token_id=from_global_id(input.token_id, "ApiToken", "input.tokenId"),
            url=input.url, events=None if input.events is None
            else [e.value for e in input.events])

    result, errors = await apply(info, lambda: webhook_admin.create_webhook(
        info.context.session, info.context.access, request(),
        actor=lambda school_id: actor(info, school_id)))
    if result is None:
        return CreateWebhookPayload(webhook=None, secret=None, errors=errors)
    row, secret = result
    return CreateWebhookPayload(webhook=Webhook.from_model(row), secret=secret, errors=[])


async def delete_webhook(info: Info, input: Input[DeleteWebhookInput]) -> DeleteWebhookPayload:
    row, errors = await apply(info, lambda: webhook_admin.delete_webhook(
        info.context.session, info.context.access,
        from_global_id(input.id, "Webhook", "input.id"),
        actor=lambda school_id: actor(info, school_id)))
    return DeleteWebhookPayload(
        deleted_id=strawberry.ID(to_global_id("Webhook", row.id)) if row else None,
        errors=errors)


async def replay_delivery(info: Info, input: Input[ReplayWebhookDeliveryInput]
                          ) -> ReplayWebhookDeliveryPayload:
    row, errors = await apply(info, lambda: webhook_admin.replay(
        info.context.session, info.context.access,
        from_global_id(input.id, "NotificationDelivery", "input.id"),
        actor=lambda school_id: actor(info, school_id)))
    return ReplayWebhookDeliveryPayload(
        delivery=NotificationDelivery.from_model(row) if row else None, errors=errors)


async def list_webhooks(
    info: Info, *,
    token_id: Annotated[strawberry.ID | None, strawberry.argument(
        description="Only the webhooks of this ApiToken.")] = None,
    first: First = None, after: After = None,
) -> relay.Connection[Webhook]:
    stmt = webhook_admin.webhooks(info.context.access,
                                  query_id(token_id, "ApiToken", "tokenId"))
    if stmt is None:
        return empty_connection(first)
    return await paginate(info.context.session, stmt, keys=webhook_admin.WEBHOOK_PAGE_KEYS,
                          first=first, after=after, to_node=Webhook.from_model)


async def list_webhook_deliveries(
    info: Info, *,
    webhook_id: Annotated[strawberry.ID, strawberry.argument(
        description="Global id of the Webhook.")],
    first: First = None, after: After = None,
) -> relay.Connection[NotificationDelivery]:
    webhook = query_id(webhook_id, "Webhook", "webhookId")
    assert webhook is not None  # a non-null argument
    stmt = webhook_admin.webhook_deliveries(info.context.access, webhook)
    if stmt is None:
        return empty_connection(first)
    return await paginate(info.context.session, stmt,
                          keys=webhook_admin.DELIVERY_PAGE_KEYS, first=first, after=after,
                          to_node=NotificationDelivery.from_model)


@strawberry.type
class NotificationsQuery:
    webhooks: relay.Connection[Webhook] = strawberry.field(
        resolver=list_webhooks, permission_classes=[IsAuthenticated],
        description="Webhooks of the schools the viewer administers, oldest first.")
    webhook_deliveries: relay.Connection[NotificationDelivery] = strawberry.field(
        resolver=list_webhook_deliveries, permission_classes=[IsAuthenticated],
        description="The delivery log of one webhook, oldest first: each event's status, "
                    "attempts, last error and HTTP status. Empty alike for an unknown webhook "
                    "and one the viewer may not manage.")
    notification_dead_letters: relay.Connection[NotificationDelivery] = strawberry.field(
        resolver=dead_letters, permission_classes=[IsAuthenticated],
        description="A school's notifications whose every attempt failed, oldest first. "
                    "School administrators only; empty for a school the viewer does not "
                    "belong to.")
    notification_preferences: NotificationPreferences | None = strawberry.field(
        resolver=preferences, permission_classes=[IsAuthenticated],
        description="The viewer's own notification preferences as one of their persons (a "
                    "student or guardian); null when none are set or the person is not the "
                    "viewer's.")


@strawberry.type
class NotificationsMutation:
    create_webhook: CreateWebhookPayload = strawberry.field(
        resolver=create_webhook, permission_classes=[IsAuthenticated],
        description="Subscribe an integrator token (of one school, with READ) to events: "
                    "they are POSTed to the URL, signed with the secret returned now. The "
                    "school's administrators only.")
    delete_webhook: DeleteWebhookPayload = strawberry.field(
        resolver=delete_webhook, permission_classes=[IsAuthenticated],
        description="Delete a webhook; nothing more is sent to it. The school's "
                    "administrators only.")
    replay_webhook_delivery: ReplayWebhookDeliveryPayload = strawberry.field(
        resolver=replay_delivery, permission_classes=[IsAuthenticated],
        description="Send one webhook delivery again (with the same payload id). The "
                    "school's administrators only.")
    retry_notification: RetryNotificationPayload = strawberry.field(
        resolver=retry, permission_classes=[IsAuthenticated],
        description="Send a dead letter again: its attempts start over, due now. School "
                    "administrators only.")
    set_notification_preferences: SetNotificationPreferencesPayload = strawberry.field(
        resolver=set_preferences, permission_classes=[IsAuthenticated],
        description="Set the viewer's own notification preferences as one of their persons "
                    "(a student or guardian): address, channel on or off, at once or a daily "
                    "digest, messages by email, which events, quiet hours. Another person's "
                    "are NOT_FOUND.")
