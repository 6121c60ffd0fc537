"""The embedded PostgreSQL: a server from the `pgserver` wheel in a local data folder.

pgserver keeps a list of the processes that hold the server in the data folder and stops the
server when the last of them exits, so the CLI, several uvicorn workers and the tests can share
one data folder safely. Two gaps are closed here: a process killed by a signal never ran its
exit hook (so SIGTERM becomes a normal exit), and a process that died anyway would hold the
server forever (so dead processes are dropped from the list on start and on exit).
The first gap is closed only where the command line asks for it (`exit_cleanly_on_sigterm`):
in any other process that starts the server, pytest above all, SIGTERM keeps its meaning.
"""

from __future__ import annotations

import atexit
import fcntl
import json
import logging
import signal
import subprocess
import sys
import threading
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg

from db.errors import DatabaseUnavailable

_servers: dict[Path, Any] = {}


def start(data_dir: Path, database: str) -> str:
    """Start (or join) the embedded server and return an owner URL for `database`."""
    with _folder_lock(data_dir):
        server = _servers.get(data_dir)
        if server is None:
            server = _start_server(data_dir)
            _servers[data_dir] = server
        base = server.get_uri()  # postgresql://postgres:@/postgres?host=/socket/dir
        _ensure_database(base, database)
    return base.replace("/postgres?", f"/{database}?", 1)


@contextmanager
def _folder_lock(data_dir: Path) -> Iterator[None]:
    """One process at a time creates, starts or joins the server of a data folder: processes
    started together (test workers, server workers) on a new folder would otherwise each run
    initdb into it and each create the database."""
    try:
        data_dir.parent.mkdir(parents=True, exist_ok=True)
        lock = open(data_dir.parent / f".{data_dir.name}.lock", "a")  # noqa: SIM115
    except OSError as err:
        raise DatabaseUnavailable(
            f"cannot create the embedded database folder {data_dir.parent}: {err.strerror}; "
            "set ZHURNAL_DATA_DIR to a writable folder or DATABASE_URL to a server"
        ) from err
    with lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _start_server(data_dir: Path) -> Any:
    logging.getLogger("pgserver").setLevel(logging.CRITICAL)
    try:
        with warnings.catch_warnings():
            # platformdirs warns at import when XDG_RUNTIME_DIR is unset (CI, containers).
            warnings.simplefilter("ignore")
            import pgserver
    except ImportError as err:  # pragma: no cover - a broken install
        raise DatabaseUnavailable(
            "the embedded PostgreSQL needs the 'pgserver' package: run pip install -e . "
            "or set DATABASE_URL to a PostgreSQL server"
        ) from err
    _forget_dead_holders(data_dir, pgserver)
    try:
        server = pgserver.get_server(data_dir, cleanup_mode="stop")
        # Registered after pgserver's own hook, so it runs first (atexit is LIFO).
        atexit.register(_forget_dead_holders, data_dir, pgserver)
        return server
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired, OSError) as err:
        log = data_dir / "log"
        tail = ""
        if log.exists():
            lines = log.read_text(errors="replace").strip().splitlines()
            tail = f" (last log line: {lines[-1]})" if lines else ""
        raise DatabaseUnavailable(
            f"the embedded PostgreSQL in {data_dir} did not start{tail}; see {log}, free the "
            "folder or point ZHURNAL_DATA_DIR elsewhere, or set DATABASE_URL to a server"
        ) from err


def _ensure_database(base_uri: str, database: str) -> None:
    with psycopg.connect(base_uri, autocommit=True) as conn:
        exists = conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", (database,)
        ).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{database}"')


def _forget_dead_holders(data_dir: Path, pgserver: Any) -> None:
    import psutil

    pids_file = data_dir / ".handle_pids.json"
    with pgserver.PostgresServer._lock:
        if not pids_file.exists():
            return
        try:
            pids = json.loads(pids_file.read_text())
        except ValueError:
            pids = []
        alive = [p for p in pids if psutil.pid_exists(p)]
        if alive != pids:
            pids_file.write_text(json.dumps(alive))


def exit_cleanly_on_sigterm() -> None:
    """SIGTERM (systemd, uvicorn's supervisor, `kill`) runs exit hooks like Ctrl-C does, so
    the embedded server is released; the command line calls this, nothing else should.

    uvicorn captures the signal while serving and re-raises it after a graceful shutdown;
    with this handler in place that re-raise ends the process through `sys.exit`. Installed
    only over the default action and only from the main thread."""
    if threading.current_thread() is not threading.main_thread():
        return
    if signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
        signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
