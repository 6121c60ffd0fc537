"""Migrating a test database while other test processes (pytest-xdist) migrate theirs.

The first migration creates the cluster's roles (`zhurnal_app`, `zhurnal_officer`), which
belong to the cluster, not to one database: on a new cluster, processes migrating their own
databases side by side would race to create them. One advisory lock, taken in the cluster's
`postgres` database, lets one migrate at a time.
"""

from __future__ import annotations

import psycopg
from sqlalchemy.engine import URL

from db import migrate
from db.engine import libpq_dsn

MIGRATION_LOCK = 7_301_281  # an arbitrary key, the same in every test process


def upgrade(url: URL, revision: str = "head") -> None:
    with psycopg.connect(libpq_dsn(url.set(database="postgres")), autocommit=True) as lock:
        lock.execute("SELECT pg_advisory_lock(%s)", (MIGRATION_LOCK,))
        try:
            migrate.upgrade(url, revision)
        finally:
            lock.execute("SELECT pg_advisory_unlock(%s)", (MIGRATION_LOCK,))
