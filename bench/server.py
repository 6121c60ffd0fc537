"""The real server for the benchmark: `zhurnal serve` in production settings, and its memory."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psutil

from db.engine import DatabaseUrls, libpq_dsn
from tests.server_fixture import free_port


@dataclass
class Memory:
    """Peak resident memory of the server's processes, sampled every `interval` seconds."""

    root: int
    interval: float = 0.1
    peak_worker: int = 0  # the largest single process (a uvicorn worker)
    peak_total: int = 0  # the whole server: supervisor and workers together
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def reset(self) -> None:
        self.peak_worker = self.peak_total = 0

    def sample(self) -> None:
        try:
            root = psutil.Process(self.root)
            procs = [root, *root.children(recursive=True)]
        except psutil.NoSuchProcess:
            return
        sizes = []
        for p in procs:
            try:
                sizes.append(p.memory_info().rss)
            except psutil.NoSuchProcess:
                continue
        if sizes:
            self.peak_worker = max(self.peak_worker, max(sizes))
            self.peak_total = max(self.peak_total, sum(sizes))

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.sample()

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join()


def cpu_seconds(pid: int, *, itself: bool = True) -> float:
    """User and system CPU seconds of a process (unless not `itself`) and all its children now
    alive: the server's supervisor and workers, or a PostgreSQL postmaster's backends."""
    try:
        root = psutil.Process(pid)
        procs = ([root] if itself else []) + root.children(recursive=True)
    except psutil.NoSuchProcess:
        return 0.0
    total = 0.0
    for p in procs:
        try:
            times = p.cpu_times()
        except psutil.NoSuchProcess:
            continue
        total += times.user + times.system
    return total


def postmaster_pid(backend_pid: int) -> int | None:
    """The PostgreSQL server a backend of this machine belongs to (its parent process); None
    when the backend is not on this machine."""
    try:
        return psutil.Process(backend_pid).ppid()
    except psutil.NoSuchProcess:
        return None


@contextmanager
def real_server(urls: DatabaseUrls, *, workers: int = 1, log: Path | None = None,
                secret_key: str | None = None) -> Iterator[tuple[str, Memory]]:
    """`zhurnal serve` as a subprocess on a free port, production settings, RLS on (with
    `secret_key`, it accepts the tokens of another server with that key)."""
    port = free_port()
    env = dict(os.environ)
    env.update(DATABASE_URL=libpq_dsn(urls.owner), ZHURNAL_ENV="production",
               ZHURNAL_SECRET_KEY=secret_key or secrets.token_hex(32), ZHURNAL_GRAPHIQL="0",
               # tokens outlive the run: a re-login mid-run would measure argon2, not reads
               ZHURNAL_ACCESS_TOKEN_MINUTES="180")
    env.pop("ZHURNAL_APP_DATABASE_URL", None)
    zhurnal = Path(sys.executable).with_name("zhurnal")
    out = open(log, "ab") if log else subprocess.DEVNULL  # noqa: SIM115 - closed below
    proc = subprocess.Popen([str(zhurnal), "serve", "--port", str(port), "--workers",
                             str(workers)], env=env, stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    memory = Memory(proc.pid)
    try:
        deadline = time.monotonic() + 120  # a loaded 2-core machine once took over 30 s
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"the server exited with {proc.returncode} (see {log})")
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("the server did not start in 120 s")
            time.sleep(0.2)
        # Every worker must be up before measuring (uvicorn starts them one by one).
        time.sleep(1.0 if workers > 1 else 0)
        memory.start()
        yield base, memory
    finally:
        memory.stop()
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if log:
            out.close()  # type: ignore[union-attr]
