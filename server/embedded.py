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

    def __init__(
        self,
        storage_path: str | Path,
        port: int,
        *,
        prune_oplog: bool = True,
        cache_size: str | None = None,
    ):
        self.storage_path = Path(storage_path)
        self.port = port
        self.prune_oplog = prune_oplog
        self.cache_size = cache_size  # WiredTiger's cache, e.g. "6G" (SecantusDB's default: 1G)
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
        if not self.prune_oplog:
            # past 100,000 entries SecantusDB deletes the oldest oplog entry with every
            # write; nothing here reads the oplog, and a short-lived bulk world (the scale
            # bench's 600,000 writes) need not pay for it
            cmd += ["--oplog-max-entries", str(10**12), "--oplog-retention-seconds", str(10**9)]
        if self.cache_size:
            cmd += ["--cache-size", self.cache_size]
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

    def answers(self, timeout: float) -> bool:
        """Whether the database still answers a read of a collection within `timeout` s."""
        import pymongo

        client: pymongo.MongoClient[dict[str, object]] = pymongo.MongoClient(
            self.uri, serverSelectionTimeoutMS=int(timeout * 1000), timeoutMS=int(timeout * 1000)
        )
        try:
            client["probe"]["probe"].find_one({"_id": 0})
            return True
        except pymongo.errors.PyMongoError:
            return False
        finally:
            client.close()

    def post_mortem(self, local_values: bool = True) -> str:
        """The database process's Python stacks (py-spy, every thread) and its log's tail."""
        proc = self.process
        parts = [f"secantusd pid {proc.pid if proc else None}, port {self.port}"]
        spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
        if proc is not None and proc.poll() is None and os.path.exists(spy):
            dump = subprocess.run(
                [spy, "dump", *(["--locals"] if local_values else []), "--pid", str(proc.pid)],
                capture_output=True,
                text=True,
                timeout=60,
            )
            parts += [dump.stdout, dump.stderr]
        log_path = self.storage_path.parent / "secantusd.log"
        if log_path.exists():
            parts.append("--- log (last 20,000 characters) ---")
            parts.append(log_path.read_text(encoding="utf-8", errors="replace")[-20000:])
        return "\n".join(parts)

    def restart(self) -> None:
        """Kill the process and start again on the same port with empty storage."""
        self.stop(timeout=5)
        self.storage_path = self.storage_path.with_name(self.storage_path.name + "-again")
        self.start()
