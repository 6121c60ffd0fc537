"""Marks: setMarks (a lesson or a journal page at once), deleteMark, the marks list and nodes."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text
from strawberry import relay

from db import models as m
from db.engine import DatabaseUrls, owner_session
from db.tenancy import set_tenant
from resolvers.timeliness import Deadlines
from schema.ids import to_global_id as gid
from tests.factories import TwoSchools
from tests.journal_factory import JournalGroup, make_journal_group
from tests.sql_counter import count_statements

MARK_FIELDS = ("id value valueId workDate comment excludedFromAverage recordedAt enteredAt "
               "version lessonId groupId workType { name } student { id } enteredBy { id }")
SET_MARKS = f"""
mutation Set($input: SetMarksInput!) {{ setMarks(input: $input) {{
  marks {{ {MARK_FIELDS} }} removedMarkIds conflicts {{ id value version }}
  warnings {{ field code message }} replayed errors {{ field code message }} }} }}
"""
DELETE_MARK = """
mutation Delete($input: DeleteMarkInput!) { deleteMark(input: $input) {
  deletedMarkId conflicts { id version } errors { field code message } } }
"""
MARKS = """
query Marks($groupId: ID!, $from: Date!, $to: Date!, $first: Int) {
  marks(groupId: $groupId, from: $from, to: $to, first: $first) {
    edges { node { id value workDate student { id } workType { name } enteredBy { id } } } } }
"""
NODE = "query Node($id: ID!) { node(id: $id) { id ... on Mark { value version } } }"

TZ = ZoneInfo("Asia/Yakutsk")



def sql(database: DatabaseUrls, school_id: uuid.UUID, query: str, **params: Any) -> list[Any]:
    with owner_session(database.owner) as s:
        s.execute(text("SELECT set_config('zhurnal.school_ids', :s, true)"),
                  {"s": str(school_id)})
        return list(s.execute(text(query), {"school": school_id, **params}).all())


def marks_of(database: DatabaseUrls, jg: JournalGroup) -> list[Any]:
    return sql(database, jg.school.id, "SELECT id, student_id, lesson_id, value_id, version, "
               "recorded_at, comment FROM marks WHERE school_id = :school AND group_id = :g "
               "ORDER BY entered_at, id", g=jg.group_id)


def audit_of(database: DatabaseUrls, school_id: uuid.UUID, entity_ids: list[Any]) -> list[Any]:
    return sql(database, school_id, "SELECT action, entity_id, recorded_at, before, after "
               "FROM audit_log WHERE school_id = :school AND entity = 'marks' "
               "AND entity_id = ANY(:ids) ORDER BY seq", ids=list(entity_ids))


def today() -> date:
    return datetime.now(TZ).date()


def add_lesson(database: DatabaseUrls, jg: JournalGroup, day: date, *,
               status: m.LessonStatus = m.LessonStatus.HELD,
               actual_teacher_id: uuid.UUID | None = None) -> uuid.UUID:
    """A lesson of the group on any day (the factory's lessons are all in 2015)."""
    lesson_id = uuid.uuid4()
    with owner_session(database.owner) as s:
        set_tenant(s, [jg.school.id])
        lesson = m.Lesson(school_id=jg.school.id, id=lesson_id, group_id=jg.group_id,
                          date=day, lesson_number=1, status=status,
                          lesson_type_id=jg.setup.lesson_type_id,
                          scheduled_teacher_id=jg.teacher_id,
                          actual_teacher_id=actual_teacher_id or jg.teacher_id)
        s.add(lesson)
    return lesson_id


def entry(jg: JournalGroup, n: int, value: str = "5", **extra: Any) -> dict[str, Any]:
    return {"studentId": gid("Person", jg.students[n]), "value": value,
            "workTypeId": gid("WorkType", jg.setup.work_type_ids["classwork"]), **extra}


def set_marks(gql, token: str, input: dict[str, Any]) -> dict[str, Any]:
    body = gql.post(SET_MARKS, {"input": input}, token=token)
    assert "errors" not in body, body
    return body["data"]["setMarks"]


def fields(result: dict[str, Any]) -> list[tuple[str, str]]:
    return [(e["field"], e["code"]) for e in result["errors"]]


@pytest.fixture()
def jg(database: DatabaseUrls, schools: TwoSchools) -> JournalGroup:
    return make_journal_group(database.owner, schools.a, students=3, lessons=3)


# --- setMarks: who may write -----------------------------------------------------------------

def test_set_marks_by_the_group_teacher_writes_marks_and_audit(
    gql, token_for, database: DatabaseUrls, jg: JournalGroup
) -> None:
    # given
    lesson = add_lesson(database, jg, today())
    recorded = datetime.now(TZ).replace(microsecond=0) - timedelta(minutes=5)
    # when
    result = set_marks(gql, token_for(jg.teacher_login), {"lessonId": gid("Lesson", lesson),
                       "marks": [entry(jg, 0, "5", recordedAt=recorded.isoformat()),
                                 entry(jg, 1, "4", comment="  устный ответ "),
                                 entry(jg, 1, "3")]})
    # then
    assert result["errors"] == [] and result["warnings"] == []
    assert [mk["value"] for mk in result["marks"]] == ["5", "4", "3"]
    first = result["marks"][0]
    assert first["student"]["id"] == gid("Person", jg.students[0])
    assert first["enteredBy"]["id"] == gid("Person", jg.teacher_id)
    assert first["lessonId"] == gid("Lesson", lesson) and first["version"] == 1
    assert first["workDate"] == today().isoformat()
    assert result["marks"][1]["comment"] == "устный ответ"
    rows = marks_of(database, jg)
    assert len(rows) == 3
    audit = audit_of(database, jg.school.id, [r.id for r in rows])
    assert [a.action for a in audit] == ["create"] * 3
    assert {a.recorded_at for a in audit} == {recorded, None}


def test_set_marks_answers_with_its_audit_rows_sealed_into_the_chain(
    gql, token_for, database: DatabaseUrls, jg: JournalGroup
) -> None:
    # given (docs/audit.md: rows are written unsealed and sealed after the commit)
    lesson = add_lesson(database, jg, today())
    # when
    result = set_marks(gql, token_for(jg.teacher_login), {"lessonId": gid("Lesson", lesson),
                       "marks": [entry(jg, 0, "5"), entry(jg, 1, "4")]})
    # then by the time it answers, its rows have their place and hash in the chain
    assert result["errors"] == []
    ids = [r.id for r in marks_of(database, jg)]
    rows = sql(database, jg.school.id, "SELECT seq, hash FROM audit_log WHERE school_id = "
               ":school AND entity = 'marks' AND entity_id = ANY(:ids)", ids=ids)
    assert len(rows) == 2 and all(r.seq is not None and r.hash is not None for r in rows)


def test_set_marks_by_the_administrator_succeeds(
    gql, token_for, schools: TwoSchools, database: DatabaseUrls, jg: JournalGroup
) -> None:
    # when
    result = set_marks(gql, token_for(schools.a.logins["admin"]),
                       {"lessonId": gid("Lesson", jg.lesson_ids[0]), "marks": [entry(jg, 0)]})
    # then
    assert result["errors"] == []
    assert len(marks_of(database, jg)) == 1


@pytest.mark.parametrize("who", ["teacher", "class_teacher", "student", "guardian",
                                 "own_student", "own_guardian"])
def test_set_marks_by_other_roles_is_forbidden(
    gql, token_for, schools: TwoSchools, database: DatabaseUrls, jg: JournalGroup, who: str
) -> None:
    # given: another teacher, the class teacher of ANOTHER class, students and guardians
    login = {"own_student": jg.student_logins[0], "own_guardian": jg.guardian_login}.get(
        who) or schools.a.logins[who]
    # when
    result = set_marks(gql, token_for(login), {"lessonId": gid("Lesson", jg.lesson_ids[0]),
                                               "marks": [entry(jg, 0), entry(jg, 1)]})
    # then
    assert fields(result) == [("input.lessonId", "FORBIDDEN")]
    assert marks_of(database, jg) == []


@pytest.mark.parametrize("who", ["b_admin", "officer"])
def test_set_marks_on_a_lesson_of_another_school_is_not_found(
    gql, token_for, schools: TwoSchools, database: DatabaseUrls, jg: JournalGroup, who: str
) -> None:
    # given
    login = schools.b.logins["admin"] if who == "b_admin" else schools.officer_logins["region"]
    missing = set_marks(gql, token_for(login), {"lessonId": gid("Lesson", uuid.uuid4()),
                                                "marks": [entry(jg, 0)]})
    # when
    result = set_marks(gql, token_for(login), {"lessonId": gid("Lesson", jg.lesson_ids[0]),
                                               "marks": [entry(jg, 0)]})
    # then
    assert result["errors"] == missing["errors"]
    assert fields(result) == [("input.lessonId", "NOT_FOUND")]
    assert marks_of(database, jg) == []


def test_set_marks_for_a_student_of_another_school_is_not_found(
    gql, token_for, schools: TwoSchools, database: DatabaseUrls, jg: JournalGroup
) -> None:
    # given
    other = {**entry(jg, 0), "studentId": gid("Person", schools.b.people["student"])}
    # when
    result = set_marks(gql, token_for(jg.teacher_login),
                       {"lessonId": gid("Lesson", jg.lesson_ids[0]),
                        "marks": [entry(jg, 1), other]})
    # then
    assert fields(result) == [("input.marks.1.studentId", "NOT_FOUND")]
    assert marks_of(database, jg) == []


def test_set_marks_by_a_substitute_only_for_that_lesson(
    gql, token_for, schools: TwoSchools, database: DatabaseUrls, jg: JournalGroup
) -> None:
    # given: school A's teacher substitutes one lesson of the group
    substituted = add_lesson(database, jg, date(2015, 9, 20),
                             actual_teacher_id=schools.a.people["teacher"])
    token = token_for(schools.a.logins["teacher"])
    # when
    allowed = set_marks(gql, token, {"lessonId": gid("Lesson", substituted),
                                     "marks": [entry(jg, 0)]})
    refused = set_marks(gql, token, {"lessonId": gid("Lesson", jg.lesson_ids[0]),
                                     "marks": [entry(jg, 0)]})
    # then
    assert allowed["errors"] == []
    assert fields(refused) == [("input.lessonId", "FORBIDDEN")]
    assert len(marks_of(database, jg)) == 1


# --- setMarks: validation --------------------------------------------------------------------

def test_set_marks_value_outside_the_scale_names_the_allowed_labels(
    gql, token_for, database: DatabaseUrls, jg: JournalGroup
) -> None:
    # when
    result = set_marks(gql, token_for(jg.teacher_login),
                       {"lessonId": gid("Lesson", jg.lesson_ids[0]),
                        "marks": [entry(jg, 0, "5"), entry(jg, 1, "6")]})
    # then
    assert result["errors"] == [{"field": "input.marks.1.value", "code": "INVALID",
                                 "message": "«6» is not a mark of «Пятибалльная»: use 2, 3, 4, "
                                            "5"}]
    assert result["marks"] == []
    assert marks_of(database, jg) == []


def test_set_marks_collects_every_error_with_its_path(
    gql, token_for, schools: TwoSchools, database: DatabaseUrls, jg: JournalGroup
) -> None:
    # given
    future = (datetime.now(TZ) + timedelta(days=1)).isoformat()
    bad = [entry(jg, 0, recordedAt=future),
           {"studentId": gid("Person", jg.students[1]), "value": "4"},
           {**entry(jg, 2), "workTypeId": gid("WorkType", uuid.uuid4())},
           {**entry(jg, 2), "expectedVersion": 3}]
    # when
    result = set_marks(gql, token_for(jg.teacher_login),
                       {"lessonId": gid("Lesson", jg.lesson_ids[0]), "marks": bad})
    # then
    assert fields(result) == [("input.marks.0.recordedAt", "INVALID"),
                              ("input.marks.1.workTypeId", "REQUIRED"),
                              ("input.marks.2.workTypeId", "NOT_FOUND"),
                              ("input.marks.3.expectedVersion", "INVALID")]
    assert marks_of(database, jg) == []


def test_set_marks_student_who_left_the_group_before_the_work_is_refused(
    gql, token_for, database: DatabaseUrls, jg: JournalGroup
) -> None:
    # given: the second student left the group on the day before the third lesson
    with owner_session(database.owner) as s:
        set_tenant(s, [jg.school.id])
        s.execute(text("UPDATE group_memberships SET ends_on = :d WHERE group_id = :g "
                       "AND student_id = :s"),
                  {"d": jg.lesson_dates[2] - timedelta(days=1), "g": jg.group_id,
                   "s": jg.students[1]})
    # when
    before = set_marks(gql, token_for(jg.teacher_login),
                       {"lessonId": gid("Lesson", jg.lesson_ids[0]), "marks": [entry(jg, 1)]})
    after = set_marks(gql, token_for(jg.teacher_login),
                      {"lessonId": gid("Lesson", jg.lesson_ids[2]),
                       "marks": [entry(jg, 0), entry(jg, 1)]})
    # then
    assert before["errors"] == []
    assert after["errors"] == [{"field": "input.marks.1.studentId", "code": "INVALID",
                                "message": f"was not a member of the group on "
                                           f"{jg.lesson_dates[2].isoformat()}"}]
    assert len(marks_of(database, jg)) == 1


def test_set_marks_on_a_cancelled_lesson_is_refused(
    gql, token_for, database: DatabaseUrls, jg: JournalGroup
) -> None:
    # given
    cancelled = add_lesson(database, jg, date(2015, 9, 21), status=m.LessonStatus.CANCELLED)
    # when
    result = set_marks(gql, token_for(jg.teacher_login),
                       {"lessonId": gid("Lesson", cancelled), "marks": [entry(jg, 0)]})
    # then
    assert fields(result) == [("input.lessonId", "INVALID")]
    assert marks_of(database, jg) == []


# --- setMarks: a journal page, changes, removal ------------------------------------------------

def test_set_marks_writes_a_journal_page_of_several_lessons(
    gql, token_for, database: DatabaseUrls, jg: JournalGroup
) -> None:
    # given: marks in two lessons and one for a work with its own date
    lesson_a, lesson_b = (gid("Lesson", i) for i in jg.lesson_ids[:2])
    # when
    page = set_marks(gql, token_for(jg.teacher_login), {"marks": [
        entry(jg, 0, lessonId=lesson_a), entry(jg, 1, "3", lessonId=lesson_b)]})
    own_date = set_marks(gql, token_for(jg.teacher_login), {
        "groupId": gid("StudyGroup", jg.group_id), "workDate": "2015-09-05",
        "marks": [{**entry(jg, 2, "4"),
                   "workTypeId": gid("WorkType", jg.setup.work_type_ids["test"])}]})
    # then
    assert page["errors"] == [] and own_date["errors"] == []
    assert [mk["lessonId"] for mk in page["marks"]] == [lesson_a, lesson_b]
    assert own_date["marks"][0]["lessonId"] is None
    assert own_date["marks"][0]["workDate"] == "2015-09-05"
    assert own_date["marks"][0]["workType"]["name"] == "Контрольная работа (журнал)"
    assert len(marks_of(database, jg)) == 3


def test_set_marks_changes_and_removes_marks_with_audit(
    gql, token_for, database: DatabaseUrls, jg: JournalGroup
) -> None:
    # given
    token = token_for(jg.teacher_login)
    lesson = gid("Lesson", jg.lesson_ids[0])
    made = set_marks(gql, token, {"lessonId": lesson, "marks": [entry(jg, 0, "4", comment="x"),
                                                                 entry(jg, 1, "3")]})["marks"]
    # when
    result = set_marks(gql, token, {"lessonId": lesson, "marks": [
        {"studentId": gid("Person", jg.students[0]), "markId": made[0]["id"], "value": "5",
         "expectedVersion": 1},
        {"studentId": gid("Person", jg.students[1]), "markId": made[1]["id"], "remove": True,
         "expectedVersion": 1}]})
    # then
    assert result["errors"] == []
    changed = result["marks"][0]
    assert (changed["id"], changed["value"], changed["version"], changed["comment"]) == (
        made[0]["id"], "5", 2, "x")
    assert result["removedMarkIds"] == [made[1]["id"]]
    rows = marks_of(database, jg)
    assert [(r.version, r.comment) for r in rows] == [(2, "x")]
    ids = [uuid.UUID(relay.GlobalID.from_id(mk["id"]).node_id) for mk in made]
    audit = audit_of(database, jg.school.id, ids)
    assert [(a.action, a.entity_id) for a in audit] == [
        ("create", ids[0]), ("create", ids[1]), ("update", ids[0]), ("delete", ids[1])]
    # the states are the rows as they were and became, written by the statement that wrote
    # them: JSON of every column but school_id, as db.audit.snapshot keeps them
    created, _, updated, deleted = audit
    assert created.before is None and "school_id" not in created.after
    assert set(created.after) == {c.key for c in m.Mark.__table__.columns} - {"school_id"}
    assert (created.after["id"], created.after["version"], created.after["comment"]) == (
        str(ids[0]), 1, "x")
    assert updated.before == created.after
    assert (updated.after["version"], updated.after["comment"]) == (2, "x")
    assert updated.after["value_id"] != created.after["value_id"]
    assert deleted.after is None and deleted.before == audit[1].after
    assert datetime.fromisoformat(updated.after["entered_at"]) > \
        datetime.fromisoformat(created.after["entered_at"])


def test_set_marks_conflict_carries_the_current_version_and_writes_nothing(
    gql, token_for, database: DatabaseUrls, jg: JournalGroup
) -> None:
    # given: two teachers' screens read version 1; one of them changes the mark to «4»
    token = token_for(jg.teacher_login)
    lesson = gid("Lesson", jg.lesson_ids[0])
    mark = set_marks(gql, token, {"lessonId": lesson, "marks": [entry(jg, 0, "3")]})["marks"][0]
    change = {"studentId": gid("Person", jg.students[0]), "markId": mark["id"],
              "expectedVersion": 1}
    assert set_marks(gql, token, {"lessonId": lesson, "marks": [{**change, "value": "4"}]}
                     )["errors"] == []
    # when: the other screen still sends version 1, with a new mark alongside
    result = set_marks(gql, token, {"lessonId": lesson, "marks": [
        entry(jg, 1, "5"), {**change, "value": "2"}]})
    # then
    assert result["errors"] == [{
        "field": "input.marks.1.expectedVersion", "code": "CONFLICT",
        "message": "the mark changed since it was read: it is now «4» (version 2)"}]
    assert result["conflicts"] == [{"id": mark["id"], "value": "4", "version": 2}]
    assert [(r.version, r.student_id) for r in marks_of(database, jg)] == [(2, jg.students[0])]


def test_set_marks_retry_with_the_same_client_key_writes_nothing_new(
    gql, token_for, database: DatabaseUrls, jg: JournalGroup
) -> None:
    # given
    token = token_for(jg.teacher_login)
    key = f"retry-{uuid.uuid4()}"
    input = {"clientKey": key, "lessonId": gid("Lesson", jg.lesson_ids[0]),
             "marks": [entry(jg, 0), entry(jg, 1, "4")]}
    first = set_marks(gql, token, input)
    # when
    again = set_marks(gql, token, input)
    other = set_marks(gql, token, {**input, "marks": [entry(jg, 2)]})
    # then
    assert first["errors"] == [] and first["replayed"] is False
    assert again["replayed"] is True
    assert again["marks"] == first["marks"] and again["warnings"] == first["warnings"]
    assert fields(other) == [("input.clientKey", "INVALID")]
    rows = marks_of(database, jg)
    assert len(rows) == 2
    assert len(audit_of(database, jg.school.id, [r.id for r in rows])) == 2


def test_set_marks_late_mark_warns_and_is_stored(
    gql, token_for, database: DatabaseUrls, jg: JournalGroup
) -> None:
    # given: a work of 8 days ago, whose 7-day deadline ended yesterday; one mark recorded
    # offline yesterday (inside the 72-hour offline window), one sent without recordedAt
    lesson = add_lesson(database, jg, today() - timedelta(days=8))
    in_time = datetime.combine(today() - timedelta(days=1), time(10, 0), tzinfo=TZ)
    # when
    result = set_marks(gql, token_for(jg.teacher_login),
                       {"lessonId": gid("Lesson", lesson),
                        "marks": [entry(jg, 0, recordedAt=in_time.isoformat()), entry(jg, 1)]})
    # then: the offline mark was made on the 7th day after the work, in time; the other now
    assert result["errors"] == []
    assert [(w["field"], w["code"]) for w in result["warnings"]] == [
        ("input.marks.1", "LATE_ENTRY")]
    assert "7 days" in result["warnings"][0]["message"]
    assert [mk["recordedAt"] and datetime.fromisoformat(mk["recordedAt"])
            for mk in result["marks"]] == [in_time, None]
    assert len(marks_of(database, jg)) == 2


def test_set_marks_dated_back_to_the_lesson_day_outside_the_offline_window_is_refused(
    gql, token_for, database: DatabaseUrls, jg: JournalGroup
) -> None:
    """Guards against `recordedAt` hiding a late entry: the lessons were in 2015, and a mark
    sent now that says it was made on the lesson day is outside the 72-hour window."""
    # given
    on_the_day = datetime.combine(jg.lesson_dates[0], time(10, 0), tzinfo=TZ)
    # when
    result = set_marks(gql, token_for(jg.teacher_login),
                       {"lessonId": gid("Lesson", jg.lesson_ids[0]),
                        "marks": [entry(jg, 0, recordedAt=on_the_day.isoformat()),
                                  entry(jg, 1)]})
    # then
    assert fields(result) == [("input.marks.0.recordedAt", "OUT_OF_RANGE")]
    assert "offline window (72 hours" in result["errors"][0]["message"]
    assert result["warnings"] == [] and marks_of(database, jg) == []


def test_set_marks_recorded_before_the_lesson_day_or_in_the_future_is_refused(
    gql, token_for, database: DatabaseUrls, jg: JournalGroup
) -> None:
    # given: a lesson today; one mark said to be made yesterday (inside the window, but before
    # the lesson), one an hour from now
    lesson = add_lesson(database, jg, today())
    before = datetime.combine(today() - timedelta(days=1), time(20, 0), tzinfo=TZ)
    future = datetime.now(TZ) + timedelta(hours=1)
    # when
    result = set_marks(gql, token_for(jg.teacher_login), {
        "lessonId": gid("Lesson", lesson),
        "marks": [entry(jg, 0, recordedAt=before.isoformat()),
                  entry(jg, 1, recordedAt=future.isoformat())]})
    # then
    assert fields(result) == [("input.marks.0.recordedAt", "INVALID"),
                              ("input.marks.1.recordedAt", "INVALID")]
    assert "before the day of the entry" in result["errors"][0]["message"]
    assert result["errors"][1]["message"] == "is in the future"
    assert marks_of(database, jg) == []


def test_set_marks_with_an_offline_window_of_zero_refuses_any_older_recorded_at(
    gql, token_for, schools: TwoSchools, database: DatabaseUrls
) -> None:
    # given: school B accepts no offline entries (window 0 hours): only the clock skew is left
    group = make_journal_group(database.owner, schools.b, students=2, lessons=1)
    lesson = add_lesson(database, group, today())
    with owner_session(database.owner) as s:
        set_tenant(s, [schools.b.id])
        s.execute(text("INSERT INTO school_settings (school_id, id, offline_window_hours) "
                       "VALUES (:s, :i, 0) ON CONFLICT (school_id) DO UPDATE "
                       "SET offline_window_hours = 0"), {"s": schools.b.id, "i": uuid.uuid4()})
    now = datetime.now(TZ)
    try:
        # when: ten minutes ago (beyond the 5-minute skew) and one minute ago (within it)
        result = set_marks(gql, token_for(group.teacher_login), {
            "lessonId": gid("Lesson", lesson),
            "marks": [entry(group, 0, recordedAt=(now - timedelta(minutes=10)).isoformat()),
                      entry(group, 1, recordedAt=(now - timedelta(minutes=1)).isoformat())]})
        accepted = set_marks(gql, token_for(group.teacher_login), {
            "lessonId": gid("Lesson", lesson),
            "marks": [entry(group, 1, recordedAt=(now - timedelta(minutes=1)).isoformat())]})
    finally:
        with owner_session(database.owner) as s:
            set_tenant(s, [schools.b.id])
            s.execute(text("UPDATE school_settings SET offline_window_hours = 72 "
                           "WHERE school_id = :s"), {"s": schools.b.id})
    # then
    assert fields(result) == [("input.marks.0.recordedAt", "OUT_OF_RANGE")]
    assert "(0 hours" in result["errors"][0]["message"]
    assert accepted["errors"] == [] and len(accepted["marks"]) == 1


@pytest.mark.parametrize(("recorded_utc", "late"), [
    (datetime(2015, 9, 8, 14, 30, tzinfo=UTC), False),  # 23:30 on the 8th, local: in time
    (datetime(2015, 9, 8, 23, 30, tzinfo=UTC), True),   # 08:30 on the 9th, local: late
], ids=["local-evening-of-the-last-day", "utc-evening-of-the-last-day"])
def test_late_mark_is_judged_on_the_schools_local_date(recorded_utc: datetime,
                                                       late: bool) -> None:
    """Guards against the mark deadline computed on the UTC date instead of the local one."""
    # given the regulation's 7 days in Amur (UTC+9) for a work of 1 September: the 8th is
    # the last day
    rules = Deadlines.of("Asia/Yakutsk", None, None)
    # when / then a mark recorded at 23:30 UTC on the 8th is already on the 9th locally
    assert rules.late_mark(date(2015, 9, 1), recorded_utc) is late


def test_set_marks_recorded_near_midnight_utc_is_late_by_the_local_date(
    gql, token_for, database: DatabaseUrls, jg: JournalGroup
) -> None:
    """Guards against the mark deadline computed on the UTC date instead of the local one."""
    # given: a work of 9 days ago, whose deadline's last day was the day before yesterday;
    # marks recorded offline (inside the 72-hour window) on that day at 23:30 local (in time)
    # and at 23:30 UTC, which is 08:30 of the next day in Amur (late)
    work_day = today() - timedelta(days=9)
    lesson = add_lesson(database, jg, work_day)
    last_day = work_day + timedelta(days=7)
    local_evening = datetime.combine(last_day, time(23, 30), tzinfo=TZ)
    utc_evening = datetime.combine(last_day, time(23, 30), tzinfo=UTC)
    # when
    result = set_marks(gql, token_for(jg.teacher_login), {
        "lessonId": gid("Lesson", lesson),
        "marks": [entry(jg, 0, recordedAt=local_evening.isoformat()),
                  entry(jg, 1, recordedAt=utc_evening.isoformat())]})
    # then only the second is late
    assert result["errors"] == []
    assert [(w["field"], w["code"]) for w in result["warnings"]] == [
        ("input.marks.1", "LATE_ENTRY")]


def test_set_marks_after_the_posting_window_needs_an_administrator(
    gql, token_for, schools: TwoSchools, database: DatabaseUrls
) -> None:
    # given: school B closes its journal 30 days after the work
    group = make_journal_group(database.owner, schools.b, students=1, lessons=1)
    with owner_session(database.owner) as s:
        set_tenant(s, [schools.b.id])
        s.execute(text("INSERT INTO school_settings (school_id, id, posting_window_days) "
                       "VALUES (:s, :i, 30) ON CONFLICT (school_id) DO UPDATE "
                       "SET posting_window_days = 30"), {"s": schools.b.id, "i": uuid.uuid4()})
    input = {"lessonId": gid("Lesson", group.lesson_ids[0]), "marks": [entry(group, 0)]}
    try:
        # when
        teacher = set_marks(gql, token_for(group.teacher_login), input)
        admin = set_marks(gql, token_for(schools.b.logins["admin"]), input)
    finally:
        with owner_session(database.owner) as s:
            set_tenant(s, [schools.b.id])
            s.execute(text("UPDATE school_settings SET posting_window_days = NULL "
                           "WHERE school_id = :s"), {"s": schools.b.id})
    # then
    assert fields(teacher) == [("input.marks.0", "FORBIDDEN")]
    assert admin["errors"] == []
    assert len(marks_of(database, group)) == 1


def test_set_marks_statement_count_is_the_same_for_5_and_30_marks(
    gql, token_for, database: DatabaseUrls, schools: TwoSchools
) -> None:
    # given
    group = make_journal_group(database.owner, schools.a, students=30, lessons=2)
    token = token_for(group.teacher_login)
    counter_log: list[str] = []

    def run(lesson: uuid.UUID, n: int) -> int:
        with count_statements() as counter:
            result = set_marks(gql, token, {"clientKey": str(uuid.uuid4()),
                                            "lessonId": gid("Lesson", lesson),
                                            "marks": [entry(group, i) for i in range(n)]})
        assert result["errors"] == [] and len(result["marks"]) == n
        counter_log[:] = [st.split("\n")[0][:110] for st in counter.statements]
        return counter.count

    # when
    five, thirty = run(group.lesson_ids[0], 5), run(group.lesson_ids[1], 30)
    # then
    assert five == thirty
    assert thirty <= 25, counter_log


# --- deleteMark ------------------------------------------------------------------------------

def test_delete_mark_by_the_teacher_removes_it_with_audit(
    gql, token_for, schools: TwoSchools, database: DatabaseUrls, jg: JournalGroup
) -> None:
    # given
    mark = set_marks(gql, token_for(jg.teacher_login), {
        "lessonId": gid("Lesson", jg.lesson_ids[0]), "marks": [entry(jg, 0)]})["marks"][0]
    mark_id = marks_of(database, jg)[0].id
    # when: others are refused or see nothing, then the teacher removes it
    forbidden = gql.post(DELETE_MARK, {"input": {"id": mark["id"]}},
                         token=token_for(schools.a.logins["teacher"]))["data"]["deleteMark"]
    other_school = gql.post(DELETE_MARK, {"input": {"id": mark["id"]}},
                            token=token_for(schools.b.logins["admin"]))["data"]["deleteMark"]
    conflict = gql.post(DELETE_MARK, {"input": {"id": mark["id"], "expectedVersion": 7}},
                        token=token_for(jg.teacher_login))["data"]["deleteMark"]
    done = gql.post(DELETE_MARK, {"input": {"id": mark["id"], "expectedVersion": 1}},
                    token=token_for(jg.teacher_login))["data"]["deleteMark"]
    # then
    assert fields(forbidden) == [("input.id", "FORBIDDEN")]
    assert fields(other_school) == [("input.id", "NOT_FOUND")]
    assert fields(conflict) == [("input.expectedVersion", "CONFLICT")]
    assert conflict["conflicts"] == [{"id": mark["id"], "version": 1}]
    assert done == {"deletedMarkId": mark["id"], "conflicts": [], "errors": []}
    assert marks_of(database, jg) == []
    assert [a.action for a in audit_of(database, jg.school.id, [mark_id])] == ["create",
                                                                               "delete"]


# --- reading ---------------------------------------------------------------------------------

def test_marks_lists_a_group_for_its_readers_only(
    gql, token_for, schools: TwoSchools, jg: JournalGroup
) -> None:
    # given
    set_marks(gql, token_for(jg.teacher_login), {"lessonId": gid("Lesson", jg.lesson_ids[0]),
                                                 "marks": [entry(jg, 0), entry(jg, 1, "4")]})
    args = {"groupId": gid("StudyGroup", jg.group_id), "from": "2015-09-01",
            "to": "2015-09-30"}

    def listed(login: str) -> list[dict[str, Any]]:
        body = gql.post(MARKS, args, token=token_for(login))
        assert "errors" not in body, body
        return [e["node"] for e in body["data"]["marks"]["edges"]]

    # when / then
    for login in (jg.teacher_login, schools.a.logins["admin"]):
        assert sorted(n["value"] for n in listed(login)) == ["4", "5"]
    for login in (schools.a.logins["teacher"], schools.a.logins["class_teacher"],
                  jg.student_logins[0], jg.guardian_login, schools.b.logins["admin"],
                  schools.officer_logins["region"]):
        assert listed(login) == []


def test_marks_statement_count_does_not_grow_with_the_marks(
    gql, token_for, database: DatabaseUrls, schools: TwoSchools
) -> None:
    # given
    small = make_journal_group(database.owner, schools.a, students=2, lessons=1)
    large = make_journal_group(database.owner, schools.a, students=6, lessons=1)
    for group, n in ((small, 2), (large, 6)):
        set_marks(gql, token_for(schools.a.logins["admin"]), {
            "lessonId": gid("Lesson", group.lesson_ids[0]),
            "marks": [entry(group, i) for i in range(n)]})
    token = token_for(schools.a.logins["admin"])

    def count(group: JournalGroup) -> int:
        with count_statements() as counter:
            body = gql.post(MARKS, {"groupId": gid("StudyGroup", group.group_id),
                                    "from": "2015-09-01", "to": "2015-09-30"}, token=token)
        assert len(body["data"]["marks"]["edges"]) in (2, 6)
        return counter.count

    # when / then
    assert count(small) == count(large)


def test_mark_node_is_visible_to_the_journal_and_the_diary_only(
    gql, token_for, schools: TwoSchools, jg: JournalGroup
) -> None:
    # given
    mark = set_marks(gql, token_for(jg.teacher_login), {
        "lessonId": gid("Lesson", jg.lesson_ids[0]), "marks": [entry(jg, 0, "4")]})["marks"][0]

    def node(login: str) -> Any:
        return gql.post(NODE, {"id": mark["id"]}, token=token_for(login))["data"]["node"]

    # when / then
    for login in (jg.teacher_login, schools.a.logins["admin"], jg.student_logins[0],
                  jg.guardian_login):
        assert node(login) == {"id": mark["id"], "value": "4", "version": 1}
    for login in (schools.a.logins["teacher"], schools.a.logins["class_teacher"],
                  schools.a.logins["student"], schools.a.logins["guardian"],
                  schools.b.logins["admin"], schools.officer_logins["region"]):
        assert node(login) is None
