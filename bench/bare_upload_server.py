"""The upload baseline: a bare Tornado endpoint taking the same multipart body.

`python bench/bare_upload_server.py PORT` serves `POST /upload` (the multipart body parsed
by Tornado, answered 201 with the file's size) and `GET /json`; no auth, DB or imaging, so
bench/media.py can say what our upload costs on top of receiving the bytes.
"""

from __future__ import annotations

import asyncio
import json
import signal
import sys

import tornado.httpserver
import tornado.web


class UploadHandler(tornado.web.RequestHandler):
    def post(self) -> None:
        files = self.request.files.get("file") or []
        self.set_status(201 if files else 400)
        self.set_header("Content-Type", "application/json; charset=UTF-8")
        self.finish(json.dumps({"bytes": len(files[0]["body"]) if files else 0}))


class JsonHandler(tornado.web.RequestHandler):
    def get(self) -> None:
        self.finish({"status": "ok"})


async def main(port: int) -> None:
    app = tornado.web.Application(
        [(r"/upload", UploadHandler), (r"/json", JsonHandler)], log_function=lambda _h: None
    )
    server = tornado.httpserver.HTTPServer(app, max_body_size=64 * 1024 * 1024)
    server.listen(port, "127.0.0.1")
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    server.stop()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1])))
