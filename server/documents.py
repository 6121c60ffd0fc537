"""GraphQL documents parsed and validated once each, in a worker thread, never on the event loop.

A document within the token limit still takes tens to hundreds of milliseconds to parse and
validate (graphql-core's OverlappingFieldsCanBeMergedRule compares same-named fields pairwise),
and every other request, /healthz included, would wait behind it on the loop. In a thread the
loop keeps answering: the worker gives the interpreter back every switch interval (5 ms).

A document already worked out is read from the cache on the loop itself: the hop to a worker
thread and back costs 60–150 µs, three times a request, and more while the worker and the loop
contend for the interpreter on a busy machine (issue 18: the largest item of a diary request's
Python in py-spy).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable, Hashable
from typing import Any, Generic, TypeVar

from graphql import DocumentNode, OperationDefinitionNode, get_operation_ast, parse
from starlette.concurrency import run_in_threadpool
from strawberry.extensions import SchemaExtension
from strawberry.schema.schema import validate_document

from server.limits import MAX_TOKENS

# Front ends send the same few documents again and again: parse and validate each once.
CACHED_DOCUMENTS = 512

T = TypeVar("T")
_MISSING: Any = object()


class Memo(Generic[T]):
    """A function's results by argument, the least recently used out past `max_entries`,
    like functools.lru_cache (an exception is not kept), and a hit can be asked for without
    computing: `off_loop` answers a hit at once and computes only a miss in a worker thread.
    The arguments are the key (documents by identity: the parse cache hands out one object
    per text)."""

    def __init__(self, fn: Callable[..., T], max_entries: int = CACHED_DOCUMENTS) -> None:
        self.fn = fn
        self.max_entries = max_entries
        self._kept: OrderedDict[Hashable, T] = OrderedDict()
        self._lock = threading.Lock()  # the edge's threads and the loop both fill it

    def _get(self, key: Hashable) -> T:
        with self._lock:
            value = self._kept.get(key, _MISSING)
            if value is not _MISSING:
                self._kept.move_to_end(key)
            return value

    def _put(self, key: Hashable, value: T) -> T:
        with self._lock:
            self._kept[key] = value
            while len(self._kept) > self.max_entries:
                self._kept.popitem(last=False)
        return value

    def __call__(self, *args: Any) -> T:
        value = self._get(args)
        return self._put(args, self.fn(*args)) if value is _MISSING else value

    async def off_loop(self, *args: Any) -> T:
        value = self._get(args)
        if value is _MISSING:
            value = self._put(args, await run_in_threadpool(self.fn, *args))
        return value

    def clear(self) -> None:
        with self._lock:
            self._kept.clear()


def _parse(query: str) -> DocumentNode:
    return parse(query, max_tokens=MAX_TOKENS)


# The document; GraphQLError when it does not parse or has more than MAX_TOKENS tokens. One
# cache for the edge (which picks the operation) and execution (ParseOffLoop).
parse_bounded: Memo[DocumentNode] = Memo(_parse)

_validate: Memo[list[Any]] = Memo(validate_document)


class SeveralOperations(Exception):
    def __init__(self, count: int) -> None:
        super().__init__(f"the document has {count} operations and no operationName: send "
                         "operationName to say which one to run")


def chosen_operation(document: DocumentNode, operation_name: str | None
                     ) -> OperationDefinitionNode | None:
    """The operation that runs: the one named, or the only one. SeveralOperations when the
    document has several and names none (graphql-core would run the first: a client that
    sends two operations must say which one it means). None when none matches the name."""
    if operation_name is None:
        count = sum(isinstance(d, OperationDefinitionNode) for d in document.definitions)
        if count > 1:
            raise SeveralOperations(count)
    return get_operation_ast(document, operation_name)


class ParseOffLoop(SchemaExtension):
    """Strawberry's parse step, from the shared cache, in a worker thread."""

    async def on_parse(self) -> AsyncIterator[None]:
        context = self.execution_context
        if context.graphql_document is None and context.query:
            # A syntax error raised here becomes the response's error, as Strawberry's own.
            context.graphql_document = await parse_bounded.off_loop(context.query)
        yield


class ValidateOffLoop(SchemaExtension):
    """Strawberry's validation step, cached per document and rule set, in a worker thread."""

    async def on_validate(self) -> AsyncIterator[None]:
        context = self.execution_context
        schema: Any = context.schema
        # A copy: the kept list is every request's of this document, and must stay as it is.
        context.pre_execution_errors = list(await _validate.off_loop(
            schema._schema, context.graphql_document, context.validation_rules))
        yield
