"""The unit of work: the one way to write several documents together.

`in_transaction(ctx, work)` runs `work(session)` in one MongoDB transaction: every write
that must land together (an order closing and its ledger entries, a balance and its entry,
stock and a debit) passes the session, so all of it commits or none of it does.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.errors import PyMongoError

from models.core.context import Context
from server.db import is_unavailable

T = TypeVar("T")
TRANSACTION_RETRY_SECONDS = 120.0  # write conflicts: as long as the driver would retry


async def in_transaction(ctx: Context, work: Callable[[AsyncClientSession], Awaitable[T]]) -> T:
    """Run `work` in a transaction, retried on transient conflicts, never on an outage.

    The driver's `with_transaction` also retries network errors, and a commit whose answer
    was lost, for up to 120 s: a request in flight when the database went away hung instead
    of answering 503. Here a write conflict is retried (with backoff, as the driver does);
    an unreachable database, or a commit whose outcome is unknown, is raised at once (503);
    the client's retry is safe, every write in a transaction being conditional or keyed.
    `work` may still run twice (a conflict reported after a commit that landed): see
    orders.close_and_award.
    """
    started = time.monotonic()
    attempt = 0
    async with ctx.db.client.start_session() as session:
        while True:
            attempt += 1
            await session.start_transaction()
            try:
                result = await work(session)
            except BaseException as exc:
                if session.in_transaction:
                    await session.abort_transaction()
                if not _retry_transaction(exc, started):
                    raise
            else:
                try:
                    await session.commit_transaction()
                    return result
                except PyMongoError as exc:
                    if not _retry_transaction(exc, started):
                        raise
            await asyncio.sleep(random.random() * min(0.005 * 1.5**attempt, 0.5))


def _retry_transaction(exc: BaseException, started: float) -> bool:
    return (
        isinstance(exc, PyMongoError)
        and exc.has_error_label("TransientTransactionError")
        and not is_unavailable(exc)
        and time.monotonic() - started < TRANSACTION_RETRY_SECONDS
    )
