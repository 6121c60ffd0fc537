"""Count the SQL statements the server runs while a block executes (N+1 detector)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine


@dataclass
class StatementCounter:
    statements: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def count(self) -> int:
        return len(self.statements)


@contextmanager
def count_statements() -> Iterator[StatementCounter]:
    """Every statement any engine of this process executes inside the block is recorded."""
    counter = StatementCounter()

    def on_execute(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        with counter.lock:
            counter.statements.append(statement)

    event.listen(Engine, "before_cursor_execute", on_execute)
    try:
        yield counter
    finally:
        event.remove(Engine, "before_cursor_execute", on_execute)
