"""`bench/activities.py --quick` runs end to end and prints its figures: every attendee
awarded once (entries = 2 per attendee) and `check` clean (a count, not a time)."""

from __future__ import annotations

import re
import subprocess
import sys

from server.config import ROOT


def test_activities_bench_quick_run_prints_the_ratio():
    result = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "activities.py"), "--quick"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    out = result.stdout
    assert result.returncode == 0, out + result.stderr
    assert re.search(r"^ratio\s+settle / baseline\s+\d+\.\d+$", out, re.M), out
    assert re.search(r"^entries\s+100 \(want 100\); attended 50$", out, re.M), out
    assert re.search(r"^check\s+clean$", out, re.M), out
