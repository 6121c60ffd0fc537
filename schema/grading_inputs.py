"""Inputs and payloads of the grading mutations (types in schema/grading.py)."""

from __future__ import annotations

from datetime import date

import strawberry

from schema.errors import UserError
from schema.grading import ConversionTable, GradingKindEnum, GradingSystem, GradingSystemUse


@strawberry.input(description="One value of a grading system. Values are given lowest first and "
                              "must cover 0–100 exactly: the first starts at 0, each starts "
                              "where the previous ended, the last ends at 100.")
class MarkValueInput:
    label: str = strawberry.field(description="Label, unique in the system, e.g. «5».")
    range_low: float = strawberry.field(description="Start of the range on the 0–100 axis "
                                                    "(included); at most two decimals.")
    range_high: float = strawberry.field(description="End of the range (excluded, except 100 "
                                                     "for the last value).")
    point: float = strawberry.field(description="Representative point, inside the range.")
    counts_as_pass: bool = strawberry.field(description="Whether the value is a pass; once "
                                                        "true, every higher value passes too.")
    numeric_value: float | None = strawberry.field(
        default=None, description="The number for arithmetic averages; increasing with the "
                                  "values when given.")


@strawberry.input(description="A new grading system of a school.")
class CreateGradingSystemInput:
    school_id: strawberry.ID = strawberry.field(description="The school (a School id); the "
                                                            "viewer must administer it.")
    name: str = strawberry.field(description="Name, unique in the school.")
    kind: GradingKindEnum = strawberry.field(description="Numeric, pass/fail, letter or "
                                                         "percent.")
    values: list[MarkValueInput] = strawberry.field(description="At least two values, lowest "
                                                                "first.")


@strawberry.input(description="Copy a global template into a school as a new grading system.")
class CopyGradingTemplateInput:
    school_id: strawberry.ID = strawberry.field(description="The school (a School id); the "
                                                            "viewer must administer it.")
    template_code: str = strawberry.field(description="Code of the template, e.g. "
                                                      "«five_point».")
    name: str | None = strawberry.field(default=None, description="Name of the new system; "
                                                                  "the template's by default.")


@strawberry.input(description="Changes to a grading system; omitted fields stay as they are. "
                              "Values can no longer change once marks or grades use them.")
class UpdateGradingSystemInput:
    id: strawberry.ID = strawberry.field(description="The grading system to change.")
    name: str | None = strawberry.field(default=None, description="New name, unique in the "
                                                                  "school.")
    values: list[MarkValueInput] | None = strawberry.field(
        default=None, description="The complete new list of values, lowest first; a value "
                                  "keeps its id when its label is kept.")


@strawberry.type(description="Result of creating, copying or changing a grading system.")
class GradingSystemPayload:
    grading_system: GradingSystem | None = strawberry.field(description="The system; null when "
                                                                        "refused.")
    errors: list[UserError] = strawberry.field(description="Why the input was refused; empty "
                                                           "on success.")


@strawberry.input(description="One line of a conversion table. Name the source value by "
                              "`fromLabel` or `fromValueId`, the target by `toLabel` or "
                              "`toValueId` (exactly one of each).")
class ConversionRowInput:
    from_label: str | None = strawberry.field(default=None, description="Label of a value of "
                                                                        "the source system.")
    from_value_id: strawberry.ID | None = strawberry.field(
        default=None, description="A MarkValue of the source system.")
    to_label: str | None = strawberry.field(default=None, description="Label of a value of the "
                                                                      "target system.")
    to_value_id: strawberry.ID | None = strawberry.field(
        default=None, description="A MarkValue of the target system.")


@strawberry.input(description="A new conversion table between two grading systems of one "
                              "school; every value of the source must be mapped exactly once.")
class CreateConversionTableInput:
    from_system_id: strawberry.ID = strawberry.field(description="The source GradingSystem.")
    to_system_id: strawberry.ID = strawberry.field(description="The target GradingSystem, of "
                                                               "the same school.")
    provenance: str = strawberry.field(description="Where the table comes from, e.g. the local "
                                                   "act that pins it.")
    valid_from: date = strawberry.field(description="First day the table applies.")
    valid_to: date | None = strawberry.field(default=None, description="Last day the table "
                                                                       "applies; null: "
                                                                       "open-ended.")
    rows: list[ConversionRowInput] = strawberry.field(description="One row per value of the "
                                                                  "source system.")


@strawberry.type(description="Result of creating a conversion table.")
class ConversionTablePayload:
    conversion_table: ConversionTable | None = strawberry.field(description="The table; null "
                                                                            "when refused.")
    errors: list[UserError] = strawberry.field(description="Why the input was refused; empty "
                                                           "on success.")


@strawberry.input(description="Delete a conversion table.")
class DeleteConversionTableInput:
    id: strawberry.ID = strawberry.field(description="The conversion table to delete.")


@strawberry.type(description="Result of deleting a conversion table.")
class DeleteConversionTablePayload:
    deleted_id: strawberry.ID | None = strawberry.field(description="Global id of the deleted "
                                                                    "table; null when refused.")
    errors: list[UserError] = strawberry.field(description="Why the input was refused; empty "
                                                           "on success.")


@strawberry.input(description="Say which grading system applies in a year to a subject and "
                              "grade level (null: any); replaces the system already set for "
                              "the same year, subject and grade level.")
class SetGradingSystemUseInput:
    academic_year_id: strawberry.ID = strawberry.field(description="The AcademicYear.")
    subject_id: strawberry.ID | None = strawberry.field(default=None, description="The Subject; "
                                                                                  "null for "
                                                                                  "every "
                                                                                  "subject.")
    grade_level: int | None = strawberry.field(default=None, description="Grade level 1–11; "
                                                                         "null for every "
                                                                         "level.")
    system_id: strawberry.ID = strawberry.field(description="The GradingSystem to apply.")


@strawberry.type(description="Result of setting which grading system applies.")
class GradingSystemUsePayload:
    grading_system_use: GradingSystemUse | None = strawberry.field(
        description="The rule as stored; null when refused.")
    errors: list[UserError] = strawberry.field(description="Why the input was refused; empty "
                                                           "on success.")
