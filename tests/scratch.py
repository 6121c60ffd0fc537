"""Helpers of the audit and backup tests: scratch databases, and audit rows written as the
application writes them (`db.audit.record` in an app-role transaction)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
from sqlalchemy.engine import URL

from db.audit import Actor, Change, record, seal
from db.engine import DatabaseUrls, app_engine, app_sessions, libpq_dsn, owner_engine, transaction
from db.tenancy import set_tenant_async
from tests.migrating import upgrade


@contextmanager
def scratch_database(like: DatabaseUrls, *, migrate: bool = True,
                     template: DatabaseUrls | None = None) -> Iterator[DatabaseUrls]:
    """A new database in the same cluster as `like` (migrated unless told not to, or a copy
    of `template`), dropped afterwards: tests that tamper with data or restore into a
    database use their own."""
    name = f"zhurnal_scratch_{uuid.uuid4().hex[:10]}"
    admin = libpq_dsn(like.owner.set(database="postgres"))
    copy = f' TEMPLATE "{template.owner.database}"' if template else ""
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"{copy}')
    urls = DatabaseUrls(owner=like.owner.set(database=name), app=like.app.set(database=name))
    try:
        if migrate and template is None:
            upgrade(urls.owner)
        yield urls
    finally:
        owner_engine(urls.owner).dispose()  # its pooled connections, before the drop
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def write_audit(app_url: URL, school_id: uuid.UUID, *changes: Change,
                person_id: uuid.UUID | None = None, sealed: bool = True) -> None:
    """Append `changes` to `school_id`'s chain, authored by `person_id` (or nobody): written,
    committed and then sealed, as a request does (`sealed=False`: left unsealed, as by a
    writer that stopped after its commit, or on a database before migration 0018)."""

    async def run() -> None:
        engine = app_engine(app_url, pool_size=1)
        try:
            async with transaction(app_sessions(engine)) as session:
                await set_tenant_async(session, [school_id])
                actor = Actor(account_id=None, person_id=person_id, token_id=None,
                              request_id=f"test-{uuid.uuid4().hex[:8]}")
                await record(session, actor, *changes)
            if sealed:
                await seal(app_sessions(engine))  # after its commit, as every writer does
        finally:
            await engine.dispose()

    asyncio.run(run())


def changes(school_id: uuid.UUID, entity: str, count: int, *,
            entity_id: uuid.UUID | None = None) -> list[Change]:
    """`count` updates of one object (a fresh id unless given), values 1, 2, …"""
    target = entity_id or uuid.uuid4()
    return [Change(school_id=school_id, action="update", entity=entity, entity_id=target,
                   before={"value": i}, after={"value": i + 1}) for i in range(count)]
