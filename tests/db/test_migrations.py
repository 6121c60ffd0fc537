"""The migrations build exactly the models: autogenerate finds nothing left to do."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from db.engine import DatabaseUrls, owner_engine
from db.migrate import current_revision, head_revision
from db.models import Base


def test_database_is_at_head(database: DatabaseUrls) -> None:
    assert current_revision(database.owner) == head_revision()


def test_migrations_match_the_models(database: DatabaseUrls) -> None:
    with owner_engine(database.owner).connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []
