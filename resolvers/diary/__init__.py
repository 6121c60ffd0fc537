"""A student's diary: lessons, homework, marks and attendance by day."""
