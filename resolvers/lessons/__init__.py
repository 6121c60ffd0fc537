"""Lessons: reading, writing one lesson, generating them from the timetable."""
