"""Run and check Alembic migrations programmatically (the owner's job, never the app role's)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import URL

from db.engine import owner_engine
from db.errors import MigrationsPending

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(url: URL) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    rendered = url.render_as_string(hide_password=False)
    cfg.set_main_option("sqlalchemy.url", rendered.replace("%", "%%"))
    return cfg


def upgrade(url: URL, revision: str = "head") -> None:
    cfg = alembic_config(url)
    with owner_engine(url).begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config(URL.create("postgresql"))).get_current_head()


def current_revision(url: URL) -> str | None:
    with owner_engine(url).connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def ensure_current(url: URL) -> None:
    """Refuse to serve a database whose schema is behind (or ahead of) the code."""
    current, head = current_revision(url), head_revision()
    if current != head:
        raise MigrationsPending(
            f"the database is at migration {current or 'none'} but the code needs {head}: "
            "run `zhurnal db upgrade`"
        )
