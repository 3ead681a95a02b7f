"""The asynchronous transport over aiohttp.

The ``ClientSession`` is created on first use, inside the running event loop (creating it
outside a loop is deprecated in aiohttp), and closed by ``aclose()``, which
``async with ApiClient(...)`` calls on exit.
"""

import asyncio
import ssl
from typing import Optional, Union

import aiohttp
from urllib3 import HTTPHeaderDict

from buena_sdk._transport import HttpRequest, HttpResponse
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
        configuration = self._configuration
        timeout = self._timeout
        if timeout.total != request.timeout:
            timeout = self._timeout = aiohttp.ClientTimeout(total=request.timeout)
        try:
            # aiohttp copies the headers into its own CIMultiDict and never changes ours.
            async with session.request(
                request.method,
                request.url,
                headers=request.headers,
                data=request.body,
                timeout=timeout,
                proxy=configuration.proxy,
                proxy_headers=configuration.proxy_headers,
                allow_redirects=False,
            ) as response:
                body = await response.read()
                headers = HTTPHeaderDict()
                for name, value in response.headers.items():
                    headers.add(name, value)
                return HttpResponse(response.status, response.reason or "", headers, body)
        except asyncio.TimeoutError as exc:
            # aiohttp cannot tell a connect timeout from a read timeout under a total
            # timeout, so assume the request went out: a POST is then not repeated.
            raise ApiTimeoutError(f"{type(exc).__name__}: {exc}", request_sent=True) from exc
        except aiohttp.ClientConnectorError as exc:
            # Raised while opening the connection (refused, DNS, TLS handshake, proxy).
            raise ApiConnectionError(f"{type(exc).__name__}: {exc}", request_sent=False) from exc
        except aiohttp.ClientError as exc:
            raise ApiConnectionError(f"{type(exc).__name__}: {exc}", request_sent=True) from exc

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


def _ssl_setting(configuration: Configuration) -> Union[ssl.SSLContext, bool]:
    if not configuration.verify_ssl:
        return False
    if configuration.ssl_ca_cert is None and configuration.cert_file is None:
        return True  # aiohttp's default verified context
    context = ssl.create_default_context(cafile=configuration.ssl_ca_cert)
    if configuration.cert_file is not None:
        context.load_cert_chain(configuration.cert_file, configuration.key_file)
    return context
