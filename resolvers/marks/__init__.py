"""Marks and attendance: the bulk journal writes and what they check."""
