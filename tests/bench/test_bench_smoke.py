"""`bench/core_loop.py --quick` runs end to end, prints its table, and every budgeted request
stays within its database round trips (a count, not a time: no timing asserts)."""

from __future__ import annotations

import re
import subprocess
import sys

from server.config import ROOT

ENDPOINTS = ("login", "place", "dispatch", "accept", "start", "complete", "confirm")
BUDGETS = {"place": 3, "dispatch": 4, "accept": 4, "confirm": 7}  # round trips, token included


def test_core_loop_bench_quick_run_prints_the_table():
    result = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "core_loop.py"), "--quick"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=40,
    )
    out = result.stdout
    assert result.returncode == 0, out + result.stderr
    assert re.search(r"^cores: \d+", out, re.M), out
    assert re.search(r"^bare\s+GET /json\s+\d+\s+0\s+\d+", out, re.M), out
    for name in ENDPOINTS:
        # endpoint, route, requests, errors, req/s ... round trips
        row = re.search(rf"^{name}\s+(GET|POST) \S+\s+\d+\s+\d+\s+\d+\s.*$", out, re.M)
        assert row, f"no table row for {name}:\n{out}"
        assert re.search(rf"^  {name}\s+[\d/]+\s+[\d.]+ ms\s+\w+\(", out, re.M), out
    for name, budget in BUDGETS.items():
        row = re.search(
            rf"^{name}\s+(GET|POST) \S+.*\s(\d+)\*?\s+{budget}\s+(PASS|FAIL)$", out, re.M
        )
        assert row, f"no round-trip figure for {name}:\n{out}"
        assert row.group(3) == "PASS", f"{name}: {row.group(2)} round trips > {budget}:\n{out}"
    assert "ALL TARGETS MET" in out or "TARGETS MISSED" in out
