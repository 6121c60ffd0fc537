"""The journal page of a group and period, on screen and printed."""
