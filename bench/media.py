"""Photo uploads: uploads per second and peak memory for 5 MB images, against a bare endpoint.

The API server (`python -m server serve`, embedded SecantusDB, GridFS, the fake WeChat for
login and the image check) and a bare Tornado endpoint taking the same multipart body
(bench/bare_upload_server.py) run as their own processes. The same 5 MB JPEG (camera-like
noise, EXIF with GPS) is posted to each, `--uploads` times with `--concurrency` clients.
Printed: uploads/s, median and p95 latency, and each server's peak resident memory
(VmHWM), with our figures as a ratio to the bare endpoint's, measured in the same run.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import os
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import tornado.httpclient  # noqa: E402
from PIL import ExifTags, Image  # noqa: E402

from bench.core_loop import HOST, Child, server_env, wait_ready  # noqa: E402
from server.embedded import EmbeddedMongo, free_port  # noqa: E402
from tests.fakes.wechat import FakeWeChat  # noqa: E402


def five_mb_jpeg(target: int = 5 * 1000 * 1000) -> bytes:
    """A JPEG just under 5 MB (noise does not compress) with camera EXIF and GPS."""
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "BenchCam"
    exif.get_ifd(ExifTags.IFD.GPSInfo)[ExifTags.GPS.GPSLatitude] = (39.0, 54.0, 27.0)
    side = 1400
    best = b""
    for _ in range(12):
        img = Image.frombytes("RGB", (side, side), os.urandom(side * side * 3))
        buf = io.BytesIO()
        img.save(buf, "JPEG", quality=95, exif=exif.tobytes())
        data = buf.getvalue()
        if len(data) <= target:
            best = data
            side = int(side * (target / len(data)) ** 0.5 * 0.995)
            if len(data) > target * 0.97:
                return data
        else:
            side = int(side * (target / len(data)) ** 0.5 * 0.99)
    return best


def multipart(data: bytes) -> tuple[bytes, str]:
    boundary = "----Bench" + uuid.uuid4().hex
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.jpg"\r\n'
        "Content-Type: image/jpeg\r\n\r\n"
    ).encode()
    return (
        head + data + f"\r\n--{boundary}--\r\n".encode(),
        f"multipart/form-data; boundary={boundary}",
    )


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def drive(url: str, body: bytes, ctype: str, token: str | None, n: int, conc: int) -> dict:
    client = tornado.httpclient.AsyncHTTPClient(force_instance=True, max_clients=conc)
    headers = {"Content-Type": ctype}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    latencies: list[float] = []
    errors: dict[int, int] = {}
    todo = iter(range(n))

    async def worker() -> None:
        for _ in todo:
            t0 = time.perf_counter()
            resp = await client.fetch(
                url,
                method="POST",
                body=body,
                headers=headers,
                raise_error=False,
                request_timeout=120,
            )
            latencies.append((time.perf_counter() - t0) * 1000)
            if resp.code not in (200, 201):
                errors[resp.code] = errors.get(resp.code, 0) + 1

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(conc)))
    seconds = time.perf_counter() - started
    client.close()
    cuts = (
        statistics.quantiles(latencies, n=20, method="inclusive")
        if len(latencies) > 1
        else latencies * 19
    )
    return {
        "n": n,
        "errors": errors,
        "rps": n / seconds,
        "p50": statistics.median(latencies),
        "p95": cuts[18],
    }


async def run(uploads: int, concurrency: int) -> int:
    image = five_mb_jpeg()
    body, ctype = multipart(image)
    print(
        f"image: {len(image) / 1e6:.2f} MB JPEG ({Image.open(io.BytesIO(image)).size[0]} px), "
        f"{uploads} uploads, concurrency {concurrency}, cores: {os.cpu_count()}, "
        f"load average {os.getloadavg()[0]:.1f}"
    )
    with tempfile.TemporaryDirectory(prefix="tongxin-bench-media-") as tmp:
        db = EmbeddedMongo(os.path.join(tmp, "db"), free_port())
        db.start()
        wechat = FakeWeChat()
        wechat.start()
        api_port, bare_port = free_port(), free_port()
        env = server_env(db.uri, "bench_media", api_port, wechat.base)
        env["TONGXIN_MEDIA_DAILY_QUOTA"] = str(uploads * 4 + 10)
        api = Child("api", [sys.executable, "-m", "server", "serve"], env, Path(tmp) / "api.log")
        bare = Child(
            "bare",
            [sys.executable, str(ROOT / "bench" / "bare_upload_server.py"), str(bare_port)],
            env,
            Path(tmp) / "bare.log",
        )
        try:
            await wait_ready(api, api_port, "/readyz", 60)
            await wait_ready(bare, bare_port, "/json")
            client = tornado.httpclient.AsyncHTTPClient(force_instance=True)
            resp = await client.fetch(
                f"http://{HOST}:{api_port}/api/v1/auth/wechat-login",
                method="POST",
                body=b'{"code": "ok:bench-uploader"}',
                headers={"Content-Type": "application/json"},
            )
            import json

            token = json.loads(resp.body)["token"]
            client.close()
            base_rss = {"api": peak_rss_mb(api.proc.pid), "bare": peak_rss_mb(bare.proc.pid)}
            # a warm-up upload each, then the measured runs
            await drive(f"http://{HOST}:{bare_port}/upload", body, ctype, None, 1, 1)
            await drive(f"http://{HOST}:{api_port}/api/v1/media", body, ctype, token, 1, 1)
            bare_r = await drive(
                f"http://{HOST}:{bare_port}/upload", body, ctype, None, uploads, concurrency
            )
            api_r = await drive(
                f"http://{HOST}:{api_port}/api/v1/media", body, ctype, token, uploads, concurrency
            )
            peak = {"api": peak_rss_mb(api.proc.pid), "bare": peak_rss_mb(bare.proc.pid)}
            if api_r["errors"]:
                print("api log:\n" + api.tail(30))
        finally:
            api.stop()
            bare.stop()
            wechat.stop()
            db.stop()
    print()
    print(
        f"{'server':<8}{'uploads':>8}{'errors':>8}{'uploads/s':>11}{'p50 ms':>9}{'p95 ms':>9}"
        f"{'idle MB':>9}{'peak MB':>9}"
    )
    for name, r in (("bare", bare_r), ("media", api_r)):
        key = "bare" if name == "bare" else "api"
        print(
            f"{name:<8}{r['n']:>8}{sum(r['errors'].values()):>8}{r['rps']:>11.2f}{r['p50']:>9.0f}"
            f"{r['p95']:>9.0f}{base_rss[key]:>9.0f}{peak[key]:>9.0f}"
        )
    print()
    growth = (peak["api"] - base_rss["api"]) / max(1.0, peak["bare"] - base_rss["bare"])
    print(
        f"ratio media/bare: throughput {api_r['rps'] / bare_r['rps']:.3f}, "
        f"p50 latency {api_r['p50'] / bare_r['p50']:.1f}x, "
        f"peak memory {peak['api'] / peak['bare']:.2f}x, memory growth {growth:.2f}x"
    )
    failed = sum(api_r["errors"].values()) + sum(bare_r["errors"].values())
    if failed:
        print(f"ERRORS: media {api_r['errors']}, bare {bare_r['errors']}")
    return 1 if failed else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--uploads", type=int, default=40)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--quick", action="store_true", help="a short run (smoke test)")
    args = parser.parse_args(argv)
    if args.quick:
        args.uploads, args.concurrency = 4, 2
    return asyncio.run(run(args.uploads, args.concurrency))


if __name__ == "__main__":
    sys.exit(main())
