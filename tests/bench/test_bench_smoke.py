"""`bench/core_loop.py --quick` runs end to end and prints its table (no timing asserts)."""

from __future__ import annotations

import re
import subprocess
import sys

from server.config import ROOT

ENDPOINTS = ("login", "place", "dispatch", "accept", "start", "complete", "confirm")


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
    assert "ALL TARGETS MET" in out or "TARGETS MISSED" in out
