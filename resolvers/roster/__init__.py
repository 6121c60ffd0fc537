"""Classes, study groups, splits, teacher assignments, enrollments and memberships."""
