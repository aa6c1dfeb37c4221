"""`bench/admin_pages.py --quick` seeds, serves and times every admin page (no timing asserts)."""

from __future__ import annotations

import re
import subprocess
import sys

from server.config import ROOT

PAGES = ("dashboard (street)", "dispatch board", "members", "points queue", "audit log")


def test_admin_pages_bench_quick_run_prints_the_table():
    result = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "admin_pages.py"), "--quick"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
    )
    out = result.stdout
    assert result.returncode == 0, out + result.stderr
    for name in PAGES:
        assert re.search(
            rf"^{re.escape(name)}\s+[\d.]+\s+[\d.]+\s+[\d.]+\s+[\d.]+\s+(ok|MISSED)$", out, re.M
        ), f"no row for {name}:\n{out}"
    assert re.search(r"dashboard tallies of \d+ orders", out), out
