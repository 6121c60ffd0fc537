"""Period, year and final grades, and closing periods and years."""
