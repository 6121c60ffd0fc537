"""The permission rules of the year's results (tenants/rules.py): who reads a whole report
card and who may override the year-grade rule, in process."""

from __future__ import annotations

import uuid

from db.models import TokenScope
from tenants import rules
from tenants.access import AccessContext
from tests.rules.test_tenant_rules import (
    CHILD,
    OTHER,
    SCHOOL,
    STUDENT,
    admin,
    class_teacher,
    guardian,
    officer,
    person,
    teacher,
    token,
)


def test_the_whole_report_card_is_read_by_the_student_guardian_class_teacher_admin_token(
) -> None:
    own = person(STUDENT)
    me = own.memberships[SCHOOL].person_id

    def whole(access: AccessContext, student: uuid.UUID = CHILD, *, leads: bool = False
              ) -> bool:
        return rules.reads_whole_report_card(access, SCHOOL, student, leads_student_class=leads)

    assert whole(own, me) and not whole(own, CHILD)
    assert whole(guardian) and not whole(guardian, me)
    assert whole(class_teacher, leads=True) and not whole(class_teacher)
    assert whole(admin) and not rules.reads_whole_report_card(
        admin, OTHER, CHILD, leads_student_class=False)
    assert whole(token(TokenScope.READ)) and not whole(token(TokenScope.WRITE_JOURNAL))
    # a subject teacher reads only the subjects they teach (the resolver asks `teaches`)
    assert not whole(teacher) and not whole(officer())


def test_only_an_administrator_may_override_the_year_grade_rule() -> None:
    assert rules.may_override_year_grade_rule(admin, SCHOOL)
    assert not rules.may_override_year_grade_rule(admin, OTHER)
    for other in (teacher, class_teacher, guardian, token(TokenScope.WRITE_JOURNAL), officer()):
        assert not rules.may_override_year_grade_rule(other, SCHOOL)
