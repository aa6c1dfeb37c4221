"""The real app served over real HTTP from a background thread, for browser tests and
for plain-HTTP admin tests; plus a staff-ready world and a requests-based admin client."""

from __future__ import annotations

import asyncio
import re
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

import requests
import tornado.httpserver
from argon2 import PasswordHasher

from models.core.context import Context
from server.app import Service, build_service
from server.config import Config
from server.embedded import free_port
from tests.world import World, build_world, drop_database

T = TypeVar("T")
PASSWORD = "correct-horse-同心"
STAFF = {"sec_a1": "sec-a1", "sec_b1": "sec-b1", "admin": "street-admin", "admin2": "street-admin2"}


class LiveServer:
    """Tornado + the app on its own event loop thread, against a fresh test database."""

    def __init__(self, config: Config, mongo_uri: str, **client_options: Any):
        self.config = config
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.service: Service = self.run(build_service(config, mongo_uri, **client_options))
        self.port = free_port()

        async def listen() -> tornado.httpserver.HTTPServer:
            server = tornado.httpserver.HTTPServer(
                self.service.app, max_body_size=8 << 20, xheaders=bool(config.http.xheaders)
            )
            server.listen(self.port, "127.0.0.1")
            return server

        self.server = self.run(listen())
        self.base = f"http://127.0.0.1:{self.port}"

    @property
    def ctx(self) -> Context:
        return self.service.ctx

    def run(self, coro: Coroutine[Any, Any, T], timeout: float = 60) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def stop(self) -> None:
        async def close() -> None:
            self.server.stop()
            await drop_database(self.service.client, self.config.mongo.database)
            await self.service.close()

        try:
            self.run(close())
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(10)
            self.loop.close()


async def staff_world(ctx: Context) -> World:
    """tests/world.py plus usernames and passwords for the staff, and a second admin."""
    from models.people.users import create_user

    world = await build_world(ctx)
    world.users["admin2"] = await create_user(
        ctx, role="admin", name="街道副书记", org_id=world.orgs["street"]["_id"], openid="o-admin2"
    )
    hashed = PasswordHasher().hash(PASSWORD)
    for key, username in STAFF.items():
        await ctx.db.users.update_one(
            {"_id": world.id(key)}, {"$set": {"username": username, "password_hash": hashed}}
        )
        world.users[key] = await ctx.db.users.find_one({"_id": world.id(key)})
    return world


class AdminClient:
    """A browser-like HTTP client: cookies, the xsrf token read from the page."""

    def __init__(self, base: str):
        self.base = base
        self.http = requests.Session()
        self.xsrf = ""

    def get(self, path: str, **kw: Any) -> requests.Response:
        resp = self.http.get(self.base + path, allow_redirects=False, timeout=20, **kw)
        found = re.search(r'name="xsrf" content="([^"]+)"', resp.text) or re.search(
            r'name="_xsrf" value="([^"]+)"', resp.text
        )
        if found:
            self.xsrf = found.group(1)
        return resp

    def post(self, path: str, data: Any = None, *, xsrf: bool = True, **kw: Any) -> Any:
        headers = dict(kw.pop("headers", {}))
        if xsrf and "json" in kw:
            headers.setdefault("X-XSRFToken", self.xsrf)
            headers.setdefault("Accept", "application/json")
        elif xsrf:
            data = {**(data or {}), "_xsrf": self.xsrf}
        return self.http.post(
            self.base + path, data=data, headers=headers, allow_redirects=False, timeout=20, **kw
        )

    def banner(self, redirect: requests.Response) -> tuple[str, str]:
        """Follow an action's redirect: the (kind, text) of the banner the next page shows."""
        assert redirect.status_code == 302, redirect.text[:300]
        page = self.get(redirect.headers["Location"])
        found = re.search(r'<div class="flash (ok|err)" role="\w+">([^<]*)</div>', page.text)
        return (found.group(1), found.group(2)) if found else ("", "")

    def sign_in(self, username: str, password: str = PASSWORD) -> requests.Response:
        self.get("/admin/login")
        return self.post("/admin/login", {"username": username, "password": password})


def signed_in(live: LiveServer, username: str) -> AdminClient:
    """An admin client signed in as `username`, checked to reach the dashboard."""
    client = AdminClient(live.base)
    resp = client.sign_in(username)
    assert resp.status_code == 302 and resp.headers["Location"] == "/admin/", resp.text[:500]
    assert client.get("/admin/").status_code == 200
    return client
