"""The paper slip (纸质服务单): a PDF with the order's Chinese text and a QR that opens the
order for its volunteer only."""

from __future__ import annotations

import io
import re
import zlib
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
import segno
from pypdf import PdfReader

from models.orders import slip


def pdf_text(data: bytes) -> str:
    """The text of every page; the CJK font's NULs and all whitespace dropped."""
    reader = PdfReader(io.BytesIO(data))
    return re.sub(r"[\s\x00]+", "", "".join(page.extract_text() for page in reader.pages))


def filled_squares(data: bytes) -> int:
    """How many filled squares the first page draws (the QR's dark modules)."""
    reader = PdfReader(io.BytesIO(data))
    content = reader.pages[0].get_contents()
    raw = content.get_data() if content is not None else b""
    try:
        raw = zlib.decompress(raw)
    except zlib.error:
        pass
    return len(re.findall(rb"re f", raw))


@pytest.mark.gen_test(timeout=60)
async def test_slip_pdf_and_its_qr_open_the_order_for_the_volunteer_only(api, world, ctx):
    sec = await api.login("openid-sec_a1")
    body = world.order_body(description="帮独居老人修理漏水的水龙头")
    body.pop("contact_phone")
    body["on_behalf_of"] = {"name": "赵爷爷", "phone": "13600004444", "channel": "counter"}
    status, order = await api.post("/api/v1/orders", body, token=sec)
    assert status == 201
    oid = order["id"]
    # not dispatched yet: nothing to print
    status, err = await api.get(f"/api/v1/orders/{oid}/slip", token=sec)
    assert status == 409 and err["error"]["code"] == "slip_not_ready"
    due = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    status, _ = await api.post(
        f"/api/v1/orders/{oid}/dispatch",
        {"volunteer_ids": [str(world.id("m1"))], "due_at": due},
        token=sec,
    )
    m1 = await api.login("openid-m1")
    status, _ = await api.post(f"/api/v1/orders/{oid}/accept", token=m1)
    assert status == 200

    for token in (sec, m1):  # staff in scope and the assignee may print it
        status, _ = await api.get(f"/api/v1/orders/{oid}/slip", token=token)
        assert status == 200
        pdf = api.last_bytes
        assert pdf.startswith(b"%PDF")
        text = pdf_text(pdf)
        for expected in (
            "志愿服务单",
            "家电维修",
            "帮独居老人修理漏水的水龙头",
            "阳光社区 3 号楼 2 单元 501",
            "赵爷爷",
            "13600004444",  # the volunteer holds the paper: the full phone once accepted
            "队员1",
            "窗口",
            "一支部书记",
        ):
            assert expected.replace(" ", "") in text, expected
    # the QR drawn is the payload's: every dark module of segno's matrix, one square each
    payload = slip.qr_payload(ctx, order_id(oid))
    dark = sum(sum(1 for cell in row if cell) for row in segno.make(payload, error="m").matrix)
    assert filled_squares(pdf) == dark
    parts = urlsplit(payload)
    assert parts.path == "pages/order-detail/order-detail"
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    assert query["id"] == oid

    # scanning it: the volunteer gets the order, another member or resident a 404
    url = f"/api/v1/orders/{oid}/by-slip?token={query['slip']}"
    status, opened = await api.get(url, token=m1)
    assert status == 200 and opened["id"] == oid and "start" in opened["actions"]
    for who in ("openid-m2", "openid-m_b1", "openid-other", "openid-sec_b1"):
        status, _ = await api.get(url, token=await api.login(who))
        assert status == 404, who
    # a forged or another order's signature opens nothing, even for the volunteer
    other = await world.order_in("dispatched")
    forged = f"/api/v1/orders/{other}/by-slip?token={query['slip']}"
    status, _ = await api.get(forged, token=m1)
    assert status == 404
    status, err = await api.get(f"/api/v1/orders/{oid}/by-slip?token=short", token=m1)
    assert status == 400
    # who may not print it: another member, another branch's secretary, the placer's resident
    for who in ("openid-m2", "openid-sec_b1", "openid-other"):
        status, _ = await api.get(f"/api/v1/orders/{oid}/slip", token=await api.login(who))
        assert status == 404, who


@pytest.mark.gen_test(timeout=60)
async def test_a_named_candidate_may_print_before_accepting(api, world, ctx):
    oid = await world.order_in("dispatched")
    m1 = await api.login("openid-m1")
    status, _ = await api.get(f"/api/v1/orders/{oid}/slip", token=m1)
    assert status == 200
    text = pdf_text(api.last_bytes)
    assert "队员1（待接单）" in text
    assert "13812345678" not in text and "138****5678" in text  # not theirs yet: masked
    token = slip.signature(ctx, oid)
    status, opened = await api.get(f"/api/v1/orders/{oid}/by-slip?token={token}", token=m1)
    assert status == 200 and "accept" in opened["actions"]


def order_id(value):
    from bson import ObjectId

    return ObjectId(value)
