"""Rows collected in memory per table and written with COPY FROM STDIN in key order."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import psycopg
from psycopg import sql

_T = ("school_id", "id")

# Tables in an order that satisfies every foreign key, each with the columns the seeder fills.
COLUMNS: dict[str, tuple[str, ...]] = {
    "regions": ("id", "code", "name"),
    "municipalities": ("id", "region_id", "name", "kind"),
    "schools": ("id", "municipality_id", "name", "short_name", "timezone"),
    "grading_templates": ("id", "code", "name", "kind"),
    "grading_template_values": ("id", "template_id", "label", "ordinal", "range_low",
                                "range_high", "point", "counts_as_pass", "numeric_value"),
    "accounts": ("id", "login", "password_hash"),
    "officer_roles": ("id", "account_id", "region_id", "municipality_id", "title"),
    "academic_years": (*_T, "name", "starts_on", "ends_on", "status"),
    "period_schemes": (*_T, "academic_year_id", "name", "kind"),
    "periods": (*_T, "scheme_id", "ordinal", "name", "starts_on", "ends_on", "closed_at"),
    "holidays": (*_T, "academic_year_id", "scheme_id", "name", "starts_on", "ends_on"),
    "grade_level_schemes": (*_T, "academic_year_id", "grade_level", "scheme_id"),
    "subjects": (*_T, "name", "short_name"),
    "teaching_without_marks": (*_T, "grade_level", "subject_id"),
    "school_settings": (*_T, "rounding_threshold"),
    "work_types": (*_T, "name", "weight"),
    "lesson_types": (*_T, "code", "name"),
    "grading_systems": (*_T, "name", "kind", "template_code"),
    "mark_values": (*_T, "system_id", "label", "ordinal", "range_low", "range_high", "point",
                    "counts_as_pass", "numeric_value"),
    "conversion_tables": (*_T, "from_system_id", "to_system_id", "provenance", "valid_from",
                          "valid_to"),
    "conversion_rows": (*_T, "table_id", "from_value_id", "to_value_id"),
    "grading_system_uses": (*_T, "academic_year_id", "subject_id", "grade_level", "system_id"),
    "exam_kinds": (*_T, "name", "short_name", "level", "system_id", "max_test_score",
                   "grade_levels", "counts_in_final"),
    "bells": (*_T, "lesson_number", "starts_at", "ends_at"),
    "persons": (*_T, "account_id", "external_id", "last_name", "first_name", "middle_name",
                "birth_date"),
    "person_roles": (*_T, "person_id", "role"),
    "guardianships": (*_T, "guardian_id", "student_id", "relation"),
    "classes": (*_T, "academic_year_id", "grade_level", "letter", "class_teacher_id"),
    "enrollments": (*_T, "class_id", "student_id", "starts_on", "ends_on"),
    "splits": (*_T, "class_id", "subject_id"),
    "study_groups": (*_T, "academic_year_id", "subject_id", "kind", "class_id", "split_id",
                     "name", "category"),
    "group_memberships": (*_T, "group_id", "student_id", "starts_on", "ends_on"),
    "teacher_assignments": (*_T, "group_id", "teacher_id", "starts_on", "ends_on"),
    "curriculum_lines": (*_T, "group_id", "period_id", "lesson_type_id", "planned_hours"),
    "timetable_slots": (*_T, "group_id", "teacher_id", "weekday", "lesson_number", "room",
                        "valid_from", "valid_to"),
    "lessons": (*_T, "group_id", "slot_id", "date", "lesson_number", "status", "lesson_type_id",
                "topic", "homework", "homework_due_on", "scheduled_teacher_id",
                "actual_teacher_id", "substitution_reason", "topic_entered_at",
                "homework_entered_at", "attendance_entered_at"),
    "marks": (*_T, "group_id", "lesson_id", "student_id", "work_date", "work_type_id",
              "value_id", "entered_by_id", "entered_at"),
    "attendance": (*_T, "lesson_id", "student_id", "kind", "late_minutes", "entered_by_id",
                   "entered_at"),
    "grades": (*_T, "academic_year_id", "student_id", "subject_id", "kind", "period_id",
               "group_id", "state", "value_id", "suggested_value_id", "suggested_average",
               "deferred_reason", "deferred_until", "comment", "set_by_id", "set_at"),
}


class Rows:
    """Tuples per table, in the column order of COLUMNS."""

    def __init__(self) -> None:
        self.tables: dict[str, list[tuple[Any, ...]]] = {t: [] for t in COLUMNS}

    def add(self, table: str, *row: Any) -> None:
        self.tables[table].append(row)

    def count(self, table: str) -> int:
        return len(self.tables[table])

    def clear(self) -> None:
        for rows in self.tables.values():
            rows.clear()


def _column_types(cur: psycopg.Cursor[Any], table: str, columns: tuple[str, ...]) -> list[int]:
    found = dict(cur.execute(
        "SELECT attname, atttypid::int FROM pg_attribute"
        " WHERE attrelid = %s::regclass AND attnum > 0 AND NOT attisdropped",
        (table,),
    ).fetchall())
    return [found[c] for c in columns]


def copy_rows(
    conn: psycopg.Connection[Any], rows: Rows,
    progress: Callable[[str, int], None] | None = None,
) -> dict[str, int]:
    """COPY every non-empty table, parents first; returns the row count per table.

    Binary COPY: a third of the time of text COPY for rows of UUIDs and timestamps, on both
    sides of the connection.
    """
    counts: dict[str, int] = {}
    with conn.cursor() as cur:
        for table, columns in COLUMNS.items():
            data = rows.tables[table]
            if not data:
                continue
            types = _column_types(cur, table, columns)
            statement = sql.SQL("COPY {} ({}) FROM STDIN (FORMAT BINARY)").format(
                sql.Identifier(table), sql.SQL(", ").join(map(sql.Identifier, columns))
            )
            with cur.copy(statement) as copy:
                copy.set_types(types)
                for row in data:
                    copy.write_row(row)
            counts[table] = len(data)
            if progress:
                progress(table, len(data))
    return counts
