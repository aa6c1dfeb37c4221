"""The wish and voice notices are an outbox: a notice lost between a transition and its
write (a crash) is written by the notifier's catch-up pass, once."""

from __future__ import annotations

import pytest
from bson import ObjectId

from jobs.tasks import notifier
from tests.voices.test_voices import body as voice_body
from tests.wishes.test_wishes import approved_wish


@pytest.mark.gen_test(timeout=90)
async def test_lost_wish_and_voice_notices_are_caught_up_once(api, world, ctx, clock):
    wid = ObjectId(await approved_wish(api, world))
    owner = await api.login("openid-owner")
    status, voice = await api.post("/api/v1/voices", voice_body(world), token=owner)
    assert status == 201
    vid = ObjectId(voice["id"])
    wish = await ctx.db.wishes.find_one({"_id": wid})
    assert (wish["version"], wish["notified_version"]) == (1, 1)
    assert (await ctx.db.voices.find_one({"_id": vid}))["notified_version"] == 0
    told = {
        "wish": await ctx.db.notifications.count_documents({"kind": "wish_approve"}),
        "voice": await ctx.db.notifications.count_documents({"kind": "voice_submit"}),
    }
    assert told == {"wish": 1, "voice": 1}
    # a crash after the transitions, before their notices: nothing told, versions behind
    await ctx.db.notifications.delete_many({"kind": {"$in": ["wish_approve", "voice_submit"]}})
    await ctx.db.wishes.update_one({"_id": wid}, {"$set": {"notified_version": 0}})
    await ctx.db.voices.update_one({"_id": vid}, {"$set": {"notified_version": -1}})

    counts = await notifier(ctx, ctx.wechat)
    assert counts["wishes_behind"] == 0  # changed just now: its transition may still be telling
    clock.move(minutes=2)
    counts = await notifier(ctx, ctx.wechat)
    assert (counts["wishes_behind"], counts["voices_behind"]) == (1, 1), counts
    again = await notifier(ctx, ctx.wechat)
    assert (again["wishes_behind"], again["voices_behind"]) == (0, 0)
    assert await ctx.db.notifications.count_documents({"kind": "wish_approve"}) == 1
    assert await ctx.db.notifications.count_documents({"kind": "voice_submit"}) == 1
    assert (await ctx.db.wishes.find_one({"_id": wid}))["notified_version"] == 1
    assert (await ctx.db.voices.find_one({"_id": vid}))["notified_version"] == 0
