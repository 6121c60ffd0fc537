"""The final grade's rule (resolvers/exams/final.py) on its own: every branch of docs/results.md
"The final grade", with numbers a reader can check by hand."""

from __future__ import annotations

import uuid
from decimal import Decimal

from db.models import GradeState
from resolvers.exams.final import ExamInput, GradeInput, final_grade
from tests.rules.test_conversion import FIVE, PASS_FAIL, TEN, value

G = GradeState.GRADED


def year(label: str | None = None, state: GradeState = G, scale=FIVE) -> GradeInput:
    return GradeInput(uuid.uuid4(), state, value(scale, label) if label else None)


def exam(label: str | None, state: GradeState = G, *, scale=FIVE, name: str = "ОГЭ",
         counts: bool = True) -> ExamInput:
    return ExamInput(uuid.uuid4(), state, value(scale, label) if label else None,
                     kind_name=name, counts_in_final=counts)


def test_the_mean_of_year_and_exam_is_rounded_half_up_in_the_students_favour() -> None:
    # given / when
    up = final_grade(year("4"), [exam("5")], FIVE)
    down_to_4 = final_grade(year("4"), [exam("3")], FIVE)
    # then: 4.50 → 5 and 3.50 → 4, whatever the school's threshold for averages
    assert (up.state, up.value.label, up.mean) == (G, "5", Decimal("4.50"))
    assert up.summary == ("(4 + 5) / 2 = 4.50 → rounded up (half up, in the student's "
                          "favour) to 5")
    assert (down_to_4.value.label, down_to_4.mean) == ("4", Decimal("3.50"))


def test_without_a_counted_exam_the_final_grade_is_the_year_grade() -> None:
    # given: no exam; an exempt one; one whose kind does not count
    cases = [[], [exam(None, GradeState.EXEMPT)], [exam("2", name="ЕГЭ", counts=False)]]
    for exams in cases:
        # when
        outcome = final_grade(year("3"), exams, FIVE)
        # then
        assert (outcome.state, outcome.value.label, outcome.mean) == (G, "3", Decimal("3.00"))
        assert outcome.summary.startswith("no exam counts")
    listed = final_grade(year("3"), cases[2], FIVE).exams[0]
    assert (listed.counted, listed.reason) == (False, "«ЕГЭ» does not count in the final grade")


def test_no_final_grade_without_a_year_grade_or_with_a_deferred_one_or_a_deferred_exam() -> None:
    assert final_grade(None, [exam("5")], FIVE).gap == "no year grade yet"
    assert final_grade(year(None, GradeState.DEFERRED), [], FIVE).gap == \
        "the year grade is deferred"
    deferred = final_grade(year("4"), [exam(None, GradeState.DEFERRED)], FIVE)
    assert (deferred.state, deferred.gap) == (None, "the exam «ОГЭ» is deferred")


def test_not_attested_and_exempt_follow_the_year_grade_and_the_exams() -> None:
    assert final_grade(year(None, GradeState.NOT_ATTESTED), [exam("5")], FIVE).state == \
        GradeState.NOT_ATTESTED
    assert final_grade(year(None, GradeState.EXEMPT), [exam("5")], FIVE).state == \
        GradeState.EXEMPT
    failed = final_grade(year("5"), [exam(None, GradeState.NOT_ATTESTED)], FIVE)
    assert (failed.state, failed.value) == (GradeState.NOT_ATTESTED, None)
    # an exam that does not count changes nothing, whatever its state
    ignored = final_grade(year("5"), [exam(None, GradeState.DEFERRED, counts=False)], FIVE)
    assert (ignored.state, ignored.value.label) == (G, "5")


def test_an_exam_grade_of_another_system_is_read_on_the_year_grades_scale() -> None:
    # given: a ten-point «7» (point 65) read on the five-point line: 3 + (65 − 60) / 17.5
    outcome = final_grade(year("4"), [exam("7", scale=TEN)], FIVE)
    # then: 3.29, and (4 + 3.29) / 2 = 3.645 → 3.65 → 4
    assert outcome.exams[0].number == Decimal("3.29")
    assert (outcome.mean, outcome.value.label) == (Decimal("3.65"), "4")


def test_two_counted_exams_and_a_system_without_numbers() -> None:
    # (5 + 4 + 4) / 3 = 4.33 → 4
    three = final_grade(year("5"), [exam("4"), exam("4", name="Переводной")], FIVE)
    assert (three.mean, three.value.label) == (Decimal("4.33"), "4")
    # зачёт (75) and незачёт (25): the mean point 50.00 lies in «зачёт» [50, 100)
    passed = final_grade(year("зачёт", scale=PASS_FAIL), [exam("незачёт", scale=PASS_FAIL)],
                         PASS_FAIL)
    assert (passed.mean, passed.value.label, passed.rounding) == (Decimal("50.00"), "зачёт",
                                                                  None)
