"""Validation every request passes: strict schemas, hostile keys, Unicode."""
