"""Test plumbing: a real MongoDB-protocol server (embedded SecantusDB, or TONGXIN_TEST_MONGO_URI),
the fake WeChat on loopback, and the real app served over real HTTP per test.
"""

from __future__ import annotations

import asyncio
import io
import json
import logging
import os
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import tornado.httpclient
from bson import ObjectId

from models.core.context import Context
from server.app import Service, build_service
from server.config import ROOT, Config, load_config
from server.embedded import EmbeddedMongo, free_port
from server.logging import JsonFormatter
from tests.fakes.sms import FakeSms
from tests.fakes.wechat import FakeWeChat
from tests.live import LiveServer, staff_world
from tests.world import drop_database

LOG_STREAM = io.StringIO()


@pytest.fixture(scope="session", autouse=True)
def captured_logs() -> Iterator[io.StringIO]:
    """Every log line of the whole run, formatted exactly as production formats it."""
    handler = logging.StreamHandler(LOG_STREAM)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    logging.getLogger("wechatpy").setLevel(logging.WARNING)
    yield LOG_STREAM
    root.removeHandler(handler)


@pytest.fixture(scope="session")
def shared_db() -> Iterator[EmbeddedMongo | None]:
    """The worker's embedded database (None when TONGXIN_TEST_MONGO_URI names a real one)."""
    if os.environ.get("TONGXIN_TEST_MONGO_URI"):
        yield None
        return
    with tempfile.TemporaryDirectory(prefix="tongxin-test-db-") as path:
        db = EmbeddedMongo(os.path.join(path, "db"), free_port())
        db.start()
        try:
            yield db
        finally:
            db.stop()


@pytest.fixture(scope="session")
def mongo_uri(shared_db: EmbeddedMongo | None) -> str:
    return shared_db.uri if shared_db else os.environ["TONGXIN_TEST_MONGO_URI"]


HANGS = ROOT / "test-artifacts" / "db-hangs"  # what the database was doing when it stopped


@pytest.fixture(autouse=True)
def database_answers(request: pytest.FixtureRequest) -> Iterator[None]:
    """After every test on the shared database: it must still answer.

    A database that stopped answering would fail every later test of the worker at setup,
    hiding which test stopped it. Instead this test errors, with the database's stacks
    (py-spy) and log in HANGS, and the worker goes on with a new database.
    """
    yield
    if "mongo_uri" not in request.fixturenames:
        return
    db: EmbeddedMongo | None = request.getfixturevalue("shared_db")
    if db is None or db.answers(timeout=15):
        return
    HANGS.mkdir(parents=True, exist_ok=True)
    report = HANGS / (request.node.nodeid.replace("/", "_").replace("::", "__") + ".txt")
    report.write_text(db.post_mortem(), encoding="utf-8")
    stacks = db.post_mortem(local_values=False)
    db.restart()
    pytest.fail(
        f"the shared database stopped answering during or after this test; "
        f"its stacks with their values and its log: {report.relative_to(ROOT)}\n{stacks}",
        pytrace=False,
    )


SLOW_DIRS = ("trust", "browser", "bench")


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The harness, the browser and the benchmarks are the slow suite; the rest runs in
    about a minute (`pytest -m "not slow"`). Single slow tests elsewhere say so themselves.

    The slow ones go first (in pytest-randomly's order among themselves): the suite's
    workers (pytest-xdist) then share out the long tests early and the short ones fill in,
    instead of one worker finishing a long test alone at the end.
    """
    for item in items:
        parts = item.path.relative_to(ROOT / "tests").parts
        if parts and parts[0] in SLOW_DIRS:
            item.add_marker(pytest.mark.slow)
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)


FAKES: list[FakeWeChat | FakeSms] = []  # the session's fakes, whose secrets the log scan looks for


@pytest.fixture(scope="session")
def fake_wechat() -> Iterator[FakeWeChat]:
    fake = FakeWeChat()
    fake.start()
    FAKES.append(fake)
    yield fake
    fake.stop()


@pytest.fixture(scope="session")
def fake_sms() -> Iterator[FakeSms]:
    """Tencent Cloud SMS on loopback; the SDK is pointed at it by `config` (no template is
    set, so no text goes out unless a test sets `sms.template_<step>`)."""
    fake = FakeSms()
    fake.start()
    FAKES.append(fake)
    yield fake
    fake.stop()


LEAKS = ROOT / "test-artifacts" / "log-leaks"  # one file per worker that found any


def _is_worker(config: pytest.Config) -> bool:
    return hasattr(config, "workerinput")


def pytest_sessionstart(session: pytest.Session) -> None:
    if not _is_worker(session.config):
        from tests.trust import figures

        figures.reset()
        for old in LEAKS.glob("*.json") if LEAKS.exists() else []:
            old.unlink()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Whatever ran, in whatever order: no captured log line may hold a secret, a full
    phone number or an ID number (tests/trust/test_logs.py makes the traffic for it).

    Each worker scans its own logs and leaves what it found in LEAKS; the process that
    started the session (which ends after its workers) fails the run on any of it.
    """
    from tests.trust.test_logs import scan

    found = scan([s for fake in FAKES for s in fake.state.secrets()])
    leaks = [*found["secrets"], *found["phones"], *found["ids"]]  # type: ignore[misc]
    if _is_worker(session.config):
        if leaks:
            LEAKS.mkdir(parents=True, exist_ok=True)
            worker = session.config.workerinput["workerid"]  # type: ignore[attr-defined]
            (LEAKS / f"{worker}.json").write_text(json.dumps(leaks), encoding="utf-8")
        return
    for path in LEAKS.glob("*.json") if LEAKS.exists() else []:
        leaks += json.loads(path.read_text(encoding="utf-8"))
    if leaks:
        print(f"\nLOG LEAK: {len(leaks)} secret/phone/ID value(s) in the logs, e.g. {leaks[:3]}")
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


@pytest.fixture
def config(fake_wechat: FakeWeChat, fake_sms: FakeSms) -> Config:
    base = load_config(environ={})
    return base.replace(
        mongo={"database": "t_" + uuid.uuid4().hex[:12], "timeout_ms": 1500},
        wechat={"api_base": fake_wechat.base, "appid": "wxtest", "secret": "test-secret"},
        sms=fake_sms.settings(),
        orders={"max_open_per_member": 3, "escalate_after_declines": 3},
        # farming rules off unless a test turns them on (tests/rewards/test_farming.py)
        rewards={
            "farming_daily_cap": 0,
            "farming_monthly_cap": 0,
            "farming_pair_orders": 0,
            "farming_shared_contact": False,
            "farming_self_confirm": False,
        },
    )


@pytest.fixture
def service(io_loop: Any, config: Config, mongo_uri: str) -> Iterator[Service]:
    svc: Service = io_loop.run_sync(lambda: build_service(config, mongo_uri))
    yield svc

    async def teardown() -> None:
        await drop_database(svc.client, config.mongo.database)
        await svc.close()

    io_loop.run_sync(teardown)


@pytest.fixture
def own_db() -> Iterator[EmbeddedMongo]:
    """A database the test may stop and start again (the shared one must stay up)."""
    with tempfile.TemporaryDirectory(prefix="tongxin-own-db-") as path:
        db = EmbeddedMongo(os.path.join(path, "db"), free_port())
        db.start()
        yield db
        db.stop()


@pytest.fixture
def outage_service(io_loop: Any, config: Config, own_db: EmbeddedMongo) -> Iterator[Service]:
    """The app on `own_db`, for tests that take its database away."""
    svc: Service = io_loop.run_sync(lambda: build_service(config, own_db.uri))
    yield svc
    io_loop.run_sync(svc.close)


@pytest.fixture
def app(request: pytest.FixtureRequest) -> Any:
    """The app served over HTTP: on `own_db` when the test asks for `outage_service`."""
    if "outage_service" in request.fixturenames:
        return request.getfixturevalue("outage_service").app
    return request.getfixturevalue("service").app


@pytest.fixture
def ctx(service: Service) -> Context:
    return service.ctx


class Api:
    """A real HTTP client for the app: `status, body = await api.post(path, json, token=)`."""

    def __init__(self, base_url: str):
        self.base_url = base_url
        self.client = tornado.httpclient.AsyncHTTPClient(force_instance=True, max_clients=64)

    async def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        token: str | None = None,
        headers: dict[str, str] | None = None,
        raw: bytes | None = None,
        timeout: float = 20,  # noqa: ASYNC109 - the HTTP client's own request timeout
    ) -> tuple[int, Any]:
        hdrs = dict(headers or {})
        if token:
            hdrs["Authorization"] = f"Bearer {token}"
        data = raw
        if data is None and body is not None:
            data = json.dumps(body, ensure_ascii=False).encode()
        if data is None and method == "POST":
            data = b""
        resp = await self.client.fetch(
            self.base_url + path,
            method=method,
            body=data,
            headers=hdrs,
            raise_error=False,
            request_timeout=timeout,
            allow_nonstandard_methods=True,
        )
        if resp.code == 599:
            raise resp.error or RuntimeError("request failed")
        self.last_bytes = resp.body or b""
        ctype = resp.headers.get("Content-Type", "")
        if resp.body and not ctype.startswith(("application/json", "text/")):
            self.last_text = resp.body.decode("latin-1")  # a file (PDF, Excel): not JSON
            return resp.code, None
        text = resp.body.decode() if resp.body else ""
        self.last_text = text
        return resp.code, (json.loads(text) if text else None)

    async def get(self, path: str, **kw: Any) -> tuple[int, Any]:
        return await self.call("GET", path, **kw)

    async def post(self, path: str, body: Any = None, **kw: Any) -> tuple[int, Any]:
        return await self.call("POST", path, body, **kw)

    async def login(self, openid: str) -> str:
        status, body = await self.post("/api/v1/auth/wechat-login", {"code": f"ok:{openid}"})
        assert status == 200, body
        return str(body["token"])


@pytest.fixture
def api(http_server: Any, base_url: str) -> Iterator[Api]:
    client = Api(base_url)
    yield client
    client.client.close()


def oid(value: Any) -> ObjectId:
    return ObjectId(str(value))


def run(coro: Any) -> Any:
    return asyncio.get_event_loop().run_until_complete(coro)


@pytest.fixture
def world(io_loop: Any, ctx: Context) -> Any:
    from tests.world import build_world

    return io_loop.run_sync(lambda: build_world(ctx))


@pytest.fixture
def live(config: Config, mongo_uri: str) -> Iterator[LiveServer]:
    """The app on its own thread and port, for admin tests driven by a browser or requests."""
    server = LiveServer(config, mongo_uri)
    yield server
    server.stop()


@pytest.fixture
def staff(live: LiveServer) -> Any:
    return live.run(staff_world(live.ctx))


class Clock:
    def __init__(self, start: datetime):
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def move(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock(ctx: Any) -> Clock:
    clock = Clock(datetime.now(UTC).replace(microsecond=0))
    ctx.clock = clock
    return clock


def server_env(
    config: Config,
    mongo_uri: str,
    fake_wechat: FakeWeChat | None = None,
    fake_sms: FakeSms | None = None,
    **settings: Any,
) -> dict[str, str]:
    """The environment of a `python -m server …` child on the test's own database (and the
    fake WeChat / SMS); `settings` are config keys as TONGXIN_<SECTION>_<KEY>=value pairs."""
    env = {
        **os.environ,
        "TONGXIN_MONGO_URI": mongo_uri,
        "TONGXIN_MONGO_DATABASE": config.mongo.database,
        "TONGXIN_LOG_LEVEL": "INFO",
    }
    if fake_wechat is not None:
        env.update(
            TONGXIN_WECHAT_API_BASE=fake_wechat.base,
            TONGXIN_WECHAT_APPID="wxtest",
            TONGXIN_WECHAT_SECRET="test-secret",
        )
    if fake_sms is not None:
        env.update({f"TONGXIN_SMS_{k.upper()}": str(v) for k, v in fake_sms.settings().items()})
    env.update({f"TONGXIN_{key.upper()}": str(value) for key, value in settings.items()})
    return env


def cli(config: Config, mongo_uri: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "server", *args],
        cwd=ROOT,
        env=server_env(config, mongo_uri),
        capture_output=True,
        text=True,
        timeout=60,
    )
