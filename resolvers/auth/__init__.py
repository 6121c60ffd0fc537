"""Logging in: passwords, session tokens, login rate limiting."""
