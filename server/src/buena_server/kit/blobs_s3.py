"""The S3-compatible blob store (`BUENA_STORAGE_URL=s3://bucket/prefix?endpoint_url=...&region=...`).

Built on obstore (the Rust `object_store` crate's Python binding): one compiled wheel with no
Python dependencies, async calls that never block the event loop, typed; docs/design.md says
why it over aiobotocore / boto3. Credentials come from the standard AWS variables
(``AWS_ACCESS_KEY_ID``, ``AWS_SECRET_ACCESS_KEY``, ``AWS_SESSION_TOKEN``, …), which obstore
reads itself. A missing object is the builtin `FileNotFoundError` from obstore (its own
`NotFoundError` is deprecated). An S3 PUT replaces an object whole, so a write is atomic as
the seam requires.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

import obstore
from obstore.store import S3Store

from buena_server.kit.blob_keys import BlobNotFoundError, check_key

if TYPE_CHECKING:
    from obstore.store import ClientConfig, S3Config

_QUERY_KEYS = {"endpoint_url", "region", "allow_http"}
# S3's DeleteObjects takes at most 1,000 keys; listing in pages of that size lets each page
# go in one delete call.
_PAGE = 1_000


class S3BlobStore:
    """`kit.blobs.BlobStore` on an S3 bucket, under an optional key prefix."""

    def __init__(self, store: S3Store) -> None:
        self._store = store

    @classmethod
    def from_url(cls, url: str) -> S3BlobStore:
        """``s3://bucket[/prefix][?endpoint_url=http://host:9000&region=eu-west-1]``;
        `ValueError` for anything else. ``endpoint_url`` for MinIO, Ceph, R2, a local fake…
        (plain http allowed for an http endpoint); ``region`` defaults to the AWS variables'."""
        parts = urlsplit(url)
        if parts.scheme != "s3" or not parts.netloc:
            raise ValueError("an S3 storage URL looks like s3://bucket/prefix")
        query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
        if unknown := set(query) - _QUERY_KEYS:
            raise ValueError(f"unknown S3 storage URL parameters: {', '.join(sorted(unknown))}")
        prefix = parts.path.strip("/")
        if prefix:
            check_key(prefix)
        config: S3Config = {}
        client: ClientConfig = {}
        if endpoint := query.get("endpoint_url"):
            config["endpoint"] = endpoint
            if endpoint.startswith("http://"):
                client["allow_http"] = True
        if region := query.get("region"):
            config["region"] = region
        store = S3Store(parts.netloc, prefix=prefix or None, config=config, client_options=client)
        return cls(store)

    async def put(self, key: str, data: bytes, content_type: str) -> None:
        await obstore.put_async(
            self._store, check_key(key), data, attributes={"Content-Type": content_type}
        )

    async def get(self, key: str) -> bytes:
        try:
            result = await obstore.get_async(self._store, check_key(key))
            return bytes(await result.bytes_async())
        except FileNotFoundError as exc:
            raise BlobNotFoundError(key) from exc

    async def stream(self, key: str, chunk_size: int = 65_536) -> AsyncIterator[bytes]:
        check_key(key)
        try:
            result = await obstore.get_async(self._store, key)
        except FileNotFoundError as exc:
            raise BlobNotFoundError(key) from exc
        # The network's pieces are merged up to chunk_size and cut down to it.
        async for piece in result.stream(min_chunk_size=chunk_size):
            data = bytes(piece)
            for start in range(0, len(data), chunk_size):
                yield data[start : start + chunk_size]

    async def exists(self, key: str) -> bool:
        try:
            await obstore.head_async(self._store, check_key(key))
        except FileNotFoundError:
            return False
        return True

    async def delete_prefix(self, prefix: str) -> int:
        check_key(prefix)
        # A listing is by whole path segments: "voice/a" covers "voice/a/x", not "voice/ab".
        # All keys first, then deletes of up to 1,000 (one DeleteObjects call each): deleting
        # while paging would move the listing under its own continuation token.
        pages: Any = obstore.list(self._store, prefix, chunk_size=_PAGE)
        paths = [meta["path"] async for page in pages for meta in page]
        for start in range(0, len(paths), _PAGE):
            await obstore.delete_async(self._store, paths[start : start + _PAGE])
        deleted = len(paths)
        if await self.exists(prefix):
            await obstore.delete_async(self._store, prefix)
            deleted += 1
        return deleted

    async def close(self) -> None:
        """Nothing to release: obstore's connection pool closes with the store."""
