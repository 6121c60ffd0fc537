"""Idempotent retries of bulk mutations: the first successful result, kept under the client's
key (mutation_receipts), is returned again for a retry and nothing is written twice."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import uuid
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.audit import jsonable
from db.models import MutationReceipt
from tenants.access import AccessContext
from tenants.errors import EntryWarning, ErrorCode, WarningCode, refusal

MAX_KEY_LENGTH = 100
KEY_FIELD = "input.clientKey"


def plain(value: Any) -> Any:
    """An input object as JSON-able data (cheaper than `dataclasses.asdict`, which deep-copies
    every one of a thousand entries)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {k: plain(v) for k, v in vars(value).items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value if value is None or isinstance(value, str | int | float) else repr(jsonable(value))


def digest(input: object, client_key: str | None) -> str:
    """A fingerprint of the whole input: a reused key with other input is a client bug.
    Without a key there is nothing to compare it with (and 30 marks take a millisecond)."""
    if client_key is None:
        return ""
    text = json.dumps(plain(input), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def check_key(client_key: str | None) -> str | None:
    if client_key is None:
        return None
    key = client_key.strip()
    if not key or len(key) > MAX_KEY_LENGTH:
        raise refusal(KEY_FIELD, ErrorCode.INVALID,
                         f"must be 1 to {MAX_KEY_LENGTH} characters")
    return key


async def replay(session: AsyncSession, access: AccessContext, *, client_key: str | None,
                 operation: str, fingerprint: str) -> dict[str, Any] | None:
    """The stored result for this key, or None when the key is new (or absent)."""
    if client_key is None:
        return None
    rows = (await session.scalars(
        select(MutationReceipt).where(MutationReceipt.client_key == client_key))).all()
    if not rows:
        return None
    for row in rows:
        if (row.account_id == access.account_id and row.token_id == access.token_id
                and row.operation == operation and row.response.get("input") == fingerprint):
            result: dict[str, Any] = row.response["result"]
            return result
    raise refusal(KEY_FIELD, ErrorCode.INVALID,
                     "this key was already used for another request: send new changes with a "
                     "new key")


async def store(session: AsyncSession, access: AccessContext, school_id: uuid.UUID, *,
                client_key: str | None, operation: str, fingerprint: str,
                result: dict[str, Any]) -> None:
    if client_key is None:
        return
    await session.execute(insert(MutationReceipt).values(
        school_id=school_id, id=uuid.uuid4(), client_key=client_key, operation=operation,
        account_id=access.account_id, token_id=access.token_id,
        response={"input": fingerprint, "result": result}))


def warnings_state(warnings: list[EntryWarning]) -> list[dict[str, Any]]:
    """A result's warnings as JSON, for `store`."""
    return [{"field": w.field, "code": w.code.name, "message": w.message} for w in warnings]


def warnings_from_state(stored: list[dict[str, Any]]) -> list[EntryWarning]:
    """The warnings of a stored result, as `warnings_state` kept them."""
    return [EntryWarning(field=w["field"], code=WarningCode[w["code"]], message=w["message"])
            for w in stored]
