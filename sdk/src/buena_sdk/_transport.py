"""The one I/O seam: what the request loop hands a transport and gets back.

A transport sends one attempt and reports what happened; it never retries (except a
user-installed urllib3 pool manager, see ``rest.py``), never raises for an HTTP status,
and turns every failure without a response into ``ApiConnectionError`` or
``ApiTimeoutError``, setting ``request_sent=False`` only when it is sure nothing was sent.
Tests substitute a fake transport and need no socket.
"""

from collections.abc import AsyncIterator, Iterator, Mapping
from dataclasses import dataclass
from typing import Optional, Protocol, Union, runtime_checkable

# Seconds for a whole attempt, or a (connect, each read) pair; None waits forever.
Timeout = Union[None, float, tuple[float, float]]


def connect_and_read(timeout: Timeout) -> tuple[Optional[float], Optional[float]]:
    """The (connect, read) bounds of ``timeout``: a single number bounds both."""
    if isinstance(timeout, tuple):
        return timeout
    return timeout, timeout


@dataclass(frozen=True)
class HttpRequest:
    """One fully built attempt: the loop sends the same object on every retry."""

    method: str
    url: str
    headers: Mapping[str, str]
    body: Optional[bytes] = None
    # Seconds for the whole attempt (or a (connect, read) pair); None waits forever.
    timeout: Timeout = None


@dataclass(frozen=True)
class HttpResponse:
    """A response read to the end. ``headers`` must look names up case-insensitively."""

    status: int
    reason: str
    headers: Mapping[str, str]
    body: bytes

    @property
    def is_success(self) -> bool:
        return 200 <= self.status <= 299


@runtime_checkable
class SyncTransport(Protocol):
    def request(self, request: HttpRequest) -> HttpResponse: ...

    def close(self) -> None: ...


@runtime_checkable
class AsyncTransport(Protocol):
    async def arequest(self, request: HttpRequest) -> HttpResponse: ...

    async def aclose(self) -> None: ...


class HttpStream(Protocol):
    """A response whose body is read as it arrives (``export_leads``): the status and
    headers are known, the body comes through ``chunks()``; ``close()`` releases the
    connection, read to the end or not."""

    status: int
    reason: str
    headers: Mapping[str, str]

    def chunks(self) -> Iterator[bytes]: ...

    def close(self) -> None: ...


class AsyncHttpStream(Protocol):
    """The async form of :class:`HttpStream`."""

    status: int
    reason: str
    headers: Mapping[str, str]

    def chunks(self) -> AsyncIterator[bytes]: ...

    async def aclose(self) -> None: ...


@runtime_checkable
class SyncStreamingTransport(Protocol):
    """A transport that can also hand over a body as it arrives. A transport without
    ``stream`` still works for streamed operations: its whole body is one chunk."""

    def stream(self, request: HttpRequest) -> HttpStream: ...


@runtime_checkable
class AsyncStreamingTransport(Protocol):
    async def astream(self, request: HttpRequest) -> AsyncHttpStream: ...


class BufferedStream:
    """An ``HttpResponse`` already read, as an :class:`HttpStream`."""

    def __init__(self, response: HttpResponse) -> None:
        self.status = response.status
        self.reason = response.reason
        self.headers = response.headers
        self._body = response.body

    def chunks(self) -> Iterator[bytes]:
        if self._body:
            yield self._body

    def close(self) -> None:
        self._body = b""


class AsyncBufferedStream:
    """An ``HttpResponse`` already read, as an :class:`AsyncHttpStream`."""

    def __init__(self, response: HttpResponse) -> None:
        self.status = response.status
        self.reason = response.reason
        self.headers = response.headers
        self.body = response.body

    async def chunks(self) -> AsyncIterator[bytes]:
        if self.body:
            yield self.body

    async def aclose(self) -> None:
        pass


class AsyncRawResponse(Protocol):
    """What ``*_without_preload_content_async`` returns: the transport's response, its
    body not yet read (an ``aiohttp.ClientResponse`` over the default transport)."""

    @property
    def status(self) -> int: ...

    @property
    def headers(self) -> Mapping[str, str]: ...

    async def read(self) -> bytes: ...

    def release(self) -> object: ...
