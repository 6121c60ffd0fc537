"""A school's settings through the API: read with defaults, changed by an administrator,
validated and audited, and in force from the next request."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest
from sqlalchemy import text

from db import models as m
from db.engine import DatabaseUrls, owner_session
from db.tenancy import set_tenant
from schema.ids import to_global_id
from tests.factories import TwoSchools
from tests.journal_factory import make_journal_group

FIELDS = ("markDeadlineDays postingWindowDays roundingThreshold minGroupSize timeZone "
          "offlineWindowHours digestHour notificationRetentionDays")
SETTINGS = f"""
query S($id: ID!) {{ node(id: $id) {{ ... on School {{ settings {{ {FIELDS} }} }} }} }}
"""
UPDATE = f"""
mutation U($input: UpdateSchoolSettingsInput!) {{ updateSchoolSettings(input: $input) {{
  settings {{ {FIELDS} }} errors {{ field code message }} }} }}
"""
DEFAULTS = {"markDeadlineDays": 7, "postingWindowDays": None, "roundingThreshold": 0.5,
            "minGroupSize": 5, "timeZone": "Asia/Yakutsk", "offlineWindowHours": 72,
            "digestHour": 18, "notificationRetentionDays": 30}
OTHER_ROLES = ["teacher", "class_teacher", "student", "guardian"]


def _sql(database: DatabaseUrls, school_id: uuid.UUID, query: str, **params: Any) -> list[Any]:
    with owner_session(database.owner) as s:
        set_tenant(s, [school_id])
        return list(s.execute(text(query), {"school": school_id, **params}).all())


@pytest.fixture
def fresh(database: DatabaseUrls, schools: TwoSchools) -> Iterator[uuid.UUID]:
    """School A without a settings row, put back so after the test."""
    def reset() -> None:
        with owner_session(database.owner) as s:
            set_tenant(s, [schools.a.id])
            s.execute(text("DELETE FROM school_settings WHERE school_id = :s"),
                      {"s": schools.a.id})
            s.execute(text("UPDATE schools SET timezone = 'Asia/Yakutsk' WHERE id = :s"),
                      {"s": schools.a.id})
    reset()
    yield schools.a.id
    reset()


def update(gql, token: str, school_id: uuid.UUID, **fields: Any) -> dict[str, Any]:
    body = gql.post(UPDATE, {"input": {"schoolId": to_global_id("School", school_id),
                                       **fields}}, token=token)
    assert "errors" not in body, body
    return body["data"]["updateSchoolSettings"]


def read(gql, token: str, school_id: uuid.UUID) -> Any:
    body = gql.post(SETTINGS, {"id": to_global_id("School", school_id)}, token=token)
    assert "errors" not in body, body
    return body["data"]["node"]["settings"]


def test_settings_read_defaults_for_members_and_officers_not_other_schools(
    gql, token_for, schools: TwoSchools, fresh: uuid.UUID
) -> None:
    for login in [schools.a.logins[r] for r in ["admin", *OTHER_ROLES]] + [
            schools.officer_logins["region"], schools.officer_logins["muni_a"]]:
        assert read(gql, token_for(login), fresh) == DEFAULTS, login
    assert read(gql, token_for(schools.b.logins["admin"]), fresh) is None


def test_update_school_settings_by_an_administrator_creates_the_row_and_audits(
    gql, token_for, schools: TwoSchools, database: DatabaseUrls, fresh: uuid.UUID
) -> None:
    # given a school without settings
    admin = token_for(schools.a.logins["admin"])
    wanted = {"markDeadlineDays": 3, "postingWindowDays": 14, "roundingThreshold": 0.6,
              "minGroupSize": 3, "timeZone": "Asia/Vladivostok", "offlineWindowHours": 24,
              "digestHour": 7, "notificationRetentionDays": 10}
    # when
    result = update(gql, admin, fresh, **wanted)
    # then
    assert result == {"settings": wanted, "errors": []}
    assert read(gql, token_for(schools.a.logins["teacher"]), fresh) == wanted
    (tz,) = _sql(database, fresh, "SELECT timezone FROM schools WHERE id = :school")
    assert tz[0] == "Asia/Vladivostok"
    # and omitted fields stay; the posting window may be cleared with null
    again = update(gql, admin, fresh, postingWindowDays=None)
    assert again["settings"] == {**wanted, "postingWindowDays": None}
    audit = _sql(database, fresh, "SELECT action, before, after FROM audit_log WHERE "
                 "school_id = :school AND entity = 'school_settings' ORDER BY seq DESC LIMIT 2")
    (last_action, last_before, last_after), (first_action, first_before, first_after) = audit
    assert first_action == "create" and first_before is None
    assert first_after["time_zone"] == "Asia/Vladivostok"
    assert first_after["rounding_threshold"] == "0.60"
    assert last_action == "update" and last_before["posting_window_days"] == 14
    assert last_after["posting_window_days"] is None


def test_update_school_settings_refuses_bad_values_naming_each_field(
    gql, token_for, schools: TwoSchools, database: DatabaseUrls, fresh: uuid.UUID
) -> None:
    result = update(gql, token_for(schools.a.logins["admin"]), fresh,
                    markDeadlineDays=61, postingWindowDays=-1, roundingThreshold=1.0,
                    minGroupSize=0, timeZone="Mars/Olympus", offlineWindowHours=721,
                    digestHour=24, notificationRetentionDays=0)
    assert result["settings"] is None
    assert [(e["field"], e["code"]) for e in result["errors"]] == [
        ("input.markDeadlineDays", "OUT_OF_RANGE"), ("input.postingWindowDays", "OUT_OF_RANGE"),
        ("input.roundingThreshold", "OUT_OF_RANGE"), ("input.minGroupSize", "OUT_OF_RANGE"),
        ("input.timeZone", "INVALID"), ("input.offlineWindowHours", "OUT_OF_RANGE"),
        ("input.digestHour", "OUT_OF_RANGE"), ("input.notificationRetentionDays", "OUT_OF_RANGE")]
    more = update(gql, token_for(schools.a.logins["admin"]), fresh, roundingThreshold=0.555,
                  markDeadlineDays=None, timeZone="../../etc/passwd")
    assert [(e["field"], e["code"]) for e in more["errors"]] == [
        ("input.markDeadlineDays", "REQUIRED"), ("input.roundingThreshold", "INVALID"),
        ("input.timeZone", "INVALID")]
    assert _sql(database, fresh, "SELECT id FROM school_settings WHERE school_id = :school") == []


def test_update_school_settings_by_other_roles_and_schools_is_refused(
    gql, token_for, schools: TwoSchools, database: DatabaseUrls, fresh: uuid.UUID
) -> None:
    for role in OTHER_ROLES:
        result = update(gql, token_for(schools.a.logins[role]), fresh, minGroupSize=1)
        assert [(e["field"], e["code"]) for e in result["errors"]] == [
            ("input.schoolId", "FORBIDDEN")]
    for login in (schools.b.logins["admin"], schools.officer_logins["region"]):
        result = update(gql, token_for(login), fresh, minGroupSize=1, timeZone="UTC")
        assert [(e["field"], e["code"]) for e in result["errors"]] == [
            ("input.schoolId", "NOT_FOUND")]
    assert _sql(database, fresh, "SELECT id FROM school_settings WHERE school_id = :school") == []
    (tz,) = _sql(database, fresh, "SELECT timezone FROM schools WHERE id = :school")
    assert tz[0] == "Asia/Yakutsk"


def test_the_application_role_changes_no_time_zone_outside_its_tenant_scope(
    database: DatabaseUrls, schools: TwoSchools
) -> None:
    # the database refuses alone: scoped to school B, school A's time zone cannot change
    import sqlalchemy as sa

    engine = sa.create_engine(database.app)
    with engine.connect() as conn:
        conn.execute(text("SELECT set_config('zhurnal.school_ids', :s, true)"),
                     {"s": str(schools.b.id)})
        with pytest.raises(sa.exc.DBAPIError, match="scope"):
            conn.execute(text("SELECT zhurnal_set_school_timezone(:s, 'UTC')"),
                         {"s": schools.a.id})
        conn.rollback()
        with pytest.raises(sa.exc.ProgrammingError):
            conn.execute(text("UPDATE schools SET timezone = 'UTC' WHERE id = :s"),
                         {"s": schools.a.id})
    engine.dispose()


async def _late(database: DatabaseUrls, school_id: uuid.UUID, work_day: date,
                entered: datetime) -> bool:
    from db.engine import app_engine
    from resolvers.timeliness import deadlines

    engine = app_engine(database.app)
    try:
        async with engine.connect() as conn:
            from sqlalchemy.ext.asyncio import AsyncSession
            async with AsyncSession(conn) as session:
                await session.execute(text("SELECT set_config('zhurnal.school_ids', :s, true)"),
                                      {"s": str(school_id)})
                return (await deadlines(session, school_id)).late_mark(work_day, entered)
    finally:
        await engine.dispose()


def test_the_mark_deadline_setting_decides_whether_a_mark_is_late(
    gql, token_for, schools: TwoSchools, database: DatabaseUrls, fresh: uuid.UUID
) -> None:
    # given a mark entered two days after the work
    work_day = date(2015, 9, 7)
    entered = datetime.combine(work_day + timedelta(days=2), time(3), tzinfo=UTC)
    admin = token_for(schools.a.logins["admin"])
    assert asyncio.run(_late(database, fresh, work_day, entered)) is False
    # when the deadline is set to the day of the work, then to one day
    update(gql, admin, fresh, markDeadlineDays=0)
    on_the_day = asyncio.run(_late(database, fresh, work_day, entered))
    update(gql, admin, fresh, markDeadlineDays=2)
    two_days = asyncio.run(_late(database, fresh, work_day, entered))
    # then the same mark is late, then on time
    assert on_the_day is True and two_days is False


AGGREGATE_MARKS = """
query A($filter: AggregateFilter!) { aggregates(filter: $filter) {
  rows { threshold marks { suppressed students } } } }
"""


def test_the_small_cell_setting_decides_suppression(
    gql, token_for, schools: TwoSchools, database: DatabaseUrls, fresh: uuid.UUID
) -> None:
    # given a group of school A of 3 students, each with a mark, with its own subject
    jg = make_journal_group(database.owner, schools.a, students=3, lessons=1)
    subject = f"Настройки {uuid.uuid4().hex[:8]}"
    with owner_session(database.owner) as s:
        set_tenant(s, [schools.a.id])
        subject_id = uuid.uuid4()
        s.add(m.Subject(school_id=schools.a.id, id=subject_id, name=subject, short_name="Н"))
        s.flush()
        s.execute(text("UPDATE study_groups SET subject_id = :sub WHERE id = :g"),
                  {"sub": subject_id, "g": jg.group_id})
        for student in jg.students:
            s.add(m.Mark(school_id=schools.a.id, group_id=jg.group_id,
                         lesson_id=jg.lesson_ids[0], student_id=student,
                         work_date=jg.lesson_dates[0],
                         work_type_id=jg.setup.work_type_ids["classwork"],
                         value_id=jg.setup.value_ids["5"],
                         entered_at=datetime.combine(jg.lesson_dates[0], time(3), tzinfo=UTC)))
    officer = token_for(schools.officer_logins["muni_a"])
    variables = {"filter": {"from": "2015-09-01", "to": "2015-10-31", "subjectName": subject}}

    def row() -> dict[str, Any]:
        body = gql.post(AGGREGATE_MARKS, variables, token=officer)
        assert "errors" not in body, body
        (found,) = body["data"]["aggregates"]["rows"]
        return found

    # when the threshold is the default (5), then set to 3
    before = row()
    update(gql, token_for(schools.a.logins["admin"]), fresh, minGroupSize=3)
    after = row()
    # then the three students are suppressed, then shown
    assert before == {"threshold": 5, "marks": {"suppressed": True, "students": None}}
    assert after == {"threshold": 3, "marks": {"suppressed": False, "students": 3}}
