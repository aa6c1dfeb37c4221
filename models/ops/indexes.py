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
        # 双报到: a community's volunteer pool; `pick`: bounded member samples for an order
        IndexModel([("pool_orgs", ASC), ("role", ASC), ("pick", ASC)]),
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
        # members under a node; `pick` walked in windows for recommendations and the hall
        # notice (models/orders/candidates.py)
        IndexModel([("org_path", ASC), ("role", ASC), ("pick", ASC)]),
        # the admin member list: newest-joined first in time windows, and its search by a
        # key of the name or phone (models/people/membership.py), each an indexed range
        IndexModel([("org_path", ASC), ("role", ASC), ("deleted_at", ASC), ("joined_at", DESC)]),
        IndexModel([("search_keys", ASC), ("role", ASC), ("deleted_at", ASC), ("joined_at", DESC)]),
        IndexModel([("org_id", ASC), ("points_balance", DESC)]),
        IndexModel([("phone", ASC)]),  # admin: roster import duplicate check, search
        IndexModel([("role", ASC), ("org_id", ASC)]),  # staff in charge; monthly statements
        # one member per bound phone: racing roster imports cannot both add it
        IndexModel(
            [("phone", ASC)],
            name="member_phone_unique",
            unique=True,
            partialFilterExpression={"phone": {"$type": "string"}, "role": "member"},
        ),
        # one resident per bound phone: 代下单 finds (or makes) the resident by phone, and
        # binding a phone merges the placeholder made for it (models/people/residents.py)
        IndexModel(
            [("phone", ASC)],
            name="resident_phone_unique",
            unique=True,
            partialFilterExpression={"phone": {"$type": "string"}, "role": "resident"},
        ),
    ],
    "auth_tokens": [
        IndexModel([("expires_at", ASC)], expireAfterSeconds=0),
        IndexModel([("user_id", ASC)]),
    ],
    "wechat_sessions": [],
    "member_registrations": [
        IndexModel([("user_id", ASC)], unique=True, partialFilterExpression={"status": "pending"}),
        IndexModel([("org_path", ASC), ("status", ASC), ("created_at", ASC)]),
        IndexModel([("user_id", ASC), ("created_at", ASC)]),  # the member's own, data export
    ],
    # Every index costs every transition (SecantusDB: 0 indexes 0.7 ms per update, 12 →
    # 2.9 ms): the smallest set that keeps every query indexed (tests/ops/test_query_plans.py).
    "orders": [
        IndexModel(
            [("resident_id", ASC), ("idempotency_key", ASC)],
            unique=True,
            partialFilterExpression={"idempotency_key": {"$type": "string"}},
        ),
        IndexModel([("resident_id", ASC), ("created_at", DESC)]),  # 我的工单
        IndexModel([("assignee_id", ASC), ("created_at", DESC)]),  # 我承接的
        IndexModel([("org_path", ASC), ("created_at", DESC)]),  # the org list, time windows
        # the org list by state, the dispatch board, open orders on the dashboard
        IndexModel([("assignee_id", ASC), ("closed_at", ASC)]),  # the member's service record
        IndexModel([("closed_at", ASC)]),  # honours and follow-ups: a month's closings
        IndexModel([("org_path", ASC), ("status", ASC), ("created_at", DESC)]),
        IndexModel([("status", ASC), ("eligible", ASC)]),  # task hall (the other order scans)
        # the notifier and the dashboard rollups read what changed since a moment
        IndexModel([("updated_at", ASC)]),
        IndexModel([("status", ASC), ("updated_at", ASC)]),  # SLA stages, digests, workload
        # the SLA's overdue stage: `{status, due_at: (since, now]}` (without it the range ran
        # on `status` alone and read every accepted / in-service order each minute)
        IndexModel([("status", ASC), ("due_at", ASC)]),
        # housekeeping forgets old idempotency keys: only orders still holding one are in
        # this sparse index (a partial one on `idempotency_key` is not used by SecantusDB)
        IndexModel([("keyed_at", ASC)], sparse=True),
        # the notifier's outbox: only orders with events not told yet carry `notify_due`
        IndexModel([("notify_due", ASC)], sparse=True),
    ],
    # an order's timeline events older than the newest `orders.timeline_embedded`, moved
    # out of the order in the transition's own transaction; seq = place in the history
    "order_events": [IndexModel([("order_id", ASC), ("seq", ASC)], unique=True)],
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
        IndexModel([("order_id", ASC)]),  # erasure: others' inbox entries about an order
    ],
    "subscribe_deliveries": [
        IndexModel([("key", ASC)], unique=True),
        IndexModel([("status", ASC), ("next_attempt_at", ASC)]),
        IndexModel([("expires_at", ASC)], expireAfterSeconds=0),
    ],
    "subscribe_quotas": [IndexModel([("user_id", ASC)])],
    # 短信 (models/notifications/sms.py): one per (order, step, number); due sends; staff's
    # list by scope; the consistency check's days; per-number day counts; retention
    "sms_messages": [
        IndexModel([("key", ASC)], unique=True),
        IndexModel([("status", ASC), ("next_attempt_at", ASC)]),
        IndexModel([("org_path", ASC), ("created_at", DESC)]),
        IndexModel(
            [("counted_day", ASC)], partialFilterExpression={"counted_day": {"$exists": True}}
        ),
        IndexModel([("expires_at", ASC)], expireAfterSeconds=0),
    ],
    "sms_daily_counts": [IndexModel([("expires_at", ASC)], expireAfterSeconds=0)],
    "idempotency_records": [IndexModel([("expires_at", ASC)], expireAfterSeconds=0)],
    "job_runs": [
        IndexModel([("started_at", DESC), ("_id", DESC)]),  # the list: walked in sort order
        IndexModel([("job", ASC), ("started_at", DESC)]),
        IndexModel([("expires_at", ASC)], expireAfterSeconds=0),
    ],
    "job_leases": [],
    "job_state": [],
    "rank_standings": [],  # branch standings for the rank on /me/points (by _id)
    "signup_locks": [],  # one per member, bumped by each sign-up (models/activities/signup.py)
    "queue_floors": [],  # the dispatch queue's floor per node (models/orders/visibility.py)
    "member_counts": [],  # members per org node (models/people/membership.py), by _id
    "ledger_entries": [
        IndexModel([("idempotency_key", ASC)], unique=True),
        IndexModel([("member_id", ASC), ("created_at", DESC)]),
        IndexModel([("org_path", ASC), ("kind", ASC), ("created_at", DESC)]),
        IndexModel([("created_at", ASC)]),  # a period's entries (honours, digests)
        # earned entries not yet in the dashboard's tallies (models/ops/tallies.py)
        IndexModel([("tally_due", ASC)], sparse=True),
    ],
    # 党员之星: earned points per period, member and branch; a board reads those above its floor
    # points ascending: on SecantusDB an inclusive bound at the index's upper end of a field
    # that is not the last (`$gte` on a descending one) leaves out the boundary value
    "leaderboard_buckets": [
        IndexModel([("period", ASC), ("org_path", ASC), ("points", ASC), ("member_id", ASC)])
    ],
    "leaderboard_floors": [],
    # admin pages (ops/audit, points/adjustments, ops/stats, people/admin_auth)
    "audit_log": [
        IndexModel([("org_path", ASC), ("at", DESC)]),
        # audit records derived from order timeline events are written once per event
        IndexModel([("key", ASC)], unique=True, partialFilterExpression={"key": {"$exists": True}}),
        # erasure: entries about a person, and by them
        IndexModel([("target.id", ASC)]),
        IndexModel([("actor_id", ASC)]),
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
    # one per day and node, read by _id (models/ops/tallies.py); by day when a repair
    # forgets the settled sums of points of some days
    "stats_daily": [IndexModel([("day", ASC)])],
    # the dashboard's tallies (models/ops/tallies.py): read by _id only
    "order_tallies": [],
    "open_tallies": [],
    "admin_login_failures": [IndexModel([("expires_at", ASC)], expireAfterSeconds=0)],
    # security: rate-limit windows (models/core/ratelimit.py) expire by themselves
    "rate_limits": [IndexModel([("expires_at", ASC)], expireAfterSeconds=0)],
    # media and content safety (models/media)
    "media": [
        IndexModel([("owner_id", ASC), ("created_at", ASC)]),  # orphan cleanup, attach
        IndexModel([("trace_id", ASC)]),  # WeChat's pushed image verdicts
        IndexModel([("status", ASC), ("check.next_at", ASC)]),  # images to submit again
    ],
    "media_quota": [IndexModel([("expires_at", ASC)], expireAfterSeconds=0)],
    "content_flags": [
        IndexModel([("org_path", ASC), ("status", ASC), ("created_at", DESC)]),
        IndexModel([("status", ASC), ("next_check_at", ASC)]),
        IndexModel([("media_id", ASC)]),
    ],
    "media_blobs.files": [IndexModel([("filename", ASC), ("uploadDate", ASC)])],
    "media_blobs.chunks": [IndexModel([("files_id", ASC), ("n", ASC)], unique=True)],
    # 组织关系转接, 双报到, certificates, honours (models/transfers, reports, certificates, honours)
    "transfers": [
        IndexModel(
            [("open_member", ASC)],
            unique=True,
            partialFilterExpression={"open_member": {"$type": "objectId"}},
        ),
        IndexModel([("member_id", ASC), ("created_at", DESC)]),
        IndexModel([("scope_paths", ASC), ("created_at", DESC)]),
        IndexModel([("status", ASC), ("deadline_at", ASC)]),
    ],
    "counters": [],
    "record_months": [IndexModel([("member_id", ASC)])],  # closed months of service records
    "service_posts": [IndexModel([("org_id", ASC), ("name", ASC)], unique=True)],
    "community_reports": [
        IndexModel(
            [("open_member", ASC)],
            unique=True,
            partialFilterExpression={"open_member": {"$type": "objectId"}},
        ),
        IndexModel([("member_id", ASC), ("created_at", DESC)]),
        IndexModel([("community_path", ASC), ("status", ASC), ("created_at", DESC)]),
        IndexModel([("unit_path", ASC), ("status", ASC), ("created_at", DESC)]),
    ],
    "certificates": [
        IndexModel(
            [("number", ASC)], unique=True, partialFilterExpression={"number": {"$type": "string"}}
        ),
        IndexModel([("member_id", ASC), ("created_at", DESC)]),
        IndexModel([("org_path", ASC), ("created_at", DESC)]),
    ],
    "honours": [
        IndexModel([("key", ASC)], unique=True),
        IndexModel([("org_path", ASC), ("month", DESC)]),
        IndexModel([("members.member_id", ASC)]),
    ],
    # rewards (models/rewards, models/points/buckets)
    "reward_items": [
        IndexModel([("org_id", ASC), ("active", ASC)]),
        IndexModel([("org_path", ASC), ("created_at", DESC)]),
    ],
    "redemptions": [
        IndexModel([("code", ASC)], unique=True),
        IndexModel([("ledger_key", ASC)], unique=True),
        IndexModel([("member_id", ASC), ("created_at", DESC)]),
        IndexModel([("org_path", ASC), ("created_at", DESC)]),
        IndexModel([("org_id", ASC), ("created_at", DESC)]),
        IndexModel([("status", ASC), ("expires_at", ASC)]),
        IndexModel([("item_id", ASC), ("status", ASC)]),
    ],
    "redemption_counters": [],
    "point_buckets": [
        IndexModel([("member_id", ASC), ("closed", ASC), ("year", ASC)]),
        IndexModel([("closed", ASC), ("expires_at", ASC)]),
    ],
    "held_awards": [
        IndexModel([("org_path", ASC), ("status", ASC), ("created_at", ASC)]),
        IndexModel([("order_id", ASC)], unique=True),
        IndexModel([("member_id", ASC), ("created_at", DESC)]),
    ],
    # 微心愿 and 民意 (models/wishes, models/voices)
    "wishes": [
        IndexModel([("org_path", ASC), ("status", ASC), ("created_at", DESC)]),
        IndexModel([("status", ASC), ("created_at", DESC)]),
        IndexModel([("poster_id", ASC), ("created_at", DESC)]),
        IndexModel([("claimant_id", ASC), ("status", ASC)]),
        IndexModel([("status", ASC), ("updated_at", ASC)]),
        IndexModel([("claimant_id", ASC), ("confirmed_at", ASC)]),  # service record
        IndexModel([("updated_at", ASC)]),  # the notices' catch-up pass
    ],
    "voices": [
        IndexModel([("submitter_id", ASC), ("created_at", DESC)]),
        IndexModel([("handler_id", ASC), ("status", ASC), ("created_at", DESC)]),
        IndexModel([("org_path", ASC), ("status", ASC), ("created_at", DESC)]),
        IndexModel([("org_path", ASC), ("month", ASC), ("created_at", DESC)]),
        IndexModel([("status", ASC), ("updated_at", ASC)]),
        IndexModel([("status", ASC), ("closed_at", ASC)]),
        IndexModel([("status", ASC), ("due_at", ASC)]),
        IndexModel([("handler_id", ASC), ("first_closed_at", ASC)]),  # service record
        IndexModel([("about_member_id", ASC), ("closed_at", ASC)]),  # 党员之星: upheld complaints
        IndexModel([("updated_at", ASC)]),  # the notices' catch-up pass
    ],
    "voice_monthly": [IndexModel([("org_id", ASC), ("month", ASC)])],
    "voice_words": [IndexModel([("org_id", ASC), ("month", ASC)])],
    "followups": [
        IndexModel([("source_type", ASC), ("source_id", ASC), ("round", ASC)], unique=True),
        IndexModel([("user_id", ASC), ("created_at", DESC)]),
    ],
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
