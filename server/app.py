"""Assembling the process: one DB client, the context, the WeChat gateway, the routes."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

import tornado.web
from pymongo import AsyncMongoClient

from handlers.admin import ADMIN_SETTINGS, admin_routes
from handlers.api import (
    activities,
    certificates,
    honours,
    media,
    notifications,
    ops,
    orders,
    people,
    points,
    records,
    reports,
    rewards,
    transfers,
    voices,
    wishes,
)
from handlers.base import NotFoundHandler, log_request
from handlers.openapi import build_openapi
from models.core.context import Context
from models.ops.indexes import ensure_indexes
from models.ops.migrations import run_migrations
from models.people.token_cache import Invalidator, TokenCache
from server.config import Config
from server.db import database, make_client
from server.sms import SmsGateway
from server.wechat import WeChatGateway


def api_routes() -> list[Any]:
    return [
        *ops.default_handlers,
        *people.default_handlers,
        *orders.default_handlers,
        *points.default_handlers,
        *notifications.default_handlers,
        *media.default_handlers,
        *transfers.default_handlers,
        *records.default_handlers,
        *reports.default_handlers,
        *certificates.default_handlers,
        *honours.default_handlers,
        *activities.default_handlers,
        *rewards.default_handlers,
        *wishes.default_handlers,
        *voices.default_handlers,
    ]


@dataclass
class Lifecycle:
    """Requests in flight, and whether the process is draining before it exits."""

    inflight: int = 0
    draining: bool = False
    idle: asyncio.Event = field(default_factory=asyncio.Event)

    def enter(self) -> None:
        self.inflight += 1
        self.idle.clear()

    def leave(self) -> None:
        self.inflight -= 1
        if self.inflight == 0:
            self.idle.set()


@dataclass
class Service:
    """Everything one process holds: stop it with `close()`."""

    client: AsyncMongoClient
    ctx: Context
    wechat: WeChatGateway
    app: tornado.web.Application
    lifecycle: Lifecycle

    async def close(self) -> None:
        await self.client.close()


def make_app(
    ctx: Context, wechat: WeChatGateway, lifecycle: Lifecycle | None = None
) -> tornado.web.Application:
    routes = api_routes()
    return tornado.web.Application(
        [*routes, *admin_routes()],
        ctx=ctx,
        wechat=wechat,
        lifecycle=lifecycle or Lifecycle(),
        openapi=build_openapi(routes),
        default_handler_class=NotFoundHandler,
        log_function=log_request,
        cookie_secret=str(ctx.config.auth.cookie_secret),
        xheaders=bool(ctx.config.http.xheaders),
        compress_response=True,
        **ADMIN_SETTINGS,
    )


async def build_service(
    config: Config, uri: str, *, create_indexes: bool = True, **client_options: Any
) -> Service:
    tokens = TokenCache(float(config.auth.token_cache_seconds))
    listeners = [*client_options.pop("event_listeners", []), Invalidator(tokens)]
    client = make_client(uri, config, event_listeners=listeners, **client_options)
    db = database(client, config)
    if create_indexes:
        await ensure_indexes(db)
    ctx = Context(db=db, config=config, tokens=tokens)
    if create_indexes:  # the process that prepares the database also migrates its data
        await run_migrations(ctx)
    wechat = WeChatGateway(config, db)
    ctx.wechat = wechat  # content safety (models/media/safety.py) reaches WeChat through it
    ctx.sms = SmsGateway(config)  # the notifier job sends texts through it
    lifecycle = Lifecycle()
    app = make_app(ctx, wechat, lifecycle)
    return Service(client=client, ctx=ctx, wechat=wechat, app=app, lifecycle=lifecycle)
