"""The raw responses ``*_without_preload_content`` returns, whatever the transport."""

import io
from collections.abc import Mapping
from typing import Union

import urllib3

from buena_sdk._transport import AsyncBufferedStream, AsyncHttpStream, HttpStream
from buena_sdk._transport import AsyncRawResponse as AsyncRawResponse


def sync_raw(opened: HttpStream) -> urllib3.BaseHTTPResponse:
    """The urllib3 response, unread; a transport that does not stream (or an error answer
    the loop had to read) gives one over the bytes read."""
    raw = getattr(opened, "raw", None)
    if isinstance(raw, urllib3.BaseHTTPResponse):
        return raw
    body = b"".join(opened.chunks())
    opened.close()
    return urllib3.HTTPResponse(
        body=io.BytesIO(body),
        headers=opened.headers,
        status=opened.status,
        reason=opened.reason,
        preload_content=False,
    )


class BufferedAsyncResponse:
    """An :class:`AsyncRawResponse` over bytes already read."""

    def __init__(self, status: int, reason: str, headers: Mapping[str, str], body: bytes):
        self.status = status
        self.reason = reason
        self.headers = headers
        self._body = body

    async def read(self) -> bytes:
        return self._body

    def release(self) -> None:
        pass


async def async_raw(opened: Union[AsyncHttpStream, AsyncBufferedStream]) -> AsyncRawResponse:
    """The aiohttp response, unread; other transports (and an error answer the loop had
    to read) give one over the bytes."""
    raw = getattr(opened, "raw", None)
    if raw is not None:
        response: AsyncRawResponse = raw
        return response
    body = b"".join([chunk async for chunk in opened.chunks()])
    await opened.aclose()
    return BufferedAsyncResponse(opened.status, opened.reason, opened.headers, body)
