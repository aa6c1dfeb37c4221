"""The embedded SecantusDB, run as a child process so a first run needs no MongoDB.

Data lives under `var/` and survives restarts; the child dies with its parent.
"""

from __future__ import annotations

import ctypes
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

log = logging.getLogger("tongxin.embedded")

PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    except OSError:
        pass


def _port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.2)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class EmbeddedMongo:
    """Starts `secantusd-py` on loopback and stops it again."""

    def __init__(self, storage_path: str | Path, port: int):
        self.storage_path = Path(storage_path)
        self.port = port
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def uri(self) -> str:
        return f"mongodb://127.0.0.1:{self.port}/?directConnection=true"

    def start(self, timeout: float = 30.0) -> None:
        if _port_open(self.port):
            raise RuntimeError(
                f"port {self.port} is already in use; another embedded database may be running "
                "(set TONGXIN_MONGO_EMBEDDED_PORT or stop it)"
            )
        if str(self.storage_path) != ":memory:":
            self.storage_path.mkdir(parents=True, exist_ok=True)
        exe = shutil.which("secantusd-py") or str(Path(sys.executable).parent / "secantusd-py")
        log_path = (
            self.storage_path.parent / "secantusd.log"
            if str(self.storage_path) != ":memory:"
            else Path(os.devnull)
        )
        cmd = [
            exe,
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--storage-path",
            str(self.storage_path),
            "--log-level",
            "WARNING",
        ]
        with open(log_path, "ab") as out:
            self.process = subprocess.Popen(
                cmd, stdout=out, stderr=subprocess.STDOUT, preexec_fn=_die_with_parent
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"embedded database exited early; see {log_path}")
            if _port_open(self.port):
                log.info("embedded database listening", extra={"port": self.port})
                return
            time.sleep(0.05)
        self.stop()
        raise RuntimeError("embedded database did not start in time")

    def stop(self, timeout: float = 10.0) -> None:
        proc, self.process = self.process, None
        if proc is None or proc.poll() is not None:
            return
        proc.terminate()
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
