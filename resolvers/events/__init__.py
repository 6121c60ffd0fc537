"""Diary events: the LISTEN fan-out and the diaryEvents subscription."""
