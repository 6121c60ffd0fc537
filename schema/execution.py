"""Completing plain data without a resolver call per field (issue 18, part 2).

graphql-core completes every field of every object on its own: a Path, a resolve info, the
field's resolver (for a plain field Strawberry's `getattr`), awaitable checks and the
completion of its type, some 10 µs a field. A week's diary is ~300 fields of rows the
resolver has already read in one statement, so that bookkeeping was most of its time.

An object type is *plain* when every field of it is a Strawberry field without a resolver,
arguments, permissions or extensions, the type has no `is_type_of`, and every object type its
fields lead to is plain (no interface or union): completing it cannot run code of ours, only
read attributes. For such a type this context reads the selected
attributes directly and completes their values by the same rules (non-null, lists, the
scalar's and enum's own `coerce_output_value`, nested plain objects). When anything is not as
expected — a null where the type forbids it, a value a scalar refuses, a nested type that is
not plain, a deferred fragment, field middleware — it falls back to graphql-core's own path
for that object, which reads the same attributes again and reports the error exactly as
before (reading them has no effects). Subscriptions and mutations go through the same code;
only the completion of plain objects is shortened.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from itertools import chain
from types import NoneType
from typing import Any

from graphql import (
    GraphQLEnumType,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLUnionType,
    get_named_type,
)
from graphql.pyutils import Path, Undefined
from graphql.type.scalars import serialize_id, serialize_string
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

__all__ = ["PlainDataExecution"]

# Per object type: {field name: python attribute}, or None when the type is not plain.
_PLAIN: dict[GraphQLObjectType, dict[str, str] | None] = {}


# Scalars whose completion gives back a `str` as it is (graphql-core's String and ID, whatever
# the schema calls them): a value whose type is exactly `str` needs no call to complete.
_STR_AS_IS = (serialize_string, serialize_id)
_LISTS = frozenset({list})


def _as_is(leaf_type: Any) -> frozenset[type] | None:
    """The Python types of the values this leaf type (maybe non-null) completes to
    themselves; None when completing it may change any value. A journal page is some 2,000
    such values (its cells and mark ids): checked a list at a time, not a value at a time."""
    nullable = not isinstance(leaf_type, GraphQLNonNull)
    if not nullable:
        leaf_type = leaf_type.of_type
    if (isinstance(leaf_type, GraphQLScalarType)
            and leaf_type.coerce_output_value in _STR_AS_IS):
        return frozenset({str, NoneType}) if nullable else frozenset({str})
    return None


class _NotPlain(Exception):
    """Leave this object to graphql-core."""


def _attributes(object_type: GraphQLObjectType) -> dict[str, str] | None:
    try:
        return _PLAIN[object_type]
    except KeyError:
        pass
    attributes: dict[str, str] | None = {}
    if object_type.is_type_of is not None:
        attributes = None
    else:
        for name, field in object_type.fields.items():
            definition = (field.extensions or {}).get("strawberry-definition")
            if (definition is None or field.args
                    or not getattr(field.resolve, "_is_default", False)
                    or definition.base_resolver is not None or definition.extensions
                    or getattr(definition, "permission_classes", None)
                    or definition.default_resolver is not getattr):
                attributes = None
                break
            attributes[name] = definition.python_name  # type: ignore[index]
    _PLAIN[object_type] = attributes  # provisional while its fields' types are looked at
    if attributes is not None:
        # Plain only if every object it leads to is plain too: no attempt on it falls back
        # for a reason its type already tells.
        for field in object_type.fields.values():
            named = get_named_type(field.type)
            if isinstance(named, (GraphQLInterfaceType, GraphQLUnionType)) or (
                    isinstance(named, GraphQLObjectType) and _attributes(named) is None):
                attributes = None
                break
        _PLAIN[object_type] = attributes
    return attributes


class PlainDataExecution(StrawberryGraphQLCoreExecutionContext):
    """Strawberry's execution context with the plain-object shortcut described above."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Per grouped field set (graphql-core memoises them per type and selection, so every
        # lesson of a diary shares one): what to read and how to complete it.
        self._plans: dict[int, tuple[Any, list[tuple[str, str | None, Any]]]] = {}

    def execute_fields(self, parent_type: GraphQLObjectType, source_value: Any,
                       path: Path | None, grouped_field_set: Any,
                       position_context: Any) -> Any:
        manager = self.middleware_manager
        if (source_value is not None and (manager is None or not manager.middlewares)
                and _attributes(parent_type) is not None):
            try:
                return self._plain_object(parent_type, source_value, grouped_field_set)
            except Exception:
                pass
        return super().execute_fields(parent_type, source_value, path, grouped_field_set,
                                      position_context)

    def _plan(self, parent_type: GraphQLObjectType, grouped_field_set: Any
              ) -> list[tuple[str, str | None, Any]]:
        known = self._plans.get(id(grouped_field_set))
        if known is not None and known[0] is grouped_field_set:
            return known[1]
        attributes = _attributes(parent_type)
        if attributes is None:
            raise _NotPlain
        plan: list[tuple[str, str | None, Any]] = []
        for response_name, details in grouped_field_set.items():
            name = details[0].node.name.value
            if name == "__typename":
                plan.append((response_name, None, parent_type.name))
                continue
            attribute = attributes.get(name)
            if attribute is None or any(d.node.directives for d in details):
                raise _NotPlain  # an unknown field, or a directive such as @stream
            plan.append((response_name, attribute,
                         self._completer(parent_type.fields[name].type, details)))
        # The field set is kept with its plan, so its id is not reused while this runs.
        self._plans[id(grouped_field_set)] = (grouped_field_set, plan)
        return plan

    def _plain_object(self, parent_type: GraphQLObjectType, source: Any,
                      grouped_field_set: Any) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for response_name, attribute, complete in self._plan(parent_type, grouped_field_set):
            if attribute is None:
                result[response_name] = complete  # __typename
            else:
                result[response_name] = complete(getattr(source, attribute))
        return result

    def _completer(self, return_type: Any, details: Any) -> Callable[[Any], Any]:
        """How a field of this type and selection is completed, worked out once per field
        set: the same rules as graphql-core's complete_value, without looking them up for
        every value."""
        if isinstance(return_type, GraphQLNonNull):
            inner = self._completer(return_type.of_type, details)
            if _as_is(return_type) is not None:
                def non_null_str(value: Any) -> Any:
                    if value.__class__ is str:
                        return value  # what the scalar's coercion gives back
                    if value is None:
                        raise _NotPlain  # graphql-core reports the null
                    return inner(value)
                return non_null_str

            def non_null(value: Any) -> Any:
                if value is None:
                    raise _NotPlain  # graphql-core reports the null
                return inner(value)
            return non_null
        if isinstance(return_type, (GraphQLScalarType, GraphQLEnumType)):
            coerce = return_type.coerce_output_value

            def leaf(value: Any) -> Any:
                if value is None:
                    return None
                coerced = coerce(value)
                if coerced is None or coerced is Undefined:
                    raise _NotPlain
                return coerced
            if _as_is(return_type) is not None:
                def leaf_str(value: Any) -> Any:
                    if value.__class__ is str:
                        return value  # what the scalar's coercion gives back
                    return leaf(value)
                return leaf_str
            return leaf
        if isinstance(return_type, GraphQLList):
            item_type = return_type.of_type
            item = self._completer(item_type, details)

            def many(value: Any) -> Any:
                if value is None:
                    return None
                if not isinstance(value, (list, tuple)):
                    raise _NotPlain  # other iterables (and their errors) as graphql-core does
                return [item(x) for x in value]
            as_is = _as_is(item_type)
            if as_is is not None:
                # [String], [ID!]…: a list whose values all complete to themselves is copied
                # (as graphql-core makes a new list); any other goes value by value.
                def many_as_is(value: Any) -> Any:
                    if value.__class__ is list and set(map(type, value)) <= as_is:
                        return value[:]
                    return many(value)
                return many_as_is
            inner_list = item_type.of_type if isinstance(item_type, GraphQLNonNull) else None
            inner_as_is = (_as_is(inner_list.of_type) if isinstance(inner_list, GraphQLList)
                           else None)
            if inner_as_is is not None:
                # [[ID!]!]: the journal's mark ids, a list of ids per cell
                def many_lists_as_is(value: Any) -> Any:
                    if (value.__class__ is list and set(map(type, value)) <= _LISTS
                            and set(map(type, chain.from_iterable(value))) <= inner_as_is):
                        return [x[:] for x in value]
                    return many(value)
                return many_lists_as_is
            return many
        if isinstance(return_type, GraphQLObjectType):
            object_type = return_type
            fields: list[Any] = []  # the sub-selection, collected at the first value

            def one(value: Any) -> Any:
                if value is None:
                    return None
                if isinstance(value, Mapping):
                    raise _NotPlain
                if not fields:
                    grouped_field_set, defer_usages, _ = self.collect_subfields(object_type,
                                                                                details)
                    if defer_usages:
                        raise _NotPlain
                    fields.append(grouped_field_set)
                return self._plain_object(object_type, value, fields[0])
            return one
        raise _NotPlain  # interfaces and unions: graphql-core resolves the type
