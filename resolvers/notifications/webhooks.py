"""Webhooks for integrators: the payload (ids only) and its signature.

The signature header, `X-Zhurnal-Signature: t=<unix seconds>,v1=<hex>`, where `<hex>` is
HMAC-SHA256 with the webhook's secret over the bytes `<unix seconds>.` followed by the exact
request body. A receiver recomputes it, compares in constant time, and refuses a timestamp
too far from its clock (we suggest 5 minutes) so a captured request cannot be replayed later.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid
from datetime import datetime
from typing import Any

SIGNATURE_HEADER = "X-Zhurnal-Signature"
DELIVERY_HEADER = "X-Zhurnal-Delivery"


def payload(*, delivery_key: str, kind: str, op: str, school_id: uuid.UUID, entity: str,
            entity_id: uuid.UUID, student_id: uuid.UUID | None, group_id: uuid.UUID | None,
            occurred_at: datetime) -> bytes:
    """The body of a webhook request: which event, about which objects, by id only; the
    integrator reads the details through the API with its token, within its scopes."""
    body: dict[str, Any] = {
        "id": delivery_key, "event": kind, "op": op, "schoolId": str(school_id),
        "entity": entity, "entityId": str(entity_id),
        "studentId": str(student_id) if student_id else None,
        "groupId": str(group_id) if group_id else None,
        "occurredAt": occurred_at.isoformat()}
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The value of the signature header."""
    mac = hmac.new(secret.encode(), str(timestamp).encode() + b"." + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"
