"""OneRoster 1.2 CSV export of a school, a municipality or the region (an operator command).

Read as the database owner with `zhurnal.school_ids` set to the schools in scope, in one
snapshot. Personal data (names, logins, marks) leaves the system in these files.

Mapping (the issue leaves these to us):
- orgs: the region (`state`), its municipalities (`district`), the schools (`school`);
- academicSessions: the academic year (`schoolYear`), each period scheme (`term`, spanning its
  periods) and each period (`gradingPeriod`, parent: its scheme) — every scheme of the year,
  since schools mix schemes by grade level;
- courses: one per subject and grade level of a year (`grades` empty for a cross-class group
  of mixed grades), and one "homeroom" course per year for the classes themselves;
- classes: each class (5 «А») as a `homeroom` class, and every study group — whole-class,
  subgroup, cross-class — as a `scheduled` class; `classCode` of a group is its class's code
  (empty for cross-class groups), `termSourcedIds` the periods of its grade level's scheme;
- users + roles: persons and their roles (administrator → `siteAdministrator`, guardian →
  `parent` when a link says mother/father/parent, otherwise `guardian`), `agentSourcedIds`
  linking guardians and students both ways;
- enrollments: class enrollments and group memberships (`student`), group teachers and the
  class teacher of a class (`teacher`, primary), with their dates;
- categories: work types with their weights;
- lineItems: one per group, lesson (or work date, for marks without a lesson) and work type —
  a lesson with a classwork mark and a test mark is two columns of the journal, so two items;
- results: each mark (`score`: the value's numeric value, `textScore`: its label);
- scoreScales: each grading system, `scoreScaleValue` mapping its 0–100 ranges to labels, and
  lineItemScoreScales linking each line item to the scale(s) of its marks (1.2 has no
  scoreScaleSourcedId column in results.csv).
Every row carries `status` = active and `dateLastModified` = the export time, so the manifest
declares the files `delta` (bulk mode requires both fields blank): a receiver upserts them.
"""

from __future__ import annotations

import uuid
import zipfile
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import URL
from sqlalchemy.orm import Session

from db import models as m
from db.engine import owner_session
from db.oneroster import columns as c
from db.oneroster.csvfile import Raw, derived_id, id_list, render
from db.tenancy import set_tenant

GUARDIAN_PARENT_RELATIONS = frozenset({"mother", "father", "parent", "мать", "отец"})
ROLE_NAMES = {
    m.SchoolRole.ADMINISTRATOR: "siteAdministrator",
    m.SchoolRole.TEACHER: "teacher",
    m.SchoolRole.STUDENT: "student",
}
ROLE_ORDER = [m.SchoolRole.ADMINISTRATOR, m.SchoolRole.TEACHER, m.SchoolRole.STUDENT,
              m.SchoolRole.GUARDIAN]


class ExportError(RuntimeError):
    """The export cannot run; the message says why, in one line."""


@dataclass(frozen=True)
class Scope:
    """Which schools: one, a municipality's (by name) or every school (the region)."""

    school_id: uuid.UUID | None = None
    municipality: str | None = None
    region: bool = False


@dataclass
class Export:
    files: dict[str, list[Sequence[object]]] = field(default_factory=dict)
    school_ids: list[uuid.UUID] = field(default_factory=list)

    def rows(self, name: str) -> list[Sequence[object]]:
        return self.files.setdefault(name, [])


def grade_code(level: int | None) -> str:
    """CEDS grade level codes as OneRoster uses them: 01–12."""
    return "" if level is None else f"{level:02d}"


def school_year(year: m.AcademicYear) -> str:
    """OneRoster's schoolYear is the calendar year in which the school year ends."""
    return str(year.ends_on.year)


def midnight(day: date) -> Raw:
    return Raw(f"{day.isoformat()}T00:00:00.000Z")


def resolve_scope(session: Session, scope: Scope) -> list[m.School]:
    if scope.school_id is not None:
        school = session.get(m.School, scope.school_id)
        if school is None:
            raise ExportError(f"no school with id {scope.school_id}")
        return [school]
    if scope.municipality is not None:
        munis = session.scalars(select(m.Municipality)
                                .where(m.Municipality.name == scope.municipality)).all()
        if not munis:
            raise ExportError(f"no municipality named '{scope.municipality}'")
        if len(munis) > 1:
            raise ExportError(f"{len(munis)} municipalities are named '{scope.municipality}'")
        return list(session.scalars(select(m.School).where(
            m.School.municipality_id == munis[0].id).order_by(m.School.name)))
    if scope.region:
        return list(session.scalars(select(m.School).order_by(m.School.name)))
    raise ExportError("say which schools: --school, --municipality or --region")


def _all(session: Session, model: Any, school_ids: list[uuid.UUID], *order: Any) -> list[Any]:
    return list(session.scalars(select(model).where(model.school_id.in_(school_ids))
                                .order_by(*order or (model.id,))))


def build(session: Session, scope: Scope, *, now: datetime | None = None) -> Export:
    """Every file's rows for the schools in scope (the session must see them all)."""
    now = now or datetime.now(UTC)
    schools = resolve_scope(session, scope)
    ids = [s.id for s in schools]
    set_tenant(session, ids)
    out = Export(school_ids=ids)
    if not ids:
        return out
    meta = ("active", now)
    _orgs(session, schools, out, meta)
    years = _all(session, m.AcademicYear, ids, m.AcademicYear.starts_on)
    schemes = _all(session, m.PeriodScheme, ids, m.PeriodScheme.name)
    periods = _all(session, m.Period, ids, m.Period.scheme_id, m.Period.ordinal)
    level_schemes = _all(session, m.GradeLevelScheme, ids)
    periods_of: dict[uuid.UUID, list[m.Period]] = defaultdict(list)
    for p in periods:
        periods_of[p.scheme_id].append(p)
    scheme_of = {(g.academic_year_id, g.grade_level): g.scheme_id for g in level_schemes}
    year_by_id = {y.id: y for y in years}
    _sessions(out, meta, years, schemes, periods_of, year_by_id)

    def terms(year_id: uuid.UUID, levels: Iterable[int]) -> Raw:
        found: list[uuid.UUID] = []
        for level in sorted(set(levels)):
            scheme_id = scheme_of.get((year_id, level))
            for p in periods_of.get(scheme_id, []) if scheme_id else []:
                if p.id not in found:
                    found.append(p.id)
        return id_list(found or [year_id])

    subjects = {s.id: s for s in _all(session, m.Subject, ids)}
    classes = _all(session, m.SchoolClass, ids, m.SchoolClass.grade_level, m.SchoolClass.letter)
    class_by_id = {k.id: k for k in classes}
    groups = _all(session, m.StudyGroup, ids, m.StudyGroup.name)
    enrollments = _all(session, m.Enrollment, ids, m.Enrollment.starts_on)
    memberships = _all(session, m.GroupMembership, ids, m.GroupMembership.starts_on)
    assignments = _all(session, m.TeacherAssignment, ids, m.TeacherAssignment.starts_on)
    levels_of_student: dict[uuid.UUID, set[int]] = defaultdict(set)
    for e in enrollments:
        levels_of_student[e.student_id].add(class_by_id[e.class_id].grade_level)
    members_of: dict[uuid.UUID, set[uuid.UUID]] = defaultdict(set)
    for gm in memberships:
        members_of[gm.group_id].add(gm.student_id)

    def group_levels(g: m.StudyGroup) -> list[int]:
        if g.class_id is not None:
            return [class_by_id[g.class_id].grade_level]
        return sorted({lv for s in members_of[g.id] for lv in levels_of_student[s]})

    # courses: a homeroom course per year, a course per subject and grade level (or none)
    courses: dict[tuple[Any, ...], str] = {}
    for k in classes:
        key = ("homeroom", k.school_id, k.academic_year_id)
        if key not in courses:
            courses[key] = derived_id(*key)
            year = year_by_id[k.academic_year_id]
            out.rows("courses.csv").append((courses[key], *meta, year.id,
                                            f"Классы {year.name}", "homeroom", "",
                                            k.school_id, "", ""))
    group_course: dict[uuid.UUID, str] = {}
    for g in groups:
        levels = group_levels(g)
        level = levels[0] if len(levels) == 1 else None
        key = ("course", g.school_id, g.academic_year_id, g.subject_id, level)
        if key not in courses:
            courses[key] = derived_id(*key)
            subject = subjects[g.subject_id]
            out.rows("courses.csv").append((courses[key], *meta, g.academic_year_id,
                                            subject.name, subject.short_name,
                                            Raw(grade_code(level)), g.school_id, subject.name,
                                            ""))
        group_course[g.id] = courses[key]

    def class_code(k: m.SchoolClass) -> str:
        return f"{k.grade_level}{k.letter}"

    for k in classes:
        out.rows("classes.csv").append((
            k.id, *meta, class_code(k), Raw(grade_code(k.grade_level)),
            courses[("homeroom", k.school_id, k.academic_year_id)], class_code(k), "homeroom",
            "", k.school_id, terms(k.academic_year_id, [k.grade_level]), "", "", ""))
    for g in groups:
        levels = group_levels(g)
        home = class_by_id[g.class_id] if g.class_id else None
        subject = subjects[g.subject_id]
        out.rows("classes.csv").append((
            g.id, *meta, g.name, id_list(grade_code(lv) for lv in levels), group_course[g.id],
            class_code(home) if home else "", "scheduled", "", g.school_id,
            terms(g.academic_year_id, levels), subject.name, "", ""))

    _people(session, ids, out, meta, enrollments, class_by_id)
    for e in enrollments:
        out.rows("enrollments.csv").append((e.id, *meta, e.class_id, e.school_id, e.student_id,
                                            "student", False, e.starts_on, e.ends_on))
    for k in classes:
        if k.class_teacher_id is not None:
            out.rows("enrollments.csv").append((
                derived_id("class-teacher", k.id, k.class_teacher_id), *meta, k.id, k.school_id,
                k.class_teacher_id, "teacher", True, year_by_id[k.academic_year_id].starts_on,
                None))
    for gm in memberships:
        out.rows("enrollments.csv").append((gm.id, *meta, gm.group_id, gm.school_id,
                                            gm.student_id, "student", False, gm.starts_on,
                                            gm.ends_on))
    for ta in assignments:
        out.rows("enrollments.csv").append((ta.id, *meta, ta.group_id, ta.school_id,
                                            ta.teacher_id, "teacher", True, ta.starts_on,
                                            ta.ends_on))
    group_by_id = {g.id: g for g in groups}
    _gradebook(session, ids, out, meta, group_by_id, class_by_id, scheme_of, periods_of,
               group_levels)
    return out


def _orgs(session: Session, schools: list[m.School], out: Export, meta: tuple[Any, ...]
          ) -> None:
    muni_ids = sorted({s.municipality_id for s in schools})
    munis = list(session.scalars(select(m.Municipality).where(m.Municipality.id.in_(muni_ids))
                                 .order_by(m.Municipality.name)))
    regions = list(session.scalars(select(m.Region).where(
        m.Region.id.in_({mu.region_id for mu in munis})).order_by(m.Region.code)))
    rows = out.rows("orgs.csv")
    rows.extend((r.id, *meta, r.name, "state", r.code, None) for r in regions)
    rows.extend((mu.id, *meta, mu.name, "district", "", mu.region_id) for mu in munis)
    rows.extend((s.id, *meta, s.name, "school", s.short_name, s.municipality_id)
                for s in schools)


def _sessions(out: Export, meta: tuple[Any, ...], years: list[m.AcademicYear],
              schemes: list[m.PeriodScheme], periods_of: dict[uuid.UUID, list[m.Period]],
              year_by_id: dict[uuid.UUID, m.AcademicYear]) -> None:
    rows = out.rows("academicSessions.csv")
    for y in years:
        rows.append((y.id, *meta, y.name, "schoolYear", y.starts_on, y.ends_on, None,
                     Raw(school_year(y))))
    for s in schemes:
        year = year_by_id[s.academic_year_id]
        own = periods_of.get(s.id, [])
        start = min((p.starts_on for p in own), default=year.starts_on)
        end = max((p.ends_on for p in own), default=year.ends_on)
        rows.append((s.id, *meta, s.name, "term", start, end, year.id, Raw(school_year(year))))
        for p in own:
            rows.append((p.id, *meta, p.name, "gradingPeriod", p.starts_on, p.ends_on, s.id,
                         Raw(school_year(year))))


def _people(session: Session, ids: list[uuid.UUID], out: Export, meta: tuple[Any, ...],
            enrollments: list[m.Enrollment], class_by_id: dict[uuid.UUID, m.SchoolClass]
            ) -> None:
    persons = _all(session, m.Person, ids, m.Person.last_name, m.Person.first_name, m.Person.id)
    roles = _all(session, m.PersonRole, ids)
    links = _all(session, m.Guardianship, ids)
    account_ids = {p.account_id for p in persons if p.account_id}
    accounts = {a.id: a for a in session.scalars(select(m.Account).where(
        m.Account.id.in_(account_ids)))} if account_ids else {}
    agents: dict[uuid.UUID, list[uuid.UUID]] = defaultdict(list)
    parent_like: set[uuid.UUID] = set()
    for link in links:
        agents[link.student_id].append(link.guardian_id)
        agents[link.guardian_id].append(link.student_id)
        if (link.relation or "").lower() in GUARDIAN_PARENT_RELATIONS:
            parent_like.add(link.guardian_id)
    today = date.today()
    grades: dict[uuid.UUID, set[int]] = defaultdict(set)
    for e in enrollments:
        if e.ends_on is None or e.ends_on >= today:
            grades[e.student_id].add(class_by_id[e.class_id].grade_level)
    for p in persons:
        account = accounts.get(p.account_id) if p.account_id else None
        username = account.login if account else (p.external_id or str(p.id))
        out.rows("users.csv").append((
            p.id, *meta, bool(account and account.is_active), username, "", p.first_name,
            p.last_name, p.middle_name, p.external_id, "", "", "",
            id_list(sorted(agents.get(p.id, []), key=str)),
            id_list(grade_code(g) for g in sorted(grades.get(p.id, ()))), "", "", "", "", "",
            p.school_id, ""))
    by_person: dict[uuid.UUID, list[m.PersonRole]] = defaultdict(list)
    for r in roles:
        by_person[r.person_id].append(r)
    for person_roles in by_person.values():
        person_roles.sort(key=lambda r: ROLE_ORDER.index(r.role))
        for n, r in enumerate(person_roles):
            name = ROLE_NAMES.get(r.role) or (
                "parent" if r.person_id in parent_like else "guardian")
            out.rows("roles.csv").append((r.id, *meta, r.person_id,
                                          "primary" if n == 0 else "secondary", name, None,
                                          None, r.school_id, ""))


def _gradebook(session: Session, ids: list[uuid.UUID], out: Export, meta: tuple[Any, ...],
               group_by_id: dict[uuid.UUID, m.StudyGroup],
               class_by_id: dict[uuid.UUID, m.SchoolClass],
               scheme_of: dict[tuple[uuid.UUID, int], uuid.UUID],
               periods_of: dict[uuid.UUID, list[m.Period]], group_levels: Any) -> None:
    work_types = {w.id: w for w in _all(session, m.WorkType, ids, m.WorkType.name)}
    for w in work_types.values():
        out.rows("categories.csv").append((w.id, *meta, w.name, w.weight))
    systems = {s.id: s for s in _all(session, m.GradingSystem, ids, m.GradingSystem.name)}
    values = {v.id: v for v in _all(session, m.MarkValue, ids, m.MarkValue.system_id,
                                    m.MarkValue.ordinal)}
    values_of: dict[uuid.UUID, list[m.MarkValue]] = defaultdict(list)
    for v in values.values():
        values_of[v.system_id].append(v)
    for s in systems.values():
        mapping = ",".join(f"{{{_num(v.range_low)}-{_num(v.range_high)}:{v.label}}}"
                           for v in values_of[s.id])
        out.rows("scoreScales.csv").append((s.id, *meta, s.name, s.kind.value, s.school_id,
                                            "", "", mapping))
    marks = _all(session, m.Mark, ids, m.Mark.work_date, m.Mark.group_id, m.Mark.id)
    lesson_ids = {mk.lesson_id for mk in marks if mk.lesson_id}
    lessons = {ls.id: ls for ls in session.scalars(select(m.Lesson).where(
        m.Lesson.school_id.in_(ids), m.Lesson.id.in_(lesson_ids)))} if lesson_ids else {}
    items: dict[tuple[Any, ...], str] = {}
    item_systems: dict[str, set[uuid.UUID]] = defaultdict(set)
    for mk in marks:
        key = (mk.school_id, mk.group_id, mk.lesson_id or mk.work_date, mk.work_type_id)
        value = values[mk.value_id]
        if key not in items:
            items[key] = item_id = derived_id("line-item", *key)
            group = group_by_id[mk.group_id]
            lesson = lessons.get(mk.lesson_id) if mk.lesson_id else None
            period = _period_of(group, mk.work_date, group_levels, scheme_of, periods_of)
            work_type = work_types[mk.work_type_id]
            out.rows("lineItems.csv").append((
                item_id, *meta, f"{group.name}: {work_type.name}, {mk.work_date:%d.%m.%Y}",
                lesson.topic if lesson else None, midnight(mk.work_date), midnight(mk.work_date),
                group.id, work_type.id, period or group.academic_year_id, None, None,
                mk.school_id))
        item_systems[items[key]].add(value.system_id)
        out.rows("results.csv").append((
            mk.id, *meta, items[key], mk.student_id, "fully graded", value.numeric_value,
            mk.work_date, mk.comment, value.label, mk.group_id, False, False, False, False))
    # resultValueMin/Max: the numeric range of the item's scale(s), when they are numeric
    numeric = {sid: [v.numeric_value for v in vs if v.numeric_value is not None]
               for sid, vs in values_of.items()}
    line_items = out.rows("lineItems.csv")
    for n, row in enumerate(line_items):
        nums = [x for sid in item_systems[str(row[0])] for x in numeric.get(sid, [])]
        if nums:
            line_items[n] = (*row[:10], min(nums), max(nums), row[12])
    for item_id, system_ids in item_systems.items():
        for sid in sorted(system_ids, key=str):
            out.rows("lineItemScoreScales.csv").append((
                derived_id("line-item-scale", item_id, sid), *meta, systems[sid].name, item_id,
                sid))


def _num(value: Any) -> str:
    return format(value.normalize(), "f")


def _period_of(group: m.StudyGroup, day: date, group_levels: Any,
               scheme_of: dict[tuple[uuid.UUID, int], uuid.UUID],
               periods_of: dict[uuid.UUID, list[m.Period]]) -> uuid.UUID | None:
    for level in group_levels(group):
        scheme_id = scheme_of.get((group.academic_year_id, level))
        for p in periods_of.get(scheme_id, []) if scheme_id else []:
            if p.starts_on <= day <= p.ends_on:
                return p.id
    return None


def manifest(written: Iterable[str]) -> list[tuple[str, str]]:
    present = {name.removesuffix(".csv") for name in written}
    rows = [("manifest.version", c.MANIFEST_VERSION), ("oneroster.version", c.ONEROSTER_VERSION)]
    rows += [(f"file.{name}", "delta" if name in present else "absent")
             for name in c.MANIFEST_FILES]
    rows += [("source.systemName", "zhurnal"), ("source.systemCode", "zhurnal")]
    return rows


def render_files(export: Export) -> dict[str, str]:
    """File name -> CSV text, manifest.csv included; every file is written, even if empty."""
    texts = {name: render(header, export.files.get(name, []))
             for name, header in c.HEADERS.items()}
    texts["manifest.csv"] = render(c.MANIFEST, manifest(c.HEADERS))
    return texts


def write(texts: dict[str, str], out: Path) -> None:
    """A `.zip` path gets an archive (files at its root), anything else a new directory."""
    if out.suffix == ".zip":
        if out.exists():
            raise ExportError(f"{out} already exists")
        out.parent.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
            for name, text in texts.items():
                archive.writestr(name, text.encode("utf-8"))
        return
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise ExportError(f"{out} exists and is not an empty directory")
    out.mkdir(parents=True, exist_ok=True)
    for name, text in texts.items():
        (out / name).write_text(text, encoding="utf-8", newline="")


def export_oneroster(url: URL, scope: Scope, out: Path) -> dict[str, int]:
    """Write the files; returns the number of data rows per file."""
    with owner_session(url) as session:
        export = build(session, scope)
    if not export.school_ids:
        raise ExportError("no schools in scope")
    write(render_files(export), out)
    return {name: len(export.files.get(name, [])) for name in c.HEADERS}
