"""The synchronous transport over urllib3, and the ``ApiException`` family.

``from buena_sdk.rest import ApiException`` is the import path the reference uses, so the
whole exception tree is re-exported here.
"""

import logging
from collections.abc import Iterator
from typing import Any, Optional

import urllib3
from urllib3.exceptions import (
    ConnectTimeoutError,
    HTTPError,
    MaxRetryError,
    NewConnectionError,
    ProxyError,
    SSLError,
)
from urllib3.exceptions import TimeoutError as Urllib3TimeoutError
from urllib3.util.retry import Retry

from buena_sdk._transport import HttpRequest, HttpResponse, connect_and_read
from buena_sdk.configuration import Configuration
from buena_sdk.exceptions import (
    ApiConnectionError,
    ApiException,
    ApiResponseValidationError,
    ApiTimeoutError,
    BadRequestException,
    BuenaError,
    ConflictException,
    ForbiddenException,
    NotFoundException,
    RateLimitException,
    ServiceException,
    SignatureVerificationError,
    UnauthorizedException,
    UnprocessableEntityException,
)

__all__ = [
    "ApiConnectionError",
    "ApiException",
    "ApiResponseValidationError",
    "ApiTimeoutError",
    "BadRequestException",
    "BuenaError",
    "ConflictException",
    "ForbiddenException",
    "NotFoundException",
    "RESTClientObject",
    "RateLimitException",
    "ServiceException",
    "SignatureVerificationError",
    "UnauthorizedException",
    "UnprocessableEntityException",
]

logger = logging.getLogger("buena_sdk")


class RESTClientObject:
    """Sends requests through ``pool_manager``, a ``urllib3.PoolManager``.

    The SDK builds the pool manager from the configuration and does its own retrying, so it
    asks urllib3 for exactly one attempt. Assigning your own manager (as the reference's
    "Configuration Options" does) hands retrying to that manager's ``Retry``: the SDK then
    makes one call into urllib3 per operation and does not retry on top of it.
    """

    def __init__(self, configuration: Configuration) -> None:
        self._pool_manager: urllib3.PoolManager = build_pool_manager(configuration)
        self._user_pool_manager = False

    @property
    def pool_manager(self) -> urllib3.PoolManager:
        return self._pool_manager

    @pool_manager.setter
    def pool_manager(self, manager: urllib3.PoolManager) -> None:
        if manager is self._pool_manager:
            return
        if not self._user_pool_manager:
            # Ours is being replaced: release its idle sockets now rather than at GC time.
            self._pool_manager.clear()
        self._pool_manager = manager
        self._user_pool_manager = True

    @property
    def uses_custom_pool_manager(self) -> bool:
        """True once a pool manager was assigned: its ``Retry`` then governs retries."""
        return self._user_pool_manager

    def request(self, request: HttpRequest) -> HttpResponse:
        response = self._urlopen(request, _whole_request_timeout(request), preload=True)
        return HttpResponse(
            status=response.status,
            reason=response.reason or "",
            headers=response.headers,
            body=response.data,
        )

    def stream(self, request: HttpRequest) -> "Urllib3Stream":
        """Send ``request`` and return once the head has arrived; the body is read as it
        comes. ``request.timeout`` bounds the connection and each read, not the whole
        transfer (an export of a million leads takes longer than any one read)."""
        connect, read = connect_and_read(request.timeout)
        timeout = urllib3.Timeout(connect=connect, read=read)
        return Urllib3Stream(self._urlopen(request, timeout, preload=False))

    def _urlopen(
        self, request: HttpRequest, timeout: urllib3.Timeout, *, preload: bool
    ) -> urllib3.BaseHTTPResponse:
        try:
            return self._pool_manager.urlopen(
                request.method,
                request.url,
                body=request.body,
                headers=dict(request.headers),
                timeout=timeout,
                preload_content=preload,
                **self._retry_arguments(),
            )
        except HTTPError as exc:
            raise connection_error_from_urllib3(exc) from exc

    def close(self) -> None:
        self._pool_manager.clear()

    def _retry_arguments(self) -> dict[str, Any]:
        if not self._user_pool_manager:
            # retries=False: one attempt, raw urllib3 errors (not MaxRetryError), no redirects.
            return {"retries": False}
        configured = self._pool_manager.connection_pool_kw.get("retries")
        if isinstance(configured, Retry):
            # Keep every setting of the user's Retry, except that once it is exhausted
            # urllib3 returns the last response instead of raising MaxRetryError, so the
            # caller still gets a typed ApiException with the server's error body.
            return {"retries": configured.new(raise_on_status=False)}
        # No Retry on the manager: let urllib3 apply its defaults (do not override).
        return {}


class Urllib3Stream:
    """A urllib3 response read chunk by chunk (see ``_transport.HttpStream``)."""

    CHUNK_SIZE = 64 * 1024

    def __init__(self, response: urllib3.BaseHTTPResponse) -> None:
        self._response = response
        # The urllib3 response itself (what ``*_without_preload_content`` returns).
        self.raw = response
        self.status: int = response.status
        self.reason: str = response.reason or ""
        self.headers = response.headers

    def chunks(self) -> Iterator[bytes]:
        try:
            for chunk in self._response.stream(self.CHUNK_SIZE):
                if chunk:
                    yield chunk
        except HTTPError as exc:
            # Cut off mid-body: the caller knows the transfer is incomplete.
            raise connection_error_from_urllib3(exc) from exc

    def close(self) -> None:
        self._response.release_conn()


def _whole_request_timeout(request: HttpRequest) -> urllib3.Timeout:
    if isinstance(request.timeout, tuple):
        connect, read = request.timeout
        return urllib3.Timeout(connect=connect, read=read)
    return urllib3.Timeout(total=request.timeout)


def build_pool_manager(configuration: Configuration) -> urllib3.PoolManager:
    """A pool manager (or proxy manager) honouring the configuration's TLS and pool size."""
    options: dict[str, Any] = {
        "num_pools": 4,
        "maxsize": configuration.connection_pool_maxsize,
        "cert_reqs": "CERT_REQUIRED" if configuration.verify_ssl else "CERT_NONE",
        "ca_certs": configuration.ssl_ca_cert,
        "cert_file": configuration.cert_file,
        "key_file": configuration.key_file,
    }
    if not configuration.verify_ssl:
        options["assert_hostname"] = False
    if configuration.proxy:
        return urllib3.ProxyManager(
            configuration.proxy, proxy_headers=configuration.proxy_headers, **options
        )
    return urllib3.PoolManager(**options)


def _in_tls_handshake(error: BaseException) -> bool:
    """Whether ``error`` (urllib3's SSLError) was raised by the TLS handshake.

    urllib3 raises the same SSLError for a handshake refused while connecting and for a TLS
    failure while reading a response; only the first certainly sent nothing. The ssl module's
    own exception, kept as the error's context, carries the frames it was raised through.
    """
    cause: Optional[BaseException] = error
    while cause is not None:
        traceback = cause.__traceback__
        while traceback is not None:
            if traceback.tb_frame.f_code.co_name == "do_handshake":
                return True
            traceback = traceback.tb_next
        cause = cause.__cause__ or cause.__context__
    return False


def connection_error_from_urllib3(exc: HTTPError) -> ApiConnectionError:
    """Map a urllib3 failure to the SDK's error, noting whether the request went out."""
    cause: Optional[BaseException] = exc
    if isinstance(exc, MaxRetryError) and exc.reason is not None:
        # A user-installed Retry gave up; the underlying failure says what happened.
        cause = exc.reason
    detail = f"{type(cause).__name__}: {cause}"
    # NewConnectionError subclasses ConnectTimeoutError in urllib3 2, so it goes first.
    if isinstance(cause, NewConnectionError):
        return ApiConnectionError(detail, request_sent=False)
    if isinstance(cause, ConnectTimeoutError):
        return ApiTimeoutError(detail, request_sent=False)
    if isinstance(cause, Urllib3TimeoutError):
        return ApiTimeoutError(detail, request_sent=True)
    if isinstance(cause, ProxyError):
        # urllib3 raises ProxyError only before the connection to the proxy is up.
        return ApiConnectionError(detail, request_sent=False)
    if isinstance(cause, SSLError) and _in_tls_handshake(cause):
        # A refused handshake (unknown CA, wrong protocol): no HTTP byte went out, as
        # aiohttp's ClientConnectorSSLError says on the async side.
        return ApiConnectionError(detail, request_sent=False)
    # Anything else (reset, protocol or TLS error) may come after the request was written,
    # so a POST is not repeated.
    return ApiConnectionError(detail, request_sent=True)
