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
export_app = typer.Typer(help="Export data for other systems (personal data leaves the system).",
                         no_args_is_help=True)
import_app = typer.Typer(help="Import data from other systems.", no_args_is_help=True)
app.add_typer(export_app, name="export")
app.add_typer(import_app, name="import")
print_app = typer.Typer(help="Print the journal (regulation 5.8) and the year-end documents.",
                        no_args_is_help=True)
report_app = typer.Typer(help="Monitoring reports (XLSX and PDF).", no_args_is_help=True)
app.add_typer(print_app, name="print")
app.add_typer(report_app, name="report")

console = Console()
err = Console(stderr=True)

Host = Annotated[str, typer.Option(help="Address to listen on.")]
Port = Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on.")]
Workers = Annotated[int, typer.Option(min=1, max=64, help="Number of server processes.")]
GracefulTimeout = Annotated[float, typer.Option(
    min=1, max=600, help="On SIGTERM or Ctrl-C: seconds the requests in flight get to finish "
                         "before they are cancelled.")]
GRACEFUL_SECONDS = 20.0  # under the 30 s a container orchestrator waits before SIGKILL
# An idle keep-alive connection is kept longer than a reverse proxy or client keeps it (nginx:
# 60 s): when the server closes first, a request sent on the closing connection is lost
# (uvicorn's 5 s default dropped requests of the load run as ReadErrors).
KEEP_ALIVE_SECONDS = 75


def fail(message: str) -> typer.Exit:
    err.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    return typer.Exit(code=1)


def _urls():
    from db.embedded import exit_cleanly_on_sigterm
    from db.engine import check_reachable, resolve_urls

    exit_cleanly_on_sigterm()  # a `kill` releases the embedded server (its exit hooks run)
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
    scale: Annotated[
        str, typer.Option(help="demo: lessons up to --until; region-year: the whole last "
                               "ended academic year (the benchmark data, bench/).")
    ] = "demo",
) -> None:
    """Load the 12 pilot schools of the Amur region with a year of lessons and marks."""
    if scale not in ("demo", "region-year"):
        raise fail(f"--scale must be demo or region-year, got '{scale}'")
    urls = _urls()
    _require_current(urls)
    summary = _seed(urls, seed=seed, year=year, until=_parse_date("--until", until),
                    scale=scale)
    _print_accounts(summary)


@app.command("serve")
def serve(host: Host = "127.0.0.1", port: Port = 8000, workers: Workers = 1,
          graceful_timeout: GracefulTimeout = GRACEFUL_SECONDS) -> None:
    """Serve the GraphQL API with uvicorn (the database must be migrated)."""
    urls = _urls()
    _require_current(urls)
    _run(host, port, workers, graceful_timeout)


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
    console.print(f"Web client: [bold]http://{host}:{port}/app/[/]")
    if summary is not None:
        _print_accounts(summary)
    else:
        console.print("demo data already loaded; demo accounts use the password [bold]demo[/] "
                      "(see README.md)")
    # The notification worker runs beside the server, and stops with it.
    notifier = _start_worker()
    try:
        _run(host, port, workers)
    finally:
        _stop_worker(notifier)


def _start_worker():
    import subprocess
    import sys

    return subprocess.Popen([sys.executable, "-c", "from server.cli import main; main()",
                             "worker"])


def _stop_worker(proc) -> None:
    import subprocess

    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()


@app.command("worker")
def worker(
    once: Annotated[bool, typer.Option(help="One pass over the queue, then exit.")] = False,
    poll: Annotated[float, typer.Option(min=0.1, max=60,
                                        help="Seconds to wait when the queue is empty.")] = 1.0,
    lease: Annotated[float, typer.Option(
        min=0.5, max=3600, help="Seconds a claimed delivery stays this worker's; a worker that "
                                "dies while sending leaves it to others after this.")] = 120,
) -> None:
    """Deliver notifications (the outbox): email over ZHURNAL_SMTP_*. Several may run at once
    (docs/notifications.md)."""
    import asyncio
    import logging
    from datetime import timedelta

    import httpx

    from db.engine import app_engine, app_sessions
    from resolvers.notifications.push import VapidKeys
    from server.notify_worker import (
        SmtpSettings,
        all_channels,
        purge_old,
        run_forever,
        run_once,
    )
    from server.settings import ServerSettings

    urls = _urls()
    _require_current(urls)
    settings, smtp = ServerSettings.from_env(), SmtpSettings.from_env()
    logging.basicConfig(level=logging.INFO)

    async def go() -> None:
        engine = app_engine(urls.app, pool_size=2)
        client = httpx.AsyncClient(follow_redirects=False)
        try:
            send = all_channels(smtp, settings.secret_key, client, VapidKeys.from_env())
            if once:
                done = await run_once(app_sessions(engine), send,
                                      lease=timedelta(seconds=lease))
                gone = await purge_old(app_sessions(engine))
                console.print(f"{done} deliveries attempted; purged {gone.sent} sent, "
                              f"{gone.dead} dead, {gone.outbox} outbox rows")
            else:
                console.print(f"notification worker: SMTP {smtp.host}:{smtp.port}")
                await run_forever(app_sessions(engine), send, poll=poll,
                                  lease=timedelta(seconds=lease))
        finally:
            await client.aclose()
            await engine.dispose()

    from contextlib import suppress

    with suppress(KeyboardInterrupt):  # Ctrl-C: a delivery in flight is re-sent after its lease
        asyncio.run(go())


@app.command("vapid-keys")
def vapid_keys() -> None:
    """Print a new VAPID key pair for Web Push, as the environment lines the server and the
    worker read (keep the private key secret; changing it invalidates every subscription)."""
    from resolvers.notifications.push import new_vapid_keys

    private, public = new_vapid_keys()
    typer.echo(f"ZHURNAL_VAPID_PRIVATE_KEY={private}")
    typer.echo(f"ZHURNAL_VAPID_PUBLIC_KEY={public}")
    typer.echo("ZHURNAL_VAPID_SUBJECT=mailto:admin@example.org")


@app.command("schema")
def print_schema() -> None:
    """Print the GraphQL schema (SDL); schema.graphql is its committed output."""
    from schema.root import schema

    typer.echo(schema.as_str())


PeriodOption = Annotated[str, typer.Option("--period", help="The period (its global id or UUID).")]
PdfOut = Annotated[Path, typer.Option("--out", help="The PDF file to write.")]


@print_app.command("journal")
def print_journal(
    group: Annotated[str, typer.Option("--group", help="The study group (global id or UUID).")],
    period: PeriodOption,
    out: PdfOut,
) -> None:
    """Print a group's journal for a period: marks grid, topics, attendance, signatures."""
    _print_pdf(out, group=group, class_=None, period=period)


@print_app.command("class")
def print_class(
    class_: Annotated[str, typer.Option("--class", help="The class (global id or UUID).")],
    period: PeriodOption,
    out: PdfOut,
) -> None:
    """Print the journal of every group of a class for a period, in one file."""
    _print_pdf(out, group=None, class_=class_, period=period)


DocumentOut = Annotated[Path, typer.Option("--out", help="The file to write: .pdf or .xlsx.")]


@print_app.command("year-page")
def print_year_page(
    group: Annotated[str, typer.Option("--group", help="The study group (global id or UUID).")],
    out: DocumentOut,
) -> None:
    """Print a group's year page: each period, year, exam and final grade per student."""
    _print_year_document(out, group=group, class_=None)


@print_app.command("summary")
def print_summary(
    class_: Annotated[str, typer.Option("--class", help="The class (global id or UUID).")],
    out: DocumentOut,
) -> None:
    """Print a class's summary sheet of final grades (сводная ведомость итоговых отметок)."""
    _print_year_document(out, group=None, class_=class_)


def _print_year_document(out: Path, *, group: str | None, class_: str | None) -> None:
    from server.exports import operator_year_document

    out_format = out.suffix.lower().lstrip(".")
    if out_format not in ("pdf", "xlsx"):
        raise fail(f"--out: {out.name} is neither a .pdf nor an .xlsx file")
    urls = _urls()
    _require_current(urls)
    try:
        body = operator_year_document(urls.app, group=group, class_=class_,
                                      out_format=out_format)
    except ValueError as e:
        raise fail(str(e)) from None
    if body is None:
        raise fail("no such group or class")
    out.write_bytes(body)
    console.print(f"wrote {out} ({len(body) / 1e3:.0f} kB)", highlight=False)


def _print_pdf(out: Path, *, group: str | None, class_: str | None, period: str) -> None:
    from server.exports import operator_journal_pdf

    urls = _urls()
    _require_current(urls)
    try:
        body = operator_journal_pdf(urls.app, group=group, class_=class_, period=period)
    except ValueError as e:
        raise fail(str(e)) from None
    if body is None:
        raise fail("no such group or class, or the period is not of its academic year")
    out.write_bytes(body)
    console.print(f"wrote {out} ({len(body) / 1e3:.0f} kB)", highlight=False)


@report_app.command("monthly")
def report_monthly(
    month: Annotated[str, typer.Option("--month", help="The month, YYYY-MM.")],
    out: Annotated[Path, typer.Option("--out", help="The directory to write to.")],
    municipality: Annotated[str | None, typer.Option(
        "--municipality", help="Only this municipality (its name).")] = None,
) -> None:
    """The monthly monitoring report by municipality and school, as XLSX and PDF."""
    from resolvers.reports.pdf import monthly_pdf
    from resolvers.reports.spreadsheets import monthly_workbook
    from server.exports import operator_monthly_report

    urls = _urls()
    _require_current(urls)
    try:
        report = operator_monthly_report(urls.app, month=month, municipality=municipality)
    except ValueError as e:
        raise fail(str(e)) from None
    if report is None:
        raise fail(f"no school in municipality '{municipality}'")
    out.mkdir(parents=True, exist_ok=True)
    for path, body in ((out / f"monthly-report-{month}.xlsx", monthly_workbook(report)),
                       (out / f"monthly-report-{month}.pdf", monthly_pdf(report))):
        path.write_bytes(body)
        console.print(f"wrote {path}", highlight=False)


@app.command("token")
def token(
    login: Annotated[str, typer.Argument(help="Login of an existing account.")],
    minutes: Annotated[int, typer.Option(min=1, max=1440, help="Lifetime in minutes.")] = 60,
) -> None:
    """Print a bearer token for an existing account (an operator tool for scripts)."""
    from sqlalchemy import select

    from db.engine import owner_session
    from db.logins import normalize_login
    from db.models import Account
    from resolvers.auth.tokens import issue_access_token
    from server.settings import ServerSettings

    urls = _urls()
    _require_current(urls)
    with owner_session(urls.owner) as session:
        account = session.scalar(select(Account).where(Account.login == normalize_login(login)))
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


@audit_app.command("seal")
def audit_seal(school: SchoolOption = None) -> None:
    """Chain the audit rows written but not sealed yet (the server seals after every write
    and at start-up; this is for a process that stopped in between, or before a verify)."""
    from db.audit_verify import UnknownSchool, seal_chains

    urls = _urls()
    try:
        sealed = seal_chains(urls.owner, _parse_uuid("--school", school))
    except UnknownSchool as e:
        raise fail(str(e)) from None
    console.print(f"sealed {sealed} audit rows", highlight=False)


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


@export_app.command("oneroster")
def export_oneroster(
    out: Annotated[Path, typer.Option("--out", help="A new directory, or a path ending in "
                                                    ".zip for an archive.")],
    school: SchoolOption = None,
    municipality: Annotated[str | None, typer.Option(
        "--municipality", help="Every school of the municipality with this name.")] = None,
    region: Annotated[bool, typer.Option("--region", help="Every school.")] = False,
) -> None:
    """OneRoster 1.2 CSV files (rosters, marks) of a school, a municipality or the region."""
    from db.oneroster.export import ExportError, Scope
    from db.oneroster.export import export_oneroster as run_export

    if sum((school is not None, municipality is not None, region)) != 1:
        raise fail("give exactly one of --school, --municipality, --region")
    urls = _urls()
    _require_current(urls)
    scope = Scope(school_id=_parse_uuid("--school", school), municipality=municipality,
                  region=region)
    try:
        counts = run_export(urls.owner, scope, out)
    except ExportError as e:
        raise fail(str(e)) from None
    console.print(f"wrote {len(counts) + 1} OneRoster files to {out}: "
                  f"{counts['users.csv']} users, {counts['classes.csv']} classes, "
                  f"{counts['results.csv']} results", highlight=False)


@import_app.command("oneroster")
def import_oneroster(
    directory: Annotated[Path, typer.Argument(help="A directory or .zip of OneRoster 1.2 CSV "
                                                   "files.")],
    school: Annotated[str, typer.Option("--school", help="The school to import into (its "
                                                         "UUID).")],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Validate and count, write "
                                                            "nothing.")] = False,
) -> None:
    """Import the rostering files (people, classes, groups, enrollments) into one school."""
    from db.oneroster.import_ import ImportFailed
    from db.oneroster.import_ import import_oneroster as run_import

    urls = _urls()
    _require_current(urls)
    school_id = _parse_uuid("--school", school)
    assert school_id is not None
    try:
        result = run_import(urls.owner, directory, school_id, dry_run=dry_run)
    except ImportFailed as e:
        for problem in e.problems:
            err.print(f"[bold red]error:[/] {problem}", highlight=False, soft_wrap=True)
        raise typer.Exit(code=1) from None
    created = ", ".join(f"{n} {t}" for t, n in sorted(result.created.items())) or "nothing"
    updated = ", ".join(f"{n} {t}" for t, n in sorted(result.updated.items())) or "nothing"
    verb = "would create" if dry_run else "created"
    console.print(f"{verb}: {created}; updated: {updated}", highlight=False, soft_wrap=True)


@import_app.command("people")
def import_people(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False,
                                         help="A CSV or XLSX file in the format of `zhurnal "
                                              "import template`.")],
    school: Annotated[str, typer.Option("--school", help="The school to import into (its "
                                                         "UUID).")],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Check the file and count, write "
                                                            "nothing.")] = False,
) -> None:
    """Import students, staff and guardians with classes, links and logins; all or nothing."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from db.people_import import UnknownSchool, import_as_operator

    urls = _urls()
    _require_current(urls)
    school_id = _parse_uuid("--school", school)
    assert school_id is not None
    with Progress(TextColumn("{task.description:<6}"), BarColumn(), MofNCompleteColumn(),
                  console=err, transient=True) as progress:
        tasks: dict[str, object] = {}

        def report(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = progress.add_task(stage, total=total)
            progress.update(tasks[stage], completed=done, total=total)  # type: ignore[arg-type]

        try:
            result = import_as_operator(urls.owner, school_id, file, dry_run=dry_run,
                                        progress=report)
        except UnknownSchool as e:
            raise fail(str(e)) from None
    for problem in result.problems:
        err.print(f"[bold red]error:[/] {problem.describe()}", highlight=False, soft_wrap=True)
    if result.problems:
        err.print("nothing was written", highlight=False)
        raise typer.Exit(code=1)
    if result.ignored_columns:
        console.print("columns not read (not stored): " + ", ".join(result.ignored_columns),
                      highlight=False, soft_wrap=True)
    for notice in result.notices:
        console.print(f"[yellow]notice:[/] {notice.describe()}", highlight=False,
                      soft_wrap=True)
    verb = "would create" if dry_run else "created"
    console.print(f"{result.rows} rows ({result.academic_year or 'no academic year'}): {verb} "
                  f"{result.created}, updated {result.updated}, unchanged {result.unchanged}",
                  highlight=False)
    if result.accounts:
        table = Table(title="New accounts: hand each password to its person (shown only now)"
                      if not dry_run else "Accounts that would be created")
        for column in ("code", "login", "password"):
            table.add_column(column)
        for a in result.accounts:
            table.add_row(a.external_id, a.login, a.password or "—")
        console.print(table)


@import_app.command("template")
def import_template(
    out: Annotated[Path, typer.Option("--out", help="Directory to write people.csv and "
                                                    "people.xlsx to.")],
) -> None:
    """Write the people import templates (CSV and XLSX, Russian headers, example rows)."""
    from db.people_import import write_templates

    for path in write_templates(out):
        console.print(f"wrote {path}", highlight=False)


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


def _seed(urls, *, seed: int, year: int | None, until: date | None, scale: str = "demo"):
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from db.seed.demo import seed_demo as run_seed
    from resolvers.auth.passwords import hash_password

    with Progress(TextColumn("{task.description:<10}"), BarColumn(), MofNCompleteColumn(),
                  console=err, transient=True) as progress:
        tasks: dict[str, object] = {}

        def report(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = progress.add_task(stage, total=total)
            progress.update(tasks[stage], completed=done, total=total)  # type: ignore[arg-type]

        try:
            summary = run_seed(urls.owner, seed=seed, year=year, until=until, progress=report,
                               scale=scale, hash_password=hash_password)
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


def _run(host: str, port: int, workers: int, graceful_timeout: float = GRACEFUL_SECONDS
         ) -> None:
    import signal

    import uvicorn

    _check_port(host, port)
    try:
        uvicorn.run("server.app:served_app", factory=True, host=host, port=port,
                    workers=workers, log_level="info",
                    # The app trusts ZHURNAL_TRUSTED_PROXIES alone (server/app.py); uvicorn's
                    # default would believe any client on 127.0.0.1.
                    proxy_headers=False,
                    timeout_graceful_shutdown=graceful_timeout,
                    timeout_keep_alive=KEEP_ALIVE_SECONDS)
    except SystemExit as stop:
        # uvicorn re-raises SIGTERM once the requests in flight are done, and
        # exit_cleanly_on_sigterm turns it into SystemExit(143): a stop that was asked for and
        # carried out is a normal end of serving (exit 0), as with several workers.
        if stop.code != 128 + signal.SIGTERM:
            raise


def main() -> None:  # pragma: no cover
    app()
