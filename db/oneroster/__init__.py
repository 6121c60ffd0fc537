"""OneRoster 1.2 CSV exchange: export of a school, a municipality or the region; import of
the rostering files into one school."""
