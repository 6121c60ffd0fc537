"""Grading systems, their values and conversion, and weighted averages."""
