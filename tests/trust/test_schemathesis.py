"""The OpenAPI document tells the truth: schemathesis runs every operation against the real
app on loopback (fake WeChat), anonymously and as a resident, a member and a secretary
(tokens from WeChat logins), with every check; the operations that end a session run last
on throwaway accounts. Any finding fails (tests/trust/schemathesis_run.py says what a
finding is)."""

from __future__ import annotations

from typing import Any

import requests

from models.people.users import create_user
from tests.trust import schemathesis_run as st
from tests.trust.figures import record
from tests.world import build_world

ROLES = {"resident": "owner", "member": "m1", "secretary": "sec_a1"}


def _login(base: str, openid: str) -> str:
    resp = requests.post(
        base + "/api/v1/auth/wechat-login", json={"code": f"ok:{openid}"}, timeout=20
    )
    assert resp.status_code == 200, resp.text
    return str(resp.json()["token"])


def test_schemathesis_finds_nothing_in_any_role(live, tmp_path):
    assert st.ST.exists(), f"{st.ST} is missing: `make install` creates .venv-schemathesis"
    world = live.run(build_world(live.ctx))
    doc = requests.get(live.base + "/api/openapi.json", timeout=20).json()
    # anonymous: every operation answers 401 before reading anything but the public ones
    anonymous = st.narrowed(doc, None, None)
    outcomes = [st.run(live.base, anonymous, "anonymous", None, tmp_path, examples=1)]
    for role, key in ROLES.items():
        token = _login(live.base, f"openid-{key}")
        outcomes.append(st.run(live.base, st.narrowed(doc, role, None), role, token, tmp_path))

    # last: logout and erasure, each on its own throwaway account of each role
    for role in ROLES:
        for path, method in sorted(st.SESSION_ENDERS):
            openid = f"throwaway-{role}-{method}"
            org: Any = None if role == "resident" else world.orgs["A1"]["_id"]
            live.run(create_user(live.ctx, role=role, name="临时", openid=openid, org_id=org))
            token = _login(live.base, openid)
            label = f"{role} {method.upper()} {path.removeprefix('/api/v1')}"
            only = st.narrowed(doc, role, {(path, method)})
            outcomes.append(st.run(live.base, only, label, token, tmp_path))

    for o in outcomes:
        print(
            f"schemathesis {o.role}: {o.operations} operations, {o.cases} cases, "
            f"{o.failures} failures, {o.beyond_schema} refused by rules beyond the schema, "
            f"{o.errors} errors, {o.seconds} s"
        )
    total = {
        "operations": sum(o.operations for o in outcomes[:4]),
        "cases": sum(o.cases for o in outcomes),
        "failures": sum(o.failures for o in outcomes),
        "errors": sum(o.errors for o in outcomes),
        "seconds": round(sum(o.seconds for o in outcomes), 1),
    }
    record(
        "schemathesis",
        **{
            "operation runs": total["operations"],
            "cases": total["cases"],
            "schemathesis failures": total["failures"],
            "schemathesis errors": total["errors"],
            "seconds": total["seconds"],
        },
    )
    findings = [f for o in outcomes for f in o.findings]
    assert all(o.cases > 0 for o in outcomes), [(o.role, o.output) for o in outcomes if not o.cases]
    assert not findings, "\n".join(findings[:40])
    assert all(o.exit_code in (0, 1) for o in outcomes), [o.output for o in outcomes]
