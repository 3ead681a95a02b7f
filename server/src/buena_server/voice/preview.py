"""Previews: a clone saying a text, as MP3, cached in the blob store.

Apart from the route (which parses, authorises and loads the clone): given the clone's few
fields and the text, `preview` answers the audio. The cache key covers everything that changes
the sound: the engine (name and version), the clone, the text, its settings and its profile;
blob key ``voice/<account>/<clone>/previews/<sha256>.mp3``, so deleting the clone's prefix
deletes its previews too.

A hit streams the stored MP3. A miss streams the engine's MP3 to the caller as it is encoded
and stores the whole file once the engine has finished: a synthesis that fails midway, or a
caller that goes away, stores nothing.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import msgspec

from buena_server.errors import VoiceCloneNotReady
from buena_server.kit.blobs import BlobNotFoundError, BlobStore
from buena_server.voice.engine import SynthesisRequest, VoiceEngine
from buena_server.voice.mp3 import CONTENT_TYPE

logger = logging.getLogger("buena_server.voice")

# A preview of 500 characters is ~300 KB at 64 kbit/s: most hits are one or two pieces.
CHUNK_SIZE = 262_144


class PreviewClone(msgspec.Struct, frozen=True, kw_only=True):
    """What a preview needs of a clone."""

    id: str
    account_id: str
    status: str
    settings: dict[str, Any]
    profile: dict[str, Any] | None
    updated_at: datetime
    failure_reason: str | None = None


@dataclass(frozen=True)
class PreviewAudio:
    """The MP3 as an async iterator of bytes; its length when known before sending (a hit)."""

    chunks: AsyncIterator[bytes]
    content_length: int | None
    cached: bool
    key: str


def not_ready(clone_id: str, status: str, failure_reason: str | None) -> VoiceCloneNotReady:
    return VoiceCloneNotReady(
        f"voice clone {clone_id} is {status}, not ready",
        details={"status": status, "failure_reason": failure_reason},
    )


def preview_key(engine: VoiceEngine, clone: PreviewClone, text: str) -> str:
    """The blob key of the preview of `text` by `clone` with `engine`."""
    identity = msgspec.json.encode(
        {
            "engine": [engine.name, engine.version],
            "clone": clone.id,
            "text": text,
            "settings": clone.settings,
            "profile": clone.profile,
        },
        order="sorted",
    )
    digest = hashlib.sha256(identity).hexdigest()
    return f"voice/{clone.account_id}/{clone.id}/previews/{digest}.mp3"


async def preview(
    store: BlobStore, engine: VoiceEngine, clone: PreviewClone, text: str
) -> PreviewAudio:
    """`text` in `clone`'s voice; `VoiceCloneNotReady` unless its status is ready."""
    if clone.status != "ready":
        raise not_ready(clone.id, clone.status, clone.failure_reason)
    key = preview_key(engine, clone, text)
    hit = await _stored(store, key)
    if hit is not None:
        chunks, length = hit
        return PreviewAudio(chunks, length, cached=True, key=key)
    request = SynthesisRequest(text=text, profile=clone.profile, settings=clone.settings)
    return PreviewAudio(_synthesize_and_keep(store, engine, request, key), None, False, key)


async def _stored(store: BlobStore, key: str) -> tuple[AsyncIterator[bytes], int | None] | None:
    """The stored preview's pieces and, when it is one piece, its length; None for a miss."""
    pieces = store.stream(key, CHUNK_SIZE)
    try:
        first = await anext(pieces)
    except (BlobNotFoundError, StopAsyncIteration):
        return None  # an empty blob is no MP3: made again, like a missing one
    try:
        second = await anext(pieces)
    except StopAsyncIteration:
        return _replay([first]), len(first)
    return _replay([first, second], pieces), None


async def _replay(
    taken: list[bytes], rest: AsyncIterator[bytes] | None = None
) -> AsyncIterator[bytes]:
    for piece in taken:
        yield piece
    if rest is not None:
        async for piece in rest:
            yield piece


async def _synthesize_and_keep(
    store: BlobStore, engine: VoiceEngine, request: SynthesisRequest, key: str
) -> AsyncIterator[bytes]:
    made: list[bytes] = []
    synthesis = engine.synthesize(request)
    try:
        async for piece in synthesis:
            made.append(piece)
            yield piece
    finally:
        aclose = getattr(synthesis, "aclose", None)
        if aclose is not None:
            await aclose()
    # Reached only when the engine finished and the caller took every piece.
    try:
        await store.put(key, b"".join(made), CONTENT_TYPE)
    except Exception:
        # The caller has the whole preview already; the next one is synthesised again.
        logger.warning("could not store the voice preview %s", key, exc_info=True)
