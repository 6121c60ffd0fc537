"""Text holding a NUL character (U+0000) in a query or subscription is refused before any
resolver runs.

PostgreSQL cannot store NUL in text or jsonb, and the driver refuses such a parameter with
an error that quotes the statement. No argument is meant to carry one, so every string of
the request is checked here: literals of the document at validation (cached with the
document), variables before execution. Mutations are left to `apply`, which names the field
in the payload's errors like any other bad input (schema/input_checks.py).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

from graphql import (
    ArgumentNode,
    GraphQLError,
    Node,
    ObjectFieldNode,
    OperationDefinitionNode,
    OperationType,
    StringValueNode,
    ValidationRule,
)
from strawberry.extensions import AddValidationRules, SchemaExtension

NUL = "\x00"


def nul_error(where: str, field: str, node: Node | None = None) -> GraphQLError:
    return GraphQLError(
        f"{where} '{field}' contains a NUL character (\\u0000), which text may not contain",
        node, extensions={"code": "BAD_USER_INPUT", "argument": field})


class NoNulInLiterals(ValidationRule):
    """A string literal with a NUL, reported with the argument path it is given to."""

    def enter_operation_definition(self, node: OperationDefinitionNode, *_args: Any) -> None:
        self.in_mutation = node.operation == OperationType.MUTATION

    def enter_string_value(self, node: StringValueNode, _key: Any, parent: Any,
                           _path: Any, ancestors: list[Any]) -> None:
        if NUL not in node.value or getattr(self, "in_mutation", False):
            return
        names = [a.name.value for a in [*ancestors, parent]
                 if isinstance(a, ArgumentNode | ObjectFieldNode)]
        self.report_error(nul_error("argument", ".".join(names), node))


def _first_nul(value: Any, path: str) -> str | None:
    if isinstance(value, str):
        return path if NUL in value else None
    items: Iterator[tuple[object, Any]] | None = None
    if isinstance(value, Mapping):
        items = iter(value.items())
    elif isinstance(value, list):
        items = enumerate(value)
    for key, item in items or ():
        key_text = str(key)
        if NUL in key_text:
            return f"{path}.{key_text!r}"
        found = _first_nul(item, f"{path}.{key_text}")
        if found is not None:
            return found
    return None


class NulCharacters(SchemaExtension):
    """Refuses an operation whose variables hold a NUL anywhere (names and values)."""

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context
        if context.operation_type.value == OperationType.MUTATION.value:
            yield
            return
        variables = context.variables or {}
        for name, value in variables.items():
            found = _first_nul(value, name) if NUL not in name else name
            if found is not None:
                raise nul_error(f"variable '${name}' at", found)
        yield


def nul_extensions() -> list[Callable[[], SchemaExtension]]:
    return [lambda: AddValidationRules([NoNulInLiterals]), NulCharacters]
