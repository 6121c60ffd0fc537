"""Web Push in the API: the server's public VAPID key, and the viewer's own browser
subscriptions (rules in resolvers/notifications/push.py, docs/notifications.md "Web Push")."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry.types import Info

from db import models
from resolvers.notifications import push, urls
from schema.errors import UserError
from schema.ids import to_global_id
from schema.mutations import Input, actor, apply
from schema.permissions import IsAuthenticated


@strawberry.type(description="One of the viewer's browsers that receives Web Push, in one "
                             "school.")
class PushSubscription:
    id: strawberry.ID = strawberry.field(description="Global id of the subscription.")
    endpoint: str = strawberry.field(description="The push service's URL for the browser.")
    school_id: strawberry.ID = strawberry.field(description="Global id of the School whose "
                                                            "changes it receives.")
    created_at: datetime = strawberry.field(description="When it was registered.")

    @classmethod
    def from_model(cls, row: models.PushSubscription) -> PushSubscription:
        return cls(id=strawberry.ID(to_global_id("PushSubscription", row.id)),
                   endpoint=row.endpoint, created_at=row.created_at,
                   school_id=strawberry.ID(to_global_id("School", row.school_id)))


@strawberry.input(description="The keys of a browser's PushSubscription (its `toJSON().keys`).")
class PushKeysInput:
    p256dh: str = strawberry.field(description="The browser's P-256 public key, base64url.")
    auth: str = strawberry.field(description="The browser's 16-byte auth secret, base64url.")


@strawberry.input(description="A browser's push subscription, as `PushManager.subscribe` "
                              "returns it.")
class RegisterPushSubscriptionInput:
    endpoint: str = strawberry.field(description="The push service URL (https://).")
    keys: PushKeysInput = strawberry.field(description="Keys to encrypt pushes for the "
                                                       "browser.")


@strawberry.type(description="Result of `registerPushSubscription`.")
class RegisterPushSubscriptionPayload:
    subscriptions: list[PushSubscription] = strawberry.field(
        description="The browser's subscription in each school of the viewer (a student or "
                    "guardian there).")
    errors: list[UserError] = strawberry.field(description="Why nothing was registered.")


@strawberry.input(description="The browser to stop pushing to.")
class UnregisterPushSubscriptionInput:
    endpoint: str = strawberry.field(description="The push service URL it was registered "
                                                 "with.")


@strawberry.type(description="Result of `unregisterPushSubscription`.")
class UnregisterPushSubscriptionPayload:
    removed: int = strawberry.field(description="Subscriptions removed (one per school).")
    errors: list[UserError] = strawberry.field(description="Why nothing was removed.")


async def register(info: Info, input: Input[RegisterPushSubscriptionInput]
                   ) -> RegisterPushSubscriptionPayload:
    rows, errors = await apply(info, lambda: push.register(
        info.context.session, info.context.access,
        push.SubscriptionRequest(endpoint=input.endpoint, p256dh=input.keys.p256dh,
                                 auth=input.keys.auth),
        actor=lambda school_id: actor(info, school_id), production=urls.is_production()))
    return RegisterPushSubscriptionPayload(
        subscriptions=[PushSubscription.from_model(r) for r in rows or []], errors=errors)


async def unregister(info: Info, input: Input[UnregisterPushSubscriptionInput]
                     ) -> UnregisterPushSubscriptionPayload:
    removed, errors = await apply(info, lambda: push.unregister(
        info.context.session, info.context.access, input.endpoint,
        actor=lambda school_id: actor(info, school_id)))
    return UnregisterPushSubscriptionPayload(removed=removed or 0, errors=errors)


async def subscriptions(info: Info) -> list[PushSubscription]:
    rows = await push.subscriptions(info.context.session, info.context.access)
    return [PushSubscription.from_model(r) for r in rows]


def public_key() -> str | None:
    keys = push.VapidKeys.from_env()
    return keys.public_key if keys else None


@strawberry.type
class PushQuery:
    push_subscriptions: list[PushSubscription] = strawberry.field(
        resolver=subscriptions, permission_classes=[IsAuthenticated],
        description="The viewer's own browsers that receive Web Push (at most 20 per person "
                    "and school); empty for staff, officers and tokens.")
    web_push_public_key: str | None = strawberry.field(
        resolver=public_key, permission_classes=[IsAuthenticated],
        description="The server's VAPID public key (base64url), the `applicationServerKey` "
                    "of `PushManager.subscribe`; null when Web Push is not configured.")


@strawberry.type
class PushMutation:
    register_push_subscription: RegisterPushSubscriptionPayload = strawberry.field(
        resolver=register, permission_classes=[IsAuthenticated],
        description="Register the viewer's browser for Web Push in each school where they "
                    "are a student or guardian (audited). Staff, officers and tokens are "
                    "FORBIDDEN. Registering it again replaces its keys.")
    unregister_push_subscription: UnregisterPushSubscriptionPayload = strawberry.field(
        resolver=unregister, permission_classes=[IsAuthenticated],
        description="Stop pushing to one of the viewer's browsers (audited); NOT_FOUND "
                    "when the viewer has no subscription of that endpoint.")
