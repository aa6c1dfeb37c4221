"""Service hours (志愿服务时长): the time actually served, capped by the activity's span and
rounded as configured (志愿服务记录与证明出具办法: time actually served, in hours). Pure rules."""

from __future__ import annotations

import math
from datetime import datetime


def served_hours(
    checkin_at: datetime | None,
    checkout_at: datetime | None,
    start_at: datetime,
    end_at: datetime,
) -> float:
    """Hours between check-in and check-out, counting only time inside [start, end]."""
    if checkin_at is None or checkout_at is None:
        return 0.0
    begin = max(checkin_at, start_at)
    finish = min(checkout_at, end_at)
    return max(0.0, (finish - begin).total_seconds() / 3600)


def round_hours(hours: float, step: float, mode: str = "floor") -> float:
    """To a multiple of `step` (e.g. 0.5 h): `floor` (never more than served) or `nearest`."""
    if step <= 0:
        return round(hours, 2)
    units = hours / step
    whole = math.floor(units + 1e-9) if mode == "floor" else math.floor(units + 0.5)
    return round(whole * step, 2)


def points_for(mode: str, value: float, hours: float) -> float:
    """Points by the activity's rule: per hour served, fixed for attending, or none."""
    if mode == "per_hour":
        return round(value * hours, 2)
    if mode == "fixed":
        return float(value) if hours > 0 else 0.0
    return 0.0
