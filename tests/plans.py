"""Query plans: record every query the code sends (pymongo command monitoring) and ask the
database, with `explain`, how it would run each one.

Measured on SecantusDB 0.7 (and read in its storage.py, `_try_index_id_keys`):
- it explains an `update` or `delete` command as an unfiltered COLLSCAN whatever its
  filter, so the filter of a write is explained as the `find` it selects with;
- its explain does not mirror the last step of its own index choice: when no index covers
  the filter as a whole, the query runs on the first clause (in filter order) that an index
  serves alone and checks the rest per document. `{_id: x, status: s}` is explained as a
  COLLSCAN but costs what `{_id: x}` costs (2.6 vs 2.5 ms at 2k documents; a real scan of
  the same collection: 51 ms). So on SecantusDB a COLLSCAN answer is re-asked clause by
  clause, as the server itself does; on mongod the planner's answer stands.
The same code runs on a real mongod (its plans may nest the stages differently: every
nested stage is looked at).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from bson import json_util
from pymongo import monitoring

READS = {"find", "aggregate", "count", "distinct", "update", "delete", "findAndModify"}


class Recorder(monitoring.CommandListener):
    """Keeps every read and every filtered write the app sends, as sent."""

    def __init__(self) -> None:
        self.commands: list[dict[str, Any]] = []

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        if event.command_name in READS:
            self.commands.append(dict(event.command))

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass


@dataclass
class Query:
    """One filter on one collection, as the planner sees it."""

    collection: str
    filter: dict[str, Any]
    sort: dict[str, Any] | None = None
    source: str = "find"
    plan: dict[str, Any] = field(default_factory=dict)

    def shape(self) -> str:
        return json.dumps(
            [self.collection, _shape(self.filter), _shape(self.sort or {})], sort_keys=True
        )

    def __str__(self) -> str:
        text = json_util.dumps({"filter": self.filter, "sort": self.sort})
        return f"{self.source} {self.collection} {text[:300]}"


def _shape(value: Any) -> Any:
    """A filter with its values blanked: two queries differing only in values are one."""
    if isinstance(value, dict):
        return {
            k: _shape(v) if k.startswith("$") or isinstance(v, dict) else "?"
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_shape(v) for v in value[:1]]
    return "?"


def queries_of(command: dict[str, Any]) -> list[Query]:
    """The filters a command selects documents with (a write: one per statement)."""
    if "find" in command:
        return [Query(command["find"], command.get("filter") or {}, command.get("sort"))]
    if "count" in command:
        return [Query(command["count"], command.get("query") or {}, source="count")]
    if "distinct" in command:
        return [Query(command["distinct"], command.get("query") or {}, source="distinct")]
    if "aggregate" in command:
        pipeline = command.get("pipeline") or []
        first = pipeline[0] if pipeline else {}
        if "$match" in first:
            return [Query(command["aggregate"], first["$match"], source="aggregate")]
        if "$collStats" in first or "$indexStats" in first:
            return []
        return [Query(command["aggregate"], {}, source="aggregate (no leading $match)")]
    if "update" in command:
        return [
            Query(command["update"], u.get("q") or {}, source="update")
            for u in command.get("updates", [])
        ]
    if "delete" in command:
        return [
            Query(command["delete"], d.get("q") or {}, source="delete")
            for d in command.get("deletes", [])
        ]
    if "findAndModify" in command:
        return [Query(command["findAndModify"], command.get("query") or {}, source="findAndModify")]
    return []


def stages(plan: Any) -> list[str]:
    """Every `stage` named anywhere inside an explain answer."""
    found: list[str] = []
    if isinstance(plan, dict):
        if isinstance(plan.get("stage"), str):
            found.append(plan["stage"])
        for key, value in plan.items():
            if key != "rejectedPlans":
                found += stages(value)
    elif isinstance(plan, list):
        for value in plan:
            found += stages(value)
    return found


async def explain(db: Any, query: Query) -> dict[str, Any]:
    find: dict[str, Any] = {"find": query.collection, "filter": query.filter}
    if query.sort:
        find["sort"] = query.sort
    return await db.command({"explain": find, "verbosity": "queryPlanner"})


async def is_secantus(db: Any) -> bool:
    return "secantusVersion" in await db.command("buildInfo")


async def scans(db: Any, query: Query, secantus: bool) -> bool:
    query.plan = await explain(db, query)
    if "COLLSCAN" not in stages(query.plan):
        return False
    if not secantus or any(name.startswith("$") for name in query.filter):
        return True  # a top-level `$or`/`$and`/`$expr` makes SecantusDB scan (storage.py)
    for name, clause in query.filter.items():
        if name.startswith("$"):
            continue
        alone = Query(query.collection, {name: clause})
        if "COLLSCAN" not in stages(await explain(db, alone)):
            query.plan = {"served_by_clause": name, "plan": alone.plan}
            return False
    return True


async def collection_scans(
    db: Any, commands: list[dict[str, Any]], allowed: dict[str, str]
) -> tuple[list[Query], list[Query]]:
    """(every distinct query, those the database would answer with a collection scan).

    `allowed` names collections that are read whole on purpose (bounded, small: the org
    tree, the catalogue), with the reason.
    """
    seen: dict[str, Query] = {}
    for command in commands:
        for query in queries_of(command):
            seen.setdefault(query.shape() + query.source, query)
    secantus = await is_secantus(db)
    found = []
    for query in seen.values():
        if query.collection in allowed:
            continue
        if query.source == "findAndModify":
            found.append(query)  # scans on SecantusDB whatever the filter: never used
            continue
        if await scans(db, query, secantus):
            found.append(query)
    return list(seen.values()), found
