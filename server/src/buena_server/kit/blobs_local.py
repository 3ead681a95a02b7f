"""The blob store in a local directory (``BUENA_STORAGE_URL=file:<dir>``, the default).

A key is a relative path under the directory. A write goes to a temporary file beside its
target (same directory, so the same file system), is flushed to disk, then renamed over the
target with ``os.replace``: a reader sees the old blob or the whole new one, and a crash
mid-write leaves only a ``.tmp-*`` file that no key names (``delete_prefix`` removes those
too). The file system calls run in a worker thread, so a large blob never holds the loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
from collections.abc import AsyncIterator
from pathlib import Path
from typing import BinaryIO
from urllib.parse import unquote, urlsplit

from buena_server.kit.blob_keys import BlobNotFoundError, check_key

_TEMP_PREFIX = ".tmp-"


class LocalBlobStore:
    """Blobs as files under ``root``."""

    def __init__(self, root: Path) -> None:
        self.root = root

    @classmethod
    def from_url(cls, url: str) -> LocalBlobStore:
        """``file:var/blobs`` (relative to the working directory) or ``file:///abs/dir``."""
        if not url.startswith("file:"):
            raise ValueError("a local blob store's URL starts with file:")
        parts = urlsplit(url)
        path = unquote(parts.path) if parts.netloc in {"", "localhost"} else ""
        if not path:
            raise ValueError("BUENA_STORAGE_URL=file:<dir> needs a directory")
        return cls(Path(path))

    def _path(self, key: str) -> Path:
        return self.root.joinpath(*check_key(key).split("/"))

    async def put(self, key: str, data: bytes, content_type: str) -> None:
        await asyncio.to_thread(_write_atomically, self._path(key), data)

    async def get(self, key: str) -> bytes:
        path = self._path(key)
        try:
            return await asyncio.to_thread(path.read_bytes)
        except (FileNotFoundError, NotADirectoryError):
            raise BlobNotFoundError(key) from None

    async def stream(self, key: str, chunk_size: int = 65_536) -> AsyncIterator[bytes]:
        path = self._path(key)
        try:
            file: BinaryIO = await asyncio.to_thread(open, path, "rb")
        except (FileNotFoundError, NotADirectoryError):
            raise BlobNotFoundError(key) from None
        try:
            while chunk := await asyncio.to_thread(file.read, chunk_size):
                yield chunk
        finally:
            await asyncio.to_thread(file.close)

    async def exists(self, key: str) -> bool:
        return await asyncio.to_thread(self._path(key).is_file)

    async def delete_prefix(self, prefix: str) -> int:
        return await asyncio.to_thread(_delete_tree, self._path(prefix))

    async def close(self) -> None:
        """Nothing held open between calls."""


def _write_atomically(target: Path, data: bytes) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f"{_TEMP_PREFIX}{target.name}.{secrets.token_hex(6)}")
    try:
        with open(temporary, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            temporary.unlink()
        raise


def _delete_tree(path: Path) -> int:
    """Delete the blob at ``path`` and every blob under it, then the emptied directories;
    how many blobs (temporary files of unfinished writes are removed but not counted). A
    file another call removed first is not an error; any other failure raises."""
    if path.is_file():
        path.unlink(missing_ok=True)
        return 1
    if not path.is_dir():
        return 0
    count = 0
    for directory, subdirectories, files in os.walk(path, topdown=False):
        for name in files:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(os.path.join(directory, name))
                count += not name.startswith(_TEMP_PREFIX)
        for name in subdirectories:
            with contextlib.suppress(FileNotFoundError):
                os.rmdir(os.path.join(directory, name))
    with contextlib.suppress(FileNotFoundError):
        path.rmdir()
    return count
