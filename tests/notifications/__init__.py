"""Notifications: inbox, subscribe-message quotas, field limits, retries."""
