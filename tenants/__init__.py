"""Access context, roles and permissions, RLS session setup, school configuration."""
