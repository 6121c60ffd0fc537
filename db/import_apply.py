"""Checking parsed import rows against a school's data and writing them, all or nothing.

The school's state is read with a fixed number of queries (years, classes, groups, the
persons named in the file, their roles, enrollments, links and accounts), whatever the size
of the file; the writes are bulk statements, each audited with `action="import"`.
Nothing is ever deleted: a re-import adds what is missing and updates changed names and dates.
"""

from __future__ import annotations

import asyncio
import secrets
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from argon2 import PasswordHasher
from sqlalchemy import insert, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from db import models
from db.audit import Actor, Change, record, snapshot
from db.import_parse import COLUMN_BY_KEY, ImportProblem, ImportRow, ParsedFile

Progress = Callable[[str, int, int], None]

MAX_PROBLEMS = 200
PASSWORD_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i to misread on paper
PASSWORD_LENGTH = 12
# A one-time password of 12 random characters from 31 (~59 bits) cannot be guessed however
# cheaply it is hashed; the full-cost hasher (~0.4 s a hash here) would make a 1,000-account
# import take minutes. These are still argon2id hashes that `verify_password` checks.
_initial_hasher = PasswordHasher(time_cost=1, memory_cost=4096, parallelism=1)


@dataclass(frozen=True)
class NewAccount:
    external_id: str
    login: str
    password: str | None  # None in a dry run


@dataclass
class ImportResult:
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    problems: list[ImportProblem] = field(default_factory=list)
    # Not problems: what the import left to do by hand (a student placed in no subgroup).
    notices: list[ImportProblem] = field(default_factory=list)
    accounts: list[NewAccount] = field(default_factory=list)
    academic_year: str | None = None
    ignored_columns: list[str] = field(default_factory=list)
    dry_run: bool = False

    @property
    def written(self) -> bool:
        return not self.dry_run and not self.problems


def capped(problems: list[ImportProblem]) -> list[ImportProblem]:
    """A broken file of thousands of rows gives the first problems and a count of the rest."""
    if len(problems) <= MAX_PROBLEMS:
        return problems
    rest = len(problems) - MAX_PROBLEMS
    return [*problems[:MAX_PROBLEMS],
            ImportProblem(None, None, None, f"… and {rest} more problems")]


def current_year(years: list[models.AcademicYear], today: date) -> models.AcademicYear | None:
    """The open year containing today; else the next one (an import in August is for the
    year that starts in September); else the latest open one."""
    years = sorted((y for y in years if y.status == models.YearStatus.OPEN),
                   key=lambda y: y.starts_on)
    for y in years:
        if y.starts_on <= today <= y.ends_on:
            return y
    upcoming = [y for y in years if y.starts_on > today]
    if upcoming:
        return upcoming[0]
    return years[-1] if years else None


@dataclass(frozen=True)
class Subgroup:
    id: uuid.UUID
    split_id: uuid.UUID
    name: str


@dataclass(frozen=True)
class SubgroupPlace:
    """A student's membership of a subgroup (the latest one of its split)."""

    group_id: uuid.UUID
    starts_on: date
    ends_on: date | None


@dataclass
class SchoolState:
    """What the import needs of the school, read in a fixed number of queries."""

    year: models.AcademicYear | None
    classes: dict[tuple[int, str], models.SchoolClass]
    whole_groups: dict[uuid.UUID, list[uuid.UUID]]  # class -> its whole-class groups
    subgroups: dict[uuid.UUID, list[Subgroup]]  # class -> the subgroups of its splits
    persons: dict[str, models.Person]  # by external id
    roles: dict[uuid.UUID, set[models.SchoolRole]]
    enrollment: dict[uuid.UUID, models.Enrollment]  # the student's current one in the year
    links: dict[tuple[uuid.UUID, uuid.UUID], models.Guardianship]
    accounts_by_login: dict[str, uuid.UUID]
    logins_by_account: dict[uuid.UUID, str]
    holders: dict[uuid.UUID, models.Person]  # account -> the school's person holding it
    today: date
    # (student, split) -> the student's latest membership of a subgroup of that split
    places: dict[tuple[uuid.UUID, uuid.UUID], SubgroupPlace] = field(default_factory=dict)


async def load_state(session: AsyncSession, school_id: uuid.UUID, rows: list[ImportRow],
                     today: date) -> SchoolState:
    from db.import_parse import normalise_letter

    m = models
    years = list(await session.scalars(select(m.AcademicYear).where(
        m.AcademicYear.school_id == school_id)))
    year = current_year(years, today)
    classes: dict[tuple[int, str], models.SchoolClass] = {}
    whole: dict[uuid.UUID, list[uuid.UUID]] = {}
    subgroups: dict[uuid.UUID, list[Subgroup]] = {}
    if year is not None:
        for c in await session.scalars(select(m.SchoolClass).where(
                m.SchoolClass.school_id == school_id, m.SchoolClass.academic_year_id == year.id)):
            classes[(c.grade_level, normalise_letter(c.letter))] = c
        groups = await session.execute(select(
            m.StudyGroup.id, m.StudyGroup.class_id, m.StudyGroup.kind, m.StudyGroup.split_id,
            m.StudyGroup.name).where(
            m.StudyGroup.school_id == school_id, m.StudyGroup.academic_year_id == year.id,
            m.StudyGroup.class_id.is_not(None)).order_by(m.StudyGroup.name))
        for group_id, class_id, kind, split_id, name in groups:
            if kind == m.GroupKind.SUBGROUP:
                subgroups.setdefault(class_id, []).append(Subgroup(group_id, split_id, name))
            elif kind == m.GroupKind.WHOLE_CLASS:
                whole.setdefault(class_id, []).append(group_id)
    named = {r.external_id for r in rows} | {s for r in rows for s in r.guardian_of}
    persons = {p.external_id: p for p in await session.scalars(select(m.Person).where(
        m.Person.school_id == school_id, m.Person.external_id.in_(named)))} if named else {}
    ids = [p.id for p in persons.values()]
    roles: dict[uuid.UUID, set[models.SchoolRole]] = {}
    enrollment: dict[uuid.UUID, models.Enrollment] = {}
    links: dict[tuple[uuid.UUID, uuid.UUID], models.Guardianship] = {}
    if ids:
        for r in await session.scalars(select(m.PersonRole).where(
                m.PersonRole.school_id == school_id, m.PersonRole.person_id.in_(ids))):
            roles.setdefault(r.person_id, set()).add(r.role)
        year_classes = {c.id for c in classes.values()}
        if year_classes:
            # Open enrollments first, then the latest: the student's class in this year.
            for e in await session.scalars(select(m.Enrollment).where(
                    m.Enrollment.school_id == school_id, m.Enrollment.student_id.in_(ids),
                    m.Enrollment.class_id.in_(year_classes)).order_by(
                    m.Enrollment.ends_on.is_(None), m.Enrollment.starts_on)):
                enrollment[e.student_id] = e
    places: dict[tuple[uuid.UUID, uuid.UUID], SubgroupPlace] = {}
    split_of = {g.id: g.split_id for groups_ in subgroups.values() for g in groups_}
    students = [pid for pid in ids if pid in enrollment]
    if split_of and students:
        # One query for every student of the file: the import's statements do not grow.
        for group_id, student_id, starts_on, ends_on in await session.execute(select(
                m.GroupMembership.group_id, m.GroupMembership.student_id,
                m.GroupMembership.starts_on, m.GroupMembership.ends_on).where(
                m.GroupMembership.school_id == school_id,
                m.GroupMembership.student_id.in_(students),
                m.GroupMembership.group_id.in_(list(split_of))).order_by(
                m.GroupMembership.starts_on)):
            places[(student_id, split_of[group_id])] = SubgroupPlace(group_id, starts_on,
                                                                     ends_on)
    if ids:
        for g in await session.scalars(select(m.Guardianship).where(
                m.Guardianship.school_id == school_id, m.Guardianship.guardian_id.in_(ids))):
            links[(g.guardian_id, g.student_id)] = g
    logins = {r.login for r in rows if r.login}
    held = {p.account_id for p in persons.values() if p.account_id}
    accounts_by_login: dict[str, uuid.UUID] = {}
    logins_by_account: dict[uuid.UUID, str] = {}
    holders: dict[uuid.UUID, models.Person] = {}
    if logins or held:
        for account_id, login in await session.execute(select(m.Account.id, m.Account.login)
                                                       .where(or_(m.Account.login.in_(logins),
                                                                  m.Account.id.in_(held)))):
            accounts_by_login[login] = account_id
            logins_by_account[account_id] = login
        wanted = [a for login, a in accounts_by_login.items() if login in logins]
        if wanted:
            for p in await session.scalars(select(m.Person).where(
                    m.Person.school_id == school_id, m.Person.account_id.in_(wanted))):
                holders[p.account_id] = p  # type: ignore[index]
    return SchoolState(year, classes, whole, subgroups, persons, roles, enrollment, links,
                       accounts_by_login, logins_by_account, holders, today, places)


@dataclass
class Plan:
    """Every row to insert and every loaded row to change, with the audit trail to write."""

    accounts: list[dict[str, Any]] = field(default_factory=list)
    passwords: list[str] = field(default_factory=list)
    persons: list[dict[str, Any]] = field(default_factory=list)
    person_updates: list[tuple[models.Person, dict[str, Any]]] = field(default_factory=list)
    roles: list[dict[str, Any]] = field(default_factory=list)
    enrollments: list[dict[str, Any]] = field(default_factory=list)
    memberships: list[dict[str, Any]] = field(default_factory=list)
    links: list[dict[str, Any]] = field(default_factory=list)
    link_updates: list[tuple[models.Guardianship, str]] = field(default_factory=list)
    new_accounts: list[NewAccount] = field(default_factory=list)


class _Planner:
    def __init__(self, school_id: uuid.UUID, state: SchoolState, headers: dict[str, str],
                 rows: list[ImportRow]) -> None:
        self.school_id, self.state, self.headers = school_id, state, headers
        self.by_id = {r.external_id: r for r in rows}
        self.ids: dict[str, uuid.UUID] = {
            r.external_id: (state.persons[r.external_id].id if r.external_id in state.persons
                            else uuid.uuid4()) for r in rows}
        self.plan = Plan()
        self.problems: list[ImportProblem] = []
        self.notices: list[ImportProblem] = []

    def problem(self, row: ImportRow, key: str, message: str, code: str = "invalid") -> None:
        header = self.headers.get(key) or COLUMN_BY_KEY[key].russian
        self.problems.append(ImportProblem(row.row, key, header, message, code))

    def notice(self, row: ImportRow, key: str, message: str) -> None:
        header = self.headers.get(key) or COLUMN_BY_KEY[key].russian
        self.notices.append(ImportProblem(row.row, key, header, message))

    def new(self, **values: Any) -> dict[str, Any]:
        return {"school_id": self.school_id, "id": uuid.uuid4(), **values}

    def row(self, row: ImportRow) -> bool:
        """Plan one row; True when it creates or changes something."""
        state, plan = self.state, self.plan
        person = state.persons.get(row.external_id)
        pid = self.ids[row.external_id]
        changed = False
        account_id = self.account(row, person, pid)
        if person is None:
            plan.persons.append({"school_id": self.school_id, "id": pid,
                                 "external_id": row.external_id, "last_name": row.last_name,
                                 "first_name": row.first_name, "middle_name": row.middle_name,
                                 "birth_date": row.birth_date, "account_id": account_id})
            changed = True
        else:
            # An empty optional cell means "not given", never "erase": import does not delete.
            values = {"last_name": row.last_name, "first_name": row.first_name,
                      "middle_name": row.middle_name, "birth_date": row.birth_date,
                      "account_id": account_id}
            diff = {k: v for k, v in values.items()
                    if v is not None and getattr(person, k) != v}
            if diff:
                plan.person_updates.append((person, diff))
                changed = True
        held = state.roles.get(pid, set())
        for role in sorted(row.roles - held):
            plan.roles.append(self.new(person_id=pid, role=role))
            changed = True
        if row.school_class is not None:
            changed |= self.enroll(row, pid)
        for student in row.guardian_of:
            changed |= self.link(row, pid, student)
        return changed

    def account(self, row: ImportRow, person: models.Person | None,
                pid: uuid.UUID) -> uuid.UUID | None:
        state = self.state
        current = person.account_id if person is not None else None
        if row.login is None:
            return current
        if current is not None:
            if state.logins_by_account.get(current) != row.login:
                self.problem(row, "login", f"the person already has the login "
                                           f"«{state.logins_by_account.get(current, '?')}»; "
                                           "an import does not change logins")
            return current
        existing = state.accounts_by_login.get(row.login)
        if existing is None:
            account_id = uuid.uuid4()
            state.accounts_by_login[row.login] = account_id
            password = "".join(secrets.choice(PASSWORD_ALPHABET)
                               for _ in range(PASSWORD_LENGTH))
            self.plan.accounts.append({"id": account_id, "login": row.login,
                                       "is_active": True})
            self.plan.passwords.append(password)
            self.plan.new_accounts.append(NewAccount(row.external_id, row.login, password))
            return account_id
        holder = state.holders.get(existing)
        if holder is None:
            # Not of this school: an account is never bound by its login (its holder redeems a
            # link code), and the words are those of any taken login, wherever it is used.
            self.problem(row, "login", f"login «{row.login}» is taken: choose another one for a "
                                       "new account; to give the person an account they "
                                       "already have, leave the cell empty and issue a link "
                                       "code (createAccountLinkCode)", "duplicate")
        elif holder.id != pid:
            self.problem(row, "login", f"login «{row.login}» belongs to another person of the "
                                       f"school (code «{holder.external_id or '—'}»)", "duplicate")
        return existing

    def enroll(self, row: ImportRow, pid: uuid.UUID) -> bool:
        state = self.state
        name = row.school_class
        assert name is not None
        year = state.year
        if year is None:
            self.problem(row, "class", "the school has no open academic year to enroll in")
            return False
        school_class = state.classes.get(name.key)
        if school_class is None:
            self.problem(row, "class", f"unknown class «{name.text}» in {year.name}",
                         "not_found")
            return False
        current = state.enrollment.get(pid)
        if current is not None and current.class_id != school_class.id:
            old = next((f"{c.grade_level}{c.letter}" for c in state.classes.values()
                        if c.id == current.class_id), "?")
            self.problem(row, "class", f"the student is in {old}, not «{name.text}»: an "
                                       "import does not move students; use the "
                                       "transferStudent mutation, which keeps the history")
            return False
        label = f"{school_class.grade_level}{school_class.letter}"
        groups = state.subgroups.get(school_class.id, [])
        chosen = self.choose_subgroups(row, label, groups)
        if chosen is None:
            return False
        if current is not None:
            return self.join_subgroups(row, pid, current, label, groups, chosen)
        starts_on = row.enrolled_on or year.starts_on
        if not year.starts_on <= starts_on <= year.ends_on:
            self.problem(row, "enrolled_on", f"{starts_on:%d.%m.%Y} is outside the year "
                                             f"{year.name} ({year.starts_on:%d.%m.%Y}–"
                                             f"{year.ends_on:%d.%m.%Y})")
            return False
        self.plan.enrollments.append(self.new(class_id=school_class.id, student_id=pid,
                                              starts_on=starts_on, ends_on=None))
        for group_id in [*state.whole_groups.get(school_class.id, []), *(g.id for g in chosen)]:
            self.plan.memberships.append(self.new(group_id=group_id, student_id=pid,
                                                  starts_on=starts_on, ends_on=None))
        self.unplaced(row, label, groups, {g.split_id for g in chosen})
        return True

    def choose_subgroups(self, row: ImportRow, label: str,
                         groups: list[Subgroup]) -> list[Subgroup] | None:
        """The subgroups the row names, at most one per split; None when a name is wrong."""
        if not row.subgroups:
            return []
        if not groups:
            self.problem(row, "subgroups", f"class {label} is not divided into subgroups; leave "
                                           "the cell empty")
            return None
        chosen: dict[uuid.UUID, Subgroup] = {}
        wrong = False
        for name in row.subgroups:
            matches = [g for g in groups if _name_key(name) in _subgroup_keys(g.name, label)]
            if not matches:
                self.problem(row, "subgroups", f"«{name}» is not a subgroup of {label}; its "
                                               f"subgroups are {_names(groups)}", "not_found")
            elif len(matches) > 1:
                self.problem(row, "subgroups", f"«{name}» names several subgroups of {label} "
                                               f"({_names(matches)}): write the full name")
            elif chosen.get(matches[0].split_id) == matches[0]:
                continue  # the same subgroup written twice (another case or spacing)
            elif matches[0].split_id in chosen:
                self.problem(row, "subgroups", f"«{chosen[matches[0].split_id].name}» and "
                                               f"«{matches[0].name}» divide the same lessons: "
                                               "a student is in one of them", "duplicate")
            else:
                chosen[matches[0].split_id] = matches[0]
                continue
            wrong = True
        return None if wrong else list(chosen.values())

    def join_subgroups(self, row: ImportRow, pid: uuid.UUID, enrollment: models.Enrollment,
                       label: str, groups: list[Subgroup], chosen: list[Subgroup]) -> bool:
        """A student already in the class: a subgroup they are in is kept, one of a split they
        are in no subgroup of is joined from today, and another one is refused (a move)."""
        state = self.state
        assert state.year is not None
        on = max(enrollment.starts_on, min(state.today, state.year.ends_on))
        names = {g.id: g.name for g in groups}
        placed: set[uuid.UUID] = set()
        changed = False
        for group in chosen:
            place = state.places.get((pid, group.split_id))
            if place is not None and (place.ends_on is None or place.ends_on >= on):
                placed.add(group.split_id)
                if place.group_id != group.id:
                    self.problem(row, "subgroups", f"the student is in «{names[place.group_id]}», "
                                                   f"not «{group.name}»: an import does not move "
                                                   "students between subgroups; use the "
                                                   "moveToSubgroup mutation, which keeps the "
                                                   "history")
                continue
            if enrollment.ends_on is not None and enrollment.ends_on < on:
                self.problem(row, "subgroups", f"the student left {label} on "
                                               f"{enrollment.ends_on:%d.%m.%Y}; an import joins "
                                               "no subgroup after that")
                continue
            self.plan.memberships.append(self.new(group_id=group.id, student_id=pid,
                                                  starts_on=on, ends_on=enrollment.ends_on))
            placed.add(group.split_id)
            changed = True
        if enrollment.ends_on is None or enrollment.ends_on >= on:
            for split in {g.split_id for g in groups}:
                p = state.places.get((pid, split))
                if p is not None and (p.ends_on is None or p.ends_on >= on):
                    placed.add(split)
            self.unplaced(row, label, groups, placed)
        return changed

    def unplaced(self, row: ImportRow, label: str, groups: list[Subgroup],
                 placed: set[uuid.UUID]) -> None:
        """A notice for the splits of the class the student is in no subgroup of."""
        splits: dict[uuid.UUID, list[Subgroup]] = {}
        for g in groups:
            if g.split_id not in placed:
                splits.setdefault(g.split_id, []).append(g)
        if splits:
            choices = "; ".join(" or ".join(f"«{g.name}»" for g in split)
                                for split in splits.values())
            self.notice(row, "subgroups", f"{label} is divided into subgroups and the student "
                                          f"is in none yet ({choices}): place them with "
                                          "moveToSubgroup")

    def link(self, row: ImportRow, pid: uuid.UUID, student: str) -> bool:
        state = self.state
        in_file = self.by_id.get(student)
        existing = state.persons.get(student)
        if in_file is None and existing is None:
            self.problem(row, "guardian_of", f"unknown student «{student}»: not in the file "
                                             "and not a person of the school", "not_found")
            return False
        student_id = self.ids[student] if in_file is not None else existing.id  # type: ignore[union-attr]
        roles = (in_file.roles if in_file is not None else set()) | state.roles.get(
            student_id, set())
        if models.SchoolRole.STUDENT not in roles:
            self.problem(row, "guardian_of", f"«{student}» is not a student")
            return False
        link = state.links.get((pid, student_id))
        if link is None:
            self.plan.links.append(self.new(guardian_id=pid, student_id=student_id,
                                            relation=row.relation))
            return True
        if row.relation is not None and link.relation != row.relation:
            self.plan.link_updates.append((link, row.relation))
            return True
        return False


def _name_key(name: str) -> str:
    return " ".join(name.replace("ё", "е").replace("Ё", "Е").split()).casefold()


def _subgroup_keys(name: str, label: str) -> set[str]:
    """A subgroup is named as in the set-up, or without its class in front («5А …»)."""
    key, prefix = _name_key(name), _name_key(label) + " "
    return {key, key.removeprefix(prefix)}


def _names(groups: list[Subgroup]) -> str:
    return ", ".join(f"«{g.name}»" for g in groups)


def plan_import(school_id: uuid.UUID, state: SchoolState, parsed: ParsedFile,
                result: ImportResult, progress: Progress | None = None) -> Plan:
    planner = _Planner(school_id, state, parsed.headers, parsed.rows)
    total = len(parsed.rows)
    for i, row in enumerate(parsed.rows, start=1):
        if planner.row(row):
            if row.external_id in state.persons:
                result.updated += 1
            else:
                result.created += 1
        else:
            result.unchanged += 1
        if progress and (i % 100 == 0 or i == total):
            progress("check", i, total)
    result.problems.extend(planner.problems)
    result.notices.extend(planner.notices)
    return planner.plan


def _hash_all(passwords: list[str]) -> list[str]:
    # argon2 releases the GIL while it hashes, so threads use every core.
    with ThreadPoolExecutor() as pool:
        return list(pool.map(_initial_hasher.hash, passwords))


async def write_plan(session: AsyncSession, school_id: uuid.UUID, plan: Plan, actor: Actor,
                     progress: Progress | None = None) -> None:
    m = models
    changes: list[Change] = []
    steps = 7
    step = 0

    def done() -> None:
        nonlocal step
        step += 1
        if progress:
            progress("write", step, steps)

    def created(model: type[models.Base], values: list[dict[str, Any]]) -> None:
        for v in values:
            changes.append(Change(school_id=school_id, action="import",
                                  entity=model.__tablename__, entity_id=v["id"],  # type: ignore[attr-defined]
                                  after=snapshot(model(**v))))

    if plan.accounts:
        digests = await asyncio.to_thread(_hash_all, plan.passwords)
        # Explicit columns: the application role may insert these and nothing else.
        await session.execute(insert(m.Account.__table__), [
            {**a, "password_hash": d} for a, d in zip(plan.accounts, digests, strict=True)])
        changes.extend(Change(school_id=school_id, action="import", entity="accounts",
                              entity_id=a["id"], after={"id": str(a["id"]), "login": a["login"],
                                                        "is_active": True})
                       for a in plan.accounts)
    done()
    for model, values in ((m.Person, plan.persons), (m.PersonRole, plan.roles),
                          (m.Enrollment, plan.enrollments), (m.GroupMembership, plan.memberships),
                          (m.Guardianship, plan.links)):
        if values:
            # Core, not ORM, insert: the ORM splits the batch wherever a row has a None.
            await session.execute(insert(model.__table__), values)  # type: ignore[attr-defined]
            created(model, values)
        done()
    for person, diff in plan.person_updates:
        before = snapshot(person)
        for key, value in diff.items():
            setattr(person, key, value)
        changes.append(Change(school_id=school_id, action="import", entity="persons",
                              entity_id=person.id, before=before, after=snapshot(person)))
    for link, relation in plan.link_updates:
        before = snapshot(link)
        link.relation = relation
        changes.append(Change(school_id=school_id, action="import", entity="guardianships",
                              entity_id=link.id, before=before, after=snapshot(link)))
    await session.flush()
    await record(session, actor, *changes)
    done()


async def apply_import(session: AsyncSession, school_id: uuid.UUID, parsed: ParsedFile, *,
                       actor: Actor, today: date, dry_run: bool,
                       progress: Progress | None = None) -> ImportResult:
    """Check the parsed file against the school and, when every row is valid and this is not
    a dry run, write it. The caller owns the transaction: roll it back when `problems`."""
    result = ImportResult(rows=len(parsed.rows), problems=list(parsed.problems),
                          ignored_columns=parsed.ignored_columns, dry_run=dry_run)
    if result.problems:
        result.problems = capped(result.problems)
        return result
    state = await load_state(session, school_id, parsed.rows, today)
    result.academic_year = state.year.name if state.year else None
    plan = plan_import(school_id, state, parsed, result, progress)
    if result.problems:
        result.problems = capped(sorted(result.problems, key=lambda p: p.row or 0))
        result.notices = []
        result.created = result.updated = result.unchanged = 0
        return result
    result.notices = capped(result.notices)
    if dry_run:
        result.accounts = [NewAccount(a.external_id, a.login, None) for a in plan.new_accounts]
        return result
    await write_plan(session, school_id, plan, actor, progress)
    result.accounts = plan.new_accounts
    return result
