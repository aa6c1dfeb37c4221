"""The demo (`serve --demo`) shows real uploaded photos on its orders and one flagged text."""

from __future__ import annotations

import pytest

from models.media.storage import store_for
from server.demo import seed_demo
from tests.media.samples import has_gps


@pytest.mark.slow  # seeds the whole demo (about 20 photos processed)
@pytest.mark.gen_test(timeout=120)
async def test_demo_orders_have_real_photos(ctx):
    ctx.wechat = None  # a first run has no WeChat app secret
    assert await seed_demo(ctx)
    # the ten orders of the service demo carry uploads; the rewards demo's two orders do not
    with_photos = await ctx.db.orders.count_documents({"photos.0": {"$exists": True}})
    assert with_photos >= 10
    assert await ctx.db.orders.count_documents({"completion_photos.0": {"$exists": True}}) >= 4
    # the first wish (and its fulfilment) and the first voice show photos in the mini-program
    assert await ctx.db.wishes.count_documents({"photos.0": {"$exists": True}}) == 1
    assert await ctx.db.wishes.count_documents({"fulfil_photos.0": {"$exists": True}}) == 1
    assert await ctx.db.voices.count_documents({"photos.0": {"$exists": True}}) == 1
    media = await ctx.db.media.find({}).to_list(None)
    assert media and all(m["owner_id"] is not None and m["status"] == "pass" for m in media)
    stored = await store_for(ctx).get(f"{media[0]['_id']}/full")
    assert stored and not has_gps(stored)
    assert await ctx.db.content_flags.count_documents({"status": "review"}) == 1
