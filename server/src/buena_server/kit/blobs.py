"""The blob store seam: bytes by key (voice samples, previews), kept apart from the database.

`BUENA_STORAGE_URL` picks the store: ``file:<dir>`` / ``file:///abs/dir`` (the default,
``file:var/blobs``; `kit/blobs_local.py`) or ``s3://bucket/prefix?endpoint_url=...&region=...``
(an S3-compatible service; `kit/blobs_s3.py`). Keys are relative, slash-separated paths made
of ``[A-Za-z0-9._-]`` segments (never ``..``); a store refuses any other key with
`ValueError`. A key names a blob or a folder of blobs, never both (a directory cannot be
both; the keys Buena writes never are). A write is atomic: a reader sees the whole blob or
none (a crashed write leaves nothing under the key).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Protocol

# Re-exported: the seam's names, defined in blob_keys.py for the stores to import.
from buena_server.kit.blob_keys import BlobNotFoundError, check_key

__all__ = ["BlobNotFoundError", "BlobStore", "check_key", "open_blob_store"]


class BlobStore(Protocol):
    """Where bytes live; every method is safe to call from several tasks at once."""

    async def put(self, key: str, data: bytes, content_type: str) -> None:
        """Store `data` under `key` atomically, replacing what was there."""

    async def get(self, key: str) -> bytes:
        """The whole blob; `BlobNotFoundError` when there is none."""

    def stream(self, key: str, chunk_size: int = 65_536) -> AsyncIterator[bytes]:
        """The blob in pieces of at most `chunk_size` bytes; `BlobNotFoundError` at the
        first iteration when there is none."""
        ...

    async def exists(self, key: str) -> bool: ...

    async def delete_prefix(self, prefix: str) -> int:
        """Delete every blob whose key starts with `prefix` + "/"; the number deleted.
        Deleting nothing is not an error."""

    async def close(self) -> None: ...


def open_blob_store(url: str) -> BlobStore:
    """The store `url` names (see the module's docstring); `ValueError` for any other."""
    if url.startswith("file:"):
        from buena_server.kit.blobs_local import LocalBlobStore

        return LocalBlobStore.from_url(url)
    if url.startswith("s3://"):
        from buena_server.kit.blobs_s3 import S3BlobStore

        return S3BlobStore.from_url(url)
    raise ValueError("BUENA_STORAGE_URL must start with file: or s3://")


__all__ = ["BlobNotFoundError", "BlobStore", "check_key", "open_blob_store"]
