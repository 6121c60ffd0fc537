"""The attack suite: every root field that takes an id, generated from introspection, called by
people of another school (and by same-school people without a right to the victim's data)
with ids of a victim in school A. It must return nothing and change nothing.

The run happens once (module fixture); the tests read its outcome table, which is printed and
written to `attack_suite_report.txt` in the test's temporary directory.
"""

from __future__ import annotations

import json
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from graphql import GraphQLSchema, build_client_schema, get_introspection_query
from sqlalchemy import select, text
from strawberry import relay
from websockets.sync.client import connect
from websockets.typing import Subprotocol

from db import models as m
from db.engine import DatabaseUrls, owner_session
from db.tenancy import set_tenant
from resolvers.auth.passwords import hash_password
from schema.ids import to_global_id
from tests.attack_catalog import PUBLIC_TYPES, Call, Catalog, build_catalog, node_types
from tests.factories import PASSWORD, TwoSchools
from tests.journal_factory import JournalGroup, make_journal_group

SET_MARKS = """
mutation SetMarks($input: SetMarksInput!) {
  setMarks(input: $input) { marks { id } errors { field code message } }
}
"""
UPDATE_LESSON = """
mutation UpdateLesson($input: UpdateLessonInput!) {
  updateLesson(input: $input) { errors { field code message } }
}
"""
START_THREAD = """
mutation Start($input: StartMessageThreadInput!) {
  startMessageThread(input: $input) { thread { id } errors { field code message } }
}
"""
ISSUE_TOKEN = """
mutation Issue($input: IssueApiTokenInput!) {
  issueApiToken(input: $input) { apiToken { id } secret errors { field code message } }
}
"""

# Victim keys a same-school viewer without a right to them must not see (structure and staff
# are readable by everyone in the school, so they are not secrets to them).
PRIVATE_KEYS = frozenset({"Person.student", "Person.classmate", "Person.guardian", "Lesson",
                          "Mark", "AttendanceEntry", "Grade", "ApiToken", "GroupMembership",
                          "AuditEntry", "NotificationDelivery", "Webhook",
                          "MessageThread"})
REFUSALS = {"NOT_FOUND", "FORBIDDEN"}
# `me` takes no id, so the catalog does not call it: every attacker reads their whole reach.
ME_REACH = """
query Reach {
  me {
    id login
    schools { school { id name } person { id fullName } roles }
    classes { id name students { student { id fullName } } }
    groups { id name members { student { id fullName } } }
    children { id fullName }
    students(on: "2015-09-15") {
      student { id fullName } school { id name } schoolClass { id name }
      groups { id name kind }
    }
  }
}
"""
WS_WAIT = 5.0


@dataclass
class Victim:
    ids: dict[str, list[uuid.UUID]]
    private_markers: list[str]  # names and texts of the victim student's data
    school_markers: list[str]  # other names of school A's objects made for the suite
    group: JournalGroup


@dataclass
class Attacker:
    label: str
    bearer: str
    same_school: bool


@dataclass
class Outcome:
    call: Call
    attacker: str
    result: str
    problem: str | None = None


@dataclass
class AttackRun:
    catalog: Catalog
    attackers: list[Attacker]
    outcomes: list[Outcome] = field(default_factory=list)
    subscription_outcomes: list[Outcome] = field(default_factory=list)
    before: dict[str, str] = field(default_factory=dict)
    after: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0
    report: Path | None = None
    victim: Victim | None = None


def decode(global_id: str) -> uuid.UUID:
    return uuid.UUID(relay.GlobalID.from_id(global_id).node_id)


def ok(body: dict[str, Any]) -> dict[str, Any]:
    assert "errors" not in body, body
    return body["data"]


def make_victim(database: DatabaseUrls, schools: TwoSchools, gql: Any, token_for: Any
                ) -> Victim:
    """A class of school A with a teacher, two students and a guardian, lessons, a mark, an
    attendance entry, a period grade, a timetable slot, a holiday, a conversion table, a split,
    a subject taught without marks, an exam kind with an exam result and a final grade, an
    integrator token and their audit rows; every id collected by GraphQL type name."""
    tag = uuid.uuid4().hex[:8]
    jg = make_journal_group(database.owner, schools.a, students=2, lessons=3)
    setup, sid = jg.setup, schools.a.id
    names = {"student": f"Жертвин{tag}", "classmate": f"Одноклассников{tag}",
             "guardian": f"Опекунов{tag}"}
    comment, homework, token_name = f"Комментарий-{tag}", f"Домашка-{tag}", f"token-{tag}"
    other_names = {"teacher": f"Учителев{tag}", "group": f"Группа-{tag}",
                   "holiday": f"Праздник-{tag}", "system": f"Шкала-{tag}",
                   "subject": f"Предмет-{tag}", "exam": f"Экзамен-{tag}"}
    # the data written through the API, as it would be (these also write audit rows)
    teacher = token_for(jg.teacher_login)
    marked = ok(gql.post(SET_MARKS, {"input": {
        "lessonId": to_global_id("Lesson", jg.lesson_ids[0]), "marks": [{
            "studentId": to_global_id("Person", jg.students[0]), "value": "5",
            "workTypeId": to_global_id("WorkType", setup.work_type_ids["classwork"]),
            "comment": comment}]}}, token=teacher))["setMarks"]
    assert marked["errors"] == [], marked
    assigned = ok(gql.post(UPDATE_LESSON, {"input": {
        "id": to_global_id("Lesson", jg.lesson_ids[0]), "homework": homework}},
        token=teacher))["updateLesson"]
    assert assigned["errors"] == [], assigned
    issued = ok(gql.post(ISSUE_TOKEN, {"input": {
        "name": token_name, "scopes": ["READ"], "region": False,
        "schoolId": to_global_id("School", sid)}},
        token=token_for(schools.a.logins["admin"])))["issueApiToken"]
    assert issued["errors"] == [], issued
    ids: dict[str, list[uuid.UUID]] = {
        "School": [sid], "Municipality": [schools.a.municipality_id],
        "AcademicYear": [schools.a.year_id], "PeriodScheme": [setup.scheme_id],
        "Period": [setup.period_ids[0]], "GradingSystem": [setup.system_id],
        "MarkValue": [setup.value_ids["5"]], "Subject": [setup.subject_id],
        "WorkType": [setup.work_type_ids["classwork"]], "LessonType": [setup.lesson_type_id],
        "SchoolClass": [jg.class_id], "StudyGroup": [jg.group_id],
        "Person.student": [jg.students[0]], "Person.classmate": [jg.students[1]],
        "Person.guardian": [jg.guardian_id], "Person.teacher": [jg.teacher_id],
        "Lesson": list(jg.lesson_ids), "Mark": [decode(marked["marks"][0]["id"])],
        "ApiToken": [decode(issued["apiToken"]["id"])],
    }
    # the rest straight into the database, as the owner
    with owner_session(database.owner) as s:
        set_tenant(s, [sid])
        for key, last_name in names.items():
            s.get_one(m.Person, (sid, ids[f"Person.{key}"][0])).last_name = last_name
        s.get_one(m.Person, (sid, jg.teacher_id)).last_name = other_names["teacher"]
        s.get_one(m.StudyGroup, (sid, jg.group_id)).name = other_names["group"]
        attendance = m.Attendance(school_id=sid, id=uuid.uuid4(), lesson_id=jg.lesson_ids[1],
                                  student_id=jg.students[0], kind=m.AttendanceKind.ABSENT)
        grade = m.Grade(school_id=sid, id=uuid.uuid4(), academic_year_id=schools.a.year_id,
                        student_id=jg.students[0], subject_id=setup.subject_id,
                        kind=m.GradeKind.PERIOD, period_id=setup.period_ids[0],
                        group_id=jg.group_id, state=m.GradeState.GRADED,
                        value_id=setup.value_ids["4"])
        slot = m.TimetableSlot(school_id=sid, id=uuid.uuid4(), group_id=jg.group_id,
                               teacher_id=jg.teacher_id, weekday=6, lesson_number=7,
                               valid_from=date(2015, 9, 1))
        # on a Sunday: a school-wide holiday must not move other tests' lessons
        holiday = m.Holiday(school_id=sid, id=uuid.uuid4(), academic_year_id=schools.a.year_id,
                            name=other_names["holiday"], starts_on=date(2016, 5, 29),
                            ends_on=date(2016, 5, 29))
        system = m.GradingSystem(school_id=sid, id=uuid.uuid4(), name=other_names["system"],
                                 kind=m.GradingKind.PASS_FAIL)
        subject = m.Subject(school_id=sid, id=uuid.uuid4(), name=other_names["subject"],
                            short_name="Атк")
        s.add_all([attendance, grade, slot, holiday, system, subject])
        s.flush()
        value = m.MarkValue(school_id=sid, id=uuid.uuid4(), system_id=system.id, label="зач",
                            ordinal=1, range_low=0, range_high=100, point=50,
                            counts_as_pass=True)
        table = m.ConversionTable(school_id=sid, id=uuid.uuid4(), from_system_id=setup.system_id,
                                  to_system_id=system.id, provenance=f"attack suite {tag}",
                                  valid_from=date(2015, 9, 1))
        split = m.Split(school_id=sid, id=uuid.uuid4(), class_id=jg.class_id,
                        subject_id=subject.id)
        # taught without marks where no group studies it: no other test's journal changes
        without_marks = m.TeachingWithoutMarks(school_id=sid, id=uuid.uuid4(), grade_level=11,
                                               subject_id=subject.id)
        exam_kind = m.ExamKind(school_id=sid, id=uuid.uuid4(), name=other_names["exam"],
                               short_name="Экз", level=m.ExamLevel.STATE,
                               system_id=setup.system_id, max_test_score=100, grade_levels=[],
                               counts_in_final=True)
        s.add_all([value, table, split, without_marks, exam_kind])
        s.flush()
        exam = m.Grade(school_id=sid, id=uuid.uuid4(), academic_year_id=schools.a.year_id,
                       student_id=jg.students[0], subject_id=setup.subject_id,
                       kind=m.GradeKind.EXAM, exam_kind_id=exam_kind.id, group_id=jg.group_id,
                       state=m.GradeState.GRADED, value_id=setup.value_ids["5"],
                       test_score=87)
        final = m.Grade(school_id=sid, id=uuid.uuid4(), academic_year_id=schools.a.year_id,
                        student_id=jg.students[0], subject_id=setup.subject_id,
                        kind=m.GradeKind.FINAL, group_id=jg.group_id,
                        state=m.GradeState.GRADED, value_id=setup.value_ids["5"],
                        suggested_value_id=setup.value_ids["5"])
        s.add_all([exam, final])
        s.flush()
        s.add(m.ConversionRow(school_id=sid, id=uuid.uuid4(), table_id=table.id,
                              from_value_id=setup.value_ids["5"], to_value_id=value.id))
        ids["AttendanceEntry"] = [attendance.id]
        ids["Grade"] = [grade.id, exam.id, final.id]
        ids["ExamKind"] = [exam_kind.id]
        ids["TimetableSlot"] = [slot.id]
        ids["Holiday"] = [holiday.id]
        ids["ConversionTable"] = [table.id]
        ids["Split"] = [split.id]
        ids["GradingSystemUse"] = [s.scalars(select(m.GradingSystemUse.id).where(
            m.GradingSystemUse.school_id == sid)).first()]
        ids["TeacherAssignment"] = [s.scalars(select(m.TeacherAssignment.id).where(
            m.TeacherAssignment.group_id == jg.group_id)).one()]
        ids["GroupMembership"] = [s.scalars(select(m.GroupMembership.id).where(
            m.GroupMembership.group_id == jg.group_id,
            m.GroupMembership.student_id == jg.students[0])).one()]
        ids["AuditEntry"] = [s.scalars(select(m.AuditEntry.id).where(
            m.AuditEntry.school_id == sid, m.AuditEntry.entity == "marks",
            m.AuditEntry.entity_id == ids["Mark"][0])).one()]
        # a dead letter to the victim's guardian (its last error names nobody: ids suffice)
        outbox = m.NotificationOutbox(school_id=sid, id=uuid.uuid4(), kind="mark",
                                      entity="marks", op="insert", entity_id=ids["Mark"][0],
                                      student_id=jg.students[0], group_id=jg.group_id)
        s.add(outbox)
        s.flush()
        dead = m.NotificationDelivery(
            school_id=sid, id=uuid.uuid4(), outbox_id=outbox.id, recipient_id=jg.guardian_id,
            channel="email", idempotency_key=f"{outbox.id}:{jg.guardian_id}:email",
            status="dead", attempts=6, last_error="550 mailbox unavailable")
        s.add(dead)
        s.flush()
        ids["NotificationDelivery"] = [dead.id]
        hook = m.Webhook(school_id=sid, id=uuid.uuid4(), token_id=ids["ApiToken"][0],
                         url=f"https://victim.test/{tag}", secret=f"whsec_victim_{tag}")
        s.add(hook)
        ids["Webhook"] = [hook.id]
    # a thread between the teacher and the victim's guardian, and an announcement to the class
    message, announcement = f"Сообщение-{tag}", f"Объявление-{tag}"
    started = ok(gql.post(START_THREAD, {"input": {
        "studentId": to_global_id("Person", jg.students[0]), "body": message}},
        token=teacher))["startMessageThread"]
    assert started["errors"] == [], started
    ids["MessageThread"] = [decode(started["thread"]["id"])]
    ids["Announcement"] = [uuid.uuid4()]
    with owner_session(database.owner) as s:
        set_tenant(s, [sid])
        s.add(m.Announcement(school_id=sid, id=ids["Announcement"][0], class_id=jg.class_id,
                             author_id=jg.teacher_id, body=announcement))
    private = [*names.values(), comment, homework, token_name, f"victim.test/{tag}",
               f"whsec_victim_{tag}", message, announcement]
    return Victim(ids, private, list(other_names.values()), jg)


def make_attackers(database: DatabaseUrls, schools: TwoSchools, gql: Any, token_for: Any,
                   victim: Victim) -> list[Attacker]:
    """School B's people, an officer of school B's municipality, school B's integrator token;
    in school A, the guardian of another child and a teacher of another group."""
    tag = uuid.uuid4().hex[:8]
    officer_login = f"officer.muni_b.attack.{tag}"
    with owner_session(database.owner) as s:
        account = m.Account(id=uuid.uuid4(), login=officer_login,
                            password_hash=hash_password(PASSWORD))
        s.add(account)
        s.flush()
        s.add(m.OfficerRole(account_id=account.id, municipality_id=schools.b.municipality_id))
    other = make_journal_group(database.owner, schools.a, students=1, lessons=1)
    integrator = ok(gql.post(ISSUE_TOKEN, {"input": {
        "name": f"attack-{tag}", "scopes": ["READ", "WRITE_JOURNAL"], "region": False,
        "schoolId": to_global_id("School", schools.b.id)}},
        token=token_for(schools.b.logins["admin"])))["issueApiToken"]
    assert integrator["errors"] == [], integrator
    attackers = [Attacker(f"B {role}", token_for(schools.b.logins[role]), False)
                 for role in ("admin", "teacher", "class_teacher", "student", "guardian")]
    attackers += [
        Attacker("officer of B's municipality", token_for(officer_login), False),
        Attacker("B integrator token", integrator["secret"], False),
        Attacker("A guardian of another child", token_for(other.guardian_login), True),
        Attacker("A teacher of another group", token_for(other.teacher_login), True),
    ]
    return attackers


def tenant_checksums(database: DatabaseUrls, school_id: uuid.UUID,
                     municipality_id: uuid.UUID) -> dict[str, str]:
    """md5 of every row of every tenant table of the school (audit log included), of its
    integrator tokens and of all accounts (a refused setPersonAccount must create none)."""
    with owner_session(database.owner) as s:
        s.execute(text("SELECT set_config('zhurnal.school_ids', :s, true)"),
                  {"s": str(school_id)})
        tables = s.scalars(text(
            "SELECT table_name FROM information_schema.columns WHERE table_schema = 'public' "
            "AND column_name = 'school_id' ORDER BY table_name")).all()
        sums = {}
        for table in tables:
            sums[table] = s.scalar(text(
                f"SELECT coalesce(md5(string_agg(t::text, '|' ORDER BY t::text)), '-') "
                f"FROM {table} t WHERE school_id = :s"), {"s": school_id})
        sums["api_tokens"] = s.scalar(text(
            "SELECT coalesce(md5(string_agg(t::text, '|' ORDER BY t::text)), '-') "
            "FROM api_tokens t WHERE reach_school_id = :s OR reach_municipality_id = :m"),
            {"s": school_id, "m": municipality_id})
        sums["accounts"] = s.scalar(text(
            "SELECT coalesce(md5(string_agg(t::text, '|' ORDER BY t::text)), '-') "
            "FROM accounts t"))
        sums["schools"] = s.scalar(text(
            "SELECT md5(t::text) FROM schools t WHERE id = :s"), {"s": school_id})
    return sums


def secrets_for(victim: Victim, attacker: Attacker) -> list[str]:
    """What must not appear in any answer to this attacker: ids (global and raw) and names."""
    out: list[str] = list(victim.private_markers)
    if not attacker.same_school:
        out += victim.school_markers
    for key, values in victim.ids.items():
        type_name = key.split(".")[0]
        if type_name in PUBLIC_TYPES or (attacker.same_school and key not in PRIVATE_KEYS):
            continue
        for value in values:
            out += [to_global_id(type_name, value), str(value)]
    return out


def is_empty(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, list):
        return not value
    if isinstance(value, dict):
        return all(is_empty(v) for k, v in value.items()
                   if k not in ("__typename", "pageInfo", "totalCount"))
    return False


def judge(call: Call, attacker: Attacker, body: dict[str, Any], secrets: list[str]
          ) -> tuple[str, str | None]:
    """(what the attacker got, the problem if it is not a refusal)."""
    dumped = json.dumps(body, ensure_ascii=False)
    leaked = [s for s in secrets if s in dumped]
    errors = body.get("errors") or []
    data = (body.get("data") or {}).get(call.field)
    codes = sorted({str((e.get("extensions") or {}).get("code", "ERROR")) for e in errors})
    problem = (f"victim data in the answer: {leaked[:3]} in "
               f"{dumped[:300] if call.operation != 'mutation' else dumped}"
               if leaked else None)
    if call.operation == "mutation":
        if data is None:
            return f"error {','.join(codes)}", problem
        payload_codes = {e["code"] for e in data["errors"]}
        result = f"refused {','.join(sorted(payload_codes)) or '-'}"
        # counts of a refused write are 0, flags false: only objects and ids tell a write
        written = {k: v for k, v in data.items() if k != "errors" and not is_empty(v)
                   and v not in (False, 0)}
        if written:
            problem = problem or f"payload not empty: {written}"
        elif not payload_codes & REFUSALS:
            problem = problem or f"not refused with NOT_FOUND/FORBIDDEN: {data['errors']}"
        return result, problem
    if call.field == "node":
        key = call.variant
        hidden = key.split(".")[0] not in PUBLIC_TYPES and (
            not attacker.same_school or key in PRIVATE_KEYS)
        if data is not None and hidden:
            problem = problem or f"node returned {data}"
        return ("null" if data is None else "object") + (f" error {codes}" if codes else ""), \
            problem
    if call.field == "nodes":
        shown = [k for k, item in zip(call.keys, data or [], strict=False)
                 if item is not None and (not attacker.same_school or k in PRIVATE_KEYS)]
        if shown:
            problem = problem or f"nodes returned objects of {shown}"
        return f"{sum(x is not None for x in data or [])} of {len(call.keys)} non-null", \
            problem
    if errors and data is None:
        return f"error {','.join(codes)}", problem
    if is_empty(data):
        return "empty", problem
    if not attacker.same_school:
        problem = problem or f"not empty: {json.dumps(data, ensure_ascii=False)[:200]}"
    return "data without the victim's", problem


def try_subscription(ws_url: str, call: Call, attacker: Attacker) -> tuple[str, str | None]:
    """Subscribe over graphql-transport-ws; the first message must be an error, not an event."""
    with connect(ws_url, subprotocols=[Subprotocol("graphql-transport-ws")],
                 open_timeout=WS_WAIT) as ws:
        ws.send(json.dumps({"type": "connection_init",
                            "payload": {"Authorization": f"Bearer {attacker.bearer}"}}))
        ack = json.loads(ws.recv(WS_WAIT))
        if ack["type"] != "connection_ack":
            return f"connection refused {ack}", None
        ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {
            "query": call.document, "variables": call.variables}}))
        message = json.loads(ws.recv(WS_WAIT))
    if message["type"] == "error":
        return "error", None
    payload = message.get("payload") or {}
    codes = sorted({(e.get("extensions") or {}).get("code", "ERROR")
                    for e in payload.get("errors") or []})
    if message["type"] == "next" and payload.get("data") is None and codes:
        return f"error {','.join(codes)}", None
    return f"{message['type']}", f"subscription not refused: {message}"


def client_schema(gql: Any, bearer: str) -> GraphQLSchema:
    """The schema as a client sees it: the introspection query against the test server."""
    body = gql.post(get_introspection_query(descriptions=True), token=bearer)
    assert "errors" not in body, body
    return build_client_schema(body["data"])


@pytest.fixture(scope="module")
def attack_run(database: DatabaseUrls, schools: TwoSchools, gql: Any, token_for: Any,
               server_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[AttackRun]:
    victim = make_victim(database, schools, gql, token_for)
    attackers = make_attackers(database, schools, gql, token_for, victim)
    catalog = build_catalog(client_schema(gql, attackers[0].bearer), victim.ids)
    run = AttackRun(catalog, attackers, victim=victim)
    run.before = tenant_checksums(database, schools.a.id, schools.a.municipality_id)
    started = time.monotonic()
    ws_url = server_url.replace("http://", "ws://") + "/graphql"
    for attacker in attackers:
        secrets = secrets_for(victim, attacker)
        headers = {"Authorization": f"Bearer {attacker.bearer}"}
        for call in catalog.calls:
            if call.operation == "subscription":
                result, problem = try_subscription(ws_url, call, attacker)
                run.subscription_outcomes.append(Outcome(call, attacker.label, result, problem))
                continue
            response = gql.http.post("/graphql", json={"query": call.document,
                                                       "variables": call.variables},
                                     headers=headers)
            if response.status_code >= 500:
                result, problem = f"HTTP {response.status_code}", response.text[:200]
            else:
                result, problem = judge(call, attacker, response.json(), secrets)
            run.outcomes.append(Outcome(call, attacker.label, result, problem))
    run.seconds = time.monotonic() - started
    run.after = tenant_checksums(database, schools.a.id, schools.a.municipality_id)
    run.report = tmp_path_factory.mktemp("attack_suite") / "attack_suite_report.txt"
    lines = [f"{o.call.label:70} | {o.attacker:30} | {o.result}"
             + (f"  <-- {o.problem}" if o.problem else "")
             for o in [*run.outcomes, *run.subscription_outcomes]]
    summary = (f"{len(catalog.fields_with_ids)} root fields with ids, {len(catalog.calls)} "
               f"calls x {len(attackers)} attackers = "
               f"{len(run.outcomes) + len(run.subscription_outcomes)} attacks in "
               f"{run.seconds:.1f} s")
    run.report.write_text("\n".join([summary, *lines]) + "\n", encoding="utf-8")
    print(f"\n{summary}\nreport: {run.report}")
    print("\n".join(lines))
    yield run


def failures(outcomes: list[Outcome]) -> list[str]:
    return [f"{o.call.label} by {o.attacker}: {o.problem}" for o in outcomes if o.problem]


def test_attack_suite_tries_every_root_field_that_takes_an_id(attack_run: AttackRun) -> None:
    # given the fields found by introspection
    catalog = attack_run.catalog
    # when / then: none skipped, each called by every attacker
    assert catalog.skipped == {}, catalog.skipped
    tried = Counter((o.call.operation, o.call.field)
                    for o in [*attack_run.outcomes, *attack_run.subscription_outcomes])
    untried = {f for f in catalog.fields_with_ids if tried[f] < len(attack_run.attackers)}
    assert untried == set()
    assert ("query", "node") in catalog.fields_with_ids
    assert ("subscription", "diaryEvents") in catalog.fields_with_ids
    assert ("query", "reportCard") in catalog.fields_with_ids


def test_attack_suite_node_is_tried_for_every_node_type(attack_run: AttackRun,
                                                        gql: Any) -> None:
    # given every type implementing Node, but the global reference data no school owns
    schema = client_schema(gql, attack_run.attackers[0].bearer)
    wanted = set(node_types(schema)) - {"GradingTemplate"}
    # when
    tried = {o.call.variant.split(".")[0] for o in attack_run.outcomes if o.call.field == "node"}
    # then
    assert wanted - tried == set(), "victim ids missing for these Node types"


def test_attack_suite_reads_return_nothing_of_the_victim(attack_run: AttackRun) -> None:
    # given / when: the suite's queries
    reads = [o for o in attack_run.outcomes if o.call.operation == "query"]
    # then
    assert reads
    assert failures(reads) == []


def test_attack_suite_writes_are_refused(attack_run: AttackRun) -> None:
    # given / when: the suite's mutations
    writes = [o for o in attack_run.outcomes if o.call.operation == "mutation"]
    # then: NOT_FOUND (another school) or FORBIDDEN (a role of the school), no object
    assert writes
    assert failures(writes) == []


def test_attack_suite_subscriptions_are_refused(attack_run: AttackRun) -> None:
    # given / when: diaryEvents (and any other subscription) for the victim student
    outcomes = attack_run.subscription_outcomes
    # then
    assert outcomes
    assert failures(outcomes) == []


def test_attack_suite_changes_nothing_in_the_victim_school(attack_run: AttackRun) -> None:
    # given the checksums of school A's tables before and after the whole suite
    before, after = attack_run.before, attack_run.after
    # then: no row written, changed or deleted; no audit row for a refused mutation
    assert "audit_log" in before and "marks" in before
    changed = sorted(t for t in before if before[t] != after.get(t))
    assert changed == []


def test_attack_suite_me_shows_nothing_of_the_victim(attack_run: AttackRun, gql: Any) -> None:
    # given: the victim of the suite and its attackers
    assert attack_run.victim is not None
    problems = []
    for attacker in attack_run.attackers:
        # when: each reads their own reach, the students whose diaries they read included
        body = gql.post(ME_REACH, token=attacker.bearer)
        # then: none of the victim's ids or names, and no server error
        dumped = json.dumps(body, ensure_ascii=False)
        leaked = [s for s in secrets_for(attack_run.victim, attacker) if s in dumped]
        if leaked or any((e.get("extensions") or {}).get("code") == "INTERNAL_SERVER_ERROR"
                         for e in body.get("errors") or []):
            problems.append(f"{attacker.label}: {leaked[:3]} {dumped[:300]}")
    assert problems == []
