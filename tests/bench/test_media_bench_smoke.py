"""`bench/media.py --quick` uploads 5 MB photos to the API and to a bare endpoint and prints
the ratio line (no timing asserts: the figures are a report; only their shape and sanity)."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from server.config import ROOT


@pytest.mark.slow
def test_media_bench_quick_run_prints_the_ratio():
    result = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "media.py"), "--quick"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    out = result.stdout
    assert result.returncode == 0, out + result.stderr
    for name in ("bare", "media"):
        row = re.search(rf"^{name}\s+(\d+)\s+(\d+)\s+([\d.]+)\s", out, re.M)
        assert row, f"no row for {name}:\n{out}"
        assert int(row.group(1)) == 4 and int(row.group(2)) == 0 and float(row.group(3)) > 0
    ratio = re.search(
        r"^ratio media/bare: throughput ([\d.]+), p50 latency ([\d.]+)x, "
        r"peak memory ([\d.]+)x, memory growth (-?[\d.]+)x$",
        out,
        re.M,
    )
    assert ratio, out
    throughput, latency, memory = (float(ratio.group(i)) for i in (1, 2, 3))
    assert 0 < throughput < 10 and latency > 0 and memory > 0
