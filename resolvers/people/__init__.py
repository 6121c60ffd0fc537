"""People of a school: persons, roles, guardians, accounts, link codes, the import."""
