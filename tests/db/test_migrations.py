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


def test_the_notification_channels_migration_goes_down_and_up_again(
        database: DatabaseUrls) -> None:
    from alembic import command

    from db.migrate import alembic_config
    from tests.scratch import scratch_database

    with scratch_database(database) as scratch:
        config = alembic_config(scratch.owner)
        with owner_engine(scratch.owner).begin() as conn:
            config.attributes["connection"] = conn
            command.downgrade(config, "0020")
        assert current_revision(scratch.owner) == "0020"
        with owner_engine(scratch.owner).begin() as conn:
            config.attributes["connection"] = conn
            command.upgrade(config, "head")
        assert current_revision(scratch.owner) == head_revision()
        with owner_engine(scratch.owner).connect() as conn:
            assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []
