"""The system over real HTTP and processes: attacks, limits, restarts, CLI."""
