from db.engine import DatabaseUrls
from tests.factories import TwoSchools
from tests.journal_factory import make_journal_group


def test_make_journal_group_builds_an_isolated_class(database: DatabaseUrls,
                                                     schools: TwoSchools) -> None:
    first = make_journal_group(database.owner, schools.a, students=3, lessons=4)
    second = make_journal_group(database.owner, schools.a, students=2, lessons=1)
    assert first.group_id != second.group_id
    assert len(first.students) == 3 and len(first.lesson_ids) == 4
    assert first.setup is second.setup
    assert first.lesson_dates[0].isoformat() == "2015-09-01"
