"""The journal's Python after its statement, timed alone: `python -m bench.journal_python [--demo]`.

The page's row is read once (the application's statement, as the application role under the
school's RLS scope); then, many times over and without the database, HTTP or the request's
fixed cost, each step the server takes from that row to the answer's JSON:

- rows: the row made into the resolver's dataclasses (resolvers/journal/page.py), averages
  included;
- objects: those made into the schema's objects (schema/journal.py `_page`), mark ids encoded;
- completion: the bench's journal selection (parsed and validated once) completed from those
  objects by the served schema's execution context (schema/execution.py), through a one-field
  schema over the same types;
- json: the result encoded as the server encodes it (orjson).

It prints the median CPU time of each step (in-process, `time.process_time` over batches):
what a change of these layers saves, which the HTTP bench's noise hides on a shared machine.
Comparing two revisions: run it with each (PYTHONPATH) on the same database.
"""

from __future__ import annotations

import argparse
import re
import statistics
import time
from types import SimpleNamespace
from typing import Any

import orjson
import psycopg
import strawberry
from graphql import execute_sync, parse, validate
from psycopg.rows import dict_row
from sqlalchemy.dialects import postgresql

from bench.data import prepare
from bench.fixtures import discover, discover_demo
from bench.scenarios import JOURNAL
from db.engine import libpq_dsn
from db.settings import APP_ROLE
from resolvers.journal import page as rules
from resolvers.journal.sql import JOURNAL_PAGE
from schema import journal as schema_journal
from schema.root import schema as served

# The bench's selection, on a root field without arguments.
SELECTION = re.sub(r"journal\(groupId: \$groupId, periodId: \$periodId\)", "journal",
                   JOURNAL).replace("query Journal($groupId: ID!, $periodId: ID!)",
                                    "query Journal")


def _row(demo: bool) -> tuple[Any, str]:
    data = prepare(log=lambda *_: None)
    urls = data.demo if demo else data.full
    with psycopg.connect(libpq_dsn(urls.owner)) as conn:
        fx = discover_demo(conn) if demo else discover(conn)
        conn.rollback()
        sql = str(JOURNAL_PAGE.compile(dialect=postgresql.dialect()))
        conn.execute(f"SET ROLE {APP_ROLE}")
        conn.execute("SELECT set_config('zhurnal.school_ids', %s, false)", (str(fx.school_id),))
        with conn.cursor(row_factory=dict_row) as cur:
            row = cur.execute(sql, {"group_id": fx.journal_group,
                                    "period_id": fx.period_id}).fetchone()
    assert row is not None
    return SimpleNamespace(**row), f"{fx.journal_students} students × {fx.lesson_count} lessons"


def _rows(row: Any) -> rules.Page:
    """The tail of resolvers/journal/page.py `journal_page` after its statement (no `in`)."""
    period, system = row.period, row.grading_system
    scale = rules.page_scale(system)
    reckoned = rules.reckoner(scale, rules.page_threshold(row.rounding_threshold))
    return rules.Page(
        school_id=row.school_id, group_id=row.id, group_name=row.name,
        without_marks=row.without_marks,
        period=rules.PagePeriod(id=rules.uuid.UUID(period["id"]), name=period["name"],
                                starts_on=rules.date.fromisoformat(period["starts_on"]),
                                ends_on=rules.date.fromisoformat(period["ends_on"])),
        grading_system=rules.PageSystem(id=rules.uuid.UUID(system["id"]), name=system["name"],
                                        labels=system["labels"] or []) if system else None,
        lessons=[rules._lesson(r) for r in row.lessons],
        students=[rules._student(r, len(row.lessons), None, reckoned) for r in row.students],
    )


def _batch(step: Any, n: int) -> float:
    t = time.process_time()
    for _ in range(n):
        step()
    return (time.process_time() - t) / n


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--demo", action="store_true", help="the demo page (make demo data)")
    parser.add_argument("--batches", type=int, default=30)
    parser.add_argument("--per-batch", type=int, default=50)
    args = parser.parse_args()
    row, size = _row(args.demo)
    page = _rows(row)
    objects = schema_journal._page(page)

    @strawberry.type
    class Query:
        @strawberry.field
        def journal(self) -> schema_journal.JournalPage:
            return objects

    one_field = strawberry.Schema(query=Query,
                                  execution_context_class=served.execution_context_class)
    result = one_field.execute_sync(SELECTION)
    assert result.errors is None, result.errors

    # parsed and validated once, as the server's document memo does
    document = parse(SELECTION)
    assert not validate(one_field._schema, document)
    context_class = served.execution_context_class

    def completion() -> Any:
        done = execute_sync(one_field._schema, document, executor_class=context_class)
        assert done.errors is None and done.data
        return done

    def graphql_core() -> Any:  # for reference: graphql-core's own path, field by field
        return execute_sync(one_field._schema, document)

    assert graphql_core().data == completion().data
    steps = {"rows": lambda: _rows(row), "objects": lambda: schema_journal._page(page),
             "completion": completion, "json": lambda: orjson.dumps({"data": result.data}),
             "(completion by graphql-core's own path, for reference)": graphql_core}
    times: dict[str, list[float]] = {k: [] for k in steps}
    for _ in range(args.batches):  # the steps alternate, batch by batch
        for name, step in steps.items():
            times[name].append(_batch(step, args.per_batch))
    print(f"journal{' (demo page)' if args.demo else ''}, {size}: CPU per page, median of "
          f"{args.batches} batches of {args.per_batch}")
    for name, values in times.items():
        print(f"  {statistics.median(values) * 1e3:7.3f} ms  {name}")
    total = sum(statistics.median(times[k]) for k in ("rows", "objects", "completion", "json"))
    print(f"  {total * 1e3:7.3f} ms  rows + objects + completion + json")


if __name__ == "__main__":
    main()
