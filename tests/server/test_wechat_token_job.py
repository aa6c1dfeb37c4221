"""The shared WeChat token job: refreshes when configured, stays quiet on a demo without one."""

from __future__ import annotations

import pytest

from jobs import tasks
from server.wechat import WeChatGateway


@pytest.mark.gen_test(timeout=30)
async def test_token_job_refreshes_once_and_skips_without_a_secret(ctx, service, fake_wechat):
    fetches = fake_wechat.state.token_fetches
    assert await tasks.wechat_token(ctx, service.wechat) == {"refreshed": 1}
    assert await tasks.wechat_token(ctx, service.wechat) == {"refreshed": 0}  # still fresh
    assert fake_wechat.state.token_fetches == fetches + 1
    stored = await ctx.db.wechat_tokens.find_one({"_id": "wxtest"})
    assert stored["access_token"].startswith("ACCESS-TOKEN-")

    demo = WeChatGateway(ctx.config.replace(wechat={"secret": ""}), ctx.db)
    assert await tasks.wechat_token(ctx, demo) == {"skipped_not_configured": 1}
    assert fake_wechat.state.token_fetches == fetches + 1
