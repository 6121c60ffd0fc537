"""A school's people, classes and study groups: students with families, staff, memberships."""

from __future__ import annotations

import math
import uuid
from datetime import date, timedelta

from db.seed.copy import Rows
from db.seed.marking import draw_ability
from db.seed.names import ADULT_MALE, SURNAMES, FullName, full_name
from db.seed.schools import LETTERS
from db.seed.state import Family, Group, Klass, SchoolState, Teacher
from db.seed.subjects import (
    CURRICULUM,
    ELECTIVE,
    MIN_SPLIT_SIZE,
    SPLIT_SUBJECTS,
    family_of,
)

MAX_LOAD = 24  # lessons a week a specialist teaches at most before another is hired


def build_roster(st: SchoolState) -> None:
    _add_staff_admins(st)
    _add_classes_and_students(st)
    _add_groups(st)
    _assign_teachers(st)


def _birth(st: SchoolState, first_year: int, last_year: int) -> date:
    start = date(first_year, 1, 1)
    return start + timedelta(days=st.rng.randrange((date(last_year, 12, 31) - start).days))


def _adult(st: SchoolState, *, female: bool) -> FullName:
    return full_name(st.rng, female=female, adult=True)


def _add_staff_admins(st: SchoolState) -> None:
    year = st.year.starts_on.year
    count = 1 if st.spec.class_size[1] < 16 else 2
    for _ in range(count):
        female = st.rng.random() < 0.7
        st.admins.append(st.add_person("A", _adult(st, female=female),
                                       _birth(st, year - 62, year - 35), "administrator"))


def _new_family(st: SchoolState) -> Family:
    family = Family(st.rng.choice(SURNAMES), st.rng.choice(ADULT_MALE))
    year = st.year.starts_on.year
    mother = full_name(st.rng, female=True, adult=True, surname=family.surname)
    family.guardians.append(st.add_person("G", mother, _birth(st, year - 50, year - 25),
                                          "guardian"))
    if st.rng.random() < 0.35:
        father = FullName(family.surname, family.father,
                          full_name(st.rng, female=False, adult=True).middle)
        family.guardians.append(st.add_person("G", father, _birth(st, year - 52, year - 26),
                                              "guardian"))
    st.families.append(family)
    return family


def _add_classes_and_students(st: SchoolState) -> None:
    spec, year = st.spec, st.year.starts_on.year
    with_children: list[Family] = []
    for grade in spec.grades:
        for letter in LETTERS[: spec.letters[0] if grade <= 9 else spec.letters[1]]:
            klass = Klass(st.new_id(), grade, letter)
            st.classes.append(klass)
            size = st.rng.randint(*spec.class_size)
            for _ in range(size):
                # about one child in ten has a brother or sister in another class
                if with_children and st.rng.random() < 0.1:
                    family = st.rng.choice(with_children)
                else:
                    family = _new_family(st)
                    with_children.append(family)
                female = st.rng.random() < 0.5
                name = full_name(st.rng, female=female, adult=False, surname=family.surname,
                                 father=family.father)
                birth = date(year - 6 - grade, 9, 1) + timedelta(days=st.rng.randrange(365))
                sid = st.add_person("S", name, birth, "student")
                family.children.append(sid)
                st.family_of[sid] = family
                st.ability[sid] = draw_ability(st.rng)
                klass.students.append(sid)
            klass.students.sort(key=lambda s: (st.people[s].name.last, st.people[s].name.first))
            for sid in klass.students:
                st.enrollments.append((klass.id, sid, st.year.starts_on, None))


def _add_groups(st: SchoolState) -> None:
    start = st.year.starts_on
    for klass in st.classes:
        whole = [(s, start, None) for s in klass.students]
        for subject, hours in CURRICULUM[klass.grade].items():
            if subject in SPLIT_SUBJECTS and len(klass.students) >= MIN_SPLIT_SIZE:
                split = st.new_id()
                half = (len(klass.students) + 1) // 2
                for n, part in enumerate((klass.students[:half], klass.students[half:]), 1):
                    st.groups.append(Group(
                        st.new_id(), subject, "subgroup", klass.grade, [klass],
                        f"{klass.name} {subject} (гр. {n})", hours,
                        [(s, start, None) for s in part], split_id=split))
            else:
                st.groups.append(Group(st.new_id(), subject, "whole_class", klass.grade,
                                       [klass], f"{klass.name} {subject}", hours, list(whole)))
    seniors = [k for k in st.classes if k.grade >= 10]
    if len(seniors) >= 2:
        pair = seniors[:2]
        members = []
        for klass in pair:
            chosen = st.rng.sample(klass.students, max(3, len(klass.students) * 2 // 5))
            members += [(s, start, None) for s in sorted(chosen, key=klass.students.index)]
        names = " и ".join(k.name for k in pair)
        st.groups.append(Group(st.new_id(), ELECTIVE, "cross_class", pair[0].grade, pair,
                               f"Элективный курс «{ELECTIVE}» ({names})", 1, members,
                               category="elective"))


def _assign_teachers(st: SchoolState) -> None:
    year = st.year.starts_on.year
    hours: dict[str, int] = {}
    split_families: set[str] = set()
    for g in st.groups:
        family = family_of(g.subject, g.grade)
        if family == "primary":
            continue
        hours[family] = hours.get(family, 0) + g.hours
        if g.kind == "subgroup":
            split_families.add(family)
    by_family: dict[str, list[Teacher]] = {}
    room = 200
    for family, total in hours.items():
        n = max(math.ceil(total / MAX_LOAD), 2 if family in split_families else 1)
        for _ in range(n):
            female = st.rng.random() < (0.5 if family == "pe" else 0.85)
            pid = st.add_person("T", _adult(st, female=female),
                                _birth(st, year - 64, year - 23), "teacher")
            room += 1
            label = "Спортзал" if family == "pe" else str(room)
            teacher = Teacher(pid, family, label)
            st.teachers.append(teacher)
            by_family.setdefault(family, []).append(teacher)
    for klass in st.classes:
        groups = [g for g in st.groups if g.classes[0] is klass and g.kind != "cross_class"]
        primary: Teacher | None = None
        if klass.grade <= 4:
            pid = st.add_person("T", _adult(st, female=st.rng.random() < 0.95),
                                _birth(st, year - 60, year - 23), "teacher")
            primary = Teacher(pid, "primary", f"1{len(st.teachers):02d}")
            st.teachers.append(primary)
            klass.teacher_id = pid
        for family in dict.fromkeys(family_of(g.subject, g.grade) for g in groups):
            mine = [g for g in groups if family_of(g.subject, g.grade) == family]
            if family == "primary" and primary is not None:
                for g in mine:
                    g.teacher_id = klass.teacher_id
                primary.load += sum(g.hours for g in mine)
                continue
            pool = sorted(by_family[family], key=lambda t: (t.load, st.rng.random()))
            for g in mine:
                n = 1 if g.kind != "subgroup" or g.name.endswith("(гр. 1)") else 2
                teacher = pool[min(n, len(pool)) - 1]
                g.teacher_id = teacher.id
                teacher.load += g.hours
    for g in st.groups:
        if g.kind == "cross_class":
            pool = sorted(by_family["math"], key=lambda t: (t.load, st.rng.random()))
            g.teacher_id = pool[0].id
            pool[0].load += g.hours
    _choose_class_teachers(st)


def _choose_class_teachers(st: SchoolState) -> None:
    taken = {k.teacher_id for k in st.classes if k.teacher_id}
    specialists = [t for t in st.teachers if t.family not in ("primary", "pe")]
    for klass in st.classes:
        if klass.teacher_id:
            continue
        teaching = [g.teacher_id for g in st.groups if g.classes[0] is klass]
        free = [t.id for t in specialists if t.id not in taken]
        candidates = [t for t in teaching if t in free] or free
        if candidates:
            klass.teacher_id = candidates[0]
            taken.add(candidates[0])


def move_student(st: SchoolState, moved_on: date) -> uuid.UUID | None:
    """Move one student of 7А to 7Б: close the old enrollment and memberships, open new ones."""
    old = next((k for k in st.classes if k.name == "7А"), None)
    new = next((k for k in st.classes if k.name == "7Б"), None)
    if old is None or new is None:
        return None
    keep = {st.demo.get("student")}
    sid = next(s for s in reversed(old.students) if s not in keep)
    nxt = moved_on + timedelta(days=1)
    st.enrollments = [(c, s, a, moved_on if s == sid else b) for c, s, a, b in st.enrollments]
    st.enrollments.append((new.id, sid, nxt, None))
    new.students.append(sid)
    for g in st.groups:
        if g.classes[0] is old:
            g.members = [(s, a, moved_on if s == sid else b) for s, a, b in g.members]
        elif g.classes[0] is new and (g.kind == "whole_class" or g.name.endswith("(гр. 2)")):
            g.members.append((sid, nxt, None))
    return sid


def add_roster_rows(st: SchoolState, rows: Rows) -> None:
    school, start = st.id, st.year.starts_on
    for pid, p in st.people.items():
        rows.add("persons", school, pid, p.account_id, p.external_id, p.name.last,
                 p.name.first, p.name.middle, p.birth_date)
        for role in p.roles:
            rows.add("person_roles", school, st.new_id(), pid, role)
    for family in st.families:
        for n, guardian in enumerate(family.guardians):
            for child in family.children:
                rows.add("guardianships", school, st.new_id(), guardian, child,
                         "mother" if n == 0 else "father")
    for klass in st.classes:
        rows.add("classes", school, klass.id, st.year_id, klass.grade, klass.letter,
                 klass.teacher_id)
    for class_id, sid, a, b in st.enrollments:
        rows.add("enrollments", school, st.new_id(), class_id, sid, a, b)
    splits = {}
    for g in st.groups:
        if g.split_id and g.split_id not in splits:
            splits[g.split_id] = g
            rows.add("splits", school, g.split_id, g.classes[0].id, st.subject_ids[g.subject])
    for g in st.groups:
        class_id = g.classes[0].id if g.kind != "cross_class" else None
        rows.add("study_groups", school, g.id, st.year_id, st.subject_ids[g.subject], g.kind,
                 class_id, g.split_id, g.name, g.category)
        for sid, a, b in g.members:
            rows.add("group_memberships", school, st.new_id(), g.id, sid, a, b)
        if g.teacher_id:
            rows.add("teacher_assignments", school, st.new_id(), g.id, g.teacher_id, start,
                     None)
