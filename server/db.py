"""The one MongoDB client per process, and how DB failures become a 503."""

from __future__ import annotations

from typing import Any

from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import (
    AutoReconnect,
    ConnectionFailure,
    ExecutionTimeout,
    NetworkTimeout,
    PyMongoError,
    ServerSelectionTimeoutError,
    WTimeoutError,
)

from server.config import Config

UNAVAILABLE_ERRORS = (
    AutoReconnect,
    ConnectionFailure,
    ServerSelectionTimeoutError,
    NetworkTimeout,
    ExecutionTimeout,
    WTimeoutError,
)


def is_unavailable(exc: BaseException) -> bool:
    """True when the database could not be reached in time (answer 503, not 500)."""
    if isinstance(exc, UNAVAILABLE_ERRORS):
        return True
    return isinstance(exc, PyMongoError) and exc.timeout


def make_client(uri: str, config: Config, **kwargs: Any) -> AsyncMongoClient:
    """A client whose every operation is bounded by `mongo.timeout_ms`.

    `retryWrites=false`: SecantusDB slows down badly with retryable writes, and our writes
    are idempotent by design (conditional updates, idempotency keys) so we retry ourselves.
    """
    timeout = int(config.mongo.timeout_ms)
    options: dict[str, Any] = {
        "retryWrites": False,
        "timeoutMS": timeout,
        "serverSelectionTimeoutMS": timeout,
        "connectTimeoutMS": min(timeout, 1000),
        "tz_aware": True,
        "appname": "tongxin",
    }
    options.update(kwargs)
    return AsyncMongoClient(uri, **options)


def database(client: AsyncMongoClient, config: Config) -> AsyncDatabase:
    return client[config.mongo.database]
