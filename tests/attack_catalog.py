"""The attack suite's generator: from the schema's introspection, one GraphQL call per root
field that takes an id (directly or inside its input), filled with ids of a victim school.

Ids are recognised by the argument or input field name (`ID_FIELDS`), or for an `id` field
by the input type's name (`UpdateLessonInput.id` is a Lesson). A name that cannot be typed is
reported as untyped, so a new field with an unusual id argument fails the suite until it is
named here rather than going untested.
"""

from __future__ import annotations

import itertools
import re
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from graphql import (
    GraphQLEnumType,
    GraphQLField,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLSchema,
    GraphQLUnionType,
    get_named_type,
    is_leaf_type,
    is_non_null_type,
    is_required_argument,
    is_required_input_field,
    parse,
    validate,
)

from resolvers.events.log import encode_cursor
from schema.ids import to_global_id

# Which victim id an id-valued argument or input field takes: "<GraphQL type>[.<role>]".
ID_FIELDS: dict[str, str] = {
    "schoolId": "School", "municipalityId": "Municipality",
    "academicYearId": "AcademicYear", "fromAcademicYearId": "AcademicYear",
    "toAcademicYearId": "AcademicYear", "periodSchemeId": "PeriodScheme", "periodId": "Period",
    "classId": "SchoolClass", "toClassId": "SchoolClass",
    "groupId": "StudyGroup", "toGroupId": "StudyGroup",
    "studentId": "Person.student", "studentIds": "Person.student",
    "personId": "Person.student", "guardianId": "Person.guardian",
    "teacherId": "Person.teacher", "classTeacherId": "Person.teacher",
    "actorId": "Person.teacher",
    "lessonId": "Lesson", "lessonIds": "Lesson", "entityId": "Lesson", "markId": "Mark",
    "subjectId": "Subject", "workTypeId": "WorkType", "lessonTypeId": "LessonType",
    "systemId": "GradingSystem", "fromSystemId": "GradingSystem",
    "toSystemId": "GradingSystem", "in": "GradingSystem",
    "valueId": "MarkValue", "fromValueId": "MarkValue", "toValueId": "MarkValue",
    "splitId": "Split", "membershipId": "GroupMembership", "examKindId": "ExamKind",
    "webhookId": "Webhook", "tokenId": "ApiToken", "threadId": "MessageThread",
    "announcementId": "Announcement",
}
# `id` of `<Verb><Thing>Input`: the thing, under its GraphQL type name.
ID_INPUT_VERBS = ("Update", "Delete", "End", "Revoke", "Move", "Cancel", "Close", "Retry",
                  "Replay")
TYPE_ALIASES = {"Class": "SchoolClass", "Notification": "NotificationDelivery",
                "WebhookDelivery": "NotificationDelivery"}

# Optional input fields that exclude each other: each alternative is one variant of the call
# ("field=VALUE" also sets a field the alternative depends on).
ALTERNATIVES: dict[str, list[list[str]]] = {
    "SetMarksInput": [["lessonId"], ["groupId", "workDate"]],
    "ExcuseAbsencesInput": [["lessonIds"], ["from", "to"]],
    "MarkEntryInput": [[], ["markId"]],
    "EndGroupMembershipInput": [["membershipId"], ["groupId", "studentId"]],
    "IssueApiTokenInput": [["schoolId"], ["municipalityId"]],
    "CreateStudyGroupInput": [["classId"], ["academicYearId", "kind=CROSS_CLASS"]],
    "ConversionRowInput": [["fromValueId", "toValueId"]],
    # an administrator's override of the year-grade rule is no way into another school
    "SetYearGradeInput": [[], ["override"]],
    "SetFinalGradesInput": [["groupId"], ["classId"]],
}
# Optional non-id fields a realistic call carries (a mark without a value is merely invalid).
OPTIONAL_KEPT = {"value"}

EARLY, LATE = "2015-09-07", "2015-09-30"
LATE_NAMES = re.compile(r"(ends|^to$|validTo|Until|DueOn)", re.IGNORECASE)
STRING_VALUES = {
    "value": "5", "templateCode": "five_point", "letter": "Я", "code": "attack",
    "shortName": "Ат", "fromLabel": "5", "toLabel": "5", "relation": "father",
    "password": "correct horse battery", "login": "attack.login", "lastName": "Атакин",
    "firstName": "Атака", "body": "Атака",
}
INT_VALUES = {"gradeLevel": 6, "weekday": 1, "lessonNumber": 1, "lateMinutes": 5,
              "expectedVersion": 1}
FLOAT_VALUES = {"rangeLow": 0.0, "rangeHigh": 100.0, "point": 50.0, "weight": 1.0}
TIME_VALUES = {"startsAt": "08:30:00", "endsAt": "09:15:00"}
ENUM_VALUES = {"GradeState": "GRADED", "SchoolRole": "TEACHER", "TokenScope": "READ"}

# Types every viewer may read: reference data, not a school's secret.
PUBLIC_TYPES = frozenset({"School", "Municipality", "GradingTemplate"})


class Untyped(Exception):
    """An id argument whose type the generator cannot tell."""


@dataclass
class Call:
    operation: str  # query | mutation | subscription
    field: str
    variant: str
    document: str
    variables: dict[str, Any]
    ids_used: set[str] = field(default_factory=set)
    keys: list[str] = field(default_factory=list)  # `nodes`: the victim key of each id

    @property
    def label(self) -> str:
        return f"{self.operation} {self.field}" + (f" [{self.variant}]" if self.variant else "")


@dataclass
class Catalog:
    calls: list[Call]
    fields_with_ids: set[tuple[str, str]]  # (operation, field)
    skipped: dict[tuple[str, str], str]  # why a field could not be called


def id_key(type_name: str | None, name: str, description: str | None) -> str:
    """The victim id key of an id-valued argument or input field."""
    if name in ID_FIELDS:
        return ID_FIELDS[name]
    if name == "id" and type_name:
        for verb in ID_INPUT_VERBS:
            if type_name.startswith(verb) and type_name.endswith("Input"):
                thing = type_name[len(verb):-len("Input")]
                return TYPE_ALIASES.get(thing, thing)
    found = re.search(r"`([A-Z]\w+)`", description or "")
    if found:
        return found.group(1)
    raise Untyped(f"{type_name or 'argument'}.{name}")


def gid(key: str, value: uuid.UUID) -> str:
    return to_global_id(key.split(".")[0], value)


def takes_id(t: GraphQLInputType, seen: frozenset[str] = frozenset()) -> bool:
    named = get_named_type(t)
    if isinstance(named, GraphQLInputObjectType):
        if named.name in seen:
            return False
        return any(takes_id(f.type, seen | {named.name}) for f in named.fields.values())
    return named.name == "ID"


class _Filler:
    """Type-appropriate values for one variant (a choice per input type with alternatives)."""

    def __init__(self, victim: Mapping[str, list[uuid.UUID]], choice: Mapping[str, int]) -> None:
        self.victim = victim
        self.choice = choice
        self.used: set[str] = set()

    def victim_id(self, key: str) -> str:
        if key not in self.victim:
            # A bare type (`UpdatePersonInput.id`): the first of its roles, "student" for Person.
            key = next((k for k in sorted(self.victim, key=lambda k: not k.endswith("student"))
                        if k.split(".")[0] == key.split(".")[0]), key)
        ids = self.victim.get(key)
        if not ids:
            raise Untyped(f"no victim id of {key}")
        self.used.add(key)
        return gid(key, ids[0])

    def value(self, t: GraphQLInputType, name: str, owner: str | None,
              description: str | None) -> Any:
        if isinstance(t, GraphQLNonNull):
            return self.value(t.of_type, name, owner, description)
        if isinstance(t, GraphQLList):
            return [self.value(t.of_type, name, owner, description)]
        if isinstance(t, GraphQLInputObjectType):
            return self.input_object(t)
        if isinstance(t, GraphQLEnumType):
            wanted = ENUM_VALUES.get(t.name)
            return wanted if wanted in t.values else next(iter(t.values))
        kind = t.name
        if kind == "ID":
            return self.victim_id(id_key(owner, name, description))
        if kind == "Date":
            return LATE if LATE_NAMES.search(name) else EARLY
        if kind == "DateTime":
            return "2015-09-07T10:00:00+03:00"
        if kind == "Time":
            return TIME_VALUES.get(name, "08:30:00")
        if kind == "Int":
            return INT_VALUES.get(name, 1)
        if kind == "Float":
            return FLOAT_VALUES.get(name, 1.0)
        if kind == "Boolean":
            return False
        return STRING_VALUES.get(name, "Атака")

    def input_object(self, t: GraphQLInputObjectType) -> dict[str, Any]:
        alternatives = ALTERNATIVES.get(t.name, [])
        picked = alternatives[self.choice.get(t.name, 0)] if alternatives else []
        fixed = dict(entry.split("=", 1) for entry in picked if "=" in entry)
        chosen = {entry for entry in picked if "=" not in entry}
        excluded = {n for alt in alternatives for n in alt if "=" not in n} - chosen
        out: dict[str, Any] = {}
        for name, f in t.fields.items():
            if name in excluded:
                continue
            if name in fixed:
                out[name] = fixed[name]
                continue
            required = is_required_input_field(f)
            keep = (required or name in chosen or name in OPTIONAL_KEPT
                    or takes_id(f.type))
            if keep:
                out[name] = self.value(f.type, name, t.name, f.description)
        return out


def _input_types(t: GraphQLInputType, seen: set[str]) -> None:
    named = get_named_type(t)
    if isinstance(named, GraphQLInputObjectType) and named.name not in seen:
        seen.add(named.name)
        for f in named.fields.values():
            _input_types(f.type, seen)


def _choices(f: GraphQLField) -> Iterator[dict[str, int]]:
    types: set[str] = set()
    for arg in f.args.values():
        _input_types(arg.type, types)
    points = sorted(t for t in types if len(ALTERNATIVES.get(t, [])) > 1)
    for combo in itertools.product(*(range(len(ALTERNATIVES[t])) for t in points)):
        yield dict(zip(points, combo, strict=True))


def _type_ref(t: GraphQLInputType) -> str:
    if isinstance(t, GraphQLNonNull):
        return f"{_type_ref(t.of_type)}!"
    if isinstance(t, GraphQLList):
        return f"[{_type_ref(t.of_type)}]"
    return t.name


SKIPPED_OUTPUT = {"pageInfo"}


def selection(t: GraphQLOutputType, depth: int) -> str:
    """Every leaf field without required arguments, objects followed `depth` levels down."""
    named = get_named_type(t)
    if is_leaf_type(named):
        return ""
    if isinstance(named, GraphQLInterfaceType | GraphQLUnionType):
        return "{ __typename ... on Node { id } }"
    assert isinstance(named, GraphQLObjectType)
    parts = ["__typename"]
    for name, f in named.fields.items():
        if name in SKIPPED_OUTPUT or any(is_required_argument(a) for a in f.args.values()):
            continue
        if is_leaf_type(get_named_type(f.type)):
            parts.append(name)
        elif depth > 0:
            parts.append(f"{name} {selection(f.type, depth - 1)}")
    return "{ " + " ".join(parts) + " }"


def payload_selection(t: GraphQLOutputType) -> str:
    """A mutation payload: the errors in full, every other field enough to see it is empty."""
    named = get_named_type(t)
    assert isinstance(named, GraphQLObjectType)
    parts = []
    for name, f in named.fields.items():
        if name == "errors":
            parts.append("errors { field code message }")
        elif is_leaf_type(get_named_type(f.type)):
            parts.append(name)
        else:
            inner = get_named_type(f.type)
            has_id = "id" in getattr(inner, "fields", {})
            parts.append(f"{name} {{ __typename{' id' if has_id else ''} }}")
    return "{ " + " ".join(parts) + " }"


def build_catalog(schema: GraphQLSchema, victim: Mapping[str, list[uuid.UUID]]) -> Catalog:
    """One call per root field taking an id (per variant of exclusive inputs), `node` per
    victim type and `nodes` with every victim id; each document validated."""
    calls: list[Call] = []
    fields_with_ids: set[tuple[str, str]] = set()
    skipped: dict[tuple[str, str], str] = {}
    roots = [("query", schema.query_type), ("mutation", schema.mutation_type),
             ("subscription", schema.subscription_type)]
    for operation, root in roots:
        if root is None:
            continue
        for name, f in root.fields.items():
            if not any(takes_id(a.type) for a in f.args.values()):
                continue
            fields_with_ids.add((operation, name))
            if operation == "query" and name in ("node", "nodes"):
                continue  # built per victim type below
            try:
                calls.extend(_field_calls(schema, operation, name, f, victim))
            except Untyped as why:
                skipped[(operation, name)] = str(why)
    calls.extend(_node_calls(schema, victim))
    return Catalog(calls, fields_with_ids, skipped)


def _field_calls(schema: GraphQLSchema, operation: str, name: str, f: GraphQLField,
                 victim: Mapping[str, list[uuid.UUID]]) -> list[Call]:
    out: list[Call] = []
    body = payload_selection(f.type) if operation == "mutation" else selection(f.type, 2)
    arg_sets: list[tuple[str, dict[str, int], bool]] = []
    for choice in _choices(f):
        variant = ",".join(f"{k}#{v}" for k, v in choice.items() if v)
        arg_sets.append((variant, choice, True))
    optional_ids = [a for a, spec in f.args.items()
                    if not is_non_null_type(spec.type) and takes_id(spec.type)]
    if operation != "mutation" and (optional_ids or (operation == "subscription"
                                                     and "after" in f.args)):
        arg_sets.append(("required only", {}, False))
    for variant, choice, with_optional in arg_sets:
        filler = _Filler(victim, choice)
        variables: dict[str, Any] = {}
        for arg, spec in f.args.items():
            required = is_required_argument(spec)
            if required or (with_optional and takes_id(spec.type)):
                variables[arg] = filler.value(spec.type, arg, None, spec.description)
            elif with_optional and operation == "subscription" and arg == "after":
                # A valid cursor at the very start: a replay must be refused like the stream.
                variables[arg] = encode_cursor(0, datetime.now(UTC))
        decl = ", ".join(f"${a}: {_type_ref(f.args[a].type)}" for a in variables)
        use = ", ".join(f"{a}: ${a}" for a in variables)
        document = (f"{operation} Attack{'(' + decl + ')' if decl else ''} "
                    f"{{ {name}{'(' + use + ')' if use else ''} {body} }}")
        problems = validate(schema, parse(document))
        if problems:
            raise Untyped(f"invalid document: {problems[0].message}")
        out.append(Call(operation, name, variant, document, variables, filler.used))
    return out


def node_types(schema: GraphQLSchema) -> list[str]:
    node = schema.get_type("Node")
    assert isinstance(node, GraphQLInterfaceType)
    return sorted(t.name for t in schema.get_implementations(node).objects)


NODE = "query Attack($id: ID!) { node(id: $id) { __typename id } }"
NODES = "query Attack($ids: [ID!]!) { nodes(ids: $ids) { __typename id } }"


def _node_calls(schema: GraphQLSchema, victim: Mapping[str, list[uuid.UUID]]) -> list[Call]:
    calls = []
    for type_name in node_types(schema):
        keys = sorted(k for k in victim if k.split(".")[0] == type_name)
        for key in keys:
            for value in victim[key]:
                calls.append(Call("query", "node", key, NODE, {"id": gid(key, value)}, {key}))
    names = node_types(schema)
    pairs = [(k, gid(k, v)) for k, vs in sorted(victim.items()) for v in vs
             if k.split(".")[0] in names and k.split(".")[0] not in PUBLIC_TYPES]
    calls.append(Call("query", "nodes", "all victim ids", NODES,
                      {"ids": [g for _, g in pairs]}, {k for k, _ in pairs},
                      [k for k, _ in pairs]))
    return calls
