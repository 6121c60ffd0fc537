"""Exams and final grades: the school's exam kinds (kinds.py), students' exam results
(results.py) and the final grade computed from the year and exam grades (final.py)."""
