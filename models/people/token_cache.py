"""A short per-process cache of bearer tokens → their user, so most requests skip the
token round trip (the `$lookup` on every request was 14 % of the API's CPU).

Revocation (logout, erasure, a role or branch change) must reach every process within
one second. Two mechanisms, both simple enough to trust:
- an entry lives at most `auth.token_cache_seconds` (default 1 s): another process's
  change is seen by the next lookup after that, whatever it was;
- this process's own writes to `users` and `auth_tokens` drop the entries they touch at
  once (a pymongo command listener on the process's client: by `_id`/`user_id` when the
  filter names one, otherwise everything; writes in a transaction again at its commit).
So a request never sees a change its own process made, and sees another process's
change at most `token_cache_seconds` late. tests/people/test_token_cache.py measures it
with two processes.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from pymongo import monitoring

WATCHED = {"users", "auth_tokens"}


@dataclass
class Entry:
    user: dict[str, Any]
    kind: str
    expires_at: Any
    cached_at: float


class TokenCache:
    """Entries by (database, token hash), and the tokens of each user beside them, so a
    write to one user drops that user's entries without walking the others (a walk of the
    whole cache on every `users` write made each accept cost more with every signed-in
    user)."""

    def __init__(self, seconds: float, max_entries: int = 50_000) -> None:
        self.seconds = seconds
        self.max_entries = max_entries
        self.entries: dict[tuple[str, str], Entry] = {}
        self.by_user: dict[tuple[str, Any], set[str]] = {}
        self.hits = 0
        self.misses = 0

    def get(self, db: str, token_hash: str) -> Entry | None:
        entry = self.entries.get((db, token_hash))
        if entry is None or time.monotonic() - entry.cached_at > self.seconds:
            self.misses += 1
            return None
        self.hits += 1
        return entry

    def put(self, db: str, token_hash: str, user: dict[str, Any], kind: str, expires: Any) -> None:
        if self.seconds <= 0:
            return
        if len(self.entries) >= self.max_entries:
            self.entries.clear()
            self.by_user.clear()
        self.entries[(db, token_hash)] = Entry(user, kind, expires, time.monotonic())
        self.by_user.setdefault((db, user.get("_id")), set()).add(token_hash)

    def forget(self, db: str, *, token_hash: Any = None, user_id: Any = None) -> None:
        """Drop one token, every token of one user, or (neither named) all of `db`."""
        if token_hash is not None:
            entry = self.entries.pop((db, token_hash), None)
            if entry is not None:
                self.by_user.get((db, entry.user.get("_id")), set()).discard(token_hash)
        if user_id is not None:
            for hashed in self.by_user.pop((db, user_id), set()):
                self.entries.pop((db, hashed), None)
        if token_hash is None and user_id is None:
            self.entries = {k: e for k, e in self.entries.items() if k[0] != db}
            self.by_user = {k: h for k, h in self.by_user.items() if k[0] != db}


class Invalidator(monitoring.CommandListener):
    """Drops the cache entries a write of this process touches (see the module docstring)."""

    def __init__(self, cache: TokenCache) -> None:
        self.cache = cache
        self.pending: dict[Any, list[tuple[str, str, dict[str, Any]]]] = {}
        self.in_flight: dict[int, list[tuple[str, str, dict[str, Any]]]] = {}

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        command = event.command
        name = event.command_name
        if name in ("commitTransaction", "abortTransaction"):
            key = _session_key(command)
            for db, coll, filt in self.pending.pop(key, []) if name == "commitTransaction" else []:
                self._drop(db, coll, filt)
            if name == "abortTransaction":
                self.pending.pop(key, None)
            return
        if name not in ("update", "delete", "findAndModify"):
            return
        coll = str(command.get(name))
        if coll not in WATCHED:
            return
        db = event.database_name
        filters = [
            s.get("q") or {} for s in command.get("updates", []) + command.get("deletes", [])
        ] or [command.get("query") or {}]
        touched = [(db, coll, filt) for filt in filters]
        for _, _, filt in touched:
            self._drop(db, coll, filt)
        self.in_flight[event.request_id] = touched  # dropped again once the write landed
        if "txnNumber" in command and "lsid" in command:
            self.pending.setdefault(_session_key(command), []).extend(touched)

    def _drop(self, db: str, coll: str, filt: dict[str, Any]) -> None:
        if coll == "auth_tokens":
            if isinstance(filt.get("_id"), str):
                self.cache.forget(db, token_hash=filt["_id"])
            elif "user_id" in filt and not isinstance(filt["user_id"], dict):
                self.cache.forget(db, user_id=filt["user_id"])
            else:
                self.cache.forget(db)
        elif "_id" in filt and not isinstance(filt["_id"], dict):
            self.cache.forget(db, user_id=filt["_id"])
        else:
            self.cache.forget(db)

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        for db, coll, filt in self.in_flight.pop(event.request_id, []):
            self._drop(db, coll, filt)

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        self.in_flight.pop(event.request_id, None)


def _session_key(command: Any) -> Any:
    lsid = command.get("lsid") or {}
    return bytes(lsid.get("id", b"")) if lsid else None
