"""Shared core of every domain: the context, validation, the clock and the unit of work."""
