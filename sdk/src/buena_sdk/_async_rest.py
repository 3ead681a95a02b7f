"""The asynchronous transport over aiohttp.

The ``ClientSession`` is created on first use, inside the running event loop (creating it
outside a loop is deprecated in aiohttp), and closed by ``aclose()``, which
``async with ApiClient(...)`` calls on exit.
"""

import asyncio
import ssl
from collections.abc import AsyncIterator
from typing import Any, Optional, Union

import aiohttp
from urllib3 import HTTPHeaderDict

from buena_sdk._transport import HttpRequest, HttpResponse, connect_and_read
from buena_sdk.configuration import Configuration
from buena_sdk.exceptions import ApiConnectionError, ApiTimeoutError


class AsyncRESTClientObject:
    """Sends requests through one aiohttp ``ClientSession`` bound to one event loop."""

    def __init__(self, configuration: Configuration) -> None:
        self._configuration = configuration
        self._session: Optional[aiohttp.ClientSession] = None
        self._loop: Optional[asyncio.AbstractEventLoop] = None
        # The last ClientTimeout built: immutable, so reused while the timeout is unchanged.
        self._timeout = aiohttp.ClientTimeout(total=configuration.timeout)

    @property
    def session(self) -> Optional[aiohttp.ClientSession]:
        """The open session, or None before the first request and after ``aclose()``."""
        return self._session

    async def arequest(self, request: HttpRequest) -> HttpResponse:
        session = self._session_for_running_loop()
        if isinstance(request.timeout, tuple):
            connect, read = request.timeout
            timeout = aiohttp.ClientTimeout(total=None, sock_connect=connect, sock_read=read)
        else:
            timeout = self._timeout
            if timeout.total != request.timeout:
                timeout = self._timeout = aiohttp.ClientTimeout(total=request.timeout)
        try:
            async with self._send(session, request, timeout) as response:
                body = await response.read()
                headers = HTTPHeaderDict()
                for name, value in response.headers.items():
                    headers.add(name, value)
                return HttpResponse(response.status, response.reason or "", headers, body)
        except (asyncio.TimeoutError, aiohttp.ClientError) as exc:
            raise connection_error_from_aiohttp(exc, request, WHOLE_REQUEST) from exc

    async def astream(self, request: HttpRequest) -> "AiohttpStream":
        """Send ``request`` and return once the head has arrived; the body is read as it
        comes. ``request.timeout`` bounds the connection and each read, not the transfer."""
        session = self._session_for_running_loop()
        connect, read = connect_and_read(request.timeout)
        timeout = aiohttp.ClientTimeout(total=None, sock_connect=connect, sock_read=read)
        try:
            response = await self._send(session, request, timeout)
        except (asyncio.TimeoutError, aiohttp.ClientError) as exc:
            raise connection_error_from_aiohttp(exc, request, EACH_READ) from exc
        return AiohttpStream(response, request)

    def _send(
        self,
        session: aiohttp.ClientSession,
        request: HttpRequest,
        timeout: aiohttp.ClientTimeout,
    ) -> Any:
        """The request, to await (a streamed body) or enter with ``async with``."""
        # aiohttp copies the headers into its own CIMultiDict and never changes ours.
        return session.request(
            request.method,
            request.url,
            headers=request.headers,
            data=request.body,
            timeout=timeout,
            proxy=self._configuration.proxy,
            proxy_headers=self._configuration.proxy_headers,
            allow_redirects=False,
        )

    async def aclose(self) -> None:
        session, self._session, self._loop = self._session, None, None
        if session is not None and not session.closed:
            await session.close()

    def _session_for_running_loop(self) -> aiohttp.ClientSession:
        loop = asyncio.get_running_loop()
        if self._session is not None and not self._session.closed:
            if self._loop is not loop:
                # A session cannot be used, nor closed cleanly, from another loop.
                raise RuntimeError(
                    "This ApiClient's async session belongs to another event loop; "
                    "use one ApiClient per event loop, or close it with "
                    "`await api_client.aclose()` before switching loops."
                )
            return self._session
        connector = aiohttp.TCPConnector(
            limit=self._configuration.connection_pool_maxsize,
            ssl=_ssl_setting(self._configuration),
        )
        self._session = aiohttp.ClientSession(connector=connector)
        self._loop = loop
        return self._session


class AiohttpStream:
    """An aiohttp response read chunk by chunk (see ``_transport.AsyncHttpStream``)."""

    CHUNK_SIZE = 64 * 1024

    def __init__(self, response: aiohttp.ClientResponse, request: HttpRequest) -> None:
        self._response = response
        # The aiohttp response itself (what ``*_without_preload_content_async`` returns).
        self.raw = response
        self._request = request
        self.status: int = response.status
        self.reason: str = response.reason or ""
        headers = HTTPHeaderDict()
        for name, value in response.headers.items():
            headers.add(name, value)
        self.headers = headers

    async def chunks(self) -> AsyncIterator[bytes]:
        try:
            async for chunk in self._response.content.iter_chunked(self.CHUNK_SIZE):
                yield chunk
        except (asyncio.TimeoutError, aiohttp.ClientError) as exc:
            raise connection_error_from_aiohttp(exc, self._request, EACH_READ) from exc

    async def aclose(self) -> None:
        self._response.release()


# What the timeout bounds: a whole request (``arequest``), or the connection and each read
# of a streamed body (``astream``).
WHOLE_REQUEST = "for the whole request"
EACH_READ = "to connect and for each read"


def connection_error_from_aiohttp(
    exc: Union[asyncio.TimeoutError, aiohttp.ClientError],
    request: HttpRequest,
    timeout_scope: str = WHOLE_REQUEST,
) -> ApiConnectionError:
    """Map an aiohttp failure to the SDK's error, noting whether the request went out."""
    detail = f"{type(exc).__name__}: {exc}"
    if isinstance(exc, asyncio.TimeoutError):
        # asyncio's TimeoutError has no message: say what timed out and after how long.
        what = str(exc) or "timed out"
        detail = (
            f"{type(exc).__name__}: {request.method} {request.url}: {what} "
            f"(timeout={request.timeout} s {timeout_scope})"
        )
        # aiohttp cannot tell a connect timeout from a read timeout under a total
        # timeout, so assume the request went out: a POST is then not repeated.
        return ApiTimeoutError(detail, request_sent=True)
    if isinstance(exc, aiohttp.ClientConnectorError):
        # Raised while opening the connection (refused, DNS, TLS handshake, proxy).
        return ApiConnectionError(detail, request_sent=False)
    return ApiConnectionError(detail, request_sent=True)


def _ssl_setting(configuration: Configuration) -> Union[ssl.SSLContext, bool]:
    if not configuration.verify_ssl:
        return False
    if configuration.ssl_ca_cert is None and configuration.cert_file is None:
        return True  # aiohttp's default verified context
    context = ssl.create_default_context(cafile=configuration.ssl_ca_cert)
    if configuration.cert_file is not None:
        context.load_cert_chain(configuration.cert_file, configuration.key_file)
    return context
