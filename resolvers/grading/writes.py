"""Writes of the grading domain: each checks everything first, then writes with its audit rows.

The school, or the object changed, comes already checked: the viewer administers it
(resolvers/school_config.py `admin_school`, `admin_row`); `actor` is the author in its school.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, TypeVar

from sqlalchemy import delete, exists, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import flag_modified

from db import audit, models
from db.audit import Actor, Change
from resolvers.grading.values import ValueInput, ValueSpec, check_values
from resolvers.school_config import clean_text, duplicate
from tenants.errors import DomainError, ErrorCode, Problem, not_found

M = models
T = TypeVar("T", bound=models.Base)


@dataclass(frozen=True)
class ValueRef:
    """A value of a conversion row, named by its label or by its id (exactly one of them).
    `id` is the decoded id, or the problem of one that is not a MarkValue's: it is reported
    with the table's other problems."""

    label: str | None
    id: uuid.UUID | Problem | None


@dataclass(frozen=True)
class ConversionRowSpec:
    source: ValueRef
    target: ValueRef


def _raise(errors: list[Problem]) -> None:
    if errors:
        raise DomainError(*errors)


def _change(action: str, row: Any, before: dict[str, Any] | None = None) -> Change:
    return Change(school_id=row.school_id, action=action, entity=row.__tablename__,
                  entity_id=row.id, before=before,
                  after=None if action == "delete" else audit.snapshot(row))


async def _visible(session: AsyncSession, model: type[T], row_id: uuid.UUID) -> T | None:
    """The row as RLS lets the viewer see it (None when it doesn't)."""
    return await session.scalar(select(model).where(model.id == row_id))  # type: ignore[attr-defined]


async def _name_error(session: AsyncSession, school_id: uuid.UUID, name: str,
                      exclude: uuid.UUID | None = None) -> Problem | None:
    stmt = select(M.GradingSystem.id).where(M.GradingSystem.school_id == school_id,
                                            M.GradingSystem.name == name)
    if exclude is not None:
        stmt = stmt.where(M.GradingSystem.id != exclude)
    if await session.scalar(stmt.limit(1)) is not None:
        return duplicate("input.name", "the school already has a grading system of this name")
    return None


def _value_row(system: M.GradingSystem, ordinal: int, spec: ValueSpec) -> M.MarkValue:
    return M.MarkValue(school_id=system.school_id, id=uuid.uuid4(), system_id=system.id,
                       label=spec.label, ordinal=ordinal, range_low=spec.range_low,
                       range_high=spec.range_high, point=spec.point,
                       counts_as_pass=spec.counts_as_pass, numeric_value=spec.numeric_value)


async def _insert_system(session: AsyncSession, actor: Actor, school_id: uuid.UUID, name: str,
                         kind: M.GradingKind, template_code: str | None, specs: list[ValueSpec]
                         ) -> M.GradingSystem:
    system = M.GradingSystem(school_id=school_id, id=uuid.uuid4(), name=name, kind=kind,
                             template_code=template_code)
    session.add(system)
    await session.flush()
    values = [_value_row(system, n, spec) for n, spec in enumerate(specs, start=1)]
    session.add_all(values)
    await session.flush()
    await audit.record(session, actor, _change("create", system),
                       *(_change("create", v) for v in values))
    return system


async def create_grading_system(session: AsyncSession, actor: Actor, school_id: uuid.UUID, *,
                                name: str, kind: M.GradingKind, values: Sequence[ValueInput]
                                ) -> M.GradingSystem:
    """A new system of the school, with its values lowest first."""
    errors: list[Problem] = []
    name = clean_text(name, "input.name", errors, max_length=100)
    if name and (taken := await _name_error(session, school_id, name)):
        errors.append(taken)
    specs, value_errors = check_values(values, "input.values")
    _raise(errors + value_errors)
    return await _insert_system(session, actor, school_id, name, kind, None, specs)


async def copy_grading_template(session: AsyncSession, actor: Actor, school_id: uuid.UUID, *,
                                template_code: str, name: str | None) -> M.GradingSystem:
    """The template `template_code` copied into the school (named as the template by
    default)."""
    template = await session.scalar(
        select(M.GradingTemplate).where(M.GradingTemplate.code == template_code.strip()))
    if template is None:
        raise not_found("input.templateCode", "grading template")
    errors: list[Problem] = []
    name = (template.name if name is None
            else clean_text(name, "input.name", errors, max_length=100))
    if name and (taken := await _name_error(session, school_id, name)):
        errors.append(taken)
    _raise(errors)
    rows = await session.scalars(
        select(M.GradingTemplateValue).where(M.GradingTemplateValue.template_id == template.id)
        .order_by(M.GradingTemplateValue.ordinal))
    specs = [_spec(r) for r in rows]
    return await _insert_system(session, actor, school_id, name, template.kind, template.code,
                                specs)


async def update_grading_system(session: AsyncSession, actor: Actor, system: M.GradingSystem,
                                *, name: str | None, values: Sequence[ValueInput] | None
                                ) -> M.GradingSystem:
    """The system renamed and/or given new values (None: unchanged)."""
    errors: list[Problem] = []
    if name is not None:
        name = clean_text(name, "input.name", errors, max_length=100)
        if name and (taken := await _name_error(session, system.school_id, name, system.id)):
            errors.append(taken)
    specs: list[ValueSpec] | None = None
    current = list(await session.scalars(
        select(M.MarkValue).where(M.MarkValue.school_id == system.school_id,
                                  M.MarkValue.system_id == system.id)
        .order_by(M.MarkValue.ordinal)))
    if values is not None:
        specs, value_errors = check_values(values, "input.values")
        errors += value_errors
        if not value_errors and specs != [_spec(v) for v in current]:
            errors += await _values_frozen(session, system, current, specs)
    _raise(errors)
    changes: list[Change] = []
    if name is not None and name != system.name:
        before = audit.snapshot(system)
        system.name = name
        changes.append(_change("update", system, before))
    if specs is not None and specs != [_spec(v) for v in current]:
        changes += await _replace_values(session, system, current, specs)
    await session.flush()
    await audit.record(session, actor, *changes)
    return system


def _spec(v: M.MarkValue | M.GradingTemplateValue) -> ValueSpec:
    return ValueSpec(v.label, v.range_low, v.range_high, v.point, v.counts_as_pass,
                     v.numeric_value)


async def _values_frozen(session: AsyncSession, system: M.GradingSystem,
                         current: list[M.MarkValue], specs: list[ValueSpec]) -> list[Problem]:
    """Why the values may not change: marks or grades use them (their meaning would shift), or
    conversion tables would lose or lack a row."""
    ids = [v.id for v in current]
    school = system.school_id
    used = await session.scalar(select(
        exists().where(M.Mark.school_id == school, M.Mark.value_id.in_(ids))
        | exists().where(M.Grade.school_id == school,
                         or_(M.Grade.value_id.in_(ids), M.Grade.suggested_value_id.in_(ids)))))
    if used:
        return [Problem(field="input.values", code=ErrorCode.INVALID,
                          message="marks or grades already use this grading system: its values "
                                  "can no longer change")]
    if {v.label for v in current} != {s.label for s in specs}:
        converted = await session.scalar(select(exists().where(
            M.ConversionTable.school_id == school,
            or_(M.ConversionTable.from_system_id == system.id,
                M.ConversionTable.to_system_id == system.id))))
        if converted:
            return [Problem(field="input.values", code=ErrorCode.INVALID,
                              message="conversion tables use this grading system: keep its "
                                      "labels, or delete the tables first")]
    return []


async def _replace_values(session: AsyncSession, system: M.GradingSystem,
                          current: list[M.MarkValue], specs: list[ValueSpec]) -> list[Change]:
    """Values keep their ids by label, so conversion rows that point at them stay valid."""
    by_label = {v.label: v for v in current}
    wanted = {s.label for s in specs}
    changes: list[Change] = []
    gone = [v for v in current if v.label not in wanted]
    for v in gone:
        changes.append(_change("delete", v, audit.snapshot(v)))
        await session.delete(v)
    # Park kept values on negative ordinals first: the (system, ordinal) key is not deferred.
    await session.flush()
    await session.execute(
        update(M.MarkValue)
        .where(M.MarkValue.school_id == system.school_id, M.MarkValue.system_id == system.id)
        .values(ordinal=-M.MarkValue.ordinal)
        .execution_options(synchronize_session=False))
    for n, spec in enumerate(specs, start=1):
        row = by_label.get(spec.label)
        if row is None:
            row = _value_row(system, n, spec)
            session.add(row)
            await session.flush()
            changes.append(_change("create", row))
            continue
        before = audit.snapshot(row)
        row.ordinal, row.range_low, row.range_high, row.point = (n, spec.range_low,
                                                                 spec.range_high, spec.point)
        row.counts_as_pass, row.numeric_value = spec.counts_as_pass, spec.numeric_value
        # The parked ordinal is in the database, not in the loaded row: write every kept row.
        flag_modified(row, "ordinal")
        changes.append(_change("update", row, before))
    return changes


async def create_conversion_table(session: AsyncSession, actor: Actor, source: M.GradingSystem,
                                  *, to_system_id: uuid.UUID, provenance: str,
                                  valid_from: date, valid_to: date | None,
                                  rows: Sequence[ConversionRowSpec]) -> M.ConversionTable:
    """A table from `source` into another system of its school, valid from `valid_from` to
    `valid_to` (None: open-ended), one row per source value."""
    target = await _visible(session, M.GradingSystem, to_system_id)
    if target is None or target.school_id != source.school_id:
        raise not_found("input.toSystemId", "grading system")
    school = source.school_id
    errors: list[Problem] = []
    if target.id == source.id:
        errors.append(Problem(field="input.toSystemId", code=ErrorCode.INVALID,
                                message="must differ from the source system"))
    provenance = clean_text(provenance, "input.provenance", errors, max_length=2000)
    if valid_to is not None and valid_to < valid_from:
        errors.append(Problem(field="input.validTo", code=ErrorCode.INVALID,
                                message="must not be before validFrom"))
    else:
        clash = select(M.ConversionTable.id).where(
            M.ConversionTable.school_id == school,
            M.ConversionTable.from_system_id == source.id,
            M.ConversionTable.to_system_id == target.id,
            or_(M.ConversionTable.valid_to.is_(None),
                M.ConversionTable.valid_to >= valid_from))
        if valid_to is not None:
            clash = clash.where(M.ConversionTable.valid_from <= valid_to)
        if await session.scalar(clash.limit(1)) is not None:
            errors.append(Problem(field="input.validFrom", code=ErrorCode.OVERLAP,
                                    message="another conversion table between these systems "
                                            "applies in this time"))
    values = list(await session.scalars(
        select(M.MarkValue).where(M.MarkValue.school_id == school,
                                  M.MarkValue.system_id.in_([source.id, target.id]))
        .order_by(M.MarkValue.ordinal)))
    pairs = _map_rows(rows, [v for v in values if v.system_id == source.id],
                      [v for v in values if v.system_id == target.id], errors)
    _raise(errors)
    table = M.ConversionTable(school_id=school, id=uuid.uuid4(), from_system_id=source.id,
                              to_system_id=target.id, provenance=provenance,
                              valid_from=valid_from, valid_to=valid_to)
    session.add(table)
    await session.flush()
    lines = [M.ConversionRow(school_id=school, id=uuid.uuid4(), table_id=table.id,
                             from_value_id=f.id, to_value_id=t.id) for f, t in pairs]
    session.add_all(lines)
    await session.flush()
    await audit.record(session, actor, _change("create", table),
                       *(_change("create", r) for r in lines))
    return table


def _map_rows(rows: Sequence[ConversionRowSpec], source: list[M.MarkValue],
              target: list[M.MarkValue], errors: list[Problem]
              ) -> list[tuple[M.MarkValue, M.MarkValue]]:
    """Each source value exactly once, each to a value of the target."""
    pairs: list[tuple[M.MarkValue, M.MarkValue]] = []
    mapped: set[uuid.UUID] = set()
    for i, row in enumerate(rows):
        p = f"input.rows.{i}"
        f = _pick(source, row.source, f"{p}.from", "source", errors)
        t = _pick(target, row.target, f"{p}.to", "target", errors)
        if f is not None and f.id in mapped:
            field = f"{p}.fromLabel" if row.source.label is not None else f"{p}.fromValueId"
            errors.append(Problem(field=field, code=ErrorCode.DUPLICATE,
                                    message=f"the value «{f.label}» is already mapped by an "
                                            "earlier row"))
        elif f is not None and t is not None:
            mapped.add(f.id)
            pairs.append((f, t))
    missing = [v.label for v in source if v.id not in mapped]
    if missing and not any(e.field and e.field.startswith("input.rows.") for e in errors):
        errors.append(Problem(field="input.rows", code=ErrorCode.INVALID,
                                message="every value of the source system must be mapped; "
                                        "missing: " + ", ".join(f"«{m}»" for m in missing)))
    return pairs


def _pick(values: list[M.MarkValue], ref: ValueRef, prefix: str, side: str,
          errors: list[Problem]) -> M.MarkValue | None:
    """The value named by label or by id (exactly one of them) among `values`."""
    label, value_id = ref.label, ref.id
    if (label is None) == (value_id is None):
        errors.append(Problem(field=f"{prefix}Label", code=ErrorCode.REQUIRED,
                                message=f"give exactly one of {prefix.rsplit('.', 1)[1]}Label "
                                        f"and {prefix.rsplit('.', 1)[1]}ValueId"))
        return None
    if isinstance(value_id, Problem):
        errors.append(value_id)
        return None
    if value_id is not None:
        found = next((v for v in values if v.id == value_id), None)
        if found is None:
            errors.append(Problem(field=f"{prefix}ValueId", code=ErrorCode.NOT_FOUND,
                                    message=f"no such value of the {side} system"))
        return found
    found = next((v for v in values if v.label == (label or "").strip()), None)
    if found is None:
        errors.append(Problem(field=f"{prefix}Label", code=ErrorCode.NOT_FOUND,
                                message=f"the {side} system has no value «{label}»"))
    return found


async def delete_conversion_table(session: AsyncSession, actor: Actor, table: M.ConversionTable
                                  ) -> M.ConversionTable:
    """The table deleted with its rows."""
    rows = list(await session.scalars(select(M.ConversionRow).where(
        M.ConversionRow.school_id == table.school_id, M.ConversionRow.table_id == table.id)))
    changes = [*(_change("delete", r, audit.snapshot(r)) for r in rows),
               _change("delete", table, audit.snapshot(table))]
    await session.execute(delete(M.ConversionRow).where(
        M.ConversionRow.school_id == table.school_id, M.ConversionRow.table_id == table.id))
    await session.delete(table)
    await session.flush()
    await audit.record(session, actor, *changes)
    return table


async def set_grading_system_use(session: AsyncSession, actor: Actor, year: M.AcademicYear, *,
                                 subject_id: uuid.UUID | None, system_id: uuid.UUID,
                                 grade_level: int | None) -> M.GradingSystemUse:
    """System `system_id` for the subject (None: every subject) and grade level (None: every
    level) in the year, replacing the one set for the same three before."""
    school = year.school_id
    errors: list[Problem] = []
    if subject_id is not None:
        subject = await _visible(session, M.Subject, subject_id)
        if subject is None or subject.school_id != school:
            errors.append(not_found("input.subjectId", "subject").problems[0])
            subject_id = None
    system = await _visible(session, M.GradingSystem, system_id)
    if system is None or system.school_id != school:
        errors.append(not_found("input.systemId", "grading system").problems[0])
    if grade_level is not None and not 1 <= grade_level <= 11:
        errors.append(Problem(field="input.gradeLevel", code=ErrorCode.OUT_OF_RANGE,
                                message="must be between 1 and 11"))
    _raise(errors)
    assert system is not None
    use = await session.scalar(select(M.GradingSystemUse).where(
        M.GradingSystemUse.school_id == school,
        M.GradingSystemUse.academic_year_id == year.id,
        M.GradingSystemUse.subject_id.is_not_distinct_from(subject_id),
        M.GradingSystemUse.grade_level.is_not_distinct_from(grade_level)))
    if use is None:
        use = M.GradingSystemUse(school_id=school, id=uuid.uuid4(), academic_year_id=year.id,
                                 subject_id=subject_id, grade_level=grade_level,
                                 system_id=system.id)
        session.add(use)
        await session.flush()
        change = _change("create", use)
    else:
        before = audit.snapshot(use)
        use.system_id = system.id
        await session.flush()
        change = _change("update", use, before)
    await audit.record(session, actor, change)
    return use
