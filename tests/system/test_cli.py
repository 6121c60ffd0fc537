"""The `zhurnal` command: clear one-line errors for bad input, and a real server start."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
import psycopg

from db.engine import DatabaseUrls, libpq_dsn
from tests.factories import TwoSchools
from tests.server_fixture import STARTUP_SECONDS, free_port

ZHURNAL = str(Path(sys.executable).parent / "zhurnal")


def run(*args: str, env: dict[str, str] | None = None, timeout: float = 60
        ) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, "COLUMNS": "200", **(env or {})}
    return subprocess.run([ZHURNAL, *args], capture_output=True, text=True, env=full_env,
                          timeout=timeout, check=False)


def assert_one_clear_line(result: subprocess.CompletedProcess[str], *needles: str) -> None:
    assert result.returncode == 1, result
    assert "Traceback" not in result.stderr + result.stdout
    lines = [line for line in result.stderr.strip().splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    for needle in needles:
        assert needle in lines[0], lines[0]


def test_database_url_of_another_dialect_is_refused() -> None:
    result = run("db", "upgrade", env={"DATABASE_URL": "mysql://root@127.0.0.1/test"})
    assert_one_clear_line(result, "PostgreSQL only")


def test_database_url_that_is_not_a_url_is_refused() -> None:
    result = run("db", "upgrade", env={"DATABASE_URL": "definitely not a url"})
    assert_one_clear_line(result, "DATABASE_URL")


def test_unreachable_server_names_the_address() -> None:
    port = free_port()
    result = run("db", "upgrade",
                 env={"DATABASE_URL": f"postgresql://nobody@127.0.0.1:{port}/zhurnal"})
    assert_one_clear_line(result, "cannot connect", f"127.0.0.1:{port}")


def test_serving_a_database_without_migrations_says_which_command_to_run(
    database: DatabaseUrls,
) -> None:
    # given an empty database in the same cluster
    name = f"zhurnal_empty_{uuid.uuid4().hex[:6]}"
    admin = libpq_dsn(database.owner.set(database="postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        # when
        result = run("serve", "--port", str(free_port()),
                     env={"DATABASE_URL": libpq_dsn(database.owner.set(database=name))})
        # then
        assert_one_clear_line(result, "zhurnal db upgrade")
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')


def test_occupied_port_is_reported(database: DatabaseUrls) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = run("serve", "--port", str(port),
                     env={"DATABASE_URL": libpq_dsn(database.owner)})
    assert_one_clear_line(result, f"port {port}", "already in use")


def test_bad_option_value_is_a_usage_error_not_a_traceback() -> None:
    result = run("serve", "--port", "eighty")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "--port" in result.stderr


def test_bad_date_is_named(database: DatabaseUrls) -> None:
    result = run("seed", "demo", "--until", "2015-13-45",
                 env={"DATABASE_URL": libpq_dsn(database.owner)})
    assert_one_clear_line(result, "--until", "YYYY-MM-DD")


def test_token_for_unknown_login_is_refused(database: DatabaseUrls) -> None:
    result = run("token", "nobody.here", env={"DATABASE_URL": libpq_dsn(database.owner)})
    assert_one_clear_line(result, "nobody.here")


def test_schema_command_prints_the_committed_schema() -> None:
    result = run("schema")
    assert result.returncode == 0
    assert result.stdout == (Path(__file__).parents[2] / "schema.graphql").read_text()


def test_vapid_keys_prints_a_fresh_pair_whose_halves_match() -> None:
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    from resolvers.notifications.push import b64url, unb64url

    first, second = run("vapid-keys"), run("vapid-keys")
    assert first.returncode == 0, first.stderr
    values = dict(line.split("=", 1) for line in first.stdout.strip().splitlines())
    assert set(values) == {"ZHURNAL_VAPID_PRIVATE_KEY", "ZHURNAL_VAPID_PUBLIC_KEY",
                           "ZHURNAL_VAPID_SUBJECT"}
    private = ec.derive_private_key(
        int.from_bytes(unb64url(values["ZHURNAL_VAPID_PRIVATE_KEY"]), "big"), ec.SECP256R1())
    public = private.public_key().public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)
    assert b64url(public) == values["ZHURNAL_VAPID_PUBLIC_KEY"]
    assert values["ZHURNAL_VAPID_PRIVATE_KEY"] not in second.stdout



def test_serve_answers_graphql_with_a_token_from_the_token_command(
    database: DatabaseUrls, schools: TwoSchools, tmp_path: Path
) -> None:
    # given a server started by the command line on the test database
    env = {"DATABASE_URL": libpq_dsn(database.owner), "ZHURNAL_STATE_DIR": str(tmp_path)}
    token = run("token", schools.a.logins["teacher"], env=env)
    assert token.returncode == 0, token.stderr
    port = free_port()
    proc = subprocess.Popen([ZHURNAL, "serve", "--port", str(port)],
                            env={**os.environ, **env}, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + STARTUP_SECONDS
        while True:
            try:
                if httpx.get(f"{base}/healthz").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
            assert time.monotonic() < deadline, "server did not start"
            time.sleep(0.1)
        # when
        response = httpx.post(f"{base}/graphql", json={"query": "{ schools { edges { node "
                                                                "{ name } } } }"},
                              headers={"Authorization": f"Bearer {token.stdout.strip()}"})
        # then
        names = [e["node"]["name"] for e in response.json()["data"]["schools"]["edges"]]
        assert schools.a.name in names
    finally:
        proc.terminate()
        proc.wait(timeout=15)
        if proc.stderr:
            proc.stderr.close()


def test_the_served_app_freezes_its_start_up_heap(database: DatabaseUrls) -> None:
    # `zhurnal serve` serves served_app: the start-up objects are left out of later full
    # collections (server/app.py freeze_heap); an app built for a test freezes nothing.
    import asyncio
    import gc
    from dataclasses import replace

    from server.app import create_app
    from tests.server_fixture import TEST_SETTINGS

    async def started(freeze: bool) -> int:
        app = create_app(database, replace(TEST_SETTINGS, diary_cache_entries=0),
                         freeze_after_start=freeze)
        async with app.router.lifespan_context(app):
            return gc.get_freeze_count()

    gc.unfreeze()
    try:
        assert asyncio.run(started(False)) == 0
        assert asyncio.run(started(True)) > 10_000
    finally:
        gc.unfreeze()
    import inspect

    import server.cli
    assert "server.app:served_app" in inspect.getsource(server.cli._run)
