"""The journal's `average` and `suggestedValue` against `averageExplanation`, student by student:
one rule (resolvers/grading/averages.py `reckon`), so the grid and the explanation never differ.

The class has marks of every kind the rule distinguishes: weights, excluded marks, marks of
another period, works without a lesson, marks of another numeric system (converted through
their points), marks without a number of their own (зачёт/незачёт), and students without marks;
the page is read in its own system, in a ten-point one and in a pass/fail one, and a group whose
own system is pass/fail is read too.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from sqlalchemy import update

from db import models as m
from db.engine import DatabaseUrls, owner_session
from db.tenancy import set_tenant
from schema.ids import to_global_id as gid
from tests.api.test_grades import make_system
from tests.api.test_journal import Q1, MarkSpec, add_marks, page_vars
from tests.factories import TwoSchools
from tests.journal_factory import JournalGroup, make_journal_group
from tests.sql_counter import count_statements

PAGE = """
query Page($groupId: ID!, $periodId: ID!, $in: ID) {
  journal(groupId: $groupId, periodId: $periodId, in: $in) {
    gradingSystem { gradingSystemId }
    students { studentId average suggestedValue }
  }
}
"""

EXPLAIN = """
query Explain($g: ID!, $p: ID!, $s: ID!, $in: ID) {
  averageExplanation(groupId: $g, periodId: $p, studentId: $s, in: $in) {
    average countedMarks
    suggestedValue { id label numericValue point }
    gradingSystem { id }
  }
}
"""


def page(gql: Any, token: str, jg: JournalGroup, system: uuid.UUID | None) -> dict[str, Any]:
    variables = {**page_vars(jg, Q1), "in": gid("GradingSystem", system) if system else None}
    result = gql.post(PAGE, variables, token=token)
    assert "errors" not in result, result
    return dict(result["data"]["journal"])


def explained(gql: Any, token: str, jg: JournalGroup, student: str, system: uuid.UUID | None
              ) -> dict[str, Any]:
    result = gql.post(EXPLAIN, {"g": gid("StudyGroup", jg.group_id),
                                "p": gid("Period", jg.setup.period_ids[Q1]), "s": student,
                                "in": gid("GradingSystem", system) if system else None},
                      token=token)
    assert "errors" not in result, result
    return dict(result["data"]["averageExplanation"])


def one_by_one(gql: Any, token: str, jg: JournalGroup, system: uuid.UUID | None
               ) -> dict[str, tuple[Any, Any]]:
    """Each student's (average, suggested value) after checking that the page and
    `averageExplanation`, asked for that student alone, say the same: the page gives the
    value's label (as `Grade.suggestedValue`), the explanation the `MarkValue`, kept here."""
    grid = page(gql, token, jg, system)
    seen: dict[str, tuple[Any, Any]] = {}
    for row in grid["students"]:
        explanation = explained(gql, token, jg, row["studentId"], system)
        assert explanation["gradingSystem"]["id"] == grid["gradingSystem"]["gradingSystemId"]
        value = explanation["suggestedValue"]
        assert (row["average"], row["suggestedValue"]) == (
            explanation["average"], value and value["label"]), row["studentId"]
        seen[row["studentId"]] = (row["average"], value)
    return seen


def mixed_class(database: DatabaseUrls, jg: JournalGroup, ten: dict[str, uuid.UUID],
                pass_fail: dict[str, uuid.UUID]) -> None:
    """Marks of every kind (students 6 and 7 have none that count)."""
    add_marks(database, jg, [
        MarkSpec(0, 0, "5"), MarkSpec(0, 1, "3", "test"),  # weights: 3.67
        MarkSpec(1, 0, "4"), MarkSpec(1, 1, "5"),  # 4.50: rounds up at 0.5
        MarkSpec(2, 0, "2", excluded=True), MarkSpec(2, 1, "5"),
        MarkSpec(2, 2, "4", "test"),  # excluded left out: 4.33
        MarkSpec(3, 0, "4"),
        MarkSpec(4, 0, "5", "test"),
        MarkSpec(5, 0, "4"),
        MarkSpec(5, None, "3", "test", work_date=date(2015, 10, 20)),  # a work without a lesson
        MarkSpec(5, None, "2", work_date=date(2015, 11, 20)),  # another period's
        MarkSpec(7, 1, "5", excluded=True),
    ])
    # converted from another numeric system: ten-point 9 is point 85, 4.50 in five points;
    # 7 is point 65, 3.29: (4 + 4.50 + 2·3.29) / 4 = 3.77
    add_marks(database, jg, [MarkSpec(3, 1, "9"),
                             MarkSpec(3, None, "7", "test", work_date=date(2015, 10, 1))], ten)
    # without a number of their own: зачёт is point 75 (3.86), незачёт point 25 (2)
    add_marks(database, jg, [MarkSpec(4, 1, "зачёт"), MarkSpec(8, 2, "незачёт")], pass_fail)


def test_journal_average_and_suggested_value_equal_average_explanation_for_every_student(
    gql, token_for, schools: TwoSchools, database: DatabaseUrls
) -> None:
    # given: a five-point class with marks of every kind, and the school's ten-point and
    # pass/fail systems
    jg = make_journal_group(database.owner, schools.a, students=9, lessons=3)
    ten_id, ten = make_system(database, jg.school.id, "ten_point")
    pass_fail_id, pass_fail = make_system(database, jg.school.id, "pass_fail")
    mixed_class(database, jg, ten, pass_fail)
    token = token_for(jg.teacher_login)
    # when / then: the page in its own system, in ten points and in pass/fail agrees with
    # averageExplanation asked for each student alone
    own = one_by_one(gql, token, jg, None)
    in_ten = one_by_one(gql, token, jg, ten_id)
    in_pass_fail = one_by_one(gql, token, jg, pass_fail_id)
    # and the figures are the rule's (so the comparison is not between two empty pages)
    rows = [own[gid("Person", s)] for s in jg.students]
    assert [average for average, _ in rows] == [3.67, 4.5, 4.33, 3.77, 4.62, 3.33, None, None,
                                                2.0]
    assert [v and v["label"] for _, v in rows] == ["4", "5", "4", "4", "5", "3", None, None,
                                                   "2"]
    assert all(v is None or v["id"] in {gid("MarkValue", x) for x in jg.setup.value_ids.values()}
               for _, v in rows)
    assert sum(a is not None for a, _ in in_ten.values()) == 7
    assert all(a is None for a, _ in in_pass_fail.values())  # no numbers, no average
    pass_fail_labels = [in_pass_fail[gid("Person", s)][1] for s in jg.students]
    assert [v and v["label"] for v in pass_fail_labels] == [
        "зачёт", "зачёт", "зачёт", "зачёт", "зачёт", "зачёт", None, None, "незачёт"]


def test_journal_suggested_value_of_a_pass_fail_group_equals_average_explanation(
    gql, token_for, schools: TwoSchools, database: DatabaseUrls
) -> None:
    # given: a group whose subject is graded зачёт/незачёт, with pass/fail and five-point marks
    jg = make_journal_group(database.owner, schools.a, students=3, lessons=2)
    pass_fail_id, pass_fail = make_system(database, jg.school.id, "pass_fail")
    with owner_session(database.owner) as s:
        set_tenant(s, [jg.school.id])
        subject = m.Subject(school_id=jg.school.id, id=uuid.uuid4(),
                            name=f"Физкультура {uuid.uuid4().hex[:6]}", short_name="Физ")
        s.add(subject)
        s.flush()
        s.add(m.GradingSystemUse(school_id=jg.school.id, academic_year_id=jg.school.year_id,
                                 subject_id=subject.id, grade_level=6, system_id=pass_fail_id))
        s.execute(update(m.StudyGroup).where(m.StudyGroup.id == jg.group_id)
                  .values(subject_id=subject.id))
    add_marks(database, jg, [MarkSpec(0, 0, "зачёт"), MarkSpec(1, 0, "незачёт"),
                             MarkSpec(1, 1, "незачёт", "test")], pass_fail)
    add_marks(database, jg, [MarkSpec(1, 1, "5"), MarkSpec(2, 0, "2")])
    # when / then
    seen = one_by_one(gql, token_for(jg.teacher_login), jg, None)
    rows = [seen[gid("Person", s)] for s in jg.students]
    # (25 + 2·25 + 92.5) / 4 = 41.88 → незачёт; a five-point 2 is point 25 → незачёт
    assert [(a, v and v["label"]) for a, v in rows] == [(None, "зачёт"), (None, "незачёт"),
                                                        (None, "незачёт")]


def test_journal_suggested_values_cost_no_statement_per_student(
    gql, token_for, schools: TwoSchools, database: DatabaseUrls
) -> None:
    # given: a class of 3 and one of 25 with marks on every lesson
    small = make_journal_group(database.owner, schools.a, students=3, lessons=4)
    big = make_journal_group(database.owner, schools.a, students=25, lessons=4)
    for jg in (small, big):
        add_marks(database, jg, [MarkSpec(i, j, "2345"[(i + j) % 4])
                                 for i in range(len(jg.students)) for j in range(4)])
    counts = []
    for jg in (small, big):
        token = token_for(jg.teacher_login)
        # when
        with count_statements() as counter:
            grid = page(gql, token, jg, None)
        # then
        assert all(row["suggestedValue"] for row in grid["students"])
        counts.append(counter.count)
    assert counts == [2, 2], counter.statements  # the access context and the page
