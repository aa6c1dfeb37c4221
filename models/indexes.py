"""Every index of the service, in one place; created at start-up (idempotent)."""

from __future__ import annotations

from pymongo import ASCENDING as ASC
from pymongo import DESCENDING as DESC
from pymongo import IndexModel
from pymongo.asynchronous.database import AsyncDatabase

INDEXES: dict[str, list[IndexModel]] = {
    "orgs": [IndexModel([("path", ASC)]), IndexModel([("parent_id", ASC)])],
    "service_categories": [IndexModel([("code", ASC)], unique=True)],
    "users": [
        IndexModel(
            [("openid", ASC)], unique=True, partialFilterExpression={"openid": {"$type": "string"}}
        ),
        IndexModel(
            [("username", ASC)],
            unique=True,
            partialFilterExpression={"username": {"$type": "string"}},
        ),
        IndexModel([("org_path", ASC), ("role", ASC)]),
        IndexModel([("org_id", ASC), ("points_balance", DESC)]),
    ],
    "auth_tokens": [
        IndexModel([("expires_at", ASC)], expireAfterSeconds=0),
        IndexModel([("user_id", ASC)]),
    ],
    "wechat_sessions": [],
    "member_registrations": [
        IndexModel([("user_id", ASC)], unique=True, partialFilterExpression={"status": "pending"}),
        IndexModel([("org_path", ASC), ("status", ASC), ("created_at", ASC)]),
    ],
    "orders": [
        IndexModel(
            [("resident_id", ASC), ("idempotency_key", ASC)],
            unique=True,
            partialFilterExpression={"idempotency_key": {"$type": "string"}},
        ),
        IndexModel([("resident_id", ASC), ("created_at", DESC)]),
        IndexModel([("assignee_id", ASC), ("created_at", DESC)]),
        IndexModel([("org_path", ASC), ("status", ASC), ("created_at", DESC)]),
        IndexModel([("eligible", ASC), ("status", ASC)]),
        IndexModel([("status", ASC), ("created_at", ASC)]),
    ],
    "ledger_entries": [
        IndexModel([("idempotency_key", ASC)], unique=True),
        IndexModel([("member_id", ASC), ("created_at", DESC)]),
        IndexModel([("org_path", ASC), ("kind", ASC), ("created_at", DESC)]),
    ],
}


async def ensure_indexes(db: AsyncDatabase) -> None:
    existing = set(await db.list_collection_names())
    for name, models in INDEXES.items():
        if name not in existing:
            await db.create_collection(name)
        if models:
            await db[name].create_indexes(models)
