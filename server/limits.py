"""Limits on what one GraphQL document may ask for: depth, aliases, tokens and estimated cost.

Page size is enforced where pages are cut (schema/pagination.py); the rules here run at
validation, before any resolver, so an expensive document costs the server one parse.
"""

from __future__ import annotations

from collections.abc import Callable

from graphql import (
    FragmentDefinitionNode,
    GraphQLError,
    OperationDefinitionNode,
    ValidationContext,
    ValidationRule,
)
from graphql.validation import NoSchemaIntrospectionCustomRule
from strawberry.extensions import AddValidationRules, SchemaExtension

from schema.pagination import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE
from server.measure import LIST_ESTIMATE, DocumentMeasure, estimate_cost

__all__ = ["LIST_ESTIMATE", "MAX_ALIASES", "MAX_COST", "MAX_DEPTH", "MAX_TOKENS", "cost_rule",
           "estimate_cost", "limit_extensions", "limits_rule"]

# A connection nests three levels of selection (conn { edges { node { … } } }), so 12 allows
# three nested connections with a field inside, which the cost rule then judges by size.
MAX_DEPTH = 12
MAX_ALIASES = 50
# The GraphiQL introspection document is about 700 tokens; real documents far fewer.
MAX_TOKENS = 5_000
# Two full pages nested (100 × 100 objects with a handful of fields) pass; three do not.
MAX_COST = 200_000


def limits_rule(*, max_depth: int | None = None, max_aliases: int | None = None,
                max_cost: int | None = None) -> type[ValidationRule]:
    """One rule for the three limits (None: not checked), measuring the document once."""

    class DocumentLimits(ValidationRule):
        """Refuses an operation that is too deep or too expensive, and a document with too
        many aliases, each refusal naming the limit and what the document asks for."""

        def __init__(self, context: ValidationContext) -> None:
            super().__init__(context)
            document = context.document
            fragments = {d.name.value: d for d in document.definitions
                         if isinstance(d, FragmentDefinitionNode)}
            operations = [d for d in document.definitions
                          if isinstance(d, OperationDefinitionNode)]
            measure = DocumentMeasure(context.schema, fragments)
            measured = [(operation, measure.operation(operation)) for operation in operations]
            for operation, m in measured:
                if max_depth is not None and m.depth > max_depth:
                    self._too_deep(operation, m.depth, max_depth)
            aliases = sum(m.aliases for _, m in measured)
            if max_aliases is not None and aliases > max_aliases:
                # Strawberry's MaxAliasesLimiter's words, which clients may already match.
                self.report_error(GraphQLError(
                    f"{aliases} aliases found. Allowed: {max_aliases}",
                    extensions={"code": "TOO_MANY_ALIASES", "aliases": aliases,
                                "limit": max_aliases}))
            for operation, m in measured:
                if max_cost is not None and m.cost > max_cost:
                    self._too_expensive(operation, m.cost, max_cost)

        def _too_deep(self, node: OperationDefinitionNode, depth: int, limit: int) -> None:
            name = node.name.value if node.name else "anonymous"
            self.report_error(GraphQLError(
                f"'{name}' exceeds maximum operation depth of {limit} (its depth is {depth})",
                node, extensions={"code": "QUERY_TOO_DEEP", "depth": depth, "limit": limit}))

        def _too_expensive(self, node: OperationDefinitionNode, cost: int, limit: int) -> None:
            name = f"'{node.name.value}'" if node.name else "the operation"
            self.report_error(GraphQLError(
                f"{name} is too expensive: its estimated cost is {cost}, the limit is "
                f"{limit}. Each field counts once per item of the lists above it "
                f"(a connection's `first`, {MAX_PAGE_SIZE} for a variable, "
                f"{DEFAULT_PAGE_SIZE} when omitted) and once per fragment spread: ask for "
                "smaller pages or fewer nested lists.",
                node, extensions={"code": "QUERY_TOO_EXPENSIVE", "cost": cost,
                                  "limit": limit}))

    return DocumentLimits


def cost_rule(max_cost: int) -> type[ValidationRule]:
    return limits_rule(max_cost=max_cost)


def limit_extensions(*, introspection: bool = True, max_depth: int = MAX_DEPTH,
                     max_aliases: int = MAX_ALIASES, max_cost: int = MAX_COST
                     ) -> list[Callable[[], SchemaExtension]]:
    """Factories (never instances: strawberry deprecates shared extension instances). The
    token limit is applied by the parser itself (server/documents.py).

    The rule classes are made once, here: validation is cached keyed on the rule classes, so a
    class made per request would miss the cache every time. Depth and aliases are ours, not
    Strawberry's QueryDepthLimiter and MaxAliasesLimiter: theirs walk a fragment again at
    every spread, so a document of fragments that each spread the one before twice takes
    time doubling with each level (18 levels, 758 bytes: 1.6 s on the event loop)."""
    rules: list[type[ValidationRule]] = [
        limits_rule(max_depth=max_depth, max_aliases=max_aliases, max_cost=max_cost),
    ]
    if not introspection:
        rules.append(NoSchemaIntrospectionCustomRule)
    return [lambda: AddValidationRules(rules)]
