"""The bell schedule and the weekly timetable: reads, administrator writes, double booking."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from sqlalchemy import text
from strawberry import relay

from db.engine import DatabaseUrls, owner_session
from schema.ids import to_global_id as gid
from tests.factories import TwoSchools
from tests.journal_factory import JournalGroup, make_journal_group

ERRORS = "errors { field code message }"
BELLS = "query B($schoolId: ID!) { bells(schoolId: $schoolId) { lessonNumber startsAt endsAt } }"
SET_BELLS = f"""
mutation S($input: SetBellsInput!) {{ setBells(input: $input) {{
  bells {{ lessonNumber startsAt endsAt }} {ERRORS} }} }}
"""
SLOT_FIELDS = "id weekday lessonNumber room validFrom validTo group { id } teacher { fullName }"
CREATE_SLOT = f"""
mutation C($input: CreateTimetableSlotInput!) {{ createTimetableSlot(input: $input) {{
  slot {{ {SLOT_FIELDS} }} {ERRORS} }} }}
"""
END_SLOT = f"""
mutation E($input: EndTimetableSlotInput!) {{ endTimetableSlot(input: $input) {{
  slot {{ {SLOT_FIELDS} }} {ERRORS} }} }}
"""
TIMETABLE = f"""
query T($schoolId: ID!, $on: Date!, $groupId: ID, $teacherId: ID, $classId: ID) {{
  timetable(schoolId: $schoolId, on: $on, groupId: $groupId, teacherId: $teacherId,
            classId: $classId) {{ {SLOT_FIELDS} }} }}
"""
NODE = "query N($id: ID!) { node(id: $id) { id ... on TimetableSlot { weekday } } }"

OTHER_ROLES = ["teacher", "class_teacher", "student", "guardian"]
BELL_SET = [{"lessonNumber": 1, "startsAt": "08:30:00", "endsAt": "09:15:00"},
            {"lessonNumber": 2, "startsAt": "09:25:00", "endsAt": "10:10:00"}]


def sql(database: DatabaseUrls, school_id: uuid.UUID, query: str, **params: Any) -> list[Any]:
    with owner_session(database.owner) as s:
        s.execute(text("SELECT set_config('zhurnal.school_ids', :s, true)"),
                  {"s": str(school_id)})
        return list(s.execute(text(query), {"school": school_id, **params}).all())


def raw_id(global_id: str) -> uuid.UUID:
    return uuid.UUID(relay.GlobalID.from_id(global_id).node_id)



def codes(payload: dict[str, Any]) -> list[tuple[str | None, str]]:
    return [(e["field"], e["code"]) for e in payload["errors"]]


def bells_of(database: DatabaseUrls, school_id: uuid.UUID) -> list[tuple[Any, ...]]:
    return [tuple(r) for r in sql(database, school_id, "SELECT lesson_number, starts_at, ends_at "
                                  "FROM bells WHERE school_id = :school ORDER BY lesson_number")]


def slots_of(database: DatabaseUrls, school_id: uuid.UUID, group_id: uuid.UUID) -> int:
    return len(sql(database, school_id, "SELECT id FROM timetable_slots WHERE school_id = "
                                        ":school AND group_id = :g", g=group_id))


def slot_input(j: JournalGroup, **extra: Any) -> dict[str, Any]:
    return {"groupId": gid("StudyGroup", j.group_id), "teacherId": gid("Person", j.teacher_id),
            "weekday": 1, "lessonNumber": 2, "validFrom": "2015-09-01", **extra}


@pytest.fixture()
def admin_a(token_for, schools: TwoSchools) -> str:
    return token_for(schools.a.logins["admin"])


@pytest.fixture()
def journal(database: DatabaseUrls, schools: TwoSchools) -> JournalGroup:
    return make_journal_group(database.owner, schools.a, students=1, lessons=0)


# --- bells -----------------------------------------------------------------------------------

def test_set_bells_replaces_the_schedule_and_audits(
    gql, admin_a: str, token_for, schools: TwoSchools, database: DatabaseUrls
) -> None:
    # given
    school = gid("School", schools.a.id)
    gql.post(SET_BELLS, {"input": {"schoolId": school, "bells": BELL_SET[:1]}}, token=admin_a)
    # when
    body = gql.post(SET_BELLS, {"input": {"schoolId": school, "bells": BELL_SET[::-1]}},
                    token=admin_a)
    # then
    assert body["data"]["setBells"]["errors"] == []
    assert [b["lessonNumber"] for b in body["data"]["setBells"]["bells"]] == [1, 2]
    listed = gql.post(BELLS, {"schoolId": school},
                      token=token_for(schools.a.logins["student"]))["data"]["bells"]
    assert listed == BELL_SET
    actions = [r.action for r in sql(database, schools.a.id,
                                     "SELECT action FROM audit_log WHERE school_id = :school "
                                     "AND entity = 'bells' ORDER BY seq DESC LIMIT 3")]
    assert sorted(actions) == ["create", "create", "delete"]
    assert gql.post(BELLS, {"schoolId": school},
                    token=token_for(schools.b.logins["admin"]))["data"]["bells"] == []


@pytest.mark.parametrize("role", OTHER_ROLES)
def test_set_bells_by_other_roles_is_forbidden(
    gql, admin_a: str, token_for, schools: TwoSchools, database: DatabaseUrls, role: str
) -> None:
    # given
    school = gid("School", schools.a.id)
    gql.post(SET_BELLS, {"input": {"schoolId": school, "bells": BELL_SET}}, token=admin_a)
    before = bells_of(database, schools.a.id)
    # when
    body = gql.post(SET_BELLS, {"input": {"schoolId": school, "bells": BELL_SET[:1]}},
                    token=token_for(schools.a.logins[role]))
    # then
    assert codes(body["data"]["setBells"]) == [("input.schoolId", "FORBIDDEN")]
    assert bells_of(database, schools.a.id) == before


@pytest.mark.parametrize("who", ["other_admin", "officer"])
def test_set_bells_of_another_school_is_not_found(
    gql, admin_a: str, token_for, schools: TwoSchools, database: DatabaseUrls, who: str
) -> None:
    # given
    school = gid("School", schools.a.id)
    gql.post(SET_BELLS, {"input": {"schoolId": school, "bells": BELL_SET}}, token=admin_a)
    before = bells_of(database, schools.a.id)
    login = schools.b.logins["admin"] if who == "other_admin" else \
        schools.officer_logins["region"]
    # when
    body = gql.post(SET_BELLS, {"input": {"schoolId": school, "bells": []}},
                    token=token_for(login))
    # then
    assert codes(body["data"]["setBells"]) == [("input.schoolId", "NOT_FOUND")]
    assert bells_of(database, schools.a.id) == before


def test_set_bells_with_bad_bells_names_each_and_writes_nothing(
    gql, admin_a: str, schools: TwoSchools, database: DatabaseUrls
) -> None:
    # given
    school = gid("School", schools.a.id)
    gql.post(SET_BELLS, {"input": {"schoolId": school, "bells": BELL_SET}}, token=admin_a)
    before = bells_of(database, schools.a.id)
    bad = [{"lessonNumber": 1, "startsAt": "08:30:00", "endsAt": "09:15:00"},
           {"lessonNumber": 2, "startsAt": "09:00:00", "endsAt": "09:45:00"},
           {"lessonNumber": 2, "startsAt": "11:00:00", "endsAt": "11:45:00"},
           {"lessonNumber": 3, "startsAt": "12:00:00", "endsAt": "11:45:00"}]
    # when
    body = gql.post(SET_BELLS, {"input": {"schoolId": school, "bells": bad}}, token=admin_a)
    # then
    assert codes(body["data"]["setBells"]) == [("input.bells.2.lessonNumber", "DUPLICATE"),
                                               ("input.bells.3.endsAt", "INVALID"),
                                               ("input.bells.1.startsAt", "OVERLAP")]
    assert bells_of(database, schools.a.id) == before


# --- timetable slots -------------------------------------------------------------------------

def test_create_timetable_slot_by_an_administrator_is_listed_and_audited(
    gql, admin_a: str, token_for, schools: TwoSchools, database: DatabaseUrls,
    journal: JournalGroup,
) -> None:
    # when
    body = gql.post(CREATE_SLOT, {"input": slot_input(journal, room=" 12 ")}, token=admin_a)
    # then
    payload = body["data"]["createTimetableSlot"]
    assert payload["errors"] == []
    slot = payload["slot"]
    assert (slot["weekday"], slot["lessonNumber"], slot["room"], slot["validTo"]) == (
        1, 2, "12", None)
    assert [r.action for r in sql(database, schools.a.id, "SELECT action FROM audit_log WHERE "
                                  "entity = 'timetable_slots' AND entity_id = :id",
                                  id=raw_id(slot["id"]))] == ["create"]
    school = gid("School", schools.a.id)
    for login in [schools.a.logins["student"], journal.teacher_login,
                  schools.officer_logins["region"]]:
        listed = gql.post(TIMETABLE, {"schoolId": school, "on": "2015-10-05",
                                      "groupId": gid("StudyGroup", journal.group_id)},
                          token=token_for(login))["data"]["timetable"]
        assert [s["id"] for s in listed] == [slot["id"]]
    by_class = gql.post(TIMETABLE, {"schoolId": school, "on": "2015-10-05",
                                    "classId": gid("SchoolClass", journal.class_id)},
                        token=admin_a)["data"]["timetable"]
    assert [s["id"] for s in by_class] == [slot["id"]]
    by_teacher = gql.post(TIMETABLE, {"schoolId": school, "on": "2015-10-05",
                                      "teacherId": gid("Person", journal.teacher_id)},
                          token=admin_a)["data"]["timetable"]
    assert [s["teacher"]["fullName"] for s in by_teacher] != []
    other = token_for(schools.b.logins["admin"])
    assert gql.post(TIMETABLE, {"schoolId": school, "on": "2015-10-05"},
                    token=other)["data"]["timetable"] == []
    assert gql.post(NODE, {"id": slot["id"]}, token=other)["data"]["node"] is None


@pytest.mark.parametrize("role", OTHER_ROLES)
def test_create_timetable_slot_by_other_roles_is_forbidden(
    gql, token_for, schools: TwoSchools, database: DatabaseUrls, journal: JournalGroup,
    role: str,
) -> None:
    # when
    body = gql.post(CREATE_SLOT, {"input": slot_input(journal)},
                    token=token_for(schools.a.logins[role]))
    # then
    assert codes(body["data"]["createTimetableSlot"]) == [("input.groupId", "FORBIDDEN")]
    assert slots_of(database, schools.a.id, journal.group_id) == 0


def test_create_timetable_slot_by_the_group_teacher_is_forbidden(
    gql, token_for, schools: TwoSchools, database: DatabaseUrls, journal: JournalGroup,
) -> None:
    body = gql.post(CREATE_SLOT, {"input": slot_input(journal)},
                    token=token_for(journal.teacher_login))
    assert codes(body["data"]["createTimetableSlot"]) == [("input.groupId", "FORBIDDEN")]
    assert slots_of(database, schools.a.id, journal.group_id) == 0


@pytest.mark.parametrize("who", ["other_admin", "officer"])
def test_create_timetable_slot_in_another_school_is_not_found(
    gql, token_for, schools: TwoSchools, database: DatabaseUrls, journal: JournalGroup,
    who: str,
) -> None:
    login = schools.b.logins["admin"] if who == "other_admin" else \
        schools.officer_logins["region"]
    body = gql.post(CREATE_SLOT, {"input": slot_input(journal)}, token=token_for(login))
    assert codes(body["data"]["createTimetableSlot"]) == [("input.groupId", "NOT_FOUND")]
    assert slots_of(database, schools.a.id, journal.group_id) == 0


def test_create_timetable_slot_with_bad_input_names_each_field(
    gql, admin_a: str, schools: TwoSchools, database: DatabaseUrls, journal: JournalGroup,
) -> None:
    # given: a teacher of school B and a student of school A are not teachers here
    bad = slot_input(journal, weekday=8, lessonNumber=0, validTo="2015-08-01",
                     teacherId=gid("Person", schools.b.people["teacher"]))
    # when
    body = gql.post(CREATE_SLOT, {"input": bad}, token=admin_a)
    student = gql.post(CREATE_SLOT, {"input": slot_input(
        journal, teacherId=gid("Person", schools.a.people["student"]))}, token=admin_a)
    # then
    assert codes(body["data"]["createTimetableSlot"]) == [
        ("input.teacherId", "NOT_FOUND"), ("input.weekday", "OUT_OF_RANGE"),
        ("input.lessonNumber", "OUT_OF_RANGE"), ("input.validTo", "INVALID")]
    assert codes(student["data"]["createTimetableSlot"]) == [("input.teacherId", "INVALID")]
    assert slots_of(database, schools.a.id, journal.group_id) == 0


def test_create_timetable_slot_double_booked_is_an_overlap_naming_the_other_slot(
    gql, admin_a: str, schools: TwoSchools, database: DatabaseUrls, journal: JournalGroup,
) -> None:
    # given: the group has Monday lesson 2 from September; another group shares the teacher
    first = gql.post(CREATE_SLOT, {"input": slot_input(journal)},
                     token=admin_a)["data"]["createTimetableSlot"]["slot"]
    other = make_journal_group(database.owner, schools.a, students=1, lessons=0)
    # when: the same group with another teacher, and the same teacher with another group
    same_group = gql.post(CREATE_SLOT, {"input": slot_input(
        journal, teacherId=gid("Person", other.teacher_id), validFrom="2016-01-11")},
        token=admin_a)["data"]["createTimetableSlot"]
    same_teacher = gql.post(CREATE_SLOT, {"input": slot_input(
        other, teacherId=gid("Person", journal.teacher_id))},
        token=admin_a)["data"]["createTimetableSlot"]
    other_day = gql.post(CREATE_SLOT, {"input": slot_input(
        other, teacherId=gid("Person", journal.teacher_id), weekday=2)},
        token=admin_a)["data"]["createTimetableSlot"]
    # then
    assert codes(same_group) == [("input.groupId", "OVERLAP")]
    assert first["id"] in same_group["errors"][0]["message"]
    assert codes(same_teacher) == [("input.teacherId", "OVERLAP")]
    assert first["id"] in same_teacher["errors"][0]["message"]
    assert other_day["errors"] == []
    assert slots_of(database, schools.a.id, journal.group_id) == 1


def test_end_timetable_slot_mid_year_lets_a_successor_start_the_next_day(
    gql, admin_a: str, schools: TwoSchools, database: DatabaseUrls, journal: JournalGroup,
) -> None:
    # given: Monday lesson 2 from September with the group's teacher
    old = gql.post(CREATE_SLOT, {"input": slot_input(journal)},
                   token=admin_a)["data"]["createTimetableSlot"]["slot"]
    successor = make_journal_group(database.owner, schools.a, students=1, lessons=0)
    new_input = slot_input(journal, teacherId=gid("Person", successor.teacher_id),
                           validFrom="2015-11-09", room="7")
    refused = gql.post(CREATE_SLOT, {"input": new_input},
                       token=admin_a)["data"]["createTimetableSlot"]
    # when: the old slot ends on Sunday, 8 November, and the new one starts on the 9th
    ended = gql.post(END_SLOT, {"input": {"id": old["id"], "validTo": "2015-11-08"}},
                     token=admin_a)["data"]["endTimetableSlot"]
    created = gql.post(CREATE_SLOT, {"input": new_input},
                       token=admin_a)["data"]["createTimetableSlot"]
    # then
    assert codes(refused) == [("input.groupId", "OVERLAP")]
    assert ended["errors"] == [] and ended["slot"]["validTo"] == "2015-11-08"
    assert created["errors"] == []
    school = gid("School", schools.a.id)

    def rooms_on(day: str) -> list[Any]:
        return [s["room"] for s in gql.post(TIMETABLE, {
            "schoolId": school, "on": day, "groupId": gid("StudyGroup", journal.group_id)},
            token=admin_a)["data"]["timetable"]]

    assert rooms_on("2015-11-02") == [None]
    assert rooms_on("2015-11-09") == ["7"]
    # Extending the old slot again would double-book the group.
    back = gql.post(END_SLOT, {"input": {"id": old["id"], "validTo": "2015-12-31"}},
                    token=admin_a)["data"]["endTimetableSlot"]
    assert codes(back) == [("input.validTo", "OVERLAP")]
    assert [r.action for r in sql(database, schools.a.id, "SELECT action FROM audit_log WHERE "
                                  "entity = 'timetable_slots' AND entity_id = :id ORDER BY seq",
                                  id=raw_id(old["id"]))] == ["create", "update"]


@pytest.mark.parametrize("who", ["teacher", "other_admin"])
def test_end_timetable_slot_by_others_is_refused_and_changes_nothing(
    gql, admin_a: str, token_for, schools: TwoSchools, database: DatabaseUrls,
    journal: JournalGroup, who: str,
) -> None:
    # given
    slot = gql.post(CREATE_SLOT, {"input": slot_input(journal)},
                    token=admin_a)["data"]["createTimetableSlot"]["slot"]
    login = journal.teacher_login if who == "teacher" else schools.b.logins["admin"]
    # when
    body = gql.post(END_SLOT, {"input": {"id": slot["id"], "validTo": "2015-12-31"}},
                    token=token_for(login))
    # then
    expected = "FORBIDDEN" if who == "teacher" else "NOT_FOUND"
    assert codes(body["data"]["endTimetableSlot"]) == [("input.id", expected)]
    assert [r.valid_to for r in sql(database, schools.a.id, "SELECT valid_to FROM "
                                    "timetable_slots WHERE id = :id",
                                    id=raw_id(slot["id"]))] == [None]
