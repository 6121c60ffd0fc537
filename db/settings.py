"""Where the database is: a server named by DATABASE_URL, or the embedded one."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

APP_ROLE = "zhurnal_app"
OFFICER_ROLE = "zhurnal_officer"
DEFAULT_DATABASE = "zhurnal"


@dataclass(frozen=True)
class DatabaseSettings:
    """Connection settings read from the environment once per process."""

    url: str | None
    app_url: str | None
    app_password: str | None
    data_dir: Path

    @classmethod
    def from_env(cls) -> DatabaseSettings:
        data_dir = Path(os.environ.get("ZHURNAL_DATA_DIR", ".zhurnal/pgdata"))
        return cls(
            url=os.environ.get("DATABASE_URL") or None,
            app_url=os.environ.get("ZHURNAL_APP_DATABASE_URL") or None,
            app_password=os.environ.get("ZHURNAL_APP_PASSWORD") or None,
            data_dir=data_dir.expanduser().absolute(),
        )
