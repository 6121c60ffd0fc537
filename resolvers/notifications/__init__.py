"""Notifications: the outbox's fan-out to recipients, the delivery queue the worker claims,
preferences, dead letters (docs/notifications.md). Sending itself is server/notify_worker.py."""
