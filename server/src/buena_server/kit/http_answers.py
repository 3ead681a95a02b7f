"""Reading the answer of a server we do not control (a webhook receiver, an enrichment
service): never more than a cap, and a short excerpt for error messages."""

from __future__ import annotations

import aiohttp

EXCERPT_CHARS = 200


async def read_at_most(response: aiohttp.ClientResponse, limit: int) -> tuple[bytes, bool]:
    """At most ``limit`` bytes of the answer, and whether that was all of it. When more
    follows, the connection is closed rather than drained."""
    read = bytearray()
    while len(read) <= limit:
        chunk = await response.content.read(limit + 1 - len(read))
        if not chunk:
            break
        read += chunk
    if len(read) > limit:
        response.close()
        return bytes(read[:limit]), False
    return bytes(read), True


def excerpt(body: bytes) -> str:
    """The start of ``body`` as text, for a message."""
    return body[: EXCERPT_CHARS * 4].decode(errors="replace")[:EXCERPT_CHARS].strip()
