"""Log-scale histograms of durations in minutes: a median from at most 64 counters.

A list of samples costs one value per event in the range; counters per bucket cost the same
at any volume, and merge by adding. Bucket b > 0 holds [1.25^(b-1), 1.25^b) minutes.
"""

from __future__ import annotations

import math

BASE = 1.25  # each bucket is 25 % wider than the one before
SIZE = 64  # bucket 63 starts at 1.25^62 min ≈ 1,000 years


def bucket(minutes: float) -> int:
    """0 for under a minute, then buckets [1.25^(b-1), 1.25^b) minutes."""
    if minutes < 1:
        return 0
    return min(SIZE - 1, int(math.log(minutes) / math.log(BASE)) + 1)


def _bucket_bounds(b: int) -> tuple[float, float]:
    if b == 0:
        return 0.0, 1.0
    return BASE ** (b - 1), BASE**b


def median(hist: dict[str, int]) -> float | None:
    """The median of a histogram, interpolated inside its bucket (within 25 % of the exact
    median, and exact below a minute). A sample list would cost the dashboard one value per
    order in the range; the histogram costs at most 64."""
    counts = sorted((int(b), n) for b, n in hist.items() if n > 0)
    total = sum(n for _, n in counts)
    if not total:
        return None
    rank = (total + 1) / 2
    seen = 0
    for b, n in counts:
        if seen + n >= rank:
            if b == 0:
                return 0.0
            lo, hi = _bucket_bounds(b)
            share = (rank - seen - 0.5) / n
            return round(lo * (hi / lo) ** min(max(share, 0.0), 1.0), 1)
        seen += n
    return None  # pragma: no cover - rank is at most total


def merge(into: dict[str, int], hist: dict[str, int]) -> None:
    for b, n in hist.items():
        into[b] = into.get(b, 0) + n
