"""No log line holds a session_key, a WeChat access token, a full phone number or an ID number.

The test makes its own traffic full of such values (a WeChat login, a bound phone, an
application and an order with a phone, an ID number in free text, a failing call), then
scans every log line captured so far — in-process and from every server the harness
spawned — so it proves something run alone and scans more the later it runs. The same
scan runs once more when the whole session ends (tests/conftest.py), whatever the order.
"""

from __future__ import annotations

import os
import re

import pytest

from tests.conftest import LOG_STREAM
from tests.trust.figures import record
from tests.trust.procs import SPAWNED_LOGS

PHONE = re.compile(r"(?<![0-9A-Za-z])1[3-9]\d{9}(?![0-9A-Za-z])")
ID_NUMBER = re.compile(r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])")


def scan(secrets: list[str]) -> dict[str, list[str] | int]:
    """Every captured log line, searched for secrets, phone numbers and ID numbers."""
    texts = [LOG_STREAM.getvalue()]
    files = [path for path in SPAWNED_LOGS if os.path.exists(path)]
    for path in files:
        with open(path, encoding="utf-8", errors="replace") as fh:
            texts.append(fh.read())
    lines = [line for text in texts for line in text.splitlines()]
    return {
        "lines": len(lines),
        "files": len(files),
        "secrets": [s for s in secrets if any(s in text for text in texts)],
        "phones": [m for line in lines for m in PHONE.findall(line)],
        "ids": [m for line in lines for m in ID_NUMBER.findall(line)],
    }


async def _traffic(api, world) -> None:
    """Requests carrying every kind of personal value the service handles."""
    resident = await api.login("log-probe-resident")
    status, _ = await api.post("/api/v1/me/phone", {"code": "phone:13700001111"}, token=resident)
    assert status == 200
    body = {
        "org_id": str(world.orgs["A1"]["_id"]),
        "name": "日志探针",
        "party_status": "正式党员",
        "phone": "13900002222",
    }
    status, _ = await api.post("/api/v1/member-registrations", body, token=resident)
    assert status == 201
    order = world.order_body(description="身份证 110101199003074578，电话 13612345678")
    status, _ = await api.post("/api/v1/orders", order, token=resident)
    assert status == 201
    # a refused call logs its refusal; its body must not reach the log either
    bad = {**order, "contact_phone": "13512345678", "unknown": "13412345678"}
    status, _ = await api.post("/api/v1/orders", bad, token=resident)
    assert status == 400


@pytest.mark.gen_test(timeout=60)
async def test_no_secret_phone_or_id_number_in_any_log(api, world, fake_wechat):
    await _traffic(api, world)
    found = scan(fake_wechat.state.secrets())
    record(
        "privacy: logs",
        lines_scanned=found["lines"],
        server_log_files=found["files"],
        wechat_secrets_issued=len(fake_wechat.state.secrets()),
        secrets_in_logs=len(found["secrets"]),
        full_phone_numbers_in_logs=len(found["phones"]),
        id_numbers_in_logs=len(found["ids"]),
    )
    assert found["lines"], "no log lines were captured: the scan would prove nothing"
    assert fake_wechat.state.secrets(), "the traffic issued no WeChat secret to look for"
    assert not found["secrets"], found["secrets"][:3]
    assert not found["phones"], found["phones"][:3]
    assert not found["ids"], found["ids"][:3]
