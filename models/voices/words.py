"""Hot words: each voice's text is segmented once, when it is written (jieba, stop words out).

The tokens are stored on the voice and counted into the month's word table, so the 民情分析
page never segments anything.
"""

from __future__ import annotations

import logging
import re
from functools import lru_cache

import jieba

jieba.setLogLevel(logging.WARNING)

# function words and the platform's own vocabulary carry no signal
STOP_WORDS = frozenset(
    """
    的 了 是 在 我 我们 你 你们 他 她 它 他们 有 和 与 及 或 就 都 而 也 还 又 被 把 让 给 对 从
    向 到 为 为了 以 于 之 这 那 这个 那个 这些 那些 哪 什么 怎么 怎样 如何 一个 一些 一下 一直
    没有 没 不 很 太 更 最 非常 比较 已经 可以 可能 能 会 要 想 需要 希望 请 请问 麻烦 谢谢 感谢
    问题 情况 事情 时候 现在 今天 昨天 每天 经常 总是 还是 但是 因为 所以 如果 虽然 然后 而且
    小区 社区 居民 大家 自己 这里 那里 这样 那样 所有 一点 有点 有些 时间 地方 进行 出现 存在
    能否 是否 建议 反映 看看 一样 及时 尽快 帮忙 帮助
    """.split()
)
_WORD = re.compile(r"^[\u4e00-\u9fffA-Za-z][\u4e00-\u9fffA-Za-z0-9]*$")


@lru_cache(maxsize=1)
def _ready() -> bool:
    jieba.initialize()
    return True


async def warm_up() -> None:
    """Load the dictionary (seconds, once per process) at start-up, off the event loop."""
    import asyncio

    await asyncio.get_running_loop().run_in_executor(None, _ready)


def tokens(text: str, limit: int = 30) -> list[str]:
    """The distinct content words of `text` (two characters or more), first seen first."""
    _ready()
    seen: dict[str, None] = {}
    for word in jieba.cut(text):
        word = word.strip()
        if len(word) < 2 or word in STOP_WORDS or not _WORD.match(word):
            continue
        seen.setdefault(word, None)
        if len(seen) >= limit:
            break
    return list(seen)
