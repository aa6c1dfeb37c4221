"""Machinery of the hostile-input harness: the OpenAPI document as JSON Schema, hypothesis
strategies over it, response conformance, and the two write detectors.

Definitions used for the figures:

- **schema mismatch**: a response whose status is not documented for its operation, or
  whose body is not JSON matching the documented schema of that status (OpenAPI 3.0.3
  converted to JSON Schema: `nullable`, `$ref` inlined, `date-time` checked).
- **write slipped through**: a request answered 4xx during whose handling the app's own
  MongoDB client sent a write that changed a document (insert/update/delete/findAndModify
  with n > 0, or a collection/index created or dropped) — seen by pymongo command
  monitoring on the app's client, request by request; or a window of requests across which
  a collection changed that no 2xx request in the window wrote (DB contents hashed,
  the ground truth that also checks the monitor); or, at the end, any stored document
  with a key that starts with `$` or contains `.` (what a 2xx from a fuzzed body must
  never store). Bookkeeping that is legitimately written while a request is rejected is
  excluded by name: `auth_tokens` (logins and token lookups) and `wechat_tokens` (the
  shared WeChat access-token cache, refreshed before a WeChat call that may then fail).
"""

from __future__ import annotations

import copy
import hashlib
import json
import string
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import jsonschema
from bson.codec_options import CodecOptions
from bson.raw_bson import RawBSONDocument
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st
from pymongo import monitoring

EXCLUDED = frozenset({"auth_tokens", "wechat_tokens"})
WRITE_COMMANDS = {"insert", "update", "delete", "findAndModify"}
DDL_COMMANDS = {"create", "createIndexes", "drop", "dropIndexes", "renameCollection", "collMod"}

# ---------------------------------------------------------------- OpenAPI → JSON Schema


def json_schema(node: Any, components: dict[str, Any]) -> Any:
    """OpenAPI 3.0 schema object → plain JSON Schema: refs inlined, `nullable` as a null type,
    documentation-only keywords dropped."""
    if isinstance(node, list):
        return [json_schema(item, components) for item in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        name = node["$ref"].rsplit("/", 1)[-1]
        return json_schema(components[name], components)
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key in ("description", "default", "example", "nullable") or key.startswith("x-"):
            continue
        if key in ("properties",):
            out[key] = {k: json_schema(v, components) for k, v in value.items()}
        elif key in ("items", "additionalProperties", "anyOf", "oneOf", "allOf", "not"):
            out[key] = json_schema(value, components)
        else:
            out[key] = value
    if node.get("nullable"):
        if "type" in out:
            out["type"] = [out["type"], "null"]
        else:
            out = {"anyOf": [out, {"type": "null"}]}
    return out


FORMATS = jsonschema.FormatChecker(formats=())


@FORMATS.checks("date-time", raises=ValueError)
def _date_time(value: Any) -> bool:
    if not isinstance(value, str):
        return True
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed.tzinfo is not None


@dataclass
class Param:
    name: str
    schema: dict[str, Any]
    required: bool


@dataclass
class Operation:
    method: str
    path: str
    auth: bool
    roles: tuple[str, ...]
    body: dict[str, Any] | None
    query: list[Param]
    idempotency: bool
    responses: dict[str, dict[str, Any] | None]
    validators: dict[str, Any] = field(default_factory=dict)

    @property
    def key(self) -> str:
        return f"{self.method.upper()} {self.path}"

    @property
    def has_id(self) -> bool:
        return "{id}" in self.path

    def check_response(self, status: int, content_type: str, text: str) -> str | None:
        """None if the response is documented for this operation, else what is wrong."""
        documented = str(status) in self.responses
        if not documented:
            return f"status {status} not documented"
        schema = self.responses[str(status)]
        if schema is None:
            return None
        if not content_type.startswith("application/json"):
            return f"content type {content_type!r} is not JSON"
        try:
            body = json.loads(text)
        except ValueError:
            return "body is not JSON"
        validator = self.validators.get(str(status))
        if validator is None:
            validator = jsonschema.Draft7Validator(schema, format_checker=FORMATS)
            self.validators[str(status)] = validator
        error = jsonschema.exceptions.best_match(validator.iter_errors(body))
        if error is not None:
            where = "/".join(str(p) for p in error.absolute_path)
            return f"body does not match at {where or '(root)'}: {error.message[:200]}"
        return None


def operations(spec: dict[str, Any]) -> list[Operation]:
    components = spec["components"]["schemas"]
    out = []
    for path, methods in spec["paths"].items():
        for method, op in methods.items():
            body = None
            json_body = op.get("requestBody", {}).get("content", {}).get("application/json")
            if json_body:  # (an upload's multipart body is not walked here: tests/media)
                body = json_schema(json_body["schema"], components)
            params = op.get("parameters", [])
            query = [
                Param(p["name"], json_schema(p["schema"], components), p.get("required", False))
                for p in params
                if p["in"] == "query"
            ]
            responses: dict[str, dict[str, Any] | None] = {}
            for status, response in op["responses"].items():
                content = response.get("content", {}).get("application/json")
                responses[status] = json_schema(content["schema"], components) if content else None
            out.append(
                Operation(
                    method=method,
                    path=path,
                    auth=bool(op.get("security")),
                    roles=tuple(op.get("x-roles", ())),
                    body=body,
                    query=query,
                    idempotency=any(p["name"] == "Idempotency-Key" for p in params),
                    responses=responses,
                )
            )
    return out


# ---------------------------------------------------------------- strategies

ZONES = [UTC, timezone(timedelta(hours=8)), timezone(timedelta(hours=-5, minutes=-30))]


def from_schema(schema: dict[str, Any]) -> st.SearchStrategy:
    """Values valid against `schema`, for the JSON Schema subset apispec emits for this API
    (objects with properties/required, strings with lengths/enum/pattern/date-time, numbers
    with bounds, arrays with item counts, null)."""
    if "anyOf" in schema:
        return st.one_of(*[from_schema(s) for s in schema["anyOf"]])
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    kind = schema.get("type")
    if isinstance(kind, list):
        return st.one_of(*[from_schema({**schema, "type": k}) for k in kind])
    if kind == "null":
        return st.none()
    if kind == "boolean":
        return st.booleans()
    if kind == "integer":
        return st.integers(schema.get("minimum"), schema.get("maximum"))
    if kind == "number":
        low, high = schema.get("minimum"), schema.get("maximum")
        return st.one_of(
            st.integers(low, high), st.floats(low, high, allow_nan=False, allow_infinity=False)
        )
    if kind == "string":
        low, high = schema.get("minLength", 0), schema.get("maxLength")
        if schema.get("format") == "date-time":
            moments = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1))
            return st.tuples(moments, st.sampled_from(ZONES)).map(
                lambda mz: mz[0].replace(tzinfo=mz[1]).isoformat()
            )
        if "pattern" in schema:
            return st.from_regex(schema["pattern"]).filter(
                lambda t: low <= len(t) <= (high if high is not None else len(t))
            )
        return st.text(min_size=low, max_size=high if high is not None else 50)
    if kind == "array":
        return st.lists(
            from_schema(schema.get("items", {})),
            min_size=schema.get("minItems", 0),
            max_size=schema.get("maxItems", 5),
        )
    if kind == "object" or "properties" in schema:
        props = schema.get("properties", {})
        required = set(schema.get("required", []))
        return st.fixed_dictionaries(
            {k: from_schema(v) for k, v in props.items() if k in required},
            optional={k: from_schema(v) for k, v in props.items() if k not in required},
        )
    return JSON_LEAVES


HOSTILE_KEYS = st.sampled_from(
    ["$gt", "$ne", "$where", "$set", "a.b", "role", "points", "status", "openid", "org", ""]
)
JSON_LEAVES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30),
    st.sampled_from(["$gt", "$where", "a.b", "0" * 24, "\x00", "true", "null"]),
)
ANY_JSON = st.recursive(
    JSON_LEAVES,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(st.one_of(HOSTILE_KEYS, st.text(max_size=8)), children, max_size=4),
    ),
    max_leaves=12,
)

ID_KEYS = {"org_id", "category_id", "hall_org_id", "volunteer_ids", "ids", "parent"}


def with_real_ids(value: dict[str, Any], ids: dict[str, list[str]]) -> st.SearchStrategy:
    """Half the time, an id-looking field gets a real id from the world instead of noise."""
    parts = {}
    for key, item in value.items():
        pool = ids.get(key)
        if key in ID_KEYS and pool:
            real = (
                st.lists(st.sampled_from(pool), min_size=1, max_size=3)
                if isinstance(item, list)
                else st.sampled_from(pool)
            )
            parts[key] = st.one_of(st.just(item), real)
        else:
            parts[key] = st.just(item)
    return st.fixed_dictionaries(parts)


def body_strategy(op: Operation, ids: dict[str, list[str]]) -> st.SearchStrategy:
    """A documented body (positive), or one made hostile: a field replaced by arbitrary JSON,
    an extra (operator-looking) key, or a body that is not an object at all."""
    if op.body is None:
        # operations without a body still receive one now and then: it must change nothing
        return st.one_of(st.just(None), st.just(None), st.just(None), ANY_JSON.map(_wrap))
    valid = from_schema(op.body).flatmap(lambda v: with_real_ids(v, ids))
    names = sorted(op.body.get("properties", {})) or ["x"]

    def replace(pair: tuple[dict[str, Any], str, Any]) -> dict[str, Any]:
        body, name, value = pair
        return {**body, name: value}

    hostile = st.tuples(valid, st.sampled_from(names), ANY_JSON).map(replace)
    extra = st.tuples(valid, st.one_of(HOSTILE_KEYS, st.text(max_size=8)), ANY_JSON).map(replace)
    return st.one_of(valid, valid, hostile, extra, ANY_JSON).map(_wrap)


def _wrap(value: Any) -> dict[str, Any]:
    """{"json": value}: a body to send (None alone means no body at all)."""
    return {"json": value}


def _query_text(value: Any) -> str:
    if value is True or value is False:
        return "true" if value else "false"
    return str(value)


def query_strategy(op: Operation, ids: dict[str, list[str]]) -> st.SearchStrategy:
    """A list of (name, value) query pairs: documented values, noise, extra names."""
    parts = []
    for param in op.query:
        choices = [from_schema(param.schema).map(_query_text), st.text(max_size=20)]
        if param.name in ids:
            choices.append(st.sampled_from(ids[param.name]))
        value = st.one_of(*choices)
        present = st.just([]) if not param.required else st.nothing()
        parts.append(st.one_of(present, present, value.map(lambda v, n=param.name: [(n, v)])))
    extra = st.one_of(
        st.just([]),
        st.just([]),
        st.just([]),
        st.tuples(
            st.one_of(HOSTILE_KEYS, st.text(min_size=1, max_size=8)), st.text(max_size=8)
        ).map(lambda kv: [kv]),
    )
    return st.tuples(*parts, extra).map(lambda groups: [kv for g in groups for kv in g])


KEY_TEXT = string.ascii_letters + string.digits + "_-:."
HEADER_TEXT = st.characters(min_codepoint=0x20, max_codepoint=0xFF, exclude_characters="\x7f")


def example_strategy(
    op: Operation, ids: dict[str, list[str]], path_ids: list[str]
) -> st.SearchStrategy:
    headers: st.SearchStrategy = st.just({})
    if op.idempotency:
        headers = st.one_of(
            st.just({}),
            st.text(HEADER_TEXT, min_size=8, max_size=40).map(lambda k: {"Idempotency-Key": k}),
            st.text(KEY_TEXT, min_size=8, max_size=40).map(lambda k: {"Idempotency-Key": k}),
        )
    return st.fixed_dictionaries(
        {
            "id": st.sampled_from(path_ids) if op.has_id else st.just(None),
            "query": query_strategy(op, ids),
            "body": body_strategy(op, ids),
            "headers": headers,
        }
    )


def draw(strategy: st.SearchStrategy, count: int, seed_value: int) -> list[Any]:
    """`count` examples from hypothesis (generate phase only, deterministic seed); a small
    example space is cycled to reach the count."""
    out: list[Any] = []

    @seed(seed_value)
    @settings(
        max_examples=count,
        database=None,
        deadline=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(strategy)
    def collect(example: Any) -> None:
        out.append(copy.deepcopy(example))

    collect()
    while len(out) < count:
        out.extend(out[: count - len(out)])
    return out[:count]


# ---------------------------------------------------------------- write detectors


# Attempt counters: a rate limit counts attempts, refused ones included, by design (the
# counter is its whole state and expires by itself); every other collection must stay as it was.
ATTEMPT_COUNTERS = {"rate_limits"}


class WriteWatch(monitoring.CommandListener):
    """Pymongo command monitoring on the app's client: which collections a request wrote."""

    def __init__(self) -> None:
        self.database: str | None = None
        self.armed = False
        self.pending: dict[int, tuple[str, str]] = {}
        self.written: list[str] = []

    def arm(self) -> None:
        self.pending.clear()
        self.written = []
        self.armed = True

    def disarm(self) -> list[str]:
        self.armed = False
        return self.written

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        if not self.armed or event.database_name != self.database:
            return
        name = event.command_name
        if name in WRITE_COMMANDS or name in DDL_COMMANDS:
            target = event.command.get(name)
            if str(target) in ATTEMPT_COUNTERS:
                return
            self.pending[event.request_id] = (name, str(target))

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        item = self.pending.pop(event.request_id, None)
        if item is None:
            return
        name, collection = item
        reply = event.reply
        if name in DDL_COMMANDS:
            changed = True
        elif name == "findAndModify":
            changed = bool((reply.get("lastErrorObject") or {}).get("n"))
        elif name == "update":
            changed = bool(reply.get("nModified") or reply.get("upserted"))
        else:
            changed = bool(reply.get("n"))
        if changed:
            self.written.append(collection)

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        self.pending.pop(event.request_id, None)


RAW = CodecOptions(document_class=RawBSONDocument)


async def snapshot(db: Any) -> dict[str, str]:
    """A hash of every document of every collection (excluded bookkeeping left out)."""
    raw = db.with_options(codec_options=RAW)
    out = {}
    for name in sorted(await db.list_collection_names()):
        if name in EXCLUDED or name in ATTEMPT_COUNTERS:
            continue
        digest = hashlib.sha256()
        async for doc in raw[name].find({}).sort("_id", 1):
            digest.update(doc.raw)
        out[name] = digest.hexdigest()
    return out


def bad_keys(value: Any, path: str = "") -> list[str]:
    """Keys that start with `$` or contain `.`, anywhere in a stored document."""
    found = []
    if isinstance(value, dict):
        for key, item in value.items():
            name = f"{path}.{key}" if path else str(key)
            if isinstance(key, str) and (key.startswith("$") or "." in key):
                found.append(name)
            found.extend(bad_keys(item, name))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found.extend(bad_keys(item, f"{path}[{index}]"))
    return found


async def stored_operator_keys(db: Any) -> list[str]:
    out = []
    for name in sorted(await db.list_collection_names()):
        async for doc in db[name].find({}):
            out.extend(f"{name} {doc.get('_id')}: {key}" for key in bad_keys(doc))
    return out
