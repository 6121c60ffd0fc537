"""schema/execution.py: plain objects completed without graphql-core's per-field path give the
same answer, and the same errors, as graphql-core gives (issue 18, part 2).

Each case runs one document against two schemas of the same types, one with Strawberry's own
execution context and one with PlainDataExecution, and compares the whole results."""

from __future__ import annotations

import asyncio
import enum
import random
import uuid
from datetime import date
from typing import Any

import pytest
import strawberry
from strawberry import relay

from schema.execution import PlainDataExecution, _attributes
from schema.ids import text_to_global_id, texts_to_global_ids, to_global_id
from schema.root import schema as zhurnal_schema


@strawberry.enum(description="A colour.")
class Colour(enum.Enum):
    RED = "red"
    BLUE = "blue"


@strawberry.type(description="A leaf row.")
class Leaf:
    label: str = strawberry.field(description="Label.")
    colour: Colour = strawberry.field(description="Colour.")
    day: date | None = strawberry.field(description="Day.")
    count: int | None = strawberry.field(description="Count.")
    cells: list[str | None] = strawberry.field(description="Cells, as the journal's marks.")
    ids: list[list[strawberry.ID]] = strawberry.field(description="Ids per cell, as the "
                                                                  "journal's mark ids.")


@strawberry.type(description="A row with rows.")
class Branch:
    id: strawberry.ID = strawberry.field(description="Id.")
    leaves: list[Leaf] = strawberry.field(description="Leaves.")
    tags: list[str] = strawberry.field(description="Tags.")
    best: Leaf | None = strawberry.field(description="Best leaf.")

    @strawberry.field(description="A field with a resolver: not plain.")
    def shout(self) -> str:
        return self.id.upper()


@strawberry.type(description="A row whose fields are all plain, holding a non-plain one.")
class Tree:
    name: str = strawberry.field(description="Name.")
    branches: list[Branch] = strawberry.field(description="Branches.")


def _leaf(i: int, **kw: Any) -> Leaf:
    values: dict[str, Any] = {"label": f"l{i}", "colour": Colour.RED if i % 2 else Colour.BLUE,
                              "day": date(2026, 9, 1 + i) if i % 3 else None, "count": i,
                              "cells": ["5 4", None, "", f"{i}"],
                              "ids": [["a", "b"], [], [f"c{i}"]]}
    values.update(kw)
    return Leaf(**values)


class Label(str):
    """A str that is not exactly a str: String completes it by its own rule."""


def _tree(broken: str | None = None) -> Tree:
    branches = []
    for b in range(3):
        leaves = [_leaf(i) for i in range(4)]
        if broken == "null" and b == 1:
            leaves[2] = _leaf(2, label=None)  # a null where String! is promised
        if broken == "scalar" and b == 2:
            leaves[1] = _leaf(1, count="many")  # a value Int refuses
        if broken == "coerce":  # values String and ID turn into text, without an error
            leaves[1].cells = [[5, True, Label("x"), None, 2.5], ("3", None),
                               ["x", Label("y"), 0]][b]
            leaves[2].ids = [[["a", 7]], (["b"],), [("c", "d"), [Label("e")]]][b]
        if broken == "ids_null" and b == 1:
            leaves[3].ids = [["a"], ["b", None]]  # a null where ID! is promised
        if broken == "ids_null" and b == 2:
            leaves[0].ids = [["a"], None]  # a null where [ID!]! is promised
        branches.append(Branch(id=strawberry.ID(f"b{b}"), leaves=leaves, tags=["x", str(b)],
                               best=leaves[0] if b else None))
    return Tree(name="oak", branches=branches)


def _schemas(broken: str | None) -> tuple[strawberry.Schema, strawberry.Schema]:
    @strawberry.type(description="Root.")
    class Query:
        @strawberry.field(description="The tree.")
        def tree(self) -> Tree:
            return _tree(broken)

        @strawberry.field(description="A tree that may be null.")
        def maybe(self) -> Tree | None:
            return _tree(broken)

    return (strawberry.Schema(query=Query),
            strawberry.Schema(query=Query, execution_context_class=PlainDataExecution))


# (document, the broken fields it selects): a null label breaks every document that reads
# `label`; a refused count only those that read `count`.
DOCUMENTS = [
    ("{ tree { name branches { id tags leaves { label colour day count } best { label } } } }",
     {"null", "scalar"}),
    ("{ tree { __typename n: name branches { i: id leaves { __typename a: label b: label } } } }",
     {"null"}),
    ("query($on: Boolean!) { tree { branches { leaves { label @include(if: $on) "
     "count @skip(if: $on) ... on Leaf { colour } ...F } } } } fragment F on Leaf { day }",
     {"null"}),
    ("{ tree { branches { shout leaves { label } } } }", {"null"}),
    ("{ maybe { branches { leaves { label count } } } }", {"null", "scalar"}),
    # lists of String and ID, checked a list at a time (and value by value when needed)
    ("{ tree { branches { leaves { cells ids } } } }", {"ids_null"}),
    ("{ tree { branches { tags leaves { ids cells label } best { cells } } } }",
     {"ids_null", "null"}),
]


@pytest.mark.parametrize("broken", [None, "null", "scalar", "coerce", "ids_null"])
@pytest.mark.parametrize(("document", "breaks"), DOCUMENTS)
def test_same_answer_and_errors_as_graphql_core(document: str, breaks: set[str],
                                                broken: str | None) -> None:
    reference, plain = _schemas(broken)
    expected = asyncio.run(reference.execute(document, variable_values={"on": True}))
    got = asyncio.run(plain.execute(document, variable_values={"on": True}))
    assert got.data == expected.data
    assert [e.formatted for e in got.errors or []] == [e.formatted
                                                       for e in expected.errors or []]
    # The case must test what it says: broken data it reads gives an error, else none.
    assert bool(expected.errors) == (broken in breaks)


def test_plain_objects_skip_the_resolvers() -> None:
    """The shortcut is taken: a plain field's Strawberry resolver is not called."""
    _, plain = _schemas(None)
    calls = 0
    leaf_type = plain._schema.type_map["Leaf"]
    field = leaf_type.fields["label"]
    original = field.resolve

    def counted(*args: Any, **kwargs: Any) -> Any:
        nonlocal calls
        calls += 1
        return original(*args, **kwargs)

    counted._is_default = True  # type: ignore[attr-defined]
    field.resolve = counted
    try:
        got = asyncio.run(plain.execute("{ tree { branches { leaves { label } } } }"))
    finally:
        field.resolve = original
    assert got.errors is None
    assert len(got.data["tree"]["branches"]) == 3  # type: ignore[index]
    assert calls == 0


def test_the_served_schema_uses_it() -> None:
    assert zhurnal_schema.execution_context_class is PlainDataExecution


@pytest.mark.parametrize("type_name", ["JournalPage", "Diary"])
def test_the_big_reads_are_plain_data(type_name: str) -> None:
    # A field with a resolver on a journal row (or one leading to a Node such as MarkValue)
    # sends every row back to graphql-core's field-by-field path: the journal's completion
    # took 6.3 instead of 0.9 ms a region-year page when a row gained a MarkValue field.
    served = zhurnal_schema._schema.type_map[type_name]
    assert _attributes(served) is not None, f"{type_name} is no longer plain data"


# fixed pseudo-random UUIDs: every xdist worker must collect the same test ids
@pytest.mark.parametrize("text", [str(uuid.UUID(int=random.Random(n).getrandbits(128), version=4))
                                  for n in range(20)]
                         + ["6F9619FF-8B86-D011-B42D-00C04FC964FF",
                            "{6f9619ff-8b86-d011-b42d-00c04fc964ff}",
                            "6f9619ff8b86d011b42d00c04fc964ff"])
def test_text_to_global_id_is_to_global_id(text: str) -> None:
    """The journal's mark ids, encoded from the database's text: the same ids as ever."""
    assert text_to_global_id("Mark", text) == to_global_id("Mark", uuid.UUID(text))


def test_text_to_global_id_refuses_what_is_no_uuid() -> None:
    with pytest.raises(ValueError):
        text_to_global_id("Mark", "not-a-uuid")


@pytest.mark.parametrize("type_name", ["Mark", "Lesson", "StudyGroup"])
def test_to_global_id_is_strawberrys_global_id(type_name: str) -> None:
    """Built without relay.GlobalID: the same text as Strawberry's own."""
    for n in range(50):
        value = uuid.UUID(int=random.Random(n).getrandbits(128))
        assert to_global_id(type_name, value) == str(relay.GlobalID(type_name, str(value)))


@pytest.mark.parametrize("lists", [
    [], [[]], [[], []],
    [[str(uuid.UUID(int=n))] for n in range(3)]
    + [[], [str(uuid.UUID(int=9)), str(uuid.UUID(int=8))]],
    # one text that is not canonical: every one is taken on its own, and all still agree
    [[str(uuid.UUID(int=1))], [], ["6F9619FF-8B86-D011-B42D-00C04FC964FF", str(uuid.UUID(int=2))]],
    [["6f9619ff8b86d011b42d00c04fc964ff"]],
])
def test_texts_to_global_ids_is_text_to_global_id(lists: list[list[str]]) -> None:
    assert texts_to_global_ids("Mark", lists) == [[text_to_global_id("Mark", v) for v in values]
                                                  for values in lists]


@pytest.mark.parametrize("bad", ["not-a-uuid", "", str(uuid.UUID(int=1)) + "\n",
                                 f"{uuid.UUID(int=1)}\n{uuid.UUID(int=2)}"])
def test_texts_to_global_ids_refuses_what_is_no_uuid(bad: str) -> None:
    with pytest.raises(ValueError):
        texts_to_global_ids("Mark", [[str(uuid.UUID(int=1))], [bad]])
