"""Storage: migrations, RLS and the catalog, seeds, backups, file formats."""
