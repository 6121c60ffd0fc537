"""Errors of the database layer that a person can act on."""


class DatabaseUnavailable(RuntimeError):
    """The database cannot be reached or started; the message says what to do."""


class MigrationsPending(RuntimeError):
    """The database schema is behind the code; the message names the command to run."""
