"""What every service function is given: the database, the settings and the clock."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar

from pymongo.asynchronous.database import AsyncDatabase

from server.config import Config

T = TypeVar("T")
CACHE_SECONDS = 30.0


def _utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass
class Context:
    db: AsyncDatabase
    config: Config
    clock: Callable[[], datetime] = _utcnow
    cache: dict[str, Any] = field(default_factory=dict)
    failpoints: set[str] = field(default_factory=set)
    tokens: Any = None  # models.people.token_cache.TokenCache of this process, if any
    wechat: Any = None  # the WeChat gateway (server/wechat.py), set by the app assembly
    sms: Any = None  # the SMS gateway (server/sms.py), set by the app assembly

    def now(self) -> datetime:
        return self.clock()

    async def ping(self) -> None:
        """Raise if the database does not answer (readiness)."""
        await self.db.command("ping")

    async def cached(
        self, key: str, load: Callable[[], Awaitable[T]], seconds: float = CACHE_SECONDS
    ) -> T:
        """`load()`'s answer, kept per process for `seconds`: for small, rarely edited,
        often read data (the org tree, the catalogue). `forget(key)` after an edit here;
        other processes see the edit within `seconds`."""
        hit = self.cache.get(key)
        now = self.now()
        if hit and (now - hit[0]).total_seconds() < seconds:
            return hit[1]
        value = await load()
        self.cache[key] = (now, value)
        return value

    def forget(self, key: str) -> None:
        self.cache.pop(key, None)

    def failpoint(self, name: str) -> None:
        """Tests arm a name to simulate a crash there; production never arms any."""
        if name in self.failpoints:
            raise FailpointTriggered(name)


class FailpointTriggered(RuntimeError):
    """Raised at an armed failpoint: stands in for a crash at that exact line."""
