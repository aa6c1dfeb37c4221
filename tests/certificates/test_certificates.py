"""志愿服务记录证明: request → issue → PDF with Chinese text → public check; forgery refused,
revocation shown and audited, enumeration rate-limited, nothing personal beyond the mask."""

from __future__ import annotations

import io
import re

import pytest

from models import orders
from models.core.clock import BEIJING
from models.people import auth

ID_NUMBER = "110101199001011234"


async def served(world, n=2):
    for _ in range(n):
        oid = await world.order_in("completed")
        await orders.confirm_order(world.ctx, world.actor("owner"), oid, {"rating": 5})


async def fetch(api, path, **kw):
    resp = await api.client.fetch(api.base_url + path, raise_error=False, **kw)
    return resp.code, resp.body


def pdf_text(content: bytes) -> str:
    from pypdf import PdfReader

    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)
    return re.sub(r"[\s\x00]+", "", text)


async def issued(api, world, ctx):
    await served(world)
    m1 = (await auth.issue_token(ctx, world.id("m1")))[0]
    sec = (await auth.issue_token(ctx, world.id("sec_a1")))[0]
    today = ctx.now().astimezone(BEIJING).date().isoformat()
    status, cert = await api.post(
        "/api/v1/certificates",
        {"from": "2020-01-01", "to": today, "id_type": "居民身份证", "id_number": ID_NUMBER},
        token=m1,
    )
    assert status == 201, cert
    assert cert["id_number"] == "1101**********1234" and cert["status"] == "requested"
    stored = await ctx.db.certificates.find_one({})
    assert ID_NUMBER not in str(stored)  # only masked (and a keyed hash) is kept
    status, done = await api.post(
        f"/api/v1/certificates/{cert['id']}/issue", {"contact": "010-12345678"}, token=sec
    )
    assert status == 200, done
    return done, m1, sec


@pytest.mark.gen_test(timeout=90)
async def test_issue_pdf_and_verify(api, world, ctx):
    cert, m1, sec = await issued(api, world, ctx)
    assert cert["status"] == "issued" and cert["total_hours"] == 4.0
    number = cert["number"]
    # another branch's secretary cannot see or revoke it
    sec_b1 = (await auth.issue_token(ctx, world.id("sec_b1")))[0]
    status, _ = await api.post(
        f"/api/v1/certificates/{cert['id']}/revoke", {"reason": "x"}, token=sec_b1
    )
    assert status == 404

    status, body = await fetch(
        api, f"/api/v1/certificates/{cert['id']}/pdf", headers={"Authorization": f"Bearer {m1}"}
    )
    assert status == 200 and body.startswith(b"%PDF")
    text = pdf_text(body)
    for expected in (
        "志愿服务记录证明",
        "队员1",
        "居民身份证",
        "1101**********1234",
        "志愿服务时长合计：4.0小时",
        "家电维修",
        "阳光社区第一党支部",
        "010-12345678",
        number,
    ):
        assert expected in text, expected
    assert ID_NUMBER not in text

    status, page = await fetch(api, f"/verify/{number}")
    html = page.decode()
    assert status == 200 and "状态：有效" in html
    assert "队*" in html and "1101**********1234" in html and "4.0 小时" in html
    assert "队员1" not in html and ID_NUMBER not in html
    assert "13912340000" not in html  # nothing beyond the masked summary

    # an altered number (one character of the body) or signature is refused
    body_part, sig = number.split("-")
    altered = body_part[:-1] + ("A" if body_part[-1] != "A" else "B") + "-" + sig
    forged_sig = body_part + "-" + ("A" if sig[0] != "A" else "B") + sig[1:]
    for bad in (altered, forged_sig, "ZY20260101AAAAAAAA-AAAAAAAAAA", "abc"):
        status, page = await fetch(api, f"/verify/{bad}")
        assert status == 404 and "编号无效" in page.decode(), bad

    # revoked with a reason: the page says so, the audit log has it
    status, done = await api.post(
        f"/api/v1/certificates/{cert['id']}/revoke", {"reason": "服务时长登记有误"}, token=sec
    )
    assert status == 200 and done["status"] == "revoked"
    status, page = await fetch(api, f"/verify/{number}")
    assert status == 200 and "状态：已撤销" in page.decode()
    entry = await ctx.db.audit_log.find_one({"action": "certificate.revoke"})
    assert entry["reason"] == "服务时长登记有误" and entry["target"]["label"] == number
    status, _ = await api.post(
        f"/api/v1/certificates/{cert['id']}/revoke", {"reason": "again"}, token=sec
    )
    assert status == 409


@pytest.mark.gen_test(timeout=60)
async def test_verification_is_rate_limited(api, world, ctx, clock):
    """(The clock is pinned: eight lookups never straddle a fixed-window minute.)"""
    ctx.config = ctx.config.replace(certificates={"verify_per_minute": 5})
    codes = []
    for i in range(8):
        status, _ = await fetch(api, f"/verify/ZY20260101AAAAAAA{i}-AAAAAAAAAA")
        codes.append(status)
    assert codes[:5] == [404] * 5 and codes[5:] == [429] * 3
