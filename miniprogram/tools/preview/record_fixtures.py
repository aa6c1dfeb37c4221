"""Record the preview's API fixtures from the real demo backend.

Starts `python -m server serve --demo` on a throw-away embedded database with the fake WeChat
(tests/fakes/wechat.py) as its WeChat, adds the few things the demo data lacks for the screens
(an order waiting in the task hall, one waiting to be dispatched with a wanted time, a pending and a
rejected member registration), then runs the preview in record mode, which saves every answer the
pages ask for to miniprogram/test/fixtures/api/<role>.json.

    .venv/bin/python miniprogram/tools/preview/record_fixtures.py
    .venv/bin/python miniprogram/tools/preview/record_fixtures.py --only a,b   (just these
        screens: only their roles' files are rewritten, the others are kept)
    (or: make preview-fixtures, or: cd miniprogram && npm run preview:record)
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[3]
MINIPROGRAM = ROOT / "miniprogram"
sys.path.insert(0, str(ROOT))

from tests.fakes.wechat import FakeWeChat  # noqa: E402


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Api:
    def __init__(self, base: str):
        self.base = base + "/api/v1"
        self.tokens: dict[str, str] = {}

    def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        who: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> Any:
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.base + path, data=data, method=method)
        req.add_header("Content-Type", "application/json")
        if who:
            req.add_header("Authorization", "Bearer " + self.login(who))
        for k, v in (headers or {}).items():
            req.add_header(k, v)
        try:
            with urllib.request.urlopen(req, timeout=10) as res:
                return json.loads(res.read() or b"{}")
        except urllib.error.HTTPError as exc:
            raise SystemExit(f"{method} {path} → {exc.code}: {exc.read().decode()}") from None

    def login(self, openid: str) -> str:
        if openid not in self.tokens:
            res = self.call("POST", "/auth/wechat-login", {"code": "ok:" + openid})
            self.tokens[openid] = res["token"]
        return self.tokens[openid]


def find_org(tree: list[dict[str, Any]], name: str) -> dict[str, Any]:
    for node in tree:
        if node["name"] == name:
            return node
        found = find_org(node.get("children") or [], name) if node.get("children") else None
        if found:
            return found
    return {}


def prepare(api: Api) -> None:
    """What the screens need beyond the demo seed, done through the API as the people would."""
    resident, secretary = "demo-resident-1", "demo-secretary-1"
    tree = api.call("GET", "/orgs", who=resident)["items"]
    branch = find_org(tree, "阳光社区第一党支部")
    cats = {c["name"]: c for c in api.call("GET", "/service-categories", who=resident)["items"]}
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).replace(hour=2, minute=0, second=0)
    location = {"type": "Point", "coordinates": [116.3975, 39.9092]}
    waiting = {
        "category_id": cats["法律咨询"]["id"],
        "org_id": branch["id"],
        "description": "想咨询一下老房子继承的手续，子女都在外地，需要准备哪些材料？",
        "address": "阳光社区8号楼2单元301",
        "location": location,
        "wanted_at": tomorrow.isoformat(),
    }
    key = {"Idempotency-Key": str(uuid.uuid4())}
    api.call("POST", "/orders", waiting, who=resident, headers=key)
    hall = {
        "category_id": cats["助老"]["id"],
        "org_id": branch["id"],
        "description": "老伴住院，想请志愿者帮忙每周买两次菜送上楼。",
        "address": "阳光社区15号楼1单元502",
        "location": {"type": "Point", "coordinates": [116.3991, 39.9101]},
        "wanted_at": (tomorrow + timedelta(days=1)).isoformat(),
    }
    order = api.call(
        "POST", "/orders", hall, who=resident, headers={"Idempotency-Key": str(uuid.uuid4())}
    )
    due = (datetime.now(UTC) + timedelta(days=2)).isoformat()
    api.call(
        "POST",
        f"/orders/{order['id']}/dispatch",
        {"to_hall": True, "due_at": due, "note": "就近的队员优先"},
        who=secretary,
    )
    # a registration turned down (the resident's form is pre-filled from it) and one pending
    rejected = api.call(
        "POST",
        "/member-registrations",
        {
            "org_id": branch["id"],
            "name": "林秀兰",
            "party_status": "积极分子",
            "skills": ["助老", "陪护"],
            "phone": "13900000001",
        },
        who=resident,
    )
    api.call(
        "POST",
        f"/member-registrations/{rejected['id']}/reject",
        {"reason": "请向居住地所在的春风社区党支部报到"},
        who=secretary,
    )
    api.call(
        "POST",
        "/member-registrations",
        {
            "org_id": branch["id"],
            "name": "宋志远",
            "party_status": "预备党员",
            "skills": ["电工", "家电维修"],
        },
        who="preview-applicant",
    )


def main() -> int:
    wechat = FakeWeChat()
    wechat.start()
    port, db_port = free_port(), free_port()
    with tempfile.TemporaryDirectory(prefix="tongxin-fixtures-") as tmp:
        env = dict(
            os.environ,
            TONGXIN_HTTP_PORT=str(port),
            TONGXIN_MONGO_URI="",
            TONGXIN_MONGO_EMBEDDED_PATH=str(Path(tmp) / "db"),
            TONGXIN_MONGO_EMBEDDED_PORT=str(db_port),
            TONGXIN_WECHAT_API_BASE=wechat.base,
            TONGXIN_WECHAT_SECRET="test-secret",
            TONGXIN_JOBS_NOTIFIER_SECONDS="0.5",
            TONGXIN_LOG_LEVEL="WARNING",
        )
        log = open(Path(tmp) / "server.log", "wb")  # closed in the finally below
        server = subprocess.Popen(
            [sys.executable, "-m", "server", "serve", "--demo"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            for _ in range(300):
                try:
                    with urllib.request.urlopen(base + "/readyz", timeout=1) as res:
                        if res.status == 200:
                            break
                except OSError:
                    time.sleep(0.2)
            else:
                log.flush()
                sys.stderr.write((Path(tmp) / "server.log").read_text(errors="replace"))
                raise SystemExit("the demo backend did not start")
            api = Api(base)
            prepare(api)
            time.sleep(3)  # the notifier turns the order events into inbox messages
            only = sys.argv[sys.argv.index("--only") + 1] if "--only" in sys.argv else ""
            if not only:
                for old in (MINIPROGRAM / "test" / "fixtures" / "api").glob("*.json"):
                    old.unlink()
            command = ["node", "tools/preview/index.js", "--record", base]
            done = subprocess.run(
                command + (["--only", only] if only else []), cwd=MINIPROGRAM, check=False
            )
            # 1 = the layout checks found something: the fixtures are saved all the same
            return 0 if done.returncode in (0, 1) else done.returncode
        finally:
            server.send_signal(signal.SIGTERM)
            try:
                server.wait(15)
            except subprocess.TimeoutExpired:
                server.kill()
            log.close()
            wechat.stop()


if __name__ == "__main__":
    raise SystemExit(main())
