"""The fixed hostile payloads that the trust harness puts into every field of every JSON body
and every query parameter (tests/trust/test_hostile_input.py).

Each entry is (label, value). Values are what a client would put in JSON: bodies are encoded
with `encode_json` (NaN and ±Infinity as the literals Python's json module reads back, lone
surrogates as \\u escapes); query parameters are rendered with `query_pairs`.
"""

from __future__ import annotations

import json
import math
from typing import Any
from urllib.parse import quote_from_bytes

OID = "0" * 24

PAYLOADS: list[tuple[str, Any]] = [
    # ---- MongoDB query operators as values
    ("$gt empty", {"$gt": ""}),
    ("$ne null", {"$ne": None}),
    ("$ne 1", {"$ne": 1}),
    ("$where sleep", {"$where": "sleep(5000) || true"}),
    ("$where function", {"$where": "function() { return true; }"}),
    ("$regex any", {"$regex": ".*"}),
    ("$regex options", {"$regex": "^", "$options": "i"}),
    ("$in empty", {"$in": []}),
    ("$nin null", {"$nin": [None]}),
    ("$exists", {"$exists": True}),
    ("$expr", {"$expr": {"$eq": [1, 1]}}),
    ("$function", {"$function": {"body": "function(){return 1}", "args": [], "lang": "js"}}),
    ("$or", {"$or": [{"a": 1}, {"b": 2}]}),
    ("$elemMatch", {"$elemMatch": {"$gt": 0}}),
    # ---- update operators and pipeline stages as values
    ("$set role", {"$set": {"role": "admin"}}),
    ("$inc points", {"$inc": {"points_balance": 1000}}),
    ("$unset", {"$unset": ""}),
    ("$lookup", {"$lookup": {"from": "users", "as": "x"}}),
    # ---- extended JSON that a careless decoder turns into BSON types
    ("$oid", {"$oid": OID}),
    ("$date", {"$date": "2030-01-01T00:00:00Z"}),
    ("$numberLong", {"$numberLong": "9223372036854775807"}),
    # ---- dotted, empty and odd keys
    ("dotted key", {"a.b": 1}),
    ("dotted role key", {"role.name": "admin"}),
    ("nested operator", {"nested": {"$gt": ""}}),
    ("empty key", {"": 1}),
    ("null-byte key", {"\x00": 1}),
    # ---- nested arrays of operators
    ("[$gt]", [{"$gt": ""}]),
    ("[[$ne]]", [[{"$ne": None}]]),
    ("[$in, $where]", [{"$in": [1]}, {"$where": "1"}]),
    ("deep array", [[[[[[[[[[[[1]]]]]]]]]]]]),
    ("deep object", {"a": {"b": {"c": {"d": {"e": {"f": {"g": {"h": {"i": {"$gt": 1}}}}}}}}}}),
    # ---- strings that look like operators or ids
    ("'$gt'", "$gt"),
    ("'$where: 1'", "$where: 1"),
    ("json text", '{"$gt": ""}'),
    ("'a.b'", "a.b"),
    ("zero oid", OID),
    ("ff oid", "f" * 24),
    ("oid+1", OID + "0"),
    # ---- huge and special numbers
    ("1e40 int", 10**40),
    ("-1e40 int", -(10**40)),
    ("2^63", 2**63),
    ("-2^63-1", -(2**63) - 1),
    ("1e308", 1e308),
    ("max float", 1.7976931348623157e308),
    ("min subnormal", 5e-324),
    ("-0.0", -0.0),
    ("NaN", math.nan),
    ("Infinity", math.inf),
    ("-Infinity", -math.inf),
    # ---- wrong types
    ("null", None),
    ("true", True),
    ("empty list", []),
    ("empty object", {}),
    ("empty string", ""),
    # ---- unicode edge cases and null bytes
    ("null byte", "a\x00b"),
    ("only null byte", "\x00"),
    ("lone surrogate", "\ud800"),
    ("reversed surrogates", "\udc00\ud800"),
    ("RTL override", "\u202eadmin"),
    ("BOM", "\ufeff"),
    ("zero-width", "\u200b\u200c\u200d"),
    ("astral", "𝕬𝖉𝖒𝖎𝖓"),
    ("ZWJ emoji", "👨\u200d👩\u200d👧\u200d👦"),
    ("combining", "e" + "\u0301" * 300),
    ("noncharacter", "\uffff\ufffe"),
    ("control chars", "\r\n\t\x1b[31m\x7f"),
    ("10k CJK", "长" * 10_001),
    # ---- classic injection strings (stored as plain text, never interpreted)
    ("script tag", "<script>alert(1)</script>"),
    ("sql", "'; DROP TABLE users; --"),
    ("path traversal", "../../../../etc/passwd"),
    ("percent-encoded $", "%24gt"),
    ("template", "{{7*7}}${7*7}"),
]


def encode_json(value: Any) -> bytes:
    """JSON as a hostile client sends it: NaN/Infinity literals, surrogates escaped."""
    return json.dumps(value, ensure_ascii=True, allow_nan=True).encode()


def _text(value: Any) -> str:
    if value is None:
        return ""
    if value is True:
        return "true"
    if isinstance(value, float):
        return json.dumps(value, allow_nan=True)
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, allow_nan=True)


def query_pairs(name: str, value: Any) -> list[tuple[str, str]]:
    """How a payload reaches a query parameter: objects in bracket notation
    (`status[$gt]=`), lists as repeated parameters, the rest as text."""
    if isinstance(value, dict):
        if not value:
            return [(f"{name}[]", "")]
        return [(f"{name}[{k}]", _text(v)) for k, v in value.items()]
    if isinstance(value, list):
        if not value:
            return [(f"{name}[]", "")]
        return [(name, _text(v)) for v in value]
    return [(name, _text(value))]


def urlencode(pairs: list[tuple[str, str]]) -> str:
    """Percent-encode bytes as they are (a lone surrogate stays an invalid UTF-8 sequence)."""

    def enc(text: str) -> str:
        return quote_from_bytes(text.encode("utf-8", "surrogatepass"), safe="")

    return "&".join(f"{enc(k)}={enc(v)}" for k, v in pairs)
