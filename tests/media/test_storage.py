"""Both blob stores behind the one interface: GridFS on the embedded SecantusDB (the default)
and an S3-compatible server (moto's server mode on loopback, started here)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from models.media.storage import GridFSStore, S3Store, store_for
from server.config import load_config
from server.embedded import free_port
from tests.media.conftest import fetch, upload
from tests.media.samples import has_gps, photo


async def roundtrip(store) -> None:
    big = bytes(range(256)) * 4096 * 3  # 3 MB: several GridFS chunks
    await store.put("k1/full", big, "image/jpeg")
    await store.put("k1/thumb", b"small", "image/jpeg")
    assert await store.get("k1/full") == big
    assert await store.get("k1/thumb") == b"small"
    await store.delete("k1/full")
    assert await store.get("k1/full") is None
    await store.delete("k1/full")  # deleting twice is fine
    assert await store.get("missing/full") is None
    await store.delete("k1/thumb")


@pytest.mark.gen_test(timeout=60)
async def test_gridfs_on_the_embedded_database(ctx):
    assert load_config(environ={}).media.backend == "gridfs"  # the default
    await roundtrip(GridFSStore(ctx))


@pytest.fixture
def s3_server() -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture
def config(config, s3_server):
    return config.replace(
        media={
            "backend": "s3",
            "s3_endpoint": s3_server,
            "s3_bucket": "tongxin-test",
            "s3_region": "us-east-1",
            "s3_access_key": "test",
            "s3_secret_key": "test",
        }
    )


@pytest.mark.slow  # starts moto's S3 server
@pytest.mark.gen_test(timeout=60)
async def test_s3_backend_over_http(api, world, ctx):
    store = store_for(ctx)
    assert isinstance(store, S3Store)
    store.client.create_bucket(Bucket="tongxin-test")
    await roundtrip(store)
    token = await api.login("openid-owner")
    status, body = await upload(api, token, photo(size=(500, 300)))
    assert status == 201, body
    resp = await fetch(api, body["url"])
    assert resp.code == 200 and not has_gps(resp.body)
    keys = [o["Key"] for o in store.client.list_objects_v2(Bucket="tongxin-test")["Contents"]]
    assert sorted(keys) == sorted([f"{body['id']}/full", f"{body['id']}/thumb"])
    assert await ctx.db["media_blobs.files"].count_documents({}) == 0
