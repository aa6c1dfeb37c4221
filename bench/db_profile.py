"""Where the embedded database's CPU goes: a py-spy profile of the SecantusDB process, sorted
into what any MongoDB server must do for a request and what is this server's own overhead.

`bench/core_loop.py --profile-db` records each transition's load phase with py-spy
(sampling the database process from outside, `--nonblocking`, so it is not slowed) and
prints, per transition, the share of the database's busy samples in each bucket below and
the milliseconds of DB CPU per request that share stands for.

A sample goes to the first bucket whose frames it contains (the order of BUCKETS), so
overheads nested inside an update (its options lookups, its change-stream diff) count as
the overhead, not as the update. Samples of threads waiting for a client's next message
are not CPU and are left out.
"""

from __future__ import annotations

import collections
import os
import re
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Bucket:
    name: str
    own: bool  # SecantusDB's own overhead (a mongod does not spend it), not the work itself
    frames: tuple[str, ...]  # function names (any of them in a sample's stack)


WAITING = ("_recv_exactly", "read_message", "_readable", "_stream_awaitable_hello", "wait")
SHUTDOWN = ("handle_signal",)

BUCKETS: tuple[Bucket, ...] = (
    Bucket("profiler level lookup on every command", True, ("_maybe_record_profile",)),
    Bucket(
        "transaction statement bookkeeping",
        True,
        ("_resolve_txn_statement", "for_statement", "_txn_unsupported_reason", "_prune_locked"),
    ),
    Bucket(
        "collection / index options re-read per write",
        True,
        ("get_collection_options", "_coll_options", "_index_options_map", "_partial_filters"),
    ),
    Bucket(
        "change-stream diff and oplog of every update",
        True,
        ("compute_update_description", "pipeline_update_description", "_update_oplog_o"),
    ),
    Bucket(
        "index maintenance (keys computed, WiredTiger index rows)",
        False,
        ("_write_index_entries", "_delete_index_entries", "_unique_conflict"),
    ),
    Bucket("update: match, apply, write the document", False, ("_update", "update_matching")),
    Bucket("insert the document", False, ("_insert",)),
    Bucket("reads (find, aggregate, getMore)", False, ("_find", "_aggregate", "_get_more")),
    Bucket("commit", False, ("_commit_transaction", "commit")),
    Bucket(
        "wire protocol: parse, dispatch, reply (socket send)",
        False,
        ("dispatch", "_handle_client"),
    ),
)
OTHER = "other"


def py_spy() -> str | None:
    here = Path(sys.executable).parent / "py-spy"
    return str(here) if here.exists() else shutil.which("py-spy")


class Recording:
    """`py-spy record` of one process until `stop()`; raw (collapsed) stacks in `path`."""

    def __init__(self, pid: int, path: Path, rate: int = 1000):
        exe = py_spy()
        if exe is None:
            raise RuntimeError("py-spy is not installed (make install puts it in .venv)")
        self.path = path
        args = ["record", "--nonblocking", "-r", str(rate), "-f", "raw", "-p", str(pid)]
        self.log = path.with_suffix(".log")
        with self.log.open("wb") as log:
            self.proc = subprocess.Popen(
                [exe, *args, "-o", str(path)], stdout=log, stderr=subprocess.STDOUT
            )

    def stop(self) -> Path:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        if not self.path.exists():
            lines = self.log.read_text(errors="replace").strip().splitlines()
            said = [ln for ln in lines if "rror" in ln or "panicked" in ln][:2] or lines[-3:]
            print(f"py-spy recorded nothing for {self.path.name}: {' / '.join(said)}")
        return self.path


def _functions(stack: str) -> list[str]:
    """'fn (file.py:12);fn2 (file.py:3)' → ['fn', 'fn2']"""
    return [re.sub(r"\s*\(.*$", "", frame) for frame in stack.split(";") if frame]


def stacks(raw: Path) -> Iterator[tuple[str, int]]:
    """(collapsed stack, samples) of a raw py-spy file; nothing when py-spy wrote none."""
    if not raw.exists():
        return
    for line in raw.read_text(errors="replace").splitlines():
        stack, _, n = line.rpartition(" ")
        if n.isdigit():
            yield stack, int(n)


def classify(raw: Path) -> collections.Counter[str]:
    """Busy samples per bucket name (waiting and shutdown samples dropped)."""
    counts: collections.Counter[str] = collections.Counter()
    for stack, n in stacks(raw):
        fns = _functions(stack)
        if not fns or fns[-1] in WAITING or any(f in SHUTDOWN for f in fns):
            continue
        names = set(fns)
        bucket = next((b.name for b in BUCKETS if names.intersection(b.frames)), OTHER)
        counts[bucket] += n
    return counts


def shares(
    title: str,
    rows: list[tuple[str, str]],
    per_step: dict[str, tuple[collections.Counter[str], float]],
) -> dict[str, float]:
    """Print a table: per (label, bucket) row and step, the bucket's share of the step's busy
    samples and the ms per request it stands for. Returns each step's total share of rows
    whose label starts with '*'."""
    steps = list(per_step)
    print()
    print(title)
    print(f"  {'':58}" + "".join(f"{s:>15}" for s in steps))
    starred = dict.fromkeys(steps, 0.0)
    for label, bucket in rows:
        cells = ""
        for s in steps:
            counts, ms = per_step[s]
            share = counts.get(bucket, 0) / (sum(counts.values()) or 1)
            if label.startswith("*"):
                starred[s] += share
            cells += f"{share:6.0%} {share * ms:5.2f} ms"[:15].rjust(15)
        print(f"  {label:58}{cells}")
    return starred


def report(per_step: dict[str, tuple[collections.Counter[str], float]]) -> None:
    """Print, per transition, each bucket's share of busy samples and its ms per request."""
    if not per_step:
        return
    own = shares(
        "where the DB CPU goes (py-spy samples of SecantusDB during each phase; "
        "% of busy samples, ms = share × DB CPU per request):",
        [(("* " if b.own else "  ") + b.name, b.name) for b in BUCKETS] + [("  " + OTHER, OTHER)],
        per_step,
    )
    line = "".join(f"{own[s]:6.0%} {own[s] * per_step[s][1]:5.2f} ms".rjust(15) for s in own)
    print(f"  {'* = SecantusDB own overhead, in all':58}{line}")
    print("  samples: " + "  ".join(f"{s} {sum(per_step[s][0].values())}" for s in per_step))


if __name__ == "__main__":  # summarise a raw file: python bench/db_profile.py FILE
    got = classify(Path(sys.argv[1]))
    report({os.path.basename(sys.argv[1]): (got, 1.0)})
