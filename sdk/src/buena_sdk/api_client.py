"""The core every operation goes through: build the request, send it, retry, then raise
a typed error or parse the body into a model.

The sync and async loops differ only in how they send and sleep; every decision (retry or
not, how long to wait, which exception) comes from the same pure functions.
"""

import copy
import logging
import random
import time
from collections.abc import AsyncIterator, Awaitable, Iterator
from types import TracebackType
from typing import Callable, Optional, TypeVar, Union

import urllib3
from typing_extensions import Unpack

from buena_sdk import _debug_log
from buena_sdk._call_options import (
    UNSET,
    CallOptions,
    Unset,
    retries,
)
from buena_sdk._codec import parse_response
from buena_sdk._codec import serialize_body as serialize_body  # its import path since 0.1
from buena_sdk._raw import AsyncRawResponse, async_raw, sync_raw
from buena_sdk._request import (
    IDEMPOTENCY_KEY_HEADER,
    build_request,
    call_secrets,
)
from buena_sdk._request import RequestOptions as RequestOptions  # its import path since 0.1
from buena_sdk._retry import RetryPolicy, error_code_of, shared_policy
from buena_sdk._transport import (
    AsyncBufferedStream,
    AsyncHttpStream,
    AsyncStreamingTransport,
    AsyncTransport,
    BufferedStream,
    HttpRequest,
    HttpResponse,
    HttpStream,
    SyncStreamingTransport,
    SyncTransport,
)
from buena_sdk.api_response import ApiResponse
from buena_sdk.configuration import Configuration
from buena_sdk.exceptions import (
    ApiConnectionError,
    exception_from_response,
)
from buena_sdk.rest import RESTClientObject

logger = logging.getLogger("buena_sdk")

# A model class, or ``dict`` for operations (delete_lead, revoke_api_key) that return the
# JSON object as it is.
T = TypeVar("T")


class ApiClient:
    """Holds the configuration and the transports, and runs every request.

    Use it as ``with ApiClient(cfg) as client:`` for the synchronous methods (urllib3) or
    ``async with ApiClient(cfg) as client:`` for the ``*_async`` ones (aiohttp); leaving the
    block closes the connections. ``transport`` and ``async_transport`` replace the default
    urllib3 and aiohttp transports (tests use this to run without sockets).
    """

    def __init__(
        self,
        configuration: Optional[Configuration] = None,
        header_name: Optional[str] = None,
        header_value: Optional[str] = None,
        *,
        transport: Optional[SyncTransport] = None,
        async_transport: Optional[AsyncTransport] = None,
    ) -> None:
        self.configuration = (
            configuration if configuration is not None else Configuration.get_default()
        )
        self.default_headers: dict[str, str] = {}
        if header_name is not None and header_value is not None:
            self.default_headers[header_name] = header_value
        self._transport = transport
        self._async_transport = async_transport
        self._rest_client: Optional[RESTClientObject] = None
        # Seams for tests: how to wait between retries and where jitter comes from.
        self._sleep: Callable[[float], None] = time.sleep
        self._async_sleep: Callable[[float], Awaitable[None]] = _async_sleep
        self._random: Callable[[], float] = random.random

    # -- transports -------------------------------------------------------------------

    @property
    def rest_client(self) -> RESTClientObject:
        """The urllib3 transport; ``rest_client.pool_manager`` may be replaced."""
        if self._rest_client is None:
            self._rest_client = RESTClientObject(self.configuration)
        return self._rest_client

    @property
    def async_rest_client(self) -> AsyncTransport:
        if self._async_transport is None:
            # aiohttp is imported on the first async call only: it is a third of the SDK's
            # import time, which a sync caller (or the `buena` command) need not pay.
            from buena_sdk._async_rest import AsyncRESTClientObject

            self._async_transport = AsyncRESTClientObject(self.configuration)
        return self._async_transport

    def _sync_transport(self) -> SyncTransport:
        return self._transport if self._transport is not None else self.rest_client

    def with_options(
        self, *, retries: Optional[int] = None, timeout: Union[float, Unset, None] = UNSET
    ) -> "ApiClient":
        """A client for the same API with other ``retries`` and/or ``timeout``, as
        openai-python's ``client.with_options(max_retries=0)``: e.g.
        ``DefaultApi(api_client.with_options(retries=0)).list_leads()`` when your own loop
        retries. It shares this client's connections, headers and key: close this one."""
        configuration = copy.copy(self.configuration)
        if retries is not None:
            if retries < 0:
                raise ValueError("retries must be >= 0")
            configuration.retries = retries
        if not isinstance(timeout, Unset):
            if timeout is not None and timeout <= 0:
                raise ValueError("timeout must be > 0 seconds, or None for no timeout")
            configuration.timeout = None if timeout is None else float(timeout)
        clone = copy.copy(self)
        clone.configuration = configuration
        return clone

    def set_default_header(self, header_name: str, header_value: str) -> None:
        """Send this header with every request (e.g. a tracing header)."""
        self.default_headers[header_name] = header_value

    # -- lifecycle ----------------------------------------------------------------------

    def __enter__(self) -> "ApiClient":
        return self

    def __exit__(
        self,
        exc_type: Optional[type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> None:
        self.close()

    async def __aenter__(self) -> "ApiClient":
        return self

    async def __aexit__(
        self,
        exc_type: Optional[type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> None:
        await self.aclose()

    def close(self) -> None:
        """Release the synchronous connection pool. Async sessions need ``aclose()``."""
        if self._transport is not None:
            self._transport.close()
        if self._rest_client is not None:
            self._rest_client.close()

    async def aclose(self) -> None:
        """Close the aiohttp session and the synchronous pool."""
        if self._async_transport is not None:
            await self._async_transport.aclose()
        self.close()

    # -- the request loop -------------------------------------------------------------

    def call_api(
        self, options: RequestOptions, response_type: type[T], **call: Unpack[CallOptions]
    ) -> ApiResponse[T]:
        """Send ``options``, retrying as the policy allows; parse or raise. ``call`` holds
        the per-call options (``_request_timeout``, ``_headers``, ``_request_auth``,
        ``_retries``: see ``buena_sdk._call_options``)."""
        transport = self._sync_transport()
        request = self.build_request(options, call)
        policy = self._retry_policy(transport, call)
        retries_taken = 0
        while True:
            try:
                response = transport.request(request)
                if _debug_log.enabled():
                    _debug_log.log_answer(request, response, self._secrets(call))
            except ApiConnectionError as error:
                delay = self._delay_or_raise(policy, request, error, retries_taken)
            else:
                wait = self._delay_or_result(policy, request, response, retries_taken)
                if wait is None:
                    return parse_response(response, response_type)
                delay = wait
            self._sleep(delay)
            retries_taken += 1

    async def call_api_async(
        self, options: RequestOptions, response_type: type[T], **call: Unpack[CallOptions]
    ) -> ApiResponse[T]:
        """The async twin of :meth:`call_api`."""
        transport = self.async_rest_client
        request = self.build_request(options, call)
        policy = self._retry_policy(transport, call)
        retries_taken = 0
        while True:
            try:
                response = await transport.arequest(request)
                if _debug_log.enabled():
                    _debug_log.log_answer(request, response, self._secrets(call))
            except ApiConnectionError as error:
                delay = self._delay_or_raise(policy, request, error, retries_taken)
            else:
                wait = self._delay_or_result(policy, request, response, retries_taken)
                if wait is None:
                    return parse_response(response, response_type)
                delay = wait
            await self._async_sleep(delay)
            retries_taken += 1

    def call_api_raw(
        self, options: RequestOptions, **call: Unpack[CallOptions]
    ) -> urllib3.BaseHTTPResponse:
        """Send ``options`` (retried as :meth:`call_api` retries) and return the final
        answer's urllib3 response with its body unread, whatever its status: what the
        ``*_without_preload_content`` operations return. Read it (``.read()``, ``.stream()``)
        and release it (``.release_conn()``)."""
        request = self.build_request(options, call)
        policy = self._retry_policy(self._sync_transport(), call)
        return sync_raw(self._open(request, policy, call, raise_errors=False))

    async def call_api_raw_async(
        self, options: RequestOptions, **call: Unpack[CallOptions]
    ) -> AsyncRawResponse:
        """The async twin of :meth:`call_api_raw` (an ``aiohttp.ClientResponse``: ``await
        response.read()``, then ``response.release()``)."""
        request = self.build_request(options, call)
        policy = self._retry_policy(self.async_rest_client, call)
        return await async_raw(await self._aopen(request, policy, call, raise_errors=False))

    def stream(self, options: RequestOptions, **call: Unpack[CallOptions]) -> Iterator[bytes]:
        """The body of ``options``' answer, chunk by chunk as it arrives, retried as
        :meth:`call_api` retries until the head of a 2xx answer has arrived; an error answer
        raises as there. Nothing is sent until the iteration starts; leaving it early
        releases the connection."""
        request = self.build_request(options, call)
        policy = self._retry_policy(self._sync_transport(), call)
        opened = self._open(request, policy, call, raise_errors=True)
        try:
            yield from opened.chunks()
        finally:
            opened.close()

    async def stream_async(
        self, options: RequestOptions, **call: Unpack[CallOptions]
    ) -> AsyncIterator[bytes]:
        """The async twin of :meth:`stream`, for ``async for``."""
        request = self.build_request(options, call)
        policy = self._retry_policy(self.async_rest_client, call)
        opened = await self._aopen(request, policy, call, raise_errors=True)
        try:
            async for chunk in opened.chunks():
                yield chunk
        finally:
            await opened.aclose()

    def _open(
        self, request: HttpRequest, policy: RetryPolicy, call: CallOptions, *, raise_errors: bool
    ) -> HttpStream:
        """The answer to ``request`` once its head has arrived, after the retries the
        policy allows: a 2xx, or (unless ``raise_errors``) the final error answer, read."""
        transport = self._sync_transport()
        retries_taken = 0
        while True:
            try:
                if isinstance(transport, SyncStreamingTransport):
                    opened: HttpStream = transport.stream(request)
                else:
                    opened = BufferedStream(transport.request(request))
            except ApiConnectionError as error:
                delay = self._delay_or_raise(policy, request, error, retries_taken)
            else:
                if 200 <= opened.status <= 299:
                    if _debug_log.enabled():
                        _debug_log.log_head(
                            request, opened.status, opened.headers, self._secrets(call)
                        )
                    return opened
                try:
                    body = b"".join(opened.chunks())
                finally:
                    opened.close()
                failed = HttpResponse(opened.status, opened.reason, opened.headers, body)
                if _debug_log.enabled():
                    _debug_log.log_answer(request, failed, self._secrets(call))
                wait = self._error_delay(policy, request, failed, retries_taken, raise_errors)
                if wait is None:
                    return BufferedStream(failed)
                delay = wait
            self._sleep(delay)
            retries_taken += 1

    async def _aopen(
        self, request: HttpRequest, policy: RetryPolicy, call: CallOptions, *, raise_errors: bool
    ) -> Union[AsyncHttpStream, AsyncBufferedStream]:
        """The async twin of :meth:`_open`."""
        transport = self.async_rest_client
        retries_taken = 0
        while True:
            try:
                if isinstance(transport, AsyncStreamingTransport):
                    opened = await transport.astream(request)
                    if 200 <= opened.status <= 299:
                        if _debug_log.enabled():
                            _debug_log.log_head(
                                request, opened.status, opened.headers, self._secrets(call)
                            )
                        return opened
                    body = b"".join([chunk async for chunk in opened.chunks()])
                    await opened.aclose()
                    response = HttpResponse(opened.status, opened.reason, opened.headers, body)
                else:
                    response = await transport.arequest(request)
            except ApiConnectionError as error:
                delay = self._delay_or_raise(policy, request, error, retries_taken)
            else:
                if _debug_log.enabled():
                    _debug_log.log_answer(request, response, self._secrets(call))
                if response.is_success:  # a transport that does not stream
                    return AsyncBufferedStream(response)
                wait = self._error_delay(policy, request, response, retries_taken, raise_errors)
                if wait is None:
                    return AsyncBufferedStream(response)
                delay = wait
            await self._async_sleep(delay)
            retries_taken += 1

    def _delay_or_raise(
        self,
        policy: RetryPolicy,
        request: HttpRequest,
        error: ApiConnectionError,
        retries_taken: int,
    ) -> float:
        """The delay before retrying after ``error`` (no answer); raises it when final."""
        delay = policy.delay_after_connection_error(
            request.method,
            error.request_sent,
            retries_taken,
            rand=self._random,
            idempotency_key=IDEMPOTENCY_KEY_HEADER in request.headers,
        )
        if delay is None:
            raise error
        self._log_retry(request, str(error), delay, retries_taken)
        return delay

    def _delay_or_result(
        self,
        policy: RetryPolicy,
        request: HttpRequest,
        response: HttpResponse,
        retries_taken: int,
    ) -> Optional[float]:
        """None when the response is final and a success; a delay to retry; else raises."""
        if response.is_success:
            return None
        return self._error_delay(policy, request, response, retries_taken, raise_final=True)

    def _error_delay(
        self,
        policy: RetryPolicy,
        request: HttpRequest,
        response: HttpResponse,
        retries_taken: int,
        raise_final: bool,
    ) -> Optional[float]:
        """The delay before retrying after an error answer; when it is final, raises its
        exception (``raise_final``) or returns None."""
        delay = policy.delay_after_response(
            request.method,
            response.status,
            response.headers,
            retries_taken,
            rand=self._random,
            idempotency_key=IDEMPOTENCY_KEY_HEADER in request.headers,
            error_code=error_code_of(response.body) if response.status == 409 else None,
        )
        if delay is None:
            if not raise_final:
                return None
            raise exception_from_response(
                response.status, response.reason, response.body, response.headers
            )
        self._log_retry(request, f"HTTP {response.status}", delay, retries_taken)
        return delay

    def _retry_policy(
        self, transport: Union[SyncTransport, AsyncTransport], call: CallOptions
    ) -> RetryPolicy:
        if isinstance(transport, RESTClientObject) and transport.uses_custom_pool_manager:
            # The user's pool manager retries with its own urllib3 Retry; retrying again
            # here would multiply the attempts and ignore the policy they chose.
            return shared_policy(0)
        return shared_policy(retries(call, self.configuration.retries))

    def _secrets(self, call: CallOptions) -> list[str]:
        return call_secrets(self.configuration, call)

    @staticmethod
    def _log_retry(request: HttpRequest, cause: str, delay: float, retries_taken: int) -> None:
        logger.info(
            "Retrying %s %s in %.2fs (retry %d) after %s",
            request.method,
            request.url,
            delay,
            retries_taken + 1,
            cause,
        )

    # -- building requests --------------------------------------------------------------

    def build_request(
        self, options: RequestOptions, call: Optional[CallOptions] = None
    ) -> HttpRequest:
        """The request sent on every attempt of one call (``_request.build_request``)."""
        return build_request(self.configuration, self.default_headers, options, call)


async def _async_sleep(seconds: float) -> None:
    # asyncio is imported here, not at the top: a sync-only program need not load it (a
    # running event loop has it loaded already).
    import asyncio

    await asyncio.sleep(seconds)
