"""What each query and mutation does, one domain per module."""
