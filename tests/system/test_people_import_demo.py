"""The shipped templates import into the demo school (Гимназия № 1, 20 of whose 22 classes are
divided into subgroups) through the command line, dry run and real, without an error."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import psycopg
import pytest
from sqlalchemy.engine import URL

from db.engine import libpq_dsn
from db.seed import seed_demo
from resolvers.auth.passwords import hash_password
from tests.api.test_people_import import ZHURNAL
from tests.db.test_seed_demo import fresh_database

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
DEMO_SCHOOL = "МОАУ Гимназия № 1 г. Благовещенска"


@pytest.fixture(scope="module")
def demo() -> Iterator[URL]:
    # A few lessons only: the roster is what an import meets.
    with fresh_database("import") as url:
        seed_demo(url, seed=7, year=2015, until=date(2015, 9, 3), hash_password=hash_password)
        yield url


def query(url: URL, sql: str, **params: object) -> list[tuple[Any, ...]]:
    with psycopg.connect(libpq_dsn(url)) as conn:
        conn.execute("SELECT set_config('zhurnal.school_ids', string_agg(id::text, ','), false)"
                     " FROM schools")
        return conn.execute(sql, params).fetchall()


def zhurnal(url: URL, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "200",
           "DATABASE_URL": url.render_as_string(hide_password=False)}
    return subprocess.run([ZHURNAL, *args], capture_output=True, text=True, env=env,
                          timeout=180, check=False)


def test_shipped_templates_are_the_generated_ones(tmp_path: Path) -> None:
    # given / when
    from db.people_import import write_templates

    write_templates(tmp_path)
    # then: templates/ was regenerated with `zhurnal import template`
    assert (tmp_path / "people.csv").read_bytes() == (TEMPLATES / "people.csv").read_bytes()


def test_demo_school_has_split_classes(demo: URL) -> None:
    [(classes, split)] = query(demo, """
        SELECT count(DISTINCT c.id), count(DISTINCT s.class_id) FROM classes c
        JOIN schools sc ON sc.id = c.school_id LEFT JOIN splits s ON s.class_id = c.id
        WHERE sc.name = %(name)s""", name=DEMO_SCHOOL)
    assert (classes, split) == (22, 20)


def test_templates_import_into_the_demo_school(demo: URL) -> None:
    # given
    [(school_id,)] = query(demo, "SELECT id FROM schools WHERE name = %(name)s",
                           name=DEMO_SCHOOL)
    school = str(school_id)
    csv, xlsx = str(TEMPLATES / "people.csv"), str(TEMPLATES / "people.xlsx")
    # when: both dry runs first, then the CSV, then the workbook (a re-import of the same rows)
    runs = {
        "csv dry": zhurnal(demo, "import", "people", csv, "--school", school, "--dry-run"),
        "xlsx dry": zhurnal(demo, "import", "people", xlsx, "--school", school, "--dry-run"),
        "csv": zhurnal(demo, "import", "people", csv, "--school", school),
        "xlsx": zhurnal(demo, "import", "people", xlsx, "--school", school),
    }
    # then
    for name, run in runs.items():
        assert run.returncode == 0, f"{name}: {run.stderr}"
        assert "error" not in run.stderr, f"{name}: {run.stderr}"
    assert "would create 5, updated 0, unchanged 0" in runs["csv dry"].stdout
    assert "would create 5, updated 0, unchanged 0" in runs["xlsx dry"].stdout
    assert "created 5, updated 0, unchanged 0" in runs["csv"].stdout
    assert "unchanged 5" in runs["xlsx"].stdout
    # the student left without subgroups (row 3, 5А) is named in a notice, in every run
    for run in runs.values():
        [notice] = [line for line in run.stdout.splitlines() if line.startswith("notice:")]
        assert notice.startswith("notice: row 3, column «Подгруппы»: 5А is divided")
        assert "moveToSubgroup" in notice
    groups = query(demo, """
        SELECT p.external_id, g.name FROM group_memberships gm
        JOIN persons p ON p.school_id = gm.school_id AND p.id = gm.student_id
        JOIN study_groups g ON g.school_id = gm.school_id AND g.id = gm.group_id
        WHERE gm.school_id = %(school)s AND p.external_id IN ('1001', '1002')
          AND g.kind = 'subgroup' ORDER BY 1, 2""", school=school_id)
    assert groups == [("1001", "7А Английский язык (гр. 1)"), ("1001", "7А Информатика (гр. 2)")]
    [(whole_1001, whole_1002, whole_7a, whole_5a)] = query(demo, """
        SELECT (SELECT count(*) FROM group_memberships gm JOIN persons p ON p.id = gm.student_id
                JOIN study_groups g ON g.id = gm.group_id
                WHERE p.school_id = %(school)s AND p.external_id = '1001'
                AND g.kind = 'whole_class'),
               (SELECT count(*) FROM group_memberships gm JOIN persons p ON p.id = gm.student_id
                JOIN study_groups g ON g.id = gm.group_id
                WHERE p.school_id = %(school)s AND p.external_id = '1002'
                AND g.kind = 'whole_class'),
               (SELECT count(*) FROM study_groups g JOIN classes c ON c.id = g.class_id
                WHERE g.school_id = %(school)s AND g.kind = 'whole_class'
                AND c.grade_level = 7 AND c.letter = 'А'),
               (SELECT count(*) FROM study_groups g JOIN classes c ON c.id = g.class_id
                WHERE g.school_id = %(school)s AND g.kind = 'whole_class'
                AND c.grade_level = 5 AND c.letter = 'А')""", school=school_id)
    assert (whole_1001, whole_1002) == (whole_7a, whole_5a) and whole_5a > 0
