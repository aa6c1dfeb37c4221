"""Where the API process's CPU goes: a py-spy profile of the Tornado app, sorted by layer.

`bench/core_loop.py --profile-api` records each transition's load phase (the same
`Recording` as bench/db_profile.py, from outside, `--nonblocking`) and prints, per
transition, each layer's share of the busy samples and the milliseconds of API CPU per
request that share stands for. A sample goes to the first layer of LAYERS found in its
stack (an outside call's driver work counts as that call, a query's as the driver), else
to the innermost of our own code or Tornado's; samples of a waiting thread are left out.
"""

from __future__ import annotations

import collections
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # also run as a script

from bench import db_profile

# (layer, any of these path fragments in a frame's file), first found wins
LAYERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    # wechatpy is synchronous (requests): the gateway runs it on a thread pool
    (
        "WeChat calls: msgSecCheck, subscribe pushes (wechatpy, requests)",
        ("server/wechat.py", "wechatpy/", "requests/", "urllib3/"),
    ),
    ("pymongo driver + BSON (commands, pool, sockets)", ("pymongo/", "bson/")),
    ("marshmallow (request and response schemas)", ("marshmallow/",)),
    ("JSON encode / decode", ("json/",)),
    ("logging (access log, structured logs)", ("logging/",)),
)
APP = ("models/", "handlers/", "server/", "jobs/")
TORNADO = ("tornado/",)
APP_LAYER = "our code (handlers, models, rules)"
TORNADO_LAYER = "Tornado (HTTP parsing, routing, writing)"
LOOP_LAYER = "event loop and the rest"
ORDER = [*(name for name, _ in LAYERS), APP_LAYER, TORNADO_LAYER, LOOP_LAYER]
# innermost frames of a thread that waits (py-spy samples some of them as active): the
# event loop's select, a pool worker waiting for work, a socket waiting for its answer
IDLE = ("select", "poll", "epoll_wait", "do_poll", "_worker", "readinto", "recv_into", "wait")


def _frames(stack: str) -> list[tuple[str, str]]:
    """'fn (path/file.py:12);…' → [(fn, path/file.py), …], outermost first."""
    out = []
    for frame in stack.split(";"):
        name, _, rest = frame.partition(" (")
        out.append((name.strip(), rest.rsplit(":", 1)[0]))
    return out


def layer_of(frames: list[tuple[str, str]]) -> str | None:
    if not frames or frames[-1][0] in IDLE:
        return None  # the loop waiting for the next event
    files = [f for _, f in frames]
    for name, parts in LAYERS:
        if any(p in f for f in files for p in parts):
            return name
    for _, f in reversed(frames):
        if any(p in f for p in APP):
            return APP_LAYER
        if any(p in f for p in TORNADO):
            return TORNADO_LAYER
    return LOOP_LAYER


def classify(raw: Path) -> collections.Counter[str]:
    counts: collections.Counter[str] = collections.Counter()
    for stack, n in db_profile.stacks(raw):
        layer = layer_of(_frames(stack))
        if layer is not None:
            counts[layer] += n
    return counts


def report(per_step: dict[str, tuple[collections.Counter[str], float]]) -> None:
    """Print, per transition, each layer's share of busy samples and its ms per request."""
    if not per_step:
        return
    db_profile.shares(
        "where the API CPU goes (py-spy samples of the API process during each phase; "
        "% of busy samples, ms = share × API CPU per request):",
        [(layer, layer) for layer in ORDER],
        per_step,
    )
    print("  samples: " + "  ".join(f"{s} {sum(per_step[s][0].values())}" for s in per_step))


if __name__ == "__main__":  # summarise a raw file: python bench/api_profile.py FILE
    got = classify(Path(sys.argv[1]))
    report({os.path.basename(sys.argv[1]): (got, 1.0)})
