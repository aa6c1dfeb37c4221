"""Text no store can hold: a lone UTF-16 surrogate ("\\ud800" in JSON) is a 400, never a 500.

Python's json module reads "\\ud800" into a str that neither BSON nor our UTF-8 answer can
encode; before check_keys refused it, storing such a value (or naming such a key in the
error) failed with UnicodeEncodeError → 500. Found by tests/trust/test_hostile_input.py.
"""

from __future__ import annotations

import json

import pytest

from models.core.validation import check_keys
from server.errors import ValidationFailed


def raw(body: object) -> bytes:
    return json.dumps(body, ensure_ascii=True).encode()  # the surrogate stays a \\u escape


@pytest.mark.parametrize("text", ["\ud800", "a\udc00b", "\udc00\ud800"])
def test_check_keys_refuses_lone_surrogates(text):
    with pytest.raises(ValidationFailed) as value:
        check_keys({"note": text})
    assert value.value.fields == {"note": "不是有效的文本"}
    with pytest.raises(ValidationFailed) as key:
        check_keys({"x": [{text: 1}]})
    (name,) = key.value.fields
    assert name.startswith("x[0].") and "\\ud" in name
    json.dumps(key.value.to_json(), ensure_ascii=False).encode()  # the answer is sendable


@pytest.mark.gen_test(timeout=60)
async def test_lone_surrogate_in_a_body_is_a_400(api, world, ctx):
    owner = await api.login("openid-owner")
    before = await ctx.db.orders.count_documents({})
    for field in ("description", "address", "contact_name"):
        body = {**world.order_body(), field: "\ud800"}
        status, resp = await api.call("POST", "/api/v1/orders", token=owner, raw=raw(body))
        assert status == 400, resp
        assert resp["error"]["fields"] == {field: "不是有效的文本"}
    status, resp = await api.call(
        "POST", "/api/v1/orders", token=owner, raw=raw({**world.order_body(), "\ud800": 1})
    )
    assert status == 400, resp
    status, resp = await api.call(
        "POST", "/api/v1/auth/wechat-login", raw=raw({"code": "ok:\ud800"})
    )
    assert status == 400, resp
    assert await ctx.db.orders.count_documents({}) == before
