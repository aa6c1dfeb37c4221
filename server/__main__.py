"""`python -m server <command>`: serve (default), seed-demo, create-user, check, openapi, jobs."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import json
import logging
import os
import signal
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from bson import ObjectId
from bson.errors import InvalidId

from server.config import ROOT, Config, load_config
from server.embedded import EmbeddedMongo
from server.errors import AppError
from server.logging import setup_logging

log = logging.getLogger("tongxin")


class Database:
    """The configured MongoDB, or the embedded one started (and later stopped) for us."""

    def __init__(self, config: Config):
        self.config = config
        self.embedded: EmbeddedMongo | None = None

    def __enter__(self) -> str:
        if self.config.mongo.uri:
            return str(self.config.mongo.uri)
        path = Path(self.config.mongo.embedded_path)
        if not path.is_absolute():
            path = ROOT / path
        self.embedded = EmbeddedMongo(path, int(self.config.mongo.embedded_port))
        self.embedded.start()
        return self.embedded.uri

    def __exit__(self, *exc: object) -> None:
        if self.embedded is not None:
            self.embedded.stop()


async def serve(config: Config, uri: str, demo: bool) -> None:
    import tornado.httpserver

    from models.voices.words import warm_up as warm_up_segmenter
    from server.app import build_service
    from server.demo import seed_demo

    service = await build_service(config, uri)
    await warm_up_segmenter()  # jieba's dictionary: loaded once at start, not in a request
    if demo:
        created = await seed_demo(service.ctx)
        log.info("demo data", extra={"demo_created": created})
    server = tornado.httpserver.HTTPServer(
        service.app,
        max_body_size=int(config.http.max_body_bytes) * 8,
        xheaders=bool(config.http.xheaders),
        # idle keep-alive connections and slow bodies do not hold a connection forever
        idle_connection_timeout=float(config.http.idle_timeout_seconds),
        body_timeout=float(config.http.body_timeout_seconds),
    )
    server.listen(int(config.http.port), str(config.http.host))
    log.info("listening", extra={"host": config.http.host, "port": config.http.port})
    runner = None
    if bool(config.jobs.enabled):
        from jobs.scheduler import JobRunner

        runner = JobRunner(service.ctx, service.wechat)
        runner.start()
    await until_signalled()
    if runner is not None:
        await runner.stop()
    await drain(server, service, grace=8.0)


async def drain(server: Any, service: Any, grace: float) -> None:
    """Stop accepting, let in-flight requests finish (new ones get 503), close connections."""
    log.info("shutting down", extra={"inflight": service.lifecycle.inflight})
    service.lifecycle.draining = True
    server.stop()
    if service.lifecycle.inflight:
        try:
            await asyncio.wait_for(service.lifecycle.idle.wait(), timeout=grace)
        except TimeoutError:
            log.warning(
                "requests still running at shutdown",
                extra={"inflight": service.lifecycle.inflight},
            )
    try:
        await asyncio.wait_for(server.close_all_connections(), timeout=1.0)
    except TimeoutError:
        log.warning("connections still open at shutdown")


async def until_signalled() -> None:
    """Wait for SIGTERM or SIGINT: how `serve` and `jobs` are told to stop."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()


async def run_jobs(config: Config, uri: str) -> None:
    """`python -m server jobs`: the scheduler alone, no HTTP (one leader among processes)."""
    from jobs.scheduler import JobRunner
    from server.app import build_service

    service = await build_service(config, uri)
    runner = JobRunner(service.ctx, service.wechat)
    runner.start()
    await until_signalled()
    await runner.stop()
    await service.close()


async def _with_ctx(config: Config, uri: str, fn: Callable[[Any], Awaitable[int]]) -> int:
    from server.app import build_service

    service = await build_service(config, uri)
    try:
        return await fn(service.ctx)
    finally:
        await service.close()


async def _seed(ctx: Any) -> int:
    from server.demo import seed_demo

    created = await seed_demo(ctx)
    print("演示数据已创建" if created else "数据库已有数据，未重复创建演示数据")
    return 0


async def _migrate(ctx: Any) -> int:
    """build_service already ran what was pending; this prints what every migration did."""
    async for done in ctx.db.migrations.find({}):
        print(json.dumps({"migration": done["_id"], **done.get("counts", {})}))
    return 0


def _check(only: str | None = None, repair: bool = False) -> Callable[[Any], Awaitable[int]]:
    async def run(ctx: Any) -> int:
        from models.ops import checks

        drift = 0
        for outcome in await checks.run_checks(ctx, repair=repair):
            if only and outcome.check.name != only:
                continue
            for p in outcome.problems:
                print(
                    json.dumps({"check": outcome.check.name, **p}, ensure_ascii=False, default=str)
                )
            left = len(outcome.problems) - outcome.repaired
            drift += left
            status = "ok" if not outcome.problems else f"{len(outcome.problems)} problem(s)"
            fixed = f", {outcome.repaired} repaired" if outcome.repaired else ""
            print(f"{outcome.check.name}: {status}{fixed} ({outcome.check.what})")
        if drift:
            print(f"{drift} problem(s) left", file=sys.stderr)
            return 1
        return 0

    return run


def _create_user(args: argparse.Namespace) -> Callable[[Any], Awaitable[int]]:
    async def run(ctx: Any) -> int:
        from models.people.users import create_user

        org_id = None
        if args.org:
            try:
                org_id = ObjectId(args.org)
            except InvalidId:
                org = await ctx.db.orgs.find_one({"name": args.org})
                if org is None:
                    print(f"no organisation named {args.org!r}", file=sys.stderr)
                    return 2
                org_id = org["_id"]
        password = args.password
        if args.username and not password:
            password = os.environ.get("TONGXIN_NEW_PASSWORD") or getpass.getpass("password: ")
        user = await create_user(
            ctx,
            role=args.role,
            name=args.name or args.username or "",
            org_id=org_id,
            openid=args.openid,
            username=args.username,
            password=password,
            **({"duties": list(dict.fromkeys(args.duty))} if args.duty else {}),
        )
        print(json.dumps({"id": str(user["_id"]), "role": user["role"]}))
        return 0

    return run


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m server", description="同心 Tongxin")
    sub = parser.add_subparsers(dest="command")
    p_serve = sub.add_parser("serve", help="run the API server (default)")
    p_serve.add_argument("--demo", action="store_true", help="seed demo data into an empty DB")
    sub.add_parser("seed-demo", help="create the demo organisation, people and orders")
    p_user = sub.add_parser("create-user", help="create a resident, member, secretary or admin")
    p_user.add_argument(
        "--role", required=True, choices=["resident", "member", "secretary", "admin", "merchant"]
    )
    p_user.add_argument("--org", help="organisation id or exact name")
    p_user.add_argument("--openid")
    p_user.add_argument("--username")
    p_user.add_argument("--password", help="or TONGXIN_NEW_PASSWORD, or asked for")
    p_user.add_argument("--name")
    p_user.add_argument(
        "--duty", action="append", choices=["grid_worker"], help="a member's duty (网格员)"
    )
    p_check = sub.add_parser("check", help="every cache against its book of record")
    p_check.add_argument("--repair", action="store_true", help="fix counters (never the ledger)")
    sub.add_parser("check-ledger", help="the ledger check alone (balance == sum of entries)")
    sub.add_parser("migrate", help="convert old data (also done at every start; idempotent)")
    sub.add_parser("openapi", help="print the OpenAPI document")
    sub.add_parser("jobs", help="run the job scheduler only (reminders, notifications, cleanup)")
    args = parser.parse_args(argv)
    command = args.command or "serve"
    config = load_config()
    setup_logging(str(config.log.level))

    if command == "openapi":
        from handlers.openapi import build_openapi
        from server.app import api_routes

        print(json.dumps(build_openapi(api_routes()), ensure_ascii=False, indent=1))
        return 0
    try:
        with Database(config) as uri:
            if command == "serve":
                asyncio.run(serve(config, uri, getattr(args, "demo", False)))
                return 0
            if command == "jobs":
                asyncio.run(run_jobs(config, uri))
                return 0
            if command == "seed-demo":
                return asyncio.run(_with_ctx(config, uri, _seed))
            if command == "check":
                return asyncio.run(_with_ctx(config, uri, _check(repair=args.repair)))
            if command == "migrate":
                return asyncio.run(_with_ctx(config, uri, _migrate))
            if command == "check-ledger":
                return asyncio.run(_with_ctx(config, uri, _check(only="ledger")))
            if command == "create-user":
                return asyncio.run(_with_ctx(config, uri, _create_user(args)))
    except AppError as exc:
        print(f"error: {exc.message} {exc.fields or ''}", file=sys.stderr)
        return 2
    except RuntimeError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    parser.print_help()
    return 2


if __name__ == "__main__":
    sys.exit(main())
