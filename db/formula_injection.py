"""Spreadsheet formula injection (OWASP "CSV injection"), neutralised the same way in every
export: a text cell a spreadsheet would read as a formula gets a leading single quote."""

from __future__ import annotations

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise(text: str) -> str:
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def restore_text(text: str) -> str:
    """The inverse of `neutralise`, for a cell read back on import."""
    if text.startswith("'") and text[1:].startswith(FORMULA_PREFIXES):
        return text[1:]
    return text
