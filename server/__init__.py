"""Starlette application, authentication and the `zhurnal` command line."""
