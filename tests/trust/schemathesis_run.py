"""schemathesis (its own venv, `.venv-schemathesis`, made by `make install`) against the real
app on loopback: every operation of the served OpenAPI document, as each role, every check.

A role's run gets the served document narrowed to the operations that role may call
(`x-roles`; the others answer 403 before any parsing, which the access matrix covers), and
its bearer token from a real WeChat login through the fake WeChat. `DELETE /me` and
`POST /auth/logout` end a session, so the main runs leave them out; they run last, each on
throwaway accounts of its own.

Examples per operation: `TONGXIN_SCHEMATHESIS_EXAMPLES` (default 2), seed
`TONGXIN_SCHEMATHESIS_SEED` (default 1: the same cases every build).
"""

from __future__ import annotations

import base64
import copy
import json
import os
import re
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from server.config import ROOT

ST = ROOT / ".venv-schemathesis" / "bin" / "st"
SESSION_ENDERS = {("/api/v1/me", "delete"), ("/api/v1/auth/logout", "post")}
CHECKS = "all"

# positive_data_acceptance flags a schema-valid request answered 400. The server has a few
# rules an OpenAPI 3.0 schema cannot state (a latitude inside [-90, 90] as the second item
# of a coordinate pair, a date range at most 10 years long, a WeChat code or a signed scene
# that only WeChat or our key can tell valid); they are described in words in the
# document. A 400 naming only such fields of that operation is not a finding; any other
# refusal of schema-valid data is (and so is every failure of every other check).
TEN_YEARS = "时间范围不超过 10 年"
BEYOND_SCHEMA: dict[str, dict[str, str]] = {
    "*": {
        "location.coordinates": "纬度在 [-90, 90]（坐标对的第二项，3.0 无法按位置约束）",
    },
    "POST /api/v1/me/phone": {"code": "手机号授权码由微信判定"},
    "POST /api/v1/voices": {"scene": "scene 是否为本服务签发，只有签名能判定"},
    "POST /api/v1/media": {"file": "是否为 JPG/PNG/WebP 图片，要解码才知道"},
    "GET /api/v1/me/record": {"from": TEN_YEARS, "to": TEN_YEARS},
    "GET /api/v1/members/{id}/record": {"from": TEN_YEARS, "to": TEN_YEARS},
}
EXAMPLES = int(os.environ.get("TONGXIN_SCHEMATHESIS_EXAMPLES", "2"))
SEED = int(os.environ.get("TONGXIN_SCHEMATHESIS_SEED", "1"))
# one thread: with two, CPython 3.11.7's ast module (not thread-safe there: its recursion
# counter is shared) once failed a run with "AST constructor recursion depth mismatch"
WORKERS = os.environ.get("TONGXIN_SCHEMATHESIS_WORKERS", "1")
# the coverage phase (every boundary and every mutation of every field: ~50 cases per
# operation, 90 s for one role here) is the deep run: TONGXIN_SCHEMATHESIS_PHASES=
# examples,coverage,fuzzing. The build runs the examples and the random (fuzzing) phase.
PHASES = os.environ.get("TONGXIN_SCHEMATHESIS_PHASES", "examples,fuzzing")


@dataclass
class Outcome:
    role: str
    operations: int
    cases: int = 0
    failures: int = 0
    beyond_schema: int = 0  # positive data refused by a rule listed in BEYOND_SCHEMA
    errors: int = 0
    seconds: float = 0.0
    exit_code: int = 0
    findings: list[str] = field(default_factory=list)
    output: str = ""


def narrowed(doc: dict[str, Any], role: str | None, only: set[tuple[str, str]] | None) -> dict:
    """The document with the operations this run covers marked `x-run` (the others stay
    documented, so the `Allow` of a 405 is still judged against every method of a path):
    `role` None is the anonymous run (every operation); `only` picks operations by hand."""
    out = copy.deepcopy(doc)
    for path, ops in out["paths"].items():
        for method, op in ops.items():
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            key = (path, method)
            keep = key in only if only is not None else key not in SESSION_ENDERS
            if role is not None and only is None:
                keep = keep and bool(op.get("security"))  # public ones: the anonymous run
                if op.get("x-roles"):
                    keep = keep and role in op["x-roles"]
            op["x-run"] = keep
    return out


def operations(doc: dict[str, Any]) -> int:
    return sum(
        1
        for ops in doc["paths"].values()
        for method, op in ops.items()
        if method in ("get", "post", "put", "patch", "delete") and op.get("x-run")
    )


def run(
    base: str,
    doc: dict[str, Any],
    role: str,
    token: str | None,
    workdir: Path,
    *,
    examples: int = EXAMPLES,
) -> Outcome:
    """One schemathesis run; the counts come from its JSON-lines event report."""
    slug = re.sub(r"[^A-Za-z0-9]+", "-", role).strip("-")
    schema_path = workdir / f"openapi-{slug}.json"
    schema_path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    events = workdir / f"events-{slug}.ndjson"
    cmd = [
        str(ST),
        "run",
        str(schema_path),
        "--url",
        base,
        "--checks",
        CHECKS,
        "--max-examples",
        str(examples),
        "--seed",
        str(SEED),
        "--workers",
        WORKERS,
        "--phases",
        PHASES,
        "--request-timeout",
        "20",
        "--suppress-health-check",
        "all",
        "--report",
        "ndjson",
        "--report-ndjson-path",
        str(events),
        "--output-truncate",
        "true",
        "--include-by",
        "/x-run == true",
    ]
    if token:
        cmd += ["--header", f"Authorization: Bearer {token}"]
    started = time.monotonic()
    proc = subprocess.run(
        cmd,
        capture_output=True,
        text=True,
        timeout=900,
        cwd=workdir,
        env={**os.environ, "NO_COLOR": "1", "SCHEMATHESIS_HOOKS": ""},
    )
    outcome = Outcome(role=role, operations=operations(doc))
    outcome.seconds = round(time.monotonic() - started, 1)
    outcome.exit_code = proc.returncode
    outcome.output = proc.stdout[-6000:] + proc.stderr[-3000:]
    _count(outcome, events)
    return outcome


def _response_fields(interaction: dict[str, Any]) -> tuple[int | None, set[str]]:
    """The status and the error `fields` a response named (our error body)."""
    response = interaction.get("response") or {}
    raw = response.get("content") or response.get("body")
    if isinstance(raw, dict) and "$base64" in raw:
        raw = base64.b64decode(raw["$base64"]).decode("utf-8", "replace")
    try:
        error = (json.loads(raw or "{}") or {}).get("error") or {}
    except (ValueError, AttributeError):
        error = {}
    return response.get("status_code"), set((error.get("fields") or {}).keys())


def beyond_schema(label: str, status: int | None, fields: set[str]) -> bool:
    """A schema-valid request refused (400) by a rule the document states in words only."""
    allowed = {**BEYOND_SCHEMA.get("*", {}), **BEYOND_SCHEMA.get(label, {})}
    named = all(any(f == k or f.endswith("." + k) for k in allowed) for f in fields)
    return status == 400 and bool(fields) and named


def _count(outcome: Outcome, events: Path) -> None:
    """Cases and failures from the ndjson events (one scenario per line)."""
    if not events.exists():
        outcome.errors += 1
        return
    for line in events.read_text(encoding="utf-8").splitlines():
        try:
            event = json.loads(line)
        except ValueError:
            continue
        for name, body in event.items():
            if name == "ScenarioFinished":
                recorder = body.get("recorder") or {}
                label = recorder.get("label") or "?"
                outcome.cases += len(recorder.get("cases") or {})
                interactions = recorder.get("interactions") or {}
                for case_id, checks in (recorder.get("checks") or {}).items():
                    for check in checks:
                        if check.get("status") != "FAILURE" and check.get("status") != "failure":
                            continue
                        status, fields = _response_fields(interactions.get(case_id) or {})
                        if check.get("name") == "positive_data_acceptance" and beyond_schema(
                            label, status, fields
                        ):
                            outcome.beyond_schema += 1
                            continue
                        outcome.failures += 1
                        case = ((recorder.get("cases") or {}).get(case_id) or {}).get("value", {})
                        sent = {k: case.get(k) for k in ("path_parameters", "query", "body")}
                        outcome.findings.append(
                            f"{label}: {check.get('name')}: {status} fields={sorted(fields)} "
                            f"sent={json.dumps(sent, ensure_ascii=False, default=str)[:300]}"
                        )
            elif name in ("NonFatalError", "FatalError"):
                outcome.errors += 1
                outcome.findings.append(f"{name}: {str(body)[:600]}")
