from tests.factories import TwoSchools


def test_two_schools_are_seeded(schools: TwoSchools) -> None:
    assert schools.a.id != schools.b.id
    assert set(schools.a.people) == {"admin", "teacher", "class_teacher", "student", "guardian"}
