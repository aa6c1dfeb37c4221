"""Where image bytes live, behind one small interface: GridFS (default) or S3-compatible.

`media.backend` in config picks one (`TONGXIN_MEDIA_BACKEND=gridfs|s3`). Blobs are keyed by
`<media id>/<variant>`; the media documents (models/media/service.py) hold everything else.
"""

from __future__ import annotations

import asyncio
import functools
from typing import Any, Protocol

from gridfs.asynchronous import AsyncGridFSBucket
from gridfs.errors import NoFile

from models.core.context import Context


class BlobStore(Protocol):
    async def put(self, key: str, data: bytes, content_type: str) -> None: ...

    async def get(self, key: str) -> bytes | None: ...

    async def delete(self, key: str) -> None: ...

    async def exists(self, key: str) -> bool: ...


class GridFSStore:
    """GridFS in the service's own MongoDB (the embedded SecantusDB included)."""

    def __init__(self, ctx: Context, bucket: str = "media_blobs"):
        # 1 MB chunks: a stored photo (≤ ~2 MB after re-encoding) is a few inserts, not eight
        self.bucket = AsyncGridFSBucket(ctx.db, bucket_name=bucket, chunk_size_bytes=1024 * 1024)
        self.files = ctx.db[f"{bucket}.files"]

    async def put(self, key: str, data: bytes, content_type: str) -> None:
        await self.bucket.upload_from_stream_with_id(
            key, key, data, metadata={"content_type": content_type}
        )

    async def get(self, key: str) -> bytes | None:
        try:
            stream = await self.bucket.open_download_stream(key)
        except NoFile:
            return None
        return await stream.read()

    async def delete(self, key: str) -> None:
        try:
            await self.bucket.delete(key)
        except NoFile:
            pass

    async def exists(self, key: str) -> bool:
        return await self.files.find_one({"_id": key}, {"_id": 1}) is not None


class S3Store:
    """Any S3-compatible object store (AWS S3, MinIO, COS/OSS S3 mode); boto3 off the loop."""

    def __init__(self, cfg: Any):
        import boto3
        from botocore.config import Config as BotoConfig

        self.bucket = str(cfg.s3_bucket)
        self.client = boto3.client(
            "s3",
            endpoint_url=str(cfg.s3_endpoint) or None,
            region_name=str(cfg.s3_region) or None,
            aws_access_key_id=str(cfg.s3_access_key) or None,
            aws_secret_access_key=str(cfg.s3_secret_key) or None,
            config=BotoConfig(connect_timeout=5, read_timeout=10, retries={"max_attempts": 2}),
        )

    async def _run(self, fn: Any, **kwargs: Any) -> Any:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(None, functools.partial(fn, **kwargs))

    async def put(self, key: str, data: bytes, content_type: str) -> None:
        await self._run(
            self.client.put_object, Bucket=self.bucket, Key=key, Body=data, ContentType=content_type
        )

    async def get(self, key: str) -> bytes | None:
        from botocore.exceptions import ClientError

        try:
            obj = await self._run(self.client.get_object, Bucket=self.bucket, Key=key)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
                return None
            raise
        return await self._run(obj["Body"].read)

    async def delete(self, key: str) -> None:
        await self._run(self.client.delete_object, Bucket=self.bucket, Key=key)

    async def exists(self, key: str) -> bool:
        from botocore.exceptions import ClientError

        try:
            await self._run(self.client.head_object, Bucket=self.bucket, Key=key)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404", "NotFound"):
                return False
            raise
        return True


def store_for(ctx: Context) -> BlobStore:
    """The configured store, made once per context (one boto3 client per process)."""
    store = ctx.cache.get("media_store")
    if store is None:
        backend = str(ctx.config.media.backend)
        if backend == "s3":
            store = S3Store(ctx.config.media)
        elif backend == "gridfs":
            store = GridFSStore(ctx)
        else:
            raise RuntimeError(f"media.backend must be gridfs or s3, got {backend!r}")
        ctx.cache["media_store"] = store
    return store
