"""Bulk import into classes divided into subgroups: the «Подгруппы» column, its absence, and
re-imports (a subgroup kept, joined, or refused as a move)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest

from db.engine import DatabaseUrls
from db.import_parse import parse_file
from schema.ids import to_global_id
from tests.api.test_people_import import (
    HEADER_RU,
    IMPORT,
    TODAY,
    FreshSchool,
    counts,
    csv_bytes,
    db_rows,
    fresh,
    variables,
    zhurnal,
)
from tests.sql_counter import count_statements

__all__ = ["fresh"]  # the fixture, used by name

HEADER_SUB = HEADER_RU.replace(";Класс;", ";Класс;Подгруппы;")
MOVE_TO_SUBGROUP = """
mutation($input: MoveToSubgroupInput!) {
  moveToSubgroup(input: $input) { errors { field code message } }
}
"""


@dataclass
class SplitClass:
    """7А of a fresh school: one whole-class group and two splits of two subgroups each."""

    school: FreshSchool
    class_id: uuid.UUID
    groups: dict[str, uuid.UUID]


@pytest.fixture()
def split(fresh: FreshSchool) -> SplitClass:
    return SplitClass(fresh, fresh.classes["7А"], fresh.subgroups_7a)


def memberships(database: DatabaseUrls, school_id: uuid.UUID, code: str) -> list[tuple]:
    return db_rows(database, school_id, """
        SELECT g.name, gm.starts_on, gm.ends_on FROM group_memberships gm
        JOIN study_groups g ON g.school_id = gm.school_id AND g.id = gm.group_id
        JOIN persons p ON p.school_id = gm.school_id AND p.id = gm.student_id
        WHERE gm.school_id = %(school)s AND p.external_id = %(code)s
        ORDER BY g.name, gm.starts_on""", code=code)


def run(gql, token: str, school: FreshSchool, *lines: str, header: str = HEADER_SUB,
        dry_run: bool = False) -> dict:
    return gql.post(IMPORT, variables(school, csv_bytes(*lines, header=header),
                                      dry_run=dry_run), token=token)["data"]["importPeople"]


def person_id(database: DatabaseUrls, school_id: uuid.UUID, code: str) -> uuid.UUID:
    [(pid,)] = db_rows(database, school_id, "SELECT id FROM persons WHERE school_id = "
                                            "%(school)s AND external_id = %(code)s", code=code)
    return pid


# ------------------------------------------------------------------ reading the column


def test_parse_reads_subgroup_names_between_semicolons_only() -> None:
    # given: a name may hold a comma; «;» separates, repeats count once
    data = csv_bytes("1;ученик;Ёлкина;Дарья;;;7А;"
                     "\"Английский язык (гр. 1, углублённая);  Информатика  (гр. 2);"
                     "Информатика (гр. 2)\";;;;", header=HEADER_SUB)
    # when
    parsed = parse_file(data, "people.csv", TODAY)
    # then
    assert parsed.problems == []
    assert parsed.rows[0].subgroups == ["Английский язык (гр. 1, углублённая)",
                                        "Информатика (гр. 2)"]


def test_parse_refuses_subgroups_without_a_class() -> None:
    problems = parse_file(csv_bytes("1;ученик;Ёлкина;Дарья;;;;Информатика (гр. 2);;;",
                                    header=HEADER_SUB), "people.csv", TODAY).problems
    assert [(p.row, p.column, p.header) for p in problems] == [(2, "subgroups", "Подгруппы")]


# ------------------------------------------------------------------ the API


def test_import_people_places_a_student_in_the_named_subgroups(
    gql, token_for, database: DatabaseUrls, split: SplitClass
) -> None:
    # given: the full name of one subgroup, the name without its class of the other
    token = token_for(split.school.admin_login)
    row = "s1;ученик;Иванова;Мария;;;7А;\"7А Английский язык (гр. 2); информатика (ГР. 1)\";;;"
    # when
    dry = run(gql, token, split.school, row, dry_run=True)
    dry_counts = counts(database, split.school.id)
    result = run(gql, token, split.school, row)
    # then
    assert dry["errors"] == [] and dry["created"] == 1
    assert dry_counts[0] == 1  # only the administrator: a dry run writes nothing
    assert result["errors"] == [] and result["created"] == 1
    start = split.school.year_start
    assert memberships(database, split.school.id, "s1") == [
        ("7А Английский язык (гр. 2)", start, None), ("7А Информатика (гр. 1)", start, None),
        ("7А Математика", start, None)]
    audited = db_rows(database, split.school.id, """
        SELECT count(*) FROM audit_log WHERE school_id = %(school)s AND action = 'import'
        AND entity = 'group_memberships'""")
    assert audited == [(3,)]


def test_import_people_enrolls_a_student_of_a_split_class_without_the_column(
    gql, token_for, database: DatabaseUrls, split: SplitClass
) -> None:
    # given: a file with no «Подгруппы» column, and one with the column left empty
    token = token_for(split.school.admin_login)
    # when
    without = run(gql, token, split.school, "s1;ученик;Иванова;Мария;;;7А;;;", header=HEADER_RU)
    empty = run(gql, token, split.school, "s2;ученик;Петров;Илья;;;7А;;;;")
    # then: in the class and its whole-class group; the subgroups are left to moveToSubgroup
    assert without["errors"] == empty["errors"] == []
    assert without["created"] == empty["created"] == 1
    start = split.school.year_start
    for code in ("s1", "s2"):
        assert memberships(database, split.school.id, code) == [("7А Математика", start, None)]
    assert db_rows(database, split.school.id, """
        SELECT count(*) FROM enrollments WHERE school_id = %(school)s
        AND class_id = %(c)s""", c=split.class_id) == [(2,)]


def test_import_people_names_an_unknown_subgroup_by_row_and_column(
    gql, token_for, database: DatabaseUrls, split: SplitClass
) -> None:
    # given
    token = token_for(split.school.admin_login)
    before = counts(database, split.school.id)
    # when
    result = run(gql, token, split.school,
                 "s1;ученик;Иванова;Мария;;;7А;Информатика (гр. 1);;;",
                 "s2;ученик;Петров;Илья;;;7А;Немецкий язык (гр. 1);;;")
    # then: nothing written, not even the good row
    [error] = result["errors"]
    assert (error["field"], error["code"]) == ("input.file.rows.3.subgroups", "NOT_FOUND")
    assert error["message"].startswith("row 3, column «Подгруппы»: «Немецкий язык (гр. 1)» is "
                                       "not a subgroup of 7А")
    assert "«7А Информатика (гр. 2)»" in error["message"]
    assert counts(database, split.school.id) == before


def test_import_people_refuses_two_subgroups_of_one_split_and_a_column_on_an_unsplit_class(
    gql, token_for, database: DatabaseUrls, split: SplitClass
) -> None:
    # given
    token = token_for(split.school.admin_login)
    before = counts(database, split.school.id)
    # when
    result = run(gql, token, split.school,
                 "s1;ученик;Иванова;Мария;;;7А;\"Информатика (гр. 1); Информатика (гр. 2)\";;;",
                 "s2;ученик;Петров;Илья;;;5А;Информатика (гр. 1);;;")
    # then
    errors = {e["field"]: (e["code"], e["message"]) for e in result["errors"]}
    assert errors["input.file.rows.2.subgroups"][0] == "DUPLICATE"
    assert errors["input.file.rows.3.subgroups"][0] == "INVALID"
    assert "5А is not divided into subgroups" in errors["input.file.rows.3.subgroups"][1]
    assert counts(database, split.school.id) == before


def test_import_people_again_keeps_subgroups_and_joins_missing_ones(
    gql, token_for, database: DatabaseUrls, split: SplitClass
) -> None:
    # given: a student placed in an English subgroup only
    token = token_for(split.school.admin_login)
    run(gql, token, split.school, "s1;ученик;Иванова;Мария;;;7А;Английский язык (гр. 1);;;")
    before = counts(database, split.school.id)
    # when: the same file, then the file naming the Informatics subgroup as well
    same = run(gql, token, split.school,
               "s1;ученик;Иванова;Мария;;;7А;Английский язык (гр. 1);;;")
    after_same = counts(database, split.school.id)
    more = run(gql, token, split.school,
               "s1;ученик;Иванова;Мария;;;7А;\"Английский язык (гр. 1);Информатика (гр. 2)\";;;")
    # then: nothing changes, then one membership is added from the school's today
    assert same["errors"] == [] and same["unchanged"] == 1
    assert after_same == before
    assert more["errors"] == [] and (more["updated"], more["unchanged"]) == (1, 0)
    start = split.school.year_start
    [(today,)] = db_rows(database, split.school.id, "SELECT (now() AT TIME ZONE timezone)::date "
                                                    "FROM schools WHERE id = %(school)s")
    assert memberships(database, split.school.id, "s1") == [
        ("7А Английский язык (гр. 1)", start, None), ("7А Информатика (гр. 2)", today, None),
        ("7А Математика", start, None)]


def test_import_people_refuses_another_subgroup_and_points_to_move_to_subgroup(
    gql, token_for, database: DatabaseUrls, split: SplitClass
) -> None:
    # given: a student enrolled without subgroups, then placed with moveToSubgroup
    token = token_for(split.school.admin_login)
    run(gql, token, split.school, "s1;ученик;Иванова;Мария;;;7А;;;;")
    student = person_id(database, split.school.id, "s1")
    moved = gql.post(MOVE_TO_SUBGROUP, {"input": {
        "studentId": to_global_id("Person", student),
        "toGroupId": to_global_id("StudyGroup", split.groups["7А Информатика (гр. 1)"]),
        "on": split.school.year_start.isoformat()}}, token=token)["data"]["moveToSubgroup"]
    assert moved["errors"] == []
    before = counts(database, split.school.id)
    # when
    kept = run(gql, token, split.school, "s1;ученик;Иванова;Мария;;;7А;Информатика (гр. 1);;;")
    other = run(gql, token, split.school, "s1;ученик;Иванова;Мария;;;7А;Информатика (гр. 2);;;")
    # then
    assert kept["errors"] == [] and kept["unchanged"] == 1
    [error] = other["errors"]
    assert error["field"] == "input.file.rows.2.subgroups"
    assert "is in «7А Информатика (гр. 1)», not «7А Информатика (гр. 2)»" in error["message"]
    assert "moveToSubgroup" in error["message"]
    assert counts(database, split.school.id) == before


# ------------------------------------------------------------------ the command line


def test_cli_import_people_notes_each_student_left_without_a_subgroup(
    database: DatabaseUrls, split: SplitClass, tmp_path: Path
) -> None:
    # given: one student placed in both splits, one in one split, one in none
    path = tmp_path / "people.csv"
    path.write_bytes(csv_bytes(
        "s1;ученик;Иванова;Мария;;;7А;\"Английский язык (гр. 1);Информатика (гр. 1)\";;;",
        "s2;ученик;Петров;Илья;;;7А;Английский язык (гр. 2);;;",
        "s3;ученик;Сидоров;Олег;;;7А;;;;", header=HEADER_SUB))
    # when
    result = zhurnal(database, "import", "people", str(path), "--school", str(split.school.id))
    # then
    assert result.returncode == 0, result.stderr
    notices = [line for line in result.stdout.splitlines() if line.startswith("notice:")]
    assert [n.split(":")[1] for n in notices] == [" row 3, column «Подгруппы»",
                                                  " row 4, column «Подгруппы»"]
    assert "«7А Информатика (гр. 1)» or «7А Информатика (гр. 2)»" in notices[0]
    assert "Английский" not in notices[0] and "Английский" in notices[1]
    assert all("moveToSubgroup" in n for n in notices)
    assert "created 3" in result.stdout



def test_import_people_statement_count_into_a_split_class_does_not_grow_with_rows(
    gql, token_for, split: SplitClass
) -> None:
    # given: students already in 7А and its subgroups, imported again (the memberships read)
    token = token_for(split.school.admin_login)

    def lines(tag: str, n: int) -> list[str]:
        return [f"{tag}{i};ученик;Ученикова{i};Анна;;;7А;"
                f"\"Английский язык (гр. {i % 2 + 1});Информатика (гр. 1)\";;;"
                for i in range(n)]

    small, large = lines("a", 6), lines("b", 30)
    run(gql, token, split.school, *small)
    run(gql, token, split.school, *large)
    # when
    with count_statements() as few:
        r1 = run(gql, token, split.school, *small)
    with count_statements() as many:
        r2 = run(gql, token, split.school, *large)
    # then
    assert r1["errors"] == r2["errors"] == []
    assert (r1["unchanged"], r2["unchanged"]) == (6, 30)
    assert many.count == few.count
