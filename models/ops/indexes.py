"""Every index of the service, in one place; created at start-up (idempotent)."""

from __future__ import annotations

from pymongo import ASCENDING as ASC
from pymongo import DESCENDING as DESC
from pymongo import IndexModel
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import CollectionInvalid, OperationFailure

INDEXES: dict[str, list[IndexModel]] = {
    "orgs": [IndexModel([("path", ASC)]), IndexModel([("parent_id", ASC)])],
    "service_categories": [IndexModel([("code", ASC)], unique=True)],
    "users": [
        IndexModel(
            [("openid", ASC)], unique=True, partialFilterExpression={"openid": {"$type": "string"}}
        ),
        # login looks users up by openid: the planner cannot use the partial unique index
        # above for `{openid: x}` (SecantusDB scanned every user per login), this one it can
        IndexModel([("openid", ASC), ("deleted_at", ASC)]),
        IndexModel(
            [("username", ASC)],
            unique=True,
            partialFilterExpression={"username": {"$type": "string"}},
        ),
        IndexModel([("username", ASC), ("deleted_at", ASC)]),  # admin sign-in, same reason
        IndexModel([("org_path", ASC), ("role", ASC)]),
        IndexModel([("org_id", ASC), ("points_balance", DESC)]),
        IndexModel([("phone", ASC)]),  # admin: roster import duplicate check, search
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
        # admin dashboard rollups read one day of events at a time (models/ops/stats.py)
        IndexModel([("created_at", ASC)]),
        IndexModel([("dispatched_at", ASC)]),
        IndexModel([("accepted_at", ASC)]),
        IndexModel([("closed_at", ASC)]),
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
        # the notifier scans recently changed orders; SLA jobs scan a status by its age
        IndexModel([("updated_at", ASC)]),
        IndexModel([("status", ASC), ("updated_at", ASC)]),
    ],
    # activities (志愿服务活动, 组织生活): lists by node, the job's due scans, sign-ups
    "activities": [
        IndexModel([("org_path", ASC), ("start_at", DESC)]),
        IndexModel([("org_id", ASC), ("start_at", DESC)]),
        IndexModel([("open_to_residents", ASC), ("start_at", DESC)]),
        IndexModel([("status", ASC), ("start_at", ASC)]),
        IndexModel([("status", ASC), ("end_at", ASC)]),
    ],
    "activity_signups": [
        IndexModel([("activity_id", ASC), ("member_id", ASC)], unique=True),
        IndexModel([("activity_id", ASC), ("status", ASC), ("queued_at", ASC)]),
        IndexModel([("activity_id", ASC), ("status", ASC), ("settled_at", ASC)]),
        IndexModel([("member_id", ASC), ("start_at", DESC)]),
        IndexModel([("member_id", ASC), ("end_at", ASC)]),
    ],
    "notifications": [
        IndexModel([("key", ASC)], unique=True),
        IndexModel([("user_id", ASC), ("read", ASC), ("created_at", DESC)]),
        IndexModel([("expires_at", ASC)], expireAfterSeconds=0),
    ],
    "subscribe_deliveries": [
        IndexModel([("key", ASC)], unique=True),
        IndexModel([("status", ASC), ("next_attempt_at", ASC)]),
        IndexModel([("expires_at", ASC)], expireAfterSeconds=0),
    ],
    "subscribe_quotas": [IndexModel([("user_id", ASC)])],
    "idempotency_records": [IndexModel([("expires_at", ASC)], expireAfterSeconds=0)],
    "job_runs": [
        IndexModel([("started_at", DESC)]),
        IndexModel([("job", ASC), ("started_at", DESC)]),
        IndexModel([("expires_at", ASC)], expireAfterSeconds=0),
    ],
    "job_leases": [],
    "job_state": [],
    "ledger_entries": [
        IndexModel([("idempotency_key", ASC)], unique=True),
        IndexModel([("member_id", ASC), ("created_at", DESC)]),
        IndexModel([("org_path", ASC), ("kind", ASC), ("created_at", DESC)]),
        IndexModel([("created_at", ASC)]),  # admin: daily rollups
    ],
    # admin pages (ops/audit, points/adjustments, ops/stats, people/admin_auth)
    "audit_log": [
        IndexModel([("org_path", ASC), ("at", DESC)]),
        # audit records derived from order timeline events are written once per event
        IndexModel([("key", ASC)], unique=True, partialFilterExpression={"key": {"$exists": True}}),
    ],
    "point_adjustments": [
        IndexModel([("org_path", ASC), ("status", ASC), ("created_at", ASC)]),
        IndexModel([("member_id", ASC), ("status", ASC)]),
        IndexModel(
            [("reverses", ASC)],
            unique=True,
            partialFilterExpression={"reverses": {"$type": "objectId"}},
        ),
    ],
    "stats_daily": [IndexModel([("org_path", ASC), ("day", ASC)]), IndexModel([("day", ASC)])],
    "stats_days": [],
    "admin_login_failures": [],
}


async def ensure_indexes(db: AsyncDatabase) -> None:
    existing = set(await db.list_collection_names())
    for name, models in INDEXES.items():
        if name not in existing:
            try:
                await db.create_collection(name)
            except CollectionInvalid:  # another process starting at the same time made it
                pass
            except OperationFailure as exc:
                if exc.code != 48:  # NamespaceExists: the same race, seen by the server
                    raise
        if models:
            await db[name].create_indexes(models)
