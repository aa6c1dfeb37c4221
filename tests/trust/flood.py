"""A sign-in flood from its own process (the attacker is not the server's event loop):
`python -m tests.trust.flood BASE SECONDS CONCURRENCY` → JSON list of statuses on stdout.

Loopback only, and it stops itself after SECONDS.
"""

from __future__ import annotations

import asyncio
import json
import random
import re
import secrets
import sys
import time

import tornado.httpclient


async def flood(base: str, seconds: float, concurrency: int) -> list[int]:
    if not base.startswith(("http://127.0.0.1:", "http://localhost:")):
        raise SystemExit("the flood only ever targets loopback")
    client = tornado.httpclient.AsyncHTTPClient(force_instance=True, max_clients=concurrency)
    page = await client.fetch(base + "/admin/login", raise_error=False)
    found = re.search(r'name="_xsrf" value="([^"]+)"', page.body.decode())
    assert found, page.code
    cookie = "; ".join(c.split(";")[0] for c in page.headers.get_list("Set-Cookie"))
    statuses: list[int] = []
    until = time.monotonic() + seconds

    async def one_attacker() -> None:
        while time.monotonic() < until:
            ip = f"198.51.{random.randrange(256)}.{random.randrange(1, 255)}"
            resp = await client.fetch(
                base + "/admin/login",
                method="POST",
                body=f"username=u{secrets.token_hex(6)}&password=x&_xsrf={found.group(1)}",
                headers={"Cookie": cookie, "X-Real-Ip": ip},
                raise_error=False,
                follow_redirects=False,
                request_timeout=30,
            )
            statuses.append(resp.code)  # 599: no answer within 30 s

    await asyncio.gather(*(one_attacker() for _ in range(concurrency)))
    client.close()
    return statuses


if __name__ == "__main__":
    base, seconds, concurrency = sys.argv[1], float(sys.argv[2]), int(sys.argv[3])
    print(json.dumps(asyncio.run(flood(base, seconds, concurrency))))
