"""`bench/records.py --quick` seeds, times the record and dossier and prints the table."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from server.config import ROOT


@pytest.mark.slow
def test_records_bench_quick_run_prints_the_table():
    result = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "records.py"), "--quick"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    out = result.stdout
    assert result.returncode == 0, out + result.stderr
    assert re.search(r"with 1000 closed orders and 2000 ledger entries", out), out
    for name in ("record, last 12 months", "record, 5 years", "dossier (12 months, JSON)"):
        assert re.search(
            rf"^{re.escape(name)}\s+[\d.]+\s+[\d.]+\s+[\d.]+\s+[\d.]+\s+(ok|MISSED)$", out, re.M
        ), f"no row for {name}:\n{out}"
