"""`bench/rewards.py --quick` runs end to end and prints its figures (no timing asserts)."""

from __future__ import annotations

import re
import subprocess
import sys

from server.config import ROOT


def test_rewards_bench_quick_run_prints_the_figures():
    result = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "rewards.py"), "--quick"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=240,
    )
    out = result.stdout
    assert result.returncode == 0, out + result.stderr
    assert re.search(r"^awards\s+\d+ ok\s+0 err\s+[\d.]+ /s", out, re.M), out
    # a sold-out item refuses exactly the requests beyond its stock
    assert re.search(r"^redemptions\s+15 ok\s+5 err\s+[\d.]+ /s .*stock left 0\)", out, re.M), out
    assert re.search(r"^redeem/award ratio: [\d.]+", out, re.M), out
    assert re.search(r"^hot/spread ratio: [\d.]+", out, re.M), out
    assert re.search(r"^expiry job\s+200 buckets", out, re.M), out
    assert re.search(r"^expiry/scan ratio: [\d.]+", out, re.M), out
    assert "server check: clean" in out, out
