"""Database layer: models, engine and sessions, migrations, the embedded PostgreSQL."""
