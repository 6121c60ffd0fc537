"""What the seeder knows about one school while it builds it: ids, people, classes, groups."""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from db.seed.calendar import SchemePlan, Span
from db.seed.grading import Scale, ScaleValue
from db.seed.ids import new_id
from db.seed.names import FullName
from db.seed.schools import SchoolSpec


@dataclass
class PersonRec:
    external_id: str
    name: FullName
    birth_date: date | None
    roles: list[str]
    account_id: uuid.UUID | None = None


@dataclass
class Family:
    surname: str
    father: str
    guardians: list[uuid.UUID] = field(default_factory=list)
    children: list[uuid.UUID] = field(default_factory=list)


@dataclass
class SchemeRec:
    id: uuid.UUID
    plan: SchemePlan
    period_ids: list[uuid.UUID]


@dataclass
class SystemRec:
    id: uuid.UUID
    scale: Scale
    value_ids: dict[str, uuid.UUID]
    labels: dict[str, ScaleValue] = field(init=False)

    def __post_init__(self) -> None:
        self.labels = self.scale.by_label()


@dataclass
class Klass:
    id: uuid.UUID
    grade: int
    letter: str
    students: list[uuid.UUID] = field(default_factory=list)
    teacher_id: uuid.UUID | None = None

    @property
    def name(self) -> str:
        return f"{self.grade}{self.letter}"


@dataclass
class Slot:
    id: uuid.UUID
    weekday: int
    number: int
    teacher_id: uuid.UUID
    room: str


@dataclass
class Group:
    id: uuid.UUID
    subject: str
    kind: str
    grade: int
    classes: list[Klass]
    name: str
    hours: int
    members: list[tuple[uuid.UUID, date, date | None]] = field(default_factory=list)
    split_id: uuid.UUID | None = None
    teacher_id: uuid.UUID | None = None
    slots: list[Slot] = field(default_factory=list)
    category: str | None = None

    def members_on(self, day: date) -> list[uuid.UUID]:
        return [s for s, a, b in self.members if a <= day and (b is None or day <= b)]


@dataclass
class Teacher:
    id: uuid.UUID
    family: str
    room: str
    load: int = 0


@dataclass
class SchoolState:
    spec: SchoolSpec
    id: uuid.UUID
    rng: random.Random
    year: Span
    year_id: uuid.UUID = field(init=False)
    schemes: dict[str, SchemeRec] = field(default_factory=dict)
    grade_scheme: dict[int, str] = field(default_factory=dict)
    subject_ids: dict[str, uuid.UUID] = field(default_factory=dict)
    work_type_ids: dict[str, uuid.UUID] = field(default_factory=dict)
    lesson_type_ids: dict[str, uuid.UUID] = field(default_factory=dict)
    systems: dict[str, SystemRec] = field(default_factory=dict)
    people: dict[uuid.UUID, PersonRec] = field(default_factory=dict)
    families: list[Family] = field(default_factory=list)
    family_of: dict[uuid.UUID, Family] = field(default_factory=dict)
    ability: dict[uuid.UUID, float] = field(default_factory=dict)
    classes: list[Klass] = field(default_factory=list)
    groups: list[Group] = field(default_factory=list)
    teachers: list[Teacher] = field(default_factory=list)
    admins: list[uuid.UUID] = field(default_factory=list)
    enrollments: list[tuple[uuid.UUID, uuid.UUID, date, date | None]] = field(
        default_factory=list
    )
    demo: dict[str, uuid.UUID] = field(default_factory=dict)
    # The school's rounding threshold (school_settings; 0.5 when the school keeps the default)
    rounding_threshold: Decimal = Decimal("0.5")
    # Taught without marks: (grade level, subject), subject None for the whole grade level
    unmarked: set[tuple[int, str | None]] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.year_id = self.new_id()

    def without_marks(self, grade: int, subject: str) -> bool:
        return (grade, None) in self.unmarked or (grade, subject) in self.unmarked

    def new_id(self) -> uuid.UUID:
        return new_id(self.rng)

    def system_for(self, subject: str, grade: int) -> SystemRec:
        if subject in self.spec.pass_fail:
            return self.systems["pass_fail"]
        if grade in self.spec.ten_point:
            return self.systems["ten_point"]
        return self.systems["five_point"]

    def add_person(
        self, prefix: str, name: FullName, birth: date | None, *roles: str
    ) -> uuid.UUID:
        pid = self.new_id()
        external = f"{prefix}-{len(self.people) + 1:05d}"
        self.people[pid] = PersonRec(external, name, birth, list(roles))
        return pid

    def display(self, pid: uuid.UUID) -> str:
        n = self.people[pid].name
        return f"{n.last} {n.first} {n.middle}"
