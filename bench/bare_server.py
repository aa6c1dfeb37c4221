"""The baseline: a bare Tornado JSON endpoint, run as its own process like the API server.

`python bench/bare_server.py PORT` serves `GET /json` → a small JSON object, nothing else
(no auth, no DB, no logging), so the bench can measure what Tornado itself costs.
"""

from __future__ import annotations

import asyncio
import json
import signal
import sys

import tornado.httpserver
import tornado.web


class JsonHandler(tornado.web.RequestHandler):
    def get(self) -> None:
        self.set_header("Content-Type", "application/json; charset=UTF-8")
        self.finish(json.dumps({"status": "ok", "message": "同心"}, ensure_ascii=False))


async def main(port: int) -> None:
    app = tornado.web.Application([(r"/json", JsonHandler)], log_function=lambda _h: None)
    server = tornado.httpserver.HTTPServer(app)
    server.listen(port, "127.0.0.1")
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    server.stop()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1])))
