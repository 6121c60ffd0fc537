"""OneRoster 1.2 CSV: the export's files against the specification's column lists, their
references and quoting, and the rostering import (validation, idempotence, audit, round trip).

Everything runs against a scratch database holding the two fixture schools plus journal data,
so the counts below are exact; the command line is exercised through the real `zhurnal`.
"""

from __future__ import annotations

import csv
import io
import re
import uuid
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import func, select

from db import models as m
from db.engine import DatabaseUrls, libpq_dsn, owner_session
from db.formula_injection import restore_text
from db.oneroster import columns as c
from db.oneroster.export import Scope, export_oneroster
from db.oneroster.import_ import ImportFailed, import_oneroster
from db.tenancy import set_tenant
from tests.factories import TwoSchools, seed_two_schools
from tests.journal_factory import JournalGroup, make_journal_group
from tests.scratch import scratch_database
from tests.system.test_cli import run

TRICKY_LAST = 'О\'Брайен, "Старший"'
FORMULA_FIRST = "=HYPERLINK(\"http://evil\",\"x\")"
FORMULA_TOPIC = "+1+2 тема урока"
UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
ISO_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")


@dataclass
class Source:
    urls: DatabaseUrls
    schools: TwoSchools
    journal: JournalGroup
    subgroup_ids: list[uuid.UUID]
    cross_id: uuid.UUID
    mark_ids: list[uuid.UUID]


def _enrich(urls: DatabaseUrls, schools: TwoSchools, jg: JournalGroup) -> Source:
    """A split into two subgroups, a cross-class group, a second scheme, marks, tricky names."""
    a = schools.a
    setup = jg.setup
    with owner_session(urls.owner) as s:
        set_tenant(s, [a.id])
        tricky = s.get(m.Person, (a.id, jg.students[1]))
        assert tricky is not None
        tricky.last_name, tricky.first_name = TRICKY_LAST, FORMULA_FIRST
        s.get(m.Lesson, (a.id, jg.lesson_ids[0])).topic = FORMULA_TOPIC  # type: ignore[union-attr]
        # half-years for grade 10 next to the quarters of grade 6: every scheme is exported
        half = m.PeriodScheme(school_id=a.id, id=uuid.uuid4(), academic_year_id=a.year_id,
                              name="Полугодия", kind=m.SchemeKind.HALF_YEARS)
        s.add(half)
        s.flush()
        for n, (start, end) in enumerate([(date(2015, 9, 1), date(2015, 12, 27)),
                                          (date(2016, 1, 11), date(2016, 5, 31))], start=1):
            s.add(m.Period(school_id=a.id, scheme_id=half.id, ordinal=n, name=f"{n} полугодие",
                           starts_on=start, ends_on=end))
        s.add(m.GradeLevelScheme(school_id=a.id, academic_year_id=a.year_id, grade_level=10,
                                 scheme_id=half.id))
        english = m.Subject(school_id=a.id, id=uuid.uuid4(), name="Английский язык",
                            short_name="Англ")
        s.add(english)
        s.flush()
        split = m.Split(school_id=a.id, id=uuid.uuid4(), class_id=jg.class_id,
                        subject_id=english.id)
        s.add(split)
        s.flush()
        subgroups = []
        for n, students in enumerate((jg.students[:2], jg.students[2:]), start=1):
            g = m.StudyGroup(school_id=a.id, id=uuid.uuid4(), academic_year_id=a.year_id,
                             subject_id=english.id, kind=m.GroupKind.SUBGROUP,
                             class_id=jg.class_id, split_id=split.id, name=f"Англ {n} группа")
            s.add(g)
            s.flush()
            subgroups.append(g.id)
            for student in students:
                s.add(m.GroupMembership(school_id=a.id, group_id=g.id, student_id=student,
                                        starts_on=date(2015, 9, 1)))
            s.add(m.TeacherAssignment(school_id=a.id, group_id=g.id, teacher_id=jg.teacher_id,
                                      starts_on=date(2015, 9, 1), ends_on=date(2016, 5, 31)))
        cross = m.StudyGroup(school_id=a.id, id=uuid.uuid4(), academic_year_id=a.year_id,
                             subject_id=setup.subject_id, kind=m.GroupKind.CROSS_CLASS,
                             name="Элективный курс, «Риторика»")
        s.add(cross)
        s.flush()
        for student in (jg.students[0], a.people["student"]):
            s.add(m.GroupMembership(school_id=a.id, group_id=cross.id, student_id=student,
                                    starts_on=date(2015, 10, 1)))
        mark_ids = []
        for student, label, lesson in ((jg.students[0], "5", 0), (jg.students[1], "4", 0),
                                       (jg.students[2], "3", 1)):
            mk = m.Mark(school_id=a.id, id=uuid.uuid4(), group_id=jg.group_id,
                        lesson_id=jg.lesson_ids[lesson], student_id=student,
                        work_date=jg.lesson_dates[lesson],
                        work_type_id=setup.work_type_ids["classwork"],
                        value_id=setup.value_ids[label], comment="-молодец" if lesson else None)
            s.add(mk)
            mark_ids.append(mk.id)
        test_mark = m.Mark(school_id=a.id, id=uuid.uuid4(), group_id=jg.group_id,
                           lesson_id=jg.lesson_ids[0], student_id=jg.students[0],
                           work_date=jg.lesson_dates[0], work_type_id=setup.work_type_ids["test"],
                           value_id=setup.value_ids["4"])
        loose = m.Mark(school_id=a.id, id=uuid.uuid4(), group_id=jg.group_id, lesson_id=None,
                       student_id=jg.students[1], work_date=date(2015, 9, 20),
                       work_type_id=setup.work_type_ids["test"], value_id=setup.value_ids["2"])
        s.add_all([test_mark, loose])
        mark_ids += [test_mark.id, loose.id]
        cross_id = cross.id
    return Source(urls, schools, jg, subgroups, cross_id, mark_ids)


@pytest.fixture(scope="module")
def source(database: DatabaseUrls) -> Iterator[Source]:
    with scratch_database(database) as urls:
        schools = seed_two_schools(urls.owner)
        jg = make_journal_group(urls.owner, schools.a, students=3, lessons=3)
        make_journal_group(urls.owner, schools.b, students=2, lessons=1)
        yield _enrich(urls, schools, jg)


def read(out: Path) -> dict[str, list[dict[str, str]]]:
    files = {}
    for path in out.glob("*.csv"):
        with path.open(encoding="utf-8", newline="") as f:
            files[path.name] = list(csv.DictReader(f))
    return files


def header(out: Path, name: str) -> list[str]:
    with (out / name).open(encoding="utf-8", newline="") as f:
        return next(csv.reader(f))


@pytest.fixture(scope="module")
def exported(source: Source, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("oneroster") / "school-a"
    export_oneroster(source.urls.owner, Scope(school_id=source.schools.a.id), out)
    return out


def test_export_writes_every_file_with_the_specification_header(exported: Path) -> None:
    # then every file of the binding we write has exactly the spec's header row, in order
    assert {p.name for p in exported.iterdir()} == {*c.HEADERS, "manifest.csv"}
    for name, columns in c.HEADERS.items():
        assert header(exported, name) == list(columns), name
    assert header(exported, "manifest.csv") == ["propertyName", "value"]
    manifest = {r["propertyName"]: r["value"] for r in read(exported)["manifest.csv"]}
    assert manifest["manifest.version"] == "1.0" and manifest["oneroster.version"] == "1.2"
    assert manifest["file.users"] == "delta" and manifest["file.roles"] == "delta"
    assert manifest["file.demographics"] == "absent"
    assert set(manifest) >= {f"file.{n}" for n in c.MANIFEST_FILES}


def test_export_ids_are_the_database_ids_and_stable(source: Source, exported: Path,
                                                    tmp_path: Path) -> None:
    # given the export of the same school once more
    again = tmp_path / "again"
    export_oneroster(source.urls.owner, Scope(school_id=source.schools.a.id), again)
    first, second = read(exported), read(again)
    for name in c.HEADERS:
        ids = [r["sourcedId"] for r in first[name]]
        # then every sourcedId is a UUID, unique in its file, and the same in both exports
        assert all(UUID_RE.match(i) for i in ids), name
        assert len(ids) == len(set(ids)), name
        assert ids == [r["sourcedId"] for r in second[name]], name
    # and the database ids are used where there is a row
    users = {r["sourcedId"] for r in first["users.csv"]}
    assert {str(p) for p in source.journal.students} <= users
    assert str(source.schools.a.people["admin"]) in users
    assert {str(i) for i in source.mark_ids} == {r["sourcedId"] for r in first["results.csv"]}
    classes = {r["sourcedId"] for r in first["classes.csv"]}
    assert {str(source.journal.class_id), str(source.journal.group_id), str(source.cross_id),
            *map(str, source.subgroup_ids)} <= classes


def test_export_references_resolve_across_files(exported: Path) -> None:
    files = read(exported)
    ids = {name: {r["sourcedId"] for r in rows} for name, rows in files.items()
           if name != "manifest.csv"}

    def check(name: str, column: str, target: str, *, many: bool = False,
              optional: bool = False) -> None:
        for row in files[name]:
            values = [v for v in row[column].split(",")] if many else [row[column]]
            for v in values:
                if optional and not v:
                    continue
                assert v in ids[target], f"{name}.{column} = {v!r} not in {target}"

    check("orgs.csv", "parentSourcedId", "orgs.csv", optional=True)
    check("academicSessions.csv", "parentSourcedId", "academicSessions.csv", optional=True)
    check("courses.csv", "schoolYearSourcedId", "academicSessions.csv")
    check("courses.csv", "orgSourcedId", "orgs.csv")
    check("classes.csv", "courseSourcedId", "courses.csv")
    check("classes.csv", "schoolSourcedId", "orgs.csv")
    check("classes.csv", "termSourcedIds", "academicSessions.csv", many=True)
    check("users.csv", "agentSourcedIds", "users.csv", many=True, optional=True)
    check("users.csv", "primaryOrgSourcedId", "orgs.csv")
    check("roles.csv", "userSourcedId", "users.csv")
    check("roles.csv", "orgSourcedId", "orgs.csv")
    check("enrollments.csv", "classSourcedId", "classes.csv")
    check("enrollments.csv", "schoolSourcedId", "orgs.csv")
    check("enrollments.csv", "userSourcedId", "users.csv")
    check("lineItems.csv", "classSourcedId", "classes.csv")
    check("lineItems.csv", "categorySourcedId", "categories.csv")
    check("lineItems.csv", "academicSessionSourcedId", "academicSessions.csv")
    check("lineItems.csv", "schoolSourcedId", "orgs.csv")
    check("results.csv", "lineItemSourcedId", "lineItems.csv")
    check("results.csv", "studentSourcedId", "users.csv")
    check("results.csv", "classSourcedId", "classes.csv")
    check("scoreScales.csv", "orgSourcedId", "orgs.csv")
    check("lineItemScoreScales.csv", "lineItemSourcedId", "lineItems.csv")
    check("lineItemScoreScales.csv", "scoreScaleSourcedId", "scoreScales.csv")
    # every enrolled and marked user has the role the row says
    roles = {(r["userSourcedId"], r["role"]) for r in files["roles.csv"]}
    for row in files["enrollments.csv"]:
        assert (row["userSourcedId"], row["role"]) in roles
    for row in files["results.csv"]:
        assert (row["studentSourcedId"], "student") in roles


def test_export_rows_carry_status_modified_time_and_iso_dates(exported: Path) -> None:
    files = read(exported)
    date_columns = {"academicSessions.csv": ("startDate", "endDate"),
                    "enrollments.csv": ("beginDate", "endDate"),
                    "roles.csv": ("beginDate", "endDate"), "results.csv": ("scoreDate",)}
    for name in c.HEADERS:
        assert files[name], f"{name} is empty"
        for row in files[name]:
            assert row["status"] == "active", name
            assert ISO_DATETIME.match(row["dateLastModified"]), (name, row)
            for column in date_columns.get(name, ()):
                assert row[column] == "" or ISO_DATE.match(row[column]), (name, column, row)
    for row in files["lineItems.csv"]:
        assert ISO_DATETIME.match(row["assignDate"]) and ISO_DATETIME.match(row["dueDate"])


def test_export_maps_schemes_groups_people_and_marks(source: Source, exported: Path) -> None:
    files = read(exported)
    a, jg = source.schools.a, source.journal
    # the hierarchy: region (state) > municipality (district) > school
    orgs = {r["sourcedId"]: r for r in files["orgs.csv"]}
    school = orgs[str(a.id)]
    assert school["type"] == "school"
    assert orgs[school["parentSourcedId"]]["type"] == "district"
    assert orgs[orgs[school["parentSourcedId"]]["parentSourcedId"]]["type"] == "state"
    assert str(source.schools.b.id) not in orgs
    # both schemes, with their periods under them
    sessions = files["academicSessions.csv"]
    kinds = [(r["type"], r["title"]) for r in sessions]
    assert ("schoolYear", "2015/2016") in kinds and ("term", "Полугодия") in kinds
    by_id = {r["sourcedId"]: r for r in sessions}
    half = [r for r in sessions if r["type"] == "gradingPeriod"
            and by_id[r["parentSourcedId"]]["title"] == "Полугодия"]
    assert [r["title"] for r in half] == ["1 полугодие", "2 полугодие"]
    assert all(r["schoolYear"] == "2016" for r in sessions)
    # groups: the class as homeroom, whole class, subgroups (grade of the class), cross-class
    classes = {r["sourcedId"]: r for r in files["classes.csv"]}
    home = classes[str(jg.class_id)]
    assert home["classType"] == "homeroom" and home["grades"] == "06"
    quarters = [r["sourcedId"] for r in sessions if r["type"] == "gradingPeriod"
                and by_id[r["parentSourcedId"]]["sourcedId"] == str(jg.setup.scheme_id)]
    assert home["termSourcedIds"].split(",") == quarters
    for sub in source.subgroup_ids:
        row = classes[str(sub)]
        assert (row["classType"], row["grades"], row["classCode"]) == (
            "scheduled", "06", home["classCode"])
        assert row["termSourcedIds"] == home["termSourcedIds"]
    cross = classes[str(source.cross_id)]
    assert cross["classCode"] == "" and cross["classType"] == "scheduled"
    assert set(cross["grades"].split(",")) == {"05", "06"}
    # guardians as parent, linked both ways with agents
    users = {r["sourcedId"]: r for r in files["users.csv"]}
    roles = {(r["userSourcedId"], r["role"]) for r in files["roles.csv"]}
    assert (str(jg.guardian_id), "parent") in roles
    assert (str(a.people["admin"]), "siteAdministrator") in roles
    assert str(jg.guardian_id) in users[str(jg.students[0])]["agentSourcedIds"].split(",")
    assert str(jg.students[0]) in users[str(jg.guardian_id)]["agentSourcedIds"].split(",")
    assert users[str(jg.students[0])]["grades"] == "06"
    # enrollments with their dates
    enrolled = {(r["classSourcedId"], r["userSourcedId"], r["role"]): r
                for r in files["enrollments.csv"]}
    sub_teacher = enrolled[(str(source.subgroup_ids[0]), str(jg.teacher_id), "teacher")]
    assert (sub_teacher["beginDate"], sub_teacher["endDate"], sub_teacher["primary"]) == (
        "2015-09-01", "2016-05-31", "true")
    assert enrolled[(str(source.cross_id), str(jg.students[0]), "student")]["beginDate"] == \
        "2015-10-01"
    # marks: a lesson with classwork and test marks is two line items; score and label
    results = {r["sourcedId"]: r for r in files["results.csv"]}
    five = results[str(source.mark_ids[0])]
    assert (five["score"], five["textScore"], five["scoreDate"]) == ("5", "5",
                                                                     str(jg.lesson_dates[0]))
    items = {r["sourcedId"]: r for r in files["lineItems.csv"]}
    assert five["lineItemSourcedId"] == results[str(source.mark_ids[1])]["lineItemSourcedId"]
    assert five["lineItemSourcedId"] != results[str(source.mark_ids[3])]["lineItemSourcedId"]
    item = items[five["lineItemSourcedId"]]
    assert item["academicSessionSourcedId"] == quarters[0]
    assert (item["resultValueMin"], item["resultValueMax"]) == ("2", "5")
    scale = {r["sourcedId"]: r for r in files["scoreScales.csv"]}[str(jg.setup.system_id)]
    assert scale["scoreScaleValue"] == "{0-50:2},{50-70:3},{70-85:4},{85-100:5}"
    links = {(r["lineItemSourcedId"], r["scoreScaleSourcedId"])
             for r in files["lineItemScoreScales.csv"]}
    assert (five["lineItemSourcedId"], str(jg.setup.system_id)) in links
    weights = {r["title"]: r["weight"] for r in files["categories.csv"]}
    assert weights["Контрольная работа (журнал)"] == "2"


def test_export_quotes_commas_and_quotes_and_neutralises_formulas(source: Source,
                                                                  exported: Path) -> None:
    raw = (exported / "users.csv").read_text(encoding="utf-8")
    # then a name with a comma and quotes is one quoted field, quotes doubled (RFC 4180)
    assert '"О\'Брайен, ""Старший"""' in raw
    # and a formula is prefixed with a single quote, in every text column that can hold one
    assert "\"'=HYPERLINK(\"\"http://evil\"\",\"\"x\"\")\"" in raw
    files = read(exported)
    tricky = {r["sourcedId"]: r for r in files["users.csv"]}[str(source.journal.students[1])]
    assert tricky["familyName"] == TRICKY_LAST
    assert tricky["givenName"] == "'" + FORMULA_FIRST
    assert restore_text(tricky["givenName"]) == FORMULA_FIRST
    topics = [r["description"] for r in files["lineItems.csv"] if r["description"]]
    assert set(topics) == {"'" + FORMULA_TOPIC}  # its classwork item and its test item
    comments = {r["comment"] for r in files["results.csv"]}
    assert "'-молодец" in comments and "-молодец" not in comments
    # no cell of any file starts a formula
    for name, rows in files.items():
        for row in rows:
            for column, value in row.items():
                assert not value.startswith(("=", "+", "@", "\t", "\r")), (name, column)
                assert not value.startswith("-"), (name, column, value)


def test_export_of_a_municipality_and_of_the_region(source: Source, tmp_path: Path) -> None:
    # when a municipality and the region are exported through the command
    env = {"DATABASE_URL": libpq_dsn(source.urls.owner)}
    muni = run("export", "oneroster", "--out", str(tmp_path / "muni"), "--municipality",
               "г. Бета", env=env, timeout=120)
    region = run("export", "oneroster", "--out", str(tmp_path / "region.zip"), "--region",
                 env=env, timeout=120)
    # then the municipality holds its school only, the region every school in a zip
    assert muni.returncode == 0, muni.stderr
    orgs = read(tmp_path / "muni")["orgs.csv"]
    assert [o["sourcedId"] for o in orgs if o["type"] == "school"] == [
        str(source.schools.b.id)]
    users = {r["sourcedId"] for r in read(tmp_path / "muni")["users.csv"]}
    assert str(source.schools.b.people["student"]) in users
    assert str(source.schools.a.people["student"]) not in users
    assert region.returncode == 0, region.stderr
    with zipfile.ZipFile(tmp_path / "region.zip") as archive:
        assert set(archive.namelist()) == {*c.HEADERS, "manifest.csv"}
        orgs = list(csv.DictReader(io.StringIO(archive.read("orgs.csv").decode())))
    # (every school of the database: the import tests of this module add schools to it, in
    # whatever order they run)
    with psycopg.connect(libpq_dsn(source.urls.owner)) as conn:
        school_ids = {str(r[0]) for r in conn.execute("SELECT id FROM schools")}
    assert {str(source.schools.a.id), str(source.schools.b.id)} <= school_ids
    assert sorted(o["type"] for o in orgs) == [
        "district", "district", *["school"] * len(school_ids), "state"]
    assert {o["sourcedId"] for o in orgs if o["type"] == "school"} == school_ids


def test_export_command_refuses_two_scopes_and_unknown_names(source: Source,
                                                             tmp_path: Path) -> None:
    env = {"DATABASE_URL": libpq_dsn(source.urls.owner)}
    both = run("export", "oneroster", "--out", str(tmp_path / "x"), "--region",
               "--municipality", "г. Бета", env=env)
    unknown = run("export", "oneroster", "--out", str(tmp_path / "y"), "--municipality",
                  "Нигде", env=env)
    assert both.returncode == 1 and "exactly one" in both.stderr
    assert unknown.returncode == 1 and "no municipality named" in unknown.stderr
    assert not (tmp_path / "x").exists() and not (tmp_path / "y").exists()


# ------------------------------------------------------------------------------ import
def new_school(urls: DatabaseUrls, schools: TwoSchools) -> uuid.UUID:
    school_id = uuid.uuid4()
    with owner_session(urls.owner) as s:
        s.add(m.School(id=school_id, municipality_id=schools.a.municipality_id,
                       name=f"Новая школа {school_id.hex[:6]}", short_name="Новая"))
    return school_id


def counts(urls: DatabaseUrls, school_id: uuid.UUID) -> dict[str, int]:
    tables = ["persons", "person_roles", "guardianships", "academic_years", "period_schemes",
              "periods", "grade_level_schemes", "subjects", "classes", "splits",
              "study_groups", "enrollments", "group_memberships", "teacher_assignments",
              "audit_log"]
    with psycopg.connect(libpq_dsn(urls.owner)) as conn:
        conn.execute("SELECT set_config('zhurnal.school_ids', %s, false)", (str(school_id),))
        return {t: conn.execute(f"SELECT count(*) FROM {t} WHERE school_id = %s",
                                (school_id,)).fetchone()[0] for t in tables}  # type: ignore[index]


def roster(urls: DatabaseUrls, school_id: uuid.UUID, names: dict[uuid.UUID, str] | None = None
           ) -> dict[str, object]:
    """The roster by names, comparable across schools (ids differ)."""
    with owner_session(urls.owner) as s:
        set_tenant(s, [school_id])

        def rows(model):  # type: ignore[no-untyped-def]
            return list(s.scalars(select(model).where(model.school_id == school_id)))

        people = {p.id: (p.last_name, p.first_name, p.middle_name) for p in rows(m.Person)}
        subjects = {x.id: x.name for x in rows(m.Subject)}
        classes = {k.id: f"{k.grade_level}{k.letter}" for k in rows(m.SchoolClass)}
        groups = {g.id: g for g in rows(m.StudyGroup)}
        return {
            "people": sorted((*people[r.person_id], r.role.value) for r in rows(m.PersonRole)),
            "guardians": sorted((people[g.guardian_id], people[g.student_id])
                                for g in rows(m.Guardianship)),
            "class_teachers": sorted((classes[k.id], people.get(k.class_teacher_id))
                                     for k in rows(m.SchoolClass) if k.class_teacher_id),
            "enrollments": sorted((classes[e.class_id], people[e.student_id], e.starts_on,
                                   e.ends_on) for e in rows(m.Enrollment)),
            "groups": sorted((g.name, g.kind.value, subjects[g.subject_id],
                              classes.get(g.class_id) if g.class_id else None)
                             for g in groups.values()),
            "members": sorted((groups[x.group_id].name, people[x.student_id], x.starts_on,
                               x.ends_on) for x in rows(m.GroupMembership)),
            "teachers": sorted((groups[x.group_id].name, people[x.teacher_id], x.starts_on,
                                x.ends_on) for x in rows(m.TeacherAssignment)),
            "periods": sorted((p.name, p.starts_on, p.ends_on) for p in rows(m.Period)),
            # OneRoster knows a grade level's scheme only through the classes of that grade
            "level_schemes": sorted(g.grade_level for g in rows(m.GradeLevelScheme)
                                    if any(k.grade_level == g.grade_level
                                           for k in rows(m.SchoolClass))),
        }


def test_import_round_trip_recreates_the_roster_and_a_second_import_changes_nothing(
    source: Source, exported: Path
) -> None:
    # given a fresh school
    target = new_school(source.urls, source.schools)
    # when school A's export is imported into it
    result = import_oneroster(source.urls.owner, exported, target)
    # then its roster is school A's
    assert result.changes > 0
    assert roster(source.urls, target) == roster(source.urls, source.schools.a.id)
    with owner_session(source.urls.owner) as s:
        set_tenant(s, [target])
        tricky = s.scalar(select(m.Person).where(m.Person.school_id == target,
                                                 m.Person.external_id == str(
                                                     source.journal.students[1])))
        assert tricky is not None
        assert (tricky.last_name, tricky.first_name) == (TRICKY_LAST, FORMULA_FIRST)
        groups = {g.name: g for g in s.scalars(select(m.StudyGroup).where(
            m.StudyGroup.school_id == target))}
        assert groups["Англ 1 группа"].split_id == groups["Англ 2 группа"].split_id is not None
        assert groups["Элективный курс, «Риторика»"].kind == m.GroupKind.CROSS_CLASS
    # and every write has its audit row, action "import"
    before = counts(source.urls, target)
    with psycopg.connect(libpq_dsn(source.urls.owner)) as conn:
        conn.execute("SELECT set_config('zhurnal.school_ids', %s, false)", (str(target),))
        actions = conn.execute("SELECT action, count(*) FROM audit_log WHERE school_id = %s "
                               "GROUP BY action", (target,)).fetchall()
    assert actions == [("import", result.changes)]
    # when the same files are imported again (as a zip this time)
    archive = exported.parent / "again.zip"
    with zipfile.ZipFile(archive, "w") as z:
        for p in exported.iterdir():
            z.write(p, p.name)
    again = import_oneroster(source.urls.owner, archive, target)
    # then nothing changes, not even the audit log
    assert again.changes == 0
    assert counts(source.urls, target) == before


def test_import_dry_run_through_the_command_writes_nothing(source: Source,
                                                           exported: Path) -> None:
    target = new_school(source.urls, source.schools)
    env = {"DATABASE_URL": libpq_dsn(source.urls.owner)}
    before = counts(source.urls, target)
    result = run("import", "oneroster", str(exported), "--school", str(target), "--dry-run",
                 env=env, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "would create" in result.stdout and "persons" in result.stdout
    assert counts(source.urls, target) == before


def _copy(exported: Path, into: Path) -> Path:
    into.mkdir()
    for p in exported.iterdir():
        (into / p.name).write_bytes(p.read_bytes())
    return into


def _edit(path: Path, column: str, row_index: int, value: str) -> None:
    with path.open(encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f)
        fields = list(reader.fieldnames or [])
        rows = list(reader)
    rows[row_index][column] = value
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=fields, lineterminator="\r\n")
        writer.writeheader()
        writer.writerows(rows)


def test_import_of_invalid_files_names_file_line_and_column_and_writes_nothing(
    source: Source, exported: Path, tmp_path: Path
) -> None:
    # given files with a dangling enrollment, a bad date and an unknown role
    bad = _copy(exported, tmp_path / "bad")
    _edit(bad / "enrollments.csv", "userSourcedId", 0, str(uuid.uuid4()))
    _edit(bad / "enrollments.csv", "beginDate", 1, "01.09.2015")
    _edit(bad / "roles.csv", "role", 2, "headmaster")
    target = new_school(source.urls, source.schools)
    before = counts(source.urls, target)
    # when they are imported
    with pytest.raises(ImportFailed) as failed:
        import_oneroster(source.urls.owner, bad, target)
    # then each problem names its file, line and column, and nothing was written
    where = {(p.file, p.line, p.column) for p in failed.value.problems}
    assert ("enrollments.csv", 2, "userSourcedId") in where
    assert ("enrollments.csv", 3, "beginDate") in where
    assert ("roles.csv", 4, "role") in where
    assert counts(source.urls, target) == before
    # and the command prints them, one per line, exit code 1
    env = {"DATABASE_URL": libpq_dsn(source.urls.owner)}
    result = run("import", "oneroster", str(bad), "--school", str(target), env=env)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "enrollments.csv, line 3, column beginDate" in result.stderr


def test_import_refuses_a_wrong_header_and_a_second_school(source: Source, exported: Path,
                                                           tmp_path: Path) -> None:
    bad = _copy(exported, tmp_path / "header")
    text = (bad / "users.csv").read_text(encoding="utf-8")
    (bad / "users.csv").write_text(text.replace("givenName", "firstName", 1), encoding="utf-8")
    target = new_school(source.urls, source.schools)
    with pytest.raises(ImportFailed) as failed:
        import_oneroster(source.urls.owner, bad, target)
    assert [(p.file, p.line, p.column) for p in failed.value.problems] == [
        ("users.csv", 1, "givenName")]
    region, regional = tmp_path / "region", source.urls
    export_oneroster(regional.owner, Scope(region=True), region)
    with pytest.raises(ImportFailed) as two:
        import_oneroster(source.urls.owner, region, target)
    assert any("exactly one school" in p.message for p in two.value.problems)
    assert counts(source.urls, target)["persons"] == 0


def test_import_into_an_unknown_school_is_refused(source: Source, exported: Path) -> None:
    with pytest.raises(ImportFailed) as failed:
        import_oneroster(source.urls.owner, exported, uuid.uuid4())
    assert failed.value.problems[0].file == "--school"


def test_import_matches_people_of_the_school_the_files_came_from(source: Source,
                                                                 exported: Path) -> None:
    # given school A's own export: its people are matched by id, not created twice
    a = source.schools.a.id
    with owner_session(source.urls.owner) as s:
        set_tenant(s, [a])
        people_before = s.scalar(select(func.count()).select_from(m.Person)
                                 .where(m.Person.school_id == a))
    result = import_oneroster(source.urls.owner, exported, a, dry_run=True)
    assert result.created.get("persons", 0) == 0
    assert result.created.get("classes", 0) == 0
    with owner_session(source.urls.owner) as s:
        set_tenant(s, [a])
        assert s.scalar(select(func.count()).select_from(m.Person)
                        .where(m.Person.school_id == a)) == people_before


def test_neutralised_numbers_keep_decimal_scores(source: Source) -> None:
    # a decimal score is written without a trailing exponent or zeros
    from db.oneroster.csvfile import cell

    assert cell(Decimal("4.50")) == "4.5" and cell(Decimal("5.00")) == "5"
    assert cell("-5") == "'-5" and cell("@x") == "'@x" and cell("a=b") == "a=b"
