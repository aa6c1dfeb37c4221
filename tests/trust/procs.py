"""Server processes for the trust harness: `python -m server <command>` with its output in
a file (never a pipe: a full pipe would block the server), and reading that file back."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from typing import Any

from server.config import ROOT

SPAWNED_LOGS: list[str] = []  # every server log of the run, scanned for secrets at the end


def spawn(command: str, env: dict[str, str], log_path: str) -> subprocess.Popen[bytes]:
    SPAWNED_LOGS.append(log_path)
    with open(log_path, "ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "server", command],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def stop_all(procs: list[subprocess.Popen[bytes]]) -> None:
    """Kill what is still running (its whole process group) and reap everything."""
    for proc in procs:
        if proc.poll() is None:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
    for proc in procs:
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


def log_lines(path: str) -> list[dict[str, Any]]:
    out = []
    with open(path, encoding="utf-8", errors="replace") as fh:
        for line in fh:
            try:
                out.append(json.loads(line))
            except ValueError:
                continue
    return out


def tail(path: str, chars: int = 3000) -> str:
    with open(path, encoding="utf-8", errors="replace") as fh:
        return fh.read()[-chars:]
