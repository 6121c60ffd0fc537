"""schema.graphql is the committed output of `zhurnal schema`; drift fails CI."""

from __future__ import annotations

from pathlib import Path

from graphql import GraphQLArgument, GraphQLField, GraphQLNamedType

from schema.root import schema

SCHEMA_FILE = Path(__file__).parents[2] / "schema.graphql"


def test_schema_file_matches_the_code() -> None:
    assert SCHEMA_FILE.read_text() == schema.as_str() + "\n", (
        "schema.graphql is stale: run `make schema` (zhurnal schema > schema.graphql)"
    )


def test_every_type_field_and_argument_has_a_description() -> None:
    missing: list[str] = []
    for name, gtype in schema._schema.type_map.items():
        if name.startswith("__") or name in {"String", "Int", "Float", "Boolean", "ID"}:
            continue
        assert isinstance(gtype, GraphQLNamedType)
        if not gtype.description:
            missing.append(name)
        for field_name, field in getattr(gtype, "fields", {}).items():
            if not field.description:
                missing.append(f"{name}.{field_name}")
            if isinstance(field, GraphQLField):
                for arg_name, arg in field.args.items():
                    assert isinstance(arg, GraphQLArgument)
                    if not arg.description:
                        missing.append(f"{name}.{field_name}({arg_name})")
    assert missing == []
