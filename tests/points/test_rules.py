"""Points rules without I/O: leaderboard periods in Beijing time."""

from __future__ import annotations

from datetime import UTC, datetime

from models.points.ledger import period_start


def test_period_start_is_beijing_month():
    # 2026-10-31 17:00 UTC is already 1 November in Beijing
    now = datetime(2026, 10, 31, 17, 0, tzinfo=UTC)
    start = period_start(now, "month")
    assert start is not None and (start.month, start.day, start.hour) == (11, 1, 0)
    assert period_start(now, "all") is None
