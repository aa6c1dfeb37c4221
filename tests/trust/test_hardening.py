"""Small doors an outside review found open: deep JSON, control characters in `next`,
extreme dates, attacker text in the banner, page data that a name could break out of,
cookies without Secure behind HTTPS. Each must answer 4xx in Chinese, never 500."""

from __future__ import annotations

import json
import re

import pytest

from handlers.admin.base import script_json
from models.orders import catalogue
from tests.conftest import LOG_STREAM
from tests.live import PASSWORD, AdminClient, signed_in
from tests.trust.figures import record


@pytest.fixture
def config(config):
    return config.replace(http={"xheaders": True})


def chinese(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


@pytest.mark.gen_test(timeout=60)
async def test_deeply_nested_json_is_a_400(api, world):
    owner = await api.login("openid-owner")
    logged = len(LOG_STREAM.getvalue())
    answers = []
    for path, token in (("/api/v1/auth/wechat-login", None), ("/api/v1/orders", owner)):
        for raw in (b"[" * 1000, b'{"a":' * 5000 + b"1" + b"}" * 5000, b"[" * 100 + b"]" * 100):
            status, body = await api.call("POST", path, token=token, raw=raw)
            answers.append(status)
            assert status == 400 and chinese(body["error"]["message"]), (path, status, body)
    assert "unhandled error" not in LOG_STREAM.getvalue()[logged:]
    # an unlisted method says which ones the path has
    resp = await api.client.fetch(
        api.base_url + "/api/v1/orders", method="PUT", body=b"{}", raise_error=False
    )
    assert resp.code == 405 and resp.headers.get("Allow") == "GET, POST", resp.headers
    record(
        "hostile input: small doors",
        deep_json_requests=len(answers),
        **{"5xx": sum(s >= 500 for s in answers)},
    )


def test_admin_small_doors(live, staff):
    answers: dict[str, int] = {}
    # control characters in the sign-in's next: a safe redirect, never a 500
    client = AdminClient(live.base)
    client.get("/admin/login")
    resp = client.post(
        "/admin/login",
        {"username": "sec-a1", "password": PASSWORD, "next": "/admin/\r\nX-Evil: 1"},
    )
    answers["next with CR LF"] = resp.status_code
    assert resp.status_code == 302 and resp.headers["Location"] == "/admin/", resp.status_code
    a = signed_in(live, "sec-a1")
    for path in (
        "/admin/?from=0001-01-01",
        "/admin/audit?from=9999-12-31",
        "/admin/points/export?to=0001-01-05",
        "/admin/?to=9999-12-31",
    ):
        resp = a.get(path)
        answers[path] = resp.status_code
        assert resp.status_code == 400 and "日期" in resp.text, (path, resp.status_code)
    # the banner shows only fixed messages, never text from the link
    attack = "您的账号已被盗，请拨打 400-000-0000"
    pages = ["/admin/", "/admin/honours", "/admin/transfers", "/admin/certificates"]
    pages += ["/admin/community-reports", "/admin/orgs", "/admin/wishes", "/admin/voices"]
    for path in pages:
        resp = a.get(f"{path}?msg={attack}&err={attack}")
        assert resp.status_code == 200 and "400-000-0000" not in resp.text, path
    # nor from a banner cookie the server did not sign
    forged = '{"kind": "ok", "text": "call 400-000-0000"}'
    a.http.cookies.set("tx_flash", forged, path="/admin")
    assert "400-000-0000" not in a.get("/admin/honours").text
    assert "已退出登录" in AdminClient(live.base).get("/admin/login?msg=logged_out").text
    # a category name cannot break the dashboard's embedded data
    live.run(
        catalogue.create_category(
            live.ctx,
            code="evil",
            name="<!--<script>x",
            skills=["x"],
            base_points=1,
            service_hours=1.0,
            sla_hours=1,
        )
    )
    page = a.get("/admin/").text
    data = re.search(r'<script type="application/json" id="dash-data">(.*?)</script>', page, re.S)
    assert data and "<" not in data.group(1) and json.loads(data.group(1))
    # behind the HTTPS proxy: Secure cookies and HSTS
    https = AdminClient(live.base)
    https.http.headers["X-Forwarded-Proto"] = "https"
    resp = https.get("/admin/login")
    cookies = resp.headers.get("Set-Cookie", "")
    assert "_xsrf" in cookies and "Secure" in cookies
    assert resp.headers.get("Strict-Transport-Security", "").startswith("max-age=")
    plain = AdminClient(live.base).get("/admin/login")
    assert "Strict-Transport-Security" not in plain.headers
    record(
        "hostile input: small doors",
        admin_requests=len(answers),
        **{"5xx": sum(s >= 500 for s in answers.values())},
    )


def test_script_json_escapes_everything_that_could_end_the_element():
    text = script_json({"n": "</script><!--<script>&\u2028\u2029"})
    assert not set(text) & {"<", ">", "&", "\u2028", "\u2029"}
    assert json.loads(text) == {"n": "</script><!--<script>&\u2028\u2029"}
