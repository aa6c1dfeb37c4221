"""A small HTTP/1.1 keep-alive load generator on asyncio streams.

Each concurrent client holds one persistent connection (as a reverse proxy would), sends a
request, reads the whole response, and records the latency. Lean on purpose: the load
generator shares the machine with the servers it measures.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Request:
    method: str
    path: str
    body: Any = None
    token: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    expect: tuple[int, ...] = (200,)
    # called with the parsed JSON body of a response whose status is in `expect`
    on_ok: Callable[[Any], None] | None = None


class Connection:
    def __init__(self, host: str, port: int):
        self.host = host
        self.port = port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def close(self) -> None:
        writer, self.writer, self.reader = self.writer, None, None
        if writer is not None:
            writer.close()
            try:
                await writer.wait_closed()
            except OSError:
                pass

    async def fetch(self, req: Request) -> tuple[int, bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        body = b""
        if req.body is not None:
            body = json.dumps(req.body, ensure_ascii=False).encode()
        lines = [f"{req.method} {req.path} HTTP/1.1", f"Host: {self.host}:{self.port}"]
        if req.token:
            lines.append(f"Authorization: Bearer {req.token}")
        if req.body is not None:
            lines.append("Content-Type: application/json")
        if req.method in ("POST", "PUT", "PATCH") or body:
            lines.append(f"Content-Length: {len(body)}")
        lines += [f"{k}: {v}" for k, v in req.headers.items()]
        self.writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
        head = await self.reader.readuntil(b"\r\n\r\n")
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        status = int(status_line.split(" ", 2)[1])
        headers: dict[str, str] = {}
        for line in header_lines:
            if line:
                key, _, value = line.partition(":")
                headers[key.strip().lower()] = value.strip()
        if "content-length" in headers:
            data = await self.reader.readexactly(int(headers["content-length"]))
        elif headers.get("transfer-encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size = int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16)
                chunk = await self.reader.readexactly(size + 2)
                if size == 0:
                    break
                chunks.append(chunk[:-2])
            data = b"".join(chunks)
        else:
            data = b""
        if headers.get("connection", "").lower() == "close":
            await self.close()
        return status, data


@dataclass
class PhaseResult:
    name: str
    requests: int
    ok: int
    errors: dict[str, int]
    seconds: float
    latencies_ms: list[float]

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds > 0 else 0.0

    def percentile(self, q: float) -> float:
        if not self.latencies_ms:
            return float("nan")
        if len(self.latencies_ms) == 1:
            return self.latencies_ms[0]
        cuts = statistics.quantiles(self.latencies_ms, n=100, method="inclusive")
        return cuts[round(q) - 1]


async def run_phase(
    name: str,
    host: str,
    port: int,
    requests: Sequence[Request],
    concurrency: int,
    timeout: float = 60.0,  # noqa: ASYNC109 - a bound on the whole phase, not one request
) -> PhaseResult:
    """Send `requests` with `concurrency` persistent connections; time each one."""
    latencies: list[float] = []
    errors: dict[str, int] = {}
    ok = 0
    todo = iter(range(len(requests)))

    async def worker() -> None:
        nonlocal ok
        conn = Connection(host, port)
        try:
            for i in todo:
                req = requests[i]
                t0 = time.perf_counter()
                try:
                    status, data = await conn.fetch(req)
                except (OSError, asyncio.IncompleteReadError, ValueError) as exc:
                    await conn.close()
                    key = type(exc).__name__
                    errors[key] = errors.get(key, 0) + 1
                    continue
                latencies.append((time.perf_counter() - t0) * 1000)
                if status in req.expect:
                    ok += 1
                    if req.on_ok is not None:
                        req.on_ok(json.loads(data) if data else None)
                else:
                    try:
                        code = json.loads(data)["error"]["code"]
                    except (ValueError, KeyError, TypeError):
                        code = ""
                    key = f"{status} {code}".strip()
                    errors[key] = errors.get(key, 0) + 1
        finally:
            await conn.close()

    t0 = time.perf_counter()
    workers = [asyncio.ensure_future(worker()) for _ in range(max(1, concurrency))]
    try:
        await asyncio.wait_for(asyncio.gather(*workers), timeout)
    except TimeoutError:
        errors["phase timeout"] = errors.get("phase timeout", 0) + 1
    seconds = time.perf_counter() - t0
    return PhaseResult(
        name=name,
        requests=ok + sum(errors.values()),
        ok=ok,
        errors=errors,
        seconds=seconds,
        latencies_ms=latencies,
    )
