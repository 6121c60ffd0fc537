"""Link codes: an administrator issues one for a person, the account's holder redeems it.

This is the only way an account that already exists comes to belong to a person of a school:
the holder proves it by logging in, the school by issuing the code. Both writes are audited
in the school's log.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from sqlalchemy import func, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from db import models
from db.audit import Actor, ActorFor, Change, record, snapshot
from db.tenancy import set_tenant_async
from resolvers.input_ids import Id
from resolvers.people.writes import access_person_by_id
from tenants.access import AccessContext
from tenants.errors import ErrorCode, refusal
from tenants.rules import require_own_account

LIFETIME = timedelta(hours=72)
# Crockford's base32: no I, L, O or U to misread; 12 characters are 60 random bits.
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
LENGTH = 12
MISREAD = str.maketrans({"O": "0", "I": "1", "L": "1"})
# One answer for an unknown, spent or expired code: its bearer learns nothing more.
DEAD_CODE = ("the code is unknown, already used or expired; ask the school's administrator "
             "for a new one")

LOOKUP = text("SELECT zhurnal_link_code_school(:hash)")


@dataclass(frozen=True)
class IssuedCode:
    person: models.Person
    code: str
    expires_at: datetime


def code_hash(code: str) -> bytes:
    return hashlib.sha256(code.encode()).digest()


def normalised(value: str) -> str | None:
    code = "".join(value.split()).replace("-", "").upper().translate(MISREAD)
    if len(code) != LENGTH or any(c not in ALPHABET for c in code):
        return None
    return code


async def create_account_link_code(session: AsyncSession, access: AccessContext,
                                   person_ref: Id, *, actor: ActorFor) -> IssuedCode:
    person = await access_person_by_id(session, access, person_ref, "input.personId")
    if person.account_id is not None:
        raise refusal("input.personId", ErrorCode.INVALID,
                         "the person already has an account; unbind it first")
    code = "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))
    now = await session.scalar(select(func.now()))
    assert now is not None
    changes = []
    # A new code replaces the person's live ones: at most one is ever out.
    live = (await session.scalars(select(models.AccountLinkCode).where(
        models.AccountLinkCode.school_id == person.school_id,
        models.AccountLinkCode.person_id == person.id,
        models.AccountLinkCode.redeemed_at.is_(None),
        models.AccountLinkCode.expires_at > now).with_for_update())).all()
    for old in live:
        before = snapshot(old)
        old.expires_at = now
        changes.append(Change(school_id=person.school_id, action="update",
                              entity="account_link_codes", entity_id=old.id, before=before,
                              after=snapshot(old)))
    row = models.AccountLinkCode(school_id=person.school_id, person_id=person.id,
                                 code_hash=code_hash(code), expires_at=now + LIFETIME,
                                 created_by_account_id=access.account_id)
    session.add(row)
    await session.flush()
    await session.refresh(row)
    changes.append(Change(school_id=person.school_id, action="create",
                          entity="account_link_codes", entity_id=row.id, after=snapshot(row)))
    await record(session, actor(person.school_id), *changes)
    return IssuedCode(person, f"{code[:4]}-{code[4:8]}-{code[8:]}", row.expires_at)


async def redeem_account_link_code(session: AsyncSession, access: AccessContext, value: str,
                                   *, actor: Actor) -> models.Person:
    """`actor` is the viewer outside any school: the change is recorded as made by the person
    the account now belongs to."""
    require_own_account(access, "input.code")
    code = normalised(value)
    if code is None:
        raise refusal("input.code", ErrorCode.INVALID,
                         f"must be the {LENGTH}-character code the school gave, e.g. "
                         "«7KQ2-M9XD-4TRB»")
    digest = code_hash(code)
    school_id = await session.scalar(LOOKUP, {"hash": digest})
    if school_id is None:
        raise refusal("input.code", ErrorCode.NOT_FOUND, DEAD_CODE)
    if school_id in access.memberships:
        raise refusal("input.code", ErrorCode.INVALID,
                         "your account already belongs to a person of this school")
    # The live code admits its holder to its school for this write; the setting is
    # transaction-local and rolled back with the savepoint if the write is refused.
    await set_tenant_async(session, access.school_ids | {school_id}, access.account_id)
    link = await session.scalar(select(models.AccountLinkCode).where(
        models.AccountLinkCode.school_id == school_id,
        models.AccountLinkCode.code_hash == digest,
        models.AccountLinkCode.redeemed_at.is_(None),
        models.AccountLinkCode.expires_at > func.now()).with_for_update())
    if link is None:  # spent by a concurrent redemption
        raise refusal("input.code", ErrorCode.NOT_FOUND, DEAD_CODE)
    person = await session.scalar(select(models.Person).where(
        models.Person.school_id == school_id,
        models.Person.id == link.person_id).with_for_update())
    assert person is not None  # the code's foreign key cascades with the person
    if person.account_id is not None:
        raise refusal("input.code", ErrorCode.INVALID,
                         "the person already has an account; ask the school's administrator")
    person_before, link_before = snapshot(person), snapshot(link)
    person.account_id = access.account_id
    await session.execute(update(models.AccountLinkCode).where(
        models.AccountLinkCode.school_id == school_id,
        models.AccountLinkCode.id == link.id).values(
        redeemed_at=func.now(), redeemed_by_account_id=access.account_id))
    await session.flush()
    await session.refresh(link)
    await record(session, replace(actor, person_id=person.id, token_id=None),
                 Change(school_id=school_id, action="update", entity="persons",
                        entity_id=person.id, before=person_before, after=snapshot(person)),
                 Change(school_id=school_id, action="update", entity="account_link_codes",
                        entity_id=link.id, before=link_before, after=snapshot(link)))
    return person
