"""Notifications: the in-app inbox, subscribe-message quotas and outbox, SMS, digests.

The package's public face: callers use `notifications.<service>`; the inbox lives in
`inbox`, WeChat subscribe messages in `subscribe`, SMS in `sms`, the digests in `digests`.
"""

from models.notifications.inbox import (
    Notice,
    list_inbox,
    mark_read,
    notification_json,
    notify,
    notify_many,
    unread_count,
)
from models.notifications.sms import SmsText, send_due_sms
from models.notifications.subscribe import (
    abandon_stale_sends,
    quotas,
    report_subscriptions,
    send_due,
)

__all__ = [
    "Notice",
    "SmsText",
    "abandon_stale_sends",
    "list_inbox",
    "mark_read",
    "notification_json",
    "notify",
    "notify_many",
    "quotas",
    "report_subscriptions",
    "send_due",
    "send_due_sms",
    "unread_count",
]
