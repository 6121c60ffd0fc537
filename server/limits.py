"""Limits on what one GraphQL document may ask for: depth, aliases, tokens and estimated cost.

Page size is enforced where pages are cut (schema/pagination.py); the rules here run at
validation, before any resolver, so an expensive document costs the server one parse.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLList,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    ListValueNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    ValidationContext,
    ValidationRule,
    VariableNode,
    get_named_type,
    get_nullable_type,
)
from graphql.validation import NoSchemaIntrospectionCustomRule
from strawberry.extensions import AddValidationRules, MaxTokensLimiter, SchemaExtension
from strawberry.extensions.max_aliases import create_validator as aliases_validator
from strawberry.extensions.query_depth_limiter import create_validator as depth_validator

from schema.pagination import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE

# A connection nests three levels of selection (conn { edges { node { … } } }), so 12 allows
# three nested connections with a field inside, which the cost rule then judges by size.
MAX_DEPTH = 12
MAX_ALIASES = 50
# The GraphiQL introspection document is about 700 tokens; real documents far fewer.
MAX_TOKENS = 5_000
# Two full pages nested (100 × 100 objects with a handful of fields) pass; three do not.
MAX_COST = 200_000
# How many items a plain (unpaginated) list field is assumed to hold: those lists are small
# and fixed by design (a viewer's schools, a day's lessons, a cell's marks).
LIST_ESTIMATE = 20


def estimate_cost(schema: GraphQLSchema, operation: OperationDefinitionNode,
                  fragments: dict[str, FragmentDefinitionNode]) -> int:
    """Each field costs 1, times the number of items the lists above it may hold: a
    connection multiplies by `first` (a variable counts as the maximum, no argument as the
    default page size), `nodes(ids:)` by the ids given, any other list by LIST_ESTIMATE."""
    root = schema.get_root_type(OperationType(operation.operation))
    if root is None:
        return 0
    return _selection_cost(schema, root, operation.selection_set, fragments, frozenset())


def _selection_cost(schema: GraphQLSchema, parent: GraphQLNamedType,
                    selection_set: SelectionSetNode | None,
                    fragments: dict[str, FragmentDefinitionNode],
                    seen: frozenset[str]) -> int:
    if selection_set is None:
        return 0
    total = 0
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            total += _field_cost(schema, parent, selection, fragments, seen)
        elif isinstance(selection, InlineFragmentNode):
            on = (schema.get_type(selection.type_condition.name.value)
                  if selection.type_condition else parent)
            if on is not None:
                total += _selection_cost(schema, on, selection.selection_set, fragments, seen)
        elif isinstance(selection, FragmentSpreadNode):
            name = selection.name.value
            fragment = fragments.get(name)
            if fragment is None or name in seen:
                continue  # unknown or cyclic: other validation rules report it
            on = schema.get_type(fragment.type_condition.name.value)
            if on is not None:
                total += _selection_cost(schema, on, fragment.selection_set, fragments,
                                         seen | {name})
    return total


def _field_cost(schema: GraphQLSchema, parent: GraphQLNamedType, node: FieldNode,
                fragments: dict[str, FragmentDefinitionNode], seen: frozenset[str]) -> int:
    name = node.name.value
    if name.startswith("__"):
        return 0  # introspection is bounded by the schema, not by the data
    fields = getattr(parent, "fields", None)
    if fields is None or name not in fields:
        return 0  # an unknown field: FieldsOnCorrectTypeRule reports it
    field_type = fields[name].type
    child = get_named_type(field_type)
    children = _selection_cost(schema, child, node.selection_set, fragments, seen)
    return 1 + _multiplier(parent, node, field_type) * children


def _multiplier(parent: GraphQLNamedType, node: FieldNode, field_type: Any) -> int:
    child = get_named_type(field_type)
    if _is_connection(child):
        return _argument_size(node, "first", default=DEFAULT_PAGE_SIZE)
    if not isinstance(get_nullable_type(field_type), GraphQLList):
        return 1
    if _is_connection(parent) and node.name.value == "edges":
        return 1  # the connection field already counted its page
    if node.name.value == "nodes":
        return _argument_size(node, "ids", default=LIST_ESTIMATE)
    return LIST_ESTIMATE


def _is_connection(named: GraphQLNamedType) -> bool:
    return (isinstance(named, GraphQLObjectType) and named.name.endswith("Connection")
            and "edges" in named.fields)


def _argument_size(node: FieldNode, argument: str, *, default: int) -> int:
    for arg in node.arguments or ():
        if arg.name.value != argument:
            continue
        value = arg.value
        if isinstance(value, VariableNode):
            return MAX_PAGE_SIZE  # not known at validation (and validation is cached)
        if isinstance(value, IntValueNode):
            return max(0, min(int(value.value), MAX_PAGE_SIZE))
        if isinstance(value, ListValueNode):
            return len(value.values)
        return default
    return default


def cost_rule(max_cost: int) -> type[ValidationRule]:
    class CostLimit(ValidationRule):
        """Refuses an operation whose estimated cost is above the limit."""

        def __init__(self, context: ValidationContext) -> None:
            super().__init__(context)
            document = context.document
            self.fragments = {d.name.value: d for d in document.definitions
                              if isinstance(d, FragmentDefinitionNode)}

        def enter_operation_definition(self, node: OperationDefinitionNode,
                                       *_args: Any) -> None:
            cost = estimate_cost(self.context.schema, node, self.fragments)
            if cost > max_cost:
                name = f"'{node.name.value}'" if node.name else "the operation"
                self.report_error(GraphQLError(
                    f"{name} is too expensive: its estimated cost is {cost}, the limit is "
                    f"{max_cost}. Each field counts once per item of the lists above it "
                    f"(a connection's `first`, {MAX_PAGE_SIZE} for a variable, "
                    f"{DEFAULT_PAGE_SIZE} when omitted): ask for smaller pages or fewer "
                    "nested lists.",
                    node, extensions={"code": "QUERY_TOO_EXPENSIVE", "cost": cost,
                                      "limit": max_cost}))

    return CostLimit


def limit_extensions(*, introspection: bool = True, max_depth: int = MAX_DEPTH,
                     max_aliases: int = MAX_ALIASES, max_tokens: int = MAX_TOKENS,
                     max_cost: int = MAX_COST) -> list[Callable[[], SchemaExtension]]:
    """Factories (never instances: strawberry deprecates shared extension instances).

    The rule classes are made once, here: QueryDepthLimiter and MaxAliasesLimiter would make
    new classes per request, and ValidationCache keys on the rule classes, so every request
    would miss the cache. The rules are theirs (`create_validator`), the same as
    DisableIntrospection's when introspection is off."""
    rules: list[type[ValidationRule]] = [
        depth_validator(max_depth, None), aliases_validator(max_aliases), cost_rule(max_cost),
    ]
    if not introspection:
        rules.append(NoSchemaIntrospectionCustomRule)
    return [
        lambda: MaxTokensLimiter(max_token_count=max_tokens),
        lambda: AddValidationRules(rules),
    ]
