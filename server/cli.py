"""The `zhurnal` command line: database, demo data, the server, the schema, tokens, the audit
trail, backup and restore."""

from __future__ import annotations

import errno
import socket
from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from db.errors import DatabaseUnavailable, MigrationsPending

app = typer.Typer(
    help="zhurnal: a headless GraphQL platform for school gradebooks and diaries.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
db_app = typer.Typer(help="Database operations (run as the owner).", no_args_is_help=True)
seed_app = typer.Typer(help="Load data.", no_args_is_help=True)
audit_app = typer.Typer(help="The audit trail (журнал изменений).", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(seed_app, name="seed")
app.add_typer(audit_app, name="audit")

console = Console()
err = Console(stderr=True)

Host = Annotated[str, typer.Option(help="Address to listen on.")]
Port = Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on.")]
Workers = Annotated[int, typer.Option(min=1, max=64, help="Number of server processes.")]


def fail(message: str) -> typer.Exit:
    err.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    return typer.Exit(code=1)


def _urls():
    from db.engine import check_reachable, resolve_urls

    try:
        urls = resolve_urls()
        check_reachable(urls.owner)
    except DatabaseUnavailable as e:
        raise fail(str(e)) from None
    return urls


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply the migrations (creates the tables, roles, RLS policies)."""
    from db.migrate import current_revision, upgrade

    urls = _urls()
    upgrade(urls.owner)
    console.print(f"database at migration {current_revision(urls.owner)}")


@seed_app.command("demo")
def seed_demo(
    seed: Annotated[int, typer.Option(help="Random seed: the same seed gives the same data.")] = 1,
    year: Annotated[
        int | None,
        typer.Option(min=2000, max=2100, help="Start year of the academic year, e.g. 2015 for "
                                              "2015/2016 (default: the one containing --until)."),
    ] = None,
    until: Annotated[
        str | None, typer.Option(help="Generate lessons up to this date, YYYY-MM-DD "
                                      "(default: today).")
    ] = None,
) -> None:
    """Load the 12 pilot schools of the Amur region with a year of lessons and marks."""
    urls = _urls()
    _require_current(urls)
    summary = _seed(urls, seed=seed, year=year, until=_parse_date("--until", until))
    _print_accounts(summary)


@app.command("serve")
def serve(host: Host = "127.0.0.1", port: Port = 8000, workers: Workers = 1) -> None:
    """Serve the GraphQL API with uvicorn (the database must be migrated)."""
    urls = _urls()
    _require_current(urls)
    _run(host, port, workers)


@app.command("demo")
def demo(host: Host = "127.0.0.1", port: Port = 8000, workers: Workers = 1) -> None:
    """Embedded database + migrations + demo data (when empty) + the server."""
    from db.migrate import upgrade

    _check_port(host, port)
    urls = _urls()
    upgrade(urls.owner)
    summary = None
    if _school_count(urls) == 0:
        summary = _seed(urls, seed=1, year=None, until=None)
    console.print(f"\nGraphQL: [bold]http://{host}:{port}/graphql[/]")
    if summary is not None:
        _print_accounts(summary)
    else:
        console.print("demo data already loaded; demo accounts use the password [bold]demo[/] "
                      "(see README.md)")
    _run(host, port, workers)


@app.command("schema")
def print_schema() -> None:
    """Print the GraphQL schema (SDL); schema.graphql is its committed output."""
    from schema.root import schema

    typer.echo(schema.as_str())


@app.command("token")
def token(
    login: Annotated[str, typer.Argument(help="Login of an existing account.")],
    minutes: Annotated[int, typer.Option(min=1, max=1440, help="Lifetime in minutes.")] = 60,
) -> None:
    """Print a bearer token for an existing account (an operator tool for scripts)."""
    from sqlalchemy import select

    from db.engine import owner_session
    from db.models import Account
    from server.settings import ServerSettings
    from server.tokens import issue_access_token

    urls = _urls()
    _require_current(urls)
    with owner_session(urls.owner) as session:
        account = session.scalar(select(Account).where(Account.login == login.lower()))
        if account is None or not account.is_active:
            raise fail(f"no active account with login '{login}'")
        account_id = account.id
    access_token, _ = issue_access_token(ServerSettings.from_env().secret_key, account_id,
                                         minutes=minutes)
    typer.echo(access_token)


SchoolOption = Annotated[
    str | None, typer.Option("--school", help="Only this school (its UUID).")
]


@audit_app.command("verify")
def audit_verify(school: SchoolOption = None) -> None:
    """Walk each school's hash chain; exit 1 naming the first changed, removed or inserted row."""
    from db.audit_verify import UnknownSchool, verify_chains

    urls = _urls()
    broken = 0
    try:
        for report in verify_chains(urls.owner, _parse_uuid("--school", school)):
            if report.ok:
                console.print(report.describe(), highlight=False, soft_wrap=True)
            else:
                broken += 1
                err.print(f"[bold red]broken:[/] {report.describe()}", highlight=False,
                          soft_wrap=True)
    except UnknownSchool as e:
        raise fail(str(e)) from None
    if broken:
        raise typer.Exit(code=1)


@app.command("backup")
def backup(
    out: Annotated[Path, typer.Option("--out", help="A new (or empty) directory to write to.")],
    school: SchoolOption = None,
) -> None:
    """Back up the whole database (pg_dump), or one school as a portable CSV export."""
    from db.backup import BackupError, backup_database, export_school

    urls = _urls()
    school_id = _parse_uuid("--school", school)
    try:
        manifest = (export_school(urls.owner, school_id, out) if school_id
                    else backup_database(urls.owner, out))
    except BackupError as e:
        raise fail(str(e)) from None
    rows = sum(t["rows"] for t in manifest["tables"].values())
    size = sum(p.stat().st_size for p in out.iterdir() if p.is_file())
    console.print(f"backed up {len(manifest['tables'])} tables, {rows} rows, "
                  f"{size / 1e6:.1f} MB to {out}", highlight=False)


@app.command("restore")
def restore(
    directory: Annotated[Path, typer.Argument(help="A directory written by `zhurnal backup`.")],
    replace: Annotated[bool, typer.Option(
        "--replace", help="For a school export: replace the school's data if it exists.")] = False,
) -> None:
    """Restore a whole backup into an empty database, or a school export into a running one."""
    from db.backup import BackupError, read_manifest
    from db.restore import import_school, restore_database

    urls = _urls()
    try:
        kind = read_manifest(directory).get("kind")
        if kind == "school":
            result = import_school(urls.owner, directory, replace=replace)
        elif replace:
            raise fail("--replace applies to a school export; a full backup is restored "
                       "only into an empty database")
        else:
            result = restore_database(urls.owner, directory)
    except BackupError as e:
        raise fail(str(e)) from None
    console.print(f"restored {len(result.tables)} tables ({sum(result.tables.values())} rows "
                  "written); counts and checksums match the manifest", highlight=False,
                  soft_wrap=True)
    if result.chain is not None:
        console.print(result.chain.describe(), highlight=False, soft_wrap=True)


def _parse_uuid(option: str, value: str | None):
    import uuid

    if value is None:
        return None
    try:
        return uuid.UUID(value)
    except ValueError:
        raise fail(f"{option} must be a school id (a UUID), got '{value}'") from None


def _require_current(urls) -> None:
    from db.migrate import ensure_current

    try:
        ensure_current(urls.owner)
    except MigrationsPending as e:
        raise fail(str(e)) from None


def _school_count(urls) -> int:
    from sqlalchemy import func, select

    from db.engine import owner_session
    from db.models import School

    with owner_session(urls.owner) as session:
        return int(session.scalar(select(func.count()).select_from(School)) or 0)


def _seed(urls, *, seed: int, year: int | None, until: date | None):
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from db.seed.demo import seed_demo as run_seed

    with Progress(TextColumn("{task.description:<10}"), BarColumn(), MofNCompleteColumn(),
                  console=err, transient=True) as progress:
        tasks: dict[str, object] = {}

        def report(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = progress.add_task(stage, total=total)
            progress.update(tasks[stage], completed=done, total=total)  # type: ignore[arg-type]

        try:
            summary = run_seed(urls.owner, seed=seed, year=year, until=until, progress=report)
        except ValueError as e:
            raise fail(str(e)) from None
    console.print(f"seeded {summary.schools} schools, {summary.students} students, "
                  f"{summary.lessons} lessons, {summary.marks} marks")
    return summary


def _print_accounts(summary) -> None:
    table = Table(title="Demo accounts (password: demo)")
    for column in ("login", "role", "school"):
        table.add_column(column)
    for account in summary.accounts:
        table.add_row(account.login, account.role, account.school or "—")
    console.print(table)


def _parse_date(option: str, value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise fail(f"{option} must be a date as YYYY-MM-DD, got '{value}'") from None


def _check_port(host: str, port: int) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError as e:
            if e.errno == errno.EADDRINUSE:
                raise fail(f"port {port} on {host} is already in use: stop the other server "
                           "or pass --port") from None
            raise fail(f"cannot listen on {host}:{port}: {e.strerror}") from None


def _run(host: str, port: int, workers: int) -> None:
    import uvicorn

    _check_port(host, port)
    uvicorn.run("server.app:create_app", factory=True, host=host, port=port, workers=workers,
                log_level="info", proxy_headers=True)


def main() -> None:  # pragma: no cover
    app()
