"""Geometry on GeoJSON [lng, lat] points: distances for recommendation, halls and check-ins."""

from __future__ import annotations

import math


def distance_km(a: list[float] | None, b: list[float] | None) -> float:
    """Great-circle distance between two [lng, lat] points."""
    if not a or not b:
        return math.inf
    lng1, lat1, lng2, lat2 = map(math.radians, (a[0], a[1], b[0], b[1]))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lng2 - lng1) / 2) ** 2
    )
    return 6371.0 * 2 * math.asin(math.sqrt(min(1.0, h)))
