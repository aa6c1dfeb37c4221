"""服务标兵 and 党员之星: monthly proposals per node, confirmed by the secretary, published."""

from typing import Any


async def propose_month(ctx: Any) -> dict[str, int]:
    return {}
