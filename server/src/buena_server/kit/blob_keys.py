"""Blob keys and the missing-blob error, shared by the blob store seam (blobs.py) and every
store (kept apart from blobs.py, whose factory imports the stores)."""

from __future__ import annotations

import re

_SEGMENT = re.compile(r"^[A-Za-z0-9._-]{1,200}$")


class BlobNotFoundError(LookupError):
    """No blob under the key."""


def check_key(key: str) -> str:
    """The key itself when it is a safe relative path, else `ValueError`."""
    parts = key.split("/")
    if not parts or any(not _SEGMENT.match(p) or p in {".", ".."} for p in parts):
        raise ValueError(f"invalid blob key: {key!r}")
    return key
