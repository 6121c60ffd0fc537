"""A study group's own periods (`StudyGroup.periods`, `currentPeriod`) and the journal's
refusal of a period of another scheme."""

from __future__ import annotations

import uuid
from datetime import date

from db import models as m
from db.engine import DatabaseUrls, owner_session
from db.tenancy import set_tenant
from schema.ids import to_global_id as gid
from tests.api.test_journal import JOURNAL, Q1, page_vars
from tests.factories import TwoSchools
from tests.journal_factory import JournalGroup, make_journal_group

PERIODS = """
query Periods($id: ID!, $on: Date) {
  node(id: $id) {
    ... on StudyGroup { periods { id name } currentPeriod(on: $on) { id name } }
  }
}
"""


def other_scheme_period(database: DatabaseUrls, jg: JournalGroup) -> uuid.UUID:
    """A period of a second scheme of the group's year that no grade level of the test uses
    (dated after the quarters, so it holds none of their days)."""
    with owner_session(database.owner) as s:
        set_tenant(s, [jg.school.id])
        scheme = m.PeriodScheme(school_id=jg.school.id, id=uuid.uuid4(),
                                academic_year_id=jg.school.year_id,
                                name=f"Модули {uuid.uuid4().hex[:6]}",
                                kind=m.SchemeKind.MODULES)
        s.add(scheme)
        s.flush()
        period_id = uuid.uuid4()
        s.add(m.Period(school_id=jg.school.id, id=period_id, scheme_id=scheme.id,
                          ordinal=1, name="1 модуль", starts_on=date(2016, 6, 1),
                       ends_on=date(2016, 6, 10)))
    return period_id


def cross_class_group(database: DatabaseUrls, jg: JournalGroup) -> uuid.UUID:
    """An elective of the class's first student: no class of its own."""
    with owner_session(database.owner) as s:
        set_tenant(s, [jg.school.id])
        group_id = uuid.uuid4()
        s.add(m.StudyGroup(school_id=jg.school.id, id=group_id,
                             academic_year_id=jg.school.year_id, subject_id=jg.setup.subject_id,
                             kind=m.GroupKind.CROSS_CLASS, class_id=None, category="elective",
                             name=f"Факультатив {uuid.uuid4().hex[:6]}"))
        s.flush()
        s.add(m.GroupMembership(school_id=jg.school.id, group_id=group_id,
                                student_id=jg.students[0], starts_on=date(2015, 9, 1)))
    return group_id


def periods_of(gql, token: str, group_id: uuid.UUID, on: date | None = None) -> dict | None:
    result = gql.post(PERIODS, {"id": gid("StudyGroup", group_id),
                                "on": on.isoformat() if on else None}, token=token)
    assert "errors" not in result, result
    return result["data"]["node"]


QUARTER_NAMES = ["1 четверть", "2 четверть", "3 четверть", "4 четверть"]


def test_group_periods_are_those_of_its_grade_levels_scheme(
    gql, token_for, schools: TwoSchools, database: DatabaseUrls
) -> None:
    # given: grade 6 uses quarters; another scheme of the year exists
    jg = make_journal_group(database.owner, schools.a, students=1, lessons=0)
    other = other_scheme_period(database, jg)
    # when
    group = periods_of(gql, token_for(jg.teacher_login), jg.group_id, date(2015, 11, 10))
    # then
    assert group is not None
    assert [p["name"] for p in group["periods"]] == QUARTER_NAMES
    assert [p["id"] for p in group["periods"]] == [gid("Period", p)
                                                   for p in jg.setup.period_ids]
    assert gid("Period", other) not in str(group)
    assert group["currentPeriod"] == {"id": gid("Period", jg.setup.period_ids[1]),
                                      "name": "2 четверть"}


def test_group_current_period_is_null_between_periods(
    gql, token_for, schools: TwoSchools, database: DatabaseUrls
) -> None:
    # given
    jg = make_journal_group(database.owner, schools.a, students=1, lessons=0)
    # when: the autumn holidays (1–8 November) are in no quarter
    group = periods_of(gql, token_for(jg.teacher_login), jg.group_id, date(2015, 11, 3))
    # then
    assert group is not None and group["currentPeriod"] is None


def test_cross_class_group_takes_the_scheme_of_its_youngest_class(
    gql, token_for, schools: TwoSchools, database: DatabaseUrls
) -> None:
    # given: an elective whose member is in a grade-6 class
    jg = make_journal_group(database.owner, schools.a, students=1, lessons=0)
    other_scheme_period(database, jg)
    elective = cross_class_group(database, jg)
    # when
    group = periods_of(gql, token_for(schools.a.logins["admin"]), elective, date(2015, 9, 1))
    # then
    assert group is not None
    assert [p["name"] for p in group["periods"]] == QUARTER_NAMES
    assert group["currentPeriod"]["name"] == "1 четверть"


def test_group_periods_of_another_school_are_not_readable(
    gql, token_for, schools: TwoSchools, database: DatabaseUrls
) -> None:
    # given
    jg = make_journal_group(database.owner, schools.a, students=1, lessons=0)
    # when / then: another school's administrator and teacher get no group, so no periods
    for login in (schools.b.logins["admin"], schools.b.logins["teacher"]):
        assert periods_of(gql, token_for(login), jg.group_id) is None, login


def test_group_periods_anonymous_is_unauthenticated(
    gql, schools: TwoSchools, database: DatabaseUrls
) -> None:
    # given
    jg = make_journal_group(database.owner, schools.a, students=1, lessons=0)
    # when
    result = gql.post(PERIODS, {"id": gid("StudyGroup", jg.group_id), "on": None})
    # then
    assert result["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


def test_journal_refuses_a_period_of_another_scheme_naming_the_groups_periods(
    gql, token_for, schools: TwoSchools, database: DatabaseUrls
) -> None:
    # given
    jg = make_journal_group(database.owner, schools.a, students=1, lessons=1)
    other = other_scheme_period(database, jg)
    # when
    result = gql.post(JOURNAL, {**page_vars(jg, Q1), "periodId": gid("Period", other)},
                      token=token_for(jg.teacher_login))
    # then
    assert result["data"] == {"journal": None}
    (error,) = result["errors"]
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "argument": "periodId"}
    assert "«1 четверть», «2 четверть», «3 четверть», «4 четверть»" in error["message"]
