"""The journal page statement alone, as the server runs it (issue 18).

    python -m bench.journal_statement [--demo]                       # time it
    python -m bench.journal_statement [--demo] --against OLD_SQL.py  # alternated with another
    python -m bench.journal_statement [--demo] --explain             # EXPLAIN (ANALYZE, BUFFERS)

On the bench database (the region-year page, or with `--demo` the demo page of
bench/fixtures.py `discover_demo`), as the application role under the page's school scope
(`zhurnal.school_ids`, as the request transaction sets it), prepared as psycopg prepares the
server's statements, each run its own transaction. `--against` takes another revision's
resolvers/journal/sql.py (e.g. `git show s7-int:resolvers/journal/sql.py > /tmp/old_sql.py`)
and alternates the two, block by block, each on its own connection. `--explain` shows the
generic plan a prepared statement settles on after its first executions.
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import time
from pathlib import Path
from typing import Any

import psycopg
from sqlalchemy.dialects import postgresql

from bench.data import prepare
from bench.fixtures import discover, discover_demo
from db.engine import libpq_dsn


def _statement(path: Path | None) -> str:
    if path is None:
        from resolvers.journal.sql import JOURNAL_PAGE
        page = JOURNAL_PAGE
    else:
        spec = importlib.util.spec_from_file_location(f"journal_sql_{path.stem}", path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        page = module.JOURNAL_PAGE
    return str(page.compile(dialect=postgresql.dialect(paramstyle="pyformat")))


def _scope(conn: psycopg.Connection[Any], school: Any, local: bool = True) -> None:
    conn.execute("SELECT set_config('zhurnal.school_ids', %s, %s)", (str(school), local))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--demo", action="store_true", help="the demo page (make demo data)")
    parser.add_argument("--against", type=Path, help="another revision's journal/sql.py")
    parser.add_argument("--explain", action="store_true")
    parser.add_argument("--blocks", type=int, default=10)
    parser.add_argument("--per-block", type=int, default=30)
    args = parser.parse_args()
    data = prepare(log=lambda *_: None)
    urls = data.demo if args.demo else data.full
    with psycopg.connect(libpq_dsn(urls.owner)) as conn:
        fx = discover_demo(conn) if args.demo else discover(conn)
    params = {"group_id": fx.journal_group, "period_id": fx.period_id}
    named = [("this tree", _statement(None))]
    if args.against:
        named.insert(0, (str(args.against), _statement(args.against)))
    if args.explain:
        for name, sql in named:
            generic = sql.replace("%(group_id)s", "$1::uuid").replace(
                "%(period_id)s", "$2::uuid").replace("%%", "%")
            with psycopg.connect(libpq_dsn(urls.app)) as conn:
                _scope(conn, fx.school_id, local=False)
                conn.execute("SET plan_cache_mode = force_generic_plan")
                conn.execute("PREPARE page(uuid, uuid) AS " + generic)
                run = f"EXECUTE page('{fx.journal_group}', '{fx.period_id}')"
                for _ in range(3):
                    conn.execute(run).fetchall()
                plan = conn.execute("EXPLAIN (ANALYZE, BUFFERS) " + run).fetchall()
            print(f"== {name}\n" + "\n".join(r[0] for r in plan))
        return
    conns = [psycopg.connect(libpq_dsn(urls.app)) for _ in named]
    times: list[list[float]] = [[] for _ in named]
    for block in range(args.blocks + 1):  # the first block warms up (and prepares) each
        for (_, sql), conn, kept in zip(named, conns, times, strict=True):
            for _ in range(args.per_block):
                with conn.transaction():
                    _scope(conn, fx.school_id)
                    started = time.perf_counter()
                    conn.execute(sql, params, prepare=True).fetchall()
                    if block:
                        kept.append((time.perf_counter() - started) * 1e3)
    for conn in conns:
        conn.close()
    size = f"{fx.journal_students} students × {fx.lesson_count} lessons"
    print(f"the journal statement{' (demo page)' if args.demo else ''}, {size}: "
          f"{args.blocks} alternated blocks of {args.per_block}")
    for (name, _), kept in zip(named, times, strict=True):
        print(f"  p50 {statistics.median(kept):6.3f} ms  p10 "
              f"{statistics.quantiles(kept, n=10)[0]:6.3f} ms  mean "
              f"{statistics.mean(kept):6.3f} ms  {name}")


if __name__ == "__main__":
    main()
