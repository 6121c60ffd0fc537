"""GraphQL documents parsed and validated once each, in a worker thread, never on the event loop.

A document within the token limit still takes tens to hundreds of milliseconds to parse and
validate (graphql-core's OverlappingFieldsCanBeMergedRule compares same-named fields pairwise),
and every other request, /healthz included, would wait behind it on the loop. In a thread the
loop keeps answering: the worker gives the interpreter back every switch interval (5 ms).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from functools import lru_cache
from typing import Any

from graphql import DocumentNode, OperationDefinitionNode, get_operation_ast, parse
from starlette.concurrency import run_in_threadpool
from strawberry.extensions import SchemaExtension
from strawberry.schema.schema import validate_document

from server.limits import MAX_TOKENS

# Front ends send the same few documents again and again: parse and validate each once.
CACHED_DOCUMENTS = 512


@lru_cache(maxsize=CACHED_DOCUMENTS)
def parse_bounded(query: str) -> DocumentNode:
    """The document; GraphQLError when it does not parse or has more than MAX_TOKENS tokens.
    One cache for the edge (which picks the operation) and execution (ParseOffLoop)."""
    return parse(query, max_tokens=MAX_TOKENS)


_validate = lru_cache(maxsize=CACHED_DOCUMENTS)(validate_document)


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
            context.graphql_document = await run_in_threadpool(parse_bounded, context.query)
        yield


class ValidateOffLoop(SchemaExtension):
    """Strawberry's validation step, cached per document and rule set, in a worker thread."""

    async def on_validate(self) -> AsyncIterator[None]:
        context = self.execution_context
        schema: Any = context.schema
        context.pre_execution_errors = await run_in_threadpool(
            _validate, schema._schema, context.graphql_document, context.validation_rules)
        yield
