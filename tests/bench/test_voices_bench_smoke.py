"""`bench/voices.py --quick` seeds, rebuilds the counters and times the 民情分析 page (no timing
asserts: the figures are a report)."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from server.config import ROOT


@pytest.mark.slow
def test_voices_bench_quick_run_prints_the_table():
    result = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "voices.py"), "--quick"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    out = result.stdout
    assert result.returncode == 0, out + result.stderr
    for name in ("analysis", "board", "board month"):
        assert re.search(
            rf"^{re.escape(name)}\s+[\d.]+\s+[\d.]+\s+[\d.]+\s+(ok|MISSED)$", out, re.M
        ), f"no row for {name}:\n{out}"
    assert re.search(r"\d+ counter documents rebuilt", out), out
