"""The trust harness's figures: each test records what it measured, `report` prints them.

Tests assert their own figures (e.g. 5xx == 0); the table is the same numbers for people.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from server.config import ROOT

PATH = Path(os.environ.get("TONGXIN_TRUST_FIGURES", ROOT / "test-artifacts" / "trust-figures.json"))

# figure name → the value it must have (None: informational only)
REQUIRED = {
    "5xx": 0,
    "schema mismatches": 0,
    "writes slipped through": 0,
    "unauthorised 2xx": 0,
    "invariant violations": 0,
    "lost": 0,
    "duplicated": 0,
    "check ledger problems": 0,
    "secrets in logs": 0,
    "full phone numbers in logs": 0,
    "id numbers in logs": 0,
    "extra winners": 0,
    "duplicate reminders": 0,
    "self served orders": 0,
    "own orders in hall": 0,
    "own orders offered": 0,
    "own recommendations": 0,
    "orders past the rate limit": 0,
    "checked past the limit": 0,
    "personal data left": 0,
    "applied past the threshold": 0,
    "schemathesis failures": 0,
    "schemathesis errors": 0,
}


@contextlib.contextmanager
def _locked() -> Iterator[None]:
    """One writer at a time: the suite's workers (pytest-xdist) record into the same file."""
    PATH.parent.mkdir(parents=True, exist_ok=True)
    with open(PATH.with_suffix(".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def record(section: str, **values: Any) -> None:
    """Merge `values` into the figures of `section` (e.g. record("access matrix", cells=420))."""
    with _locked():
        data: dict[str, dict[str, Any]] = {}
        if PATH.exists():
            try:
                data = json.loads(PATH.read_text(encoding="utf-8"))
            except ValueError:
                data = {}
        data.setdefault(section, {}).update({k.replace("_", " "): v for k, v in values.items()})
        PATH.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")


def reset() -> None:
    """A clean file for the run: called once, by the process that starts the session."""
    with _locked():
        if PATH.exists():
            PATH.unlink()
