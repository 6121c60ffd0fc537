"""The embedded PostgreSQL: shared by several processes, stopped when the last one exits."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
from pathlib import Path

import psutil
import pytest

from db import embedded
from db.errors import DatabaseUnavailable

HOLD = textwrap.dedent(
    """
    import sys, psycopg
    from pathlib import Path
    from db import embedded
    embedded.exit_cleanly_on_sigterm()  # as the command line does (server/cli.py)
    url = embedded.start(Path(sys.argv[1]), "zhurnal")
    with psycopg.connect(url) as c:
        c.execute("SELECT 1")
    print("ready", flush=True)
    sys.stdin.readline()  # hold the server until told to exit
    """
)


def postmasters(data_dir: Path) -> list[psutil.Process]:
    found = []
    for proc in psutil.process_iter(attrs=["name", "cmdline"]):
        cmdline = proc.info["cmdline"] or []
        if proc.info["name"] == "postgres" and str(data_dir) in " ".join(cmdline):
            found.append(proc)
    return found


def hold(data_dir: Path) -> subprocess.Popen[str]:
    proc = subprocess.Popen([sys.executable, "-c", HOLD, str(data_dir)], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "ready"
    return proc


def release(proc: subprocess.Popen[str]) -> None:
    assert proc.stdin is not None
    proc.stdin.write("\n")
    proc.stdin.close()
    assert proc.wait(timeout=30) == 0
    if proc.stdout:
        proc.stdout.close()


def test_server_is_shared_and_stopped_by_the_last_process(tmp_path: Path) -> None:
    # given two processes holding the same data folder
    data_dir = tmp_path / "pgdata"
    first = hold(data_dir)
    second = hold(data_dir)
    assert len({p.pid for p in postmasters(data_dir) if p.parent() is None
                or p.parent().name() != "postgres"}) == 1
    # when the first exits, the server stays for the second
    release(first)
    assert postmasters(data_dir)
    # when the last exits, the server stops
    release(second)
    deadline = time.monotonic() + 15
    while postmasters(data_dir) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert postmasters(data_dir) == []


def test_unusable_data_folder_says_what_to_do(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(DatabaseUnavailable, match="ZHURNAL_DATA_DIR"):
        embedded.start(blocker / "sub" / "pgdata", "zhurnal")


def test_a_process_stopped_by_sigterm_releases_the_server(tmp_path: Path) -> None:
    # given a process holding the server
    data_dir = tmp_path / "pgdata"
    holder = hold(data_dir)
    assert postmasters(data_dir)
    # when it is terminated as systemd or uvicorn's supervisor would
    holder.terminate()
    holder.wait(timeout=30)
    if holder.stdout:
        holder.stdout.close()
    if holder.stdin:
        holder.stdin.close()
    # then the server stops with it
    deadline = time.monotonic() + 15
    while postmasters(data_dir) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert postmasters(data_dir) == []


def test_a_holder_that_died_without_cleanup_does_not_keep_the_server(tmp_path: Path) -> None:
    # given a holder killed outright (no exit hooks) and a live one
    data_dir = tmp_path / "pgdata"
    dead = hold(data_dir)
    dead.kill()
    dead.wait(timeout=30)
    for stream in (dead.stdout, dead.stdin):
        if stream:
            stream.close()
    live = hold(data_dir)
    # when the live one exits
    release(live)
    # then the server stops: the dead holder was forgotten
    deadline = time.monotonic() + 15
    while postmasters(data_dir) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert postmasters(data_dir) == []
