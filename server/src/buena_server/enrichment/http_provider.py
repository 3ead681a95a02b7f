"""The generic HTTP provider: an outside service (Apollo, Clearbit, Hunter and the like)
described by settings (``http_config.HttpProviderConfig``), called for each lead.

Around every call, outermost first:

- a **circuit breaker** (``breaker``): after ``breaker_failures`` failed calls in a row the
  service is not contacted for ``breaker_cool_down_seconds``, then one call probes it (with
  no retries);
- **retries** (tenacity) of a connection error, a timeout, 408, 429 and 5xx, after an
  exponential, jittered backoff or the answer's ``Retry-After`` (capped);
- a **rate limit** per attempt (aiolimiter's leaky bucket), waited for up to
  ``rate_limit_wait_seconds``;
- connect and total **timeouts** per attempt, and a cap on what is read of an answer.

A 404, an empty answer or one the mapping finds nothing in is "nothing found" (None, not
charged). A call that fails raises ``HttpProviderError``: ``combine.enrich_lead`` counts it
as finding nothing for that lead and logs it, and the other providers' findings stand.

One ``aiohttp.ClientSession`` per provider, opened on first use (in the running loop) and
closed by ``aclose`` when the app stops (``ProviderRegistry.aclose``).
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Awaitable, Callable
from datetime import UTC
from email.utils import parsedate_to_datetime
from typing import Any

import aiohttp
import msgspec
from aiolimiter import AsyncLimiter
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception_type, stop_after_attempt
from tenacity.wait import wait_exponential_jitter

from buena_server.enrichment.breaker import CircuitBreaker, Outage
from buena_server.enrichment.http_config import HttpProviderConfig
from buena_server.enrichment.http_mapping import findings_of, request_of
from buena_server.enrichment.model import Finding, LeadInput, Option
from buena_server.kit import clock
from buena_server.kit.http_answers import excerpt, read_at_most

# The answers worth another attempt (with every 5xx): the service is busy or slow.
RETRIED_STATUSES = frozenset({408, 429})
# The answers that refuse this lead's input, not the service as configured: they do not
# count against the circuit.
INPUT_REFUSED_STATUSES = frozenset({400, 422})


class HttpProviderError(Exception):
    """Why a call found nothing because it failed."""


class ProviderUnavailable(HttpProviderError, Outage):
    """The service could not be reached, kept failing, answered what cannot be read, or
    refuses the provider as configured (401, 402, 403...): counts against the circuit."""


class InputRefused(HttpProviderError):
    """The service refused this lead's input (400, 422)."""


class NoRequestSlot(HttpProviderError):
    """The provider's own rate limit had no slot within ``rate_limit_wait_seconds``."""


class _Retryable(Exception):
    """One attempt that failed in a way another attempt may not."""

    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.retry_after = retry_after


def retry_after_seconds(header: str | None) -> float | None:
    """``Retry-After`` as seconds from now: a number of seconds, or an HTTP date."""
    if header is None:
        return None
    try:
        seconds = float(header)
    except ValueError:
        try:
            when = parsedate_to_datetime(header)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - clock.utcnow()).total_seconds()
    return max(0.0, seconds) if math.isfinite(seconds) else None


def _loop_time() -> float:
    return asyncio.get_running_loop().time()


class HttpProvider:
    def __init__(
        self,
        config: HttpProviderConfig,
        *,
        user_agent: str,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        clock: Callable[[], float] = _loop_time,
    ) -> None:
        self.config = config
        self.name = config.name
        self.cost = config.cost
        self.options: frozenset[Option] = frozenset(config.options)
        self.user_agent = user_agent
        # The waits between attempts; the breaker's clock (monotonic seconds). Both follow
        # the event loop's clock unless a test gives its own.
        self.sleep = sleep
        self.breaker = CircuitBreaker(
            config.name, config.breaker_failures, config.breaker_cool_down_seconds, clock
        )
        self.limiters = [AsyncLimiter(rate.amount, rate.get_expiry()) for rate in config.rates]
        self._backoff = wait_exponential_jitter(
            multiplier=config.backoff_seconds,
            max=config.max_backoff_seconds,
            jitter=config.backoff_seconds,
        )
        self._session: aiohttp.ClientSession | None = None

    async def enrich(self, lead: LeadInput) -> Finding | None:
        request = request_of(self.config, lead)
        if request is None:
            return None
        with self.breaker.call() as probe:
            # A probe is one request: the circuit learns at once whether the service is back.
            answer = await self._call(request, attempts=1 if probe else 1 + self.config.retries)
        if answer is None:
            return None
        data = findings_of(self.name, answer, self.config.response_fields)
        return Finding(data) if data else None

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def _call(self, request: dict[str, Any], *, attempts: int) -> Any:
        retrying = AsyncRetrying(
            stop=stop_after_attempt(attempts),
            wait=self._wait,
            retry=retry_if_exception_type(_Retryable),
            sleep=self.sleep,
            reraise=True,
        )
        try:
            return await retrying(self._attempt, request)
        except _Retryable as failed:
            tries = f"{attempts} attempts" if attempts > 1 else "1 attempt"
            raise ProviderUnavailable(f"{self.name}: {failed} ({tries})") from None

    def _wait(self, state: RetryCallState) -> float:
        failed = state.outcome.exception() if state.outcome is not None else None
        if isinstance(failed, _Retryable) and failed.retry_after is not None:
            return min(failed.retry_after, self.config.max_retry_after_seconds)
        return float(self._backoff(state))

    async def _attempt(self, request: dict[str, Any]) -> Any:
        """One request: the decoded answer, None for nothing found, or an exception."""
        await self._request_slot()
        config = self.config
        as_query = config.method == "GET"
        try:
            async with self._open().request(
                config.method,
                config.url,
                params=request if as_query else None,
                json=None if as_query else request,
                allow_redirects=False,
                proxy=config.proxy,
            ) as response:
                status = response.status
                retry_after = retry_after_seconds(response.headers.get("Retry-After"))
                body, complete = await read_at_most(response, config.max_response_bytes)
        except TimeoutError:
            raise _Retryable(f"timed out after {config.total_timeout_seconds:g} s") from None
        except aiohttp.ClientError as exc:
            raise _Retryable(f"connection failed: {type(exc).__name__}: {exc}") from None
        if status in RETRIED_STATUSES or status >= 500:
            raise _Retryable(f"HTTP {status}: {excerpt(body)}".rstrip(": "), retry_after)
        if status == 404:
            return None
        if status in INPUT_REFUSED_STATUSES:
            raise InputRefused(f"{self.name}: HTTP {status}: {excerpt(body)}")
        if not 200 <= status < 300:
            raise ProviderUnavailable(f"{self.name}: HTTP {status}: {excerpt(body)}")
        if not complete:
            raise ProviderUnavailable(
                f"{self.name}: the answer is longer than {config.max_response_bytes} bytes"
            )
        if not body.strip():
            return None
        try:
            return msgspec.json.decode(body)
        except msgspec.DecodeError:
            raise ProviderUnavailable(
                f"{self.name}: HTTP {status} with a body that is not JSON: {excerpt(body)}"
            ) from None

    async def _request_slot(self) -> None:
        """A slot of every rate the service allows, waited for a bounded time."""
        if not self.limiters:
            return
        try:
            async with asyncio.timeout(self.config.rate_limit_wait_seconds):
                for limiter in self.limiters:
                    await limiter.acquire()
        except TimeoutError:
            raise NoRequestSlot(
                f"{self.name}: no request slot within {self.config.rate_limit_wait_seconds:g} s "
                f"(rate limit {self.config.rate_limit})"
            ) from None

    def _open(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            config = self.config
            headers = {"User-Agent": self.user_agent, "Accept": "application/json"}
            headers.update(config.headers)
            if config.auth_header is not None:
                headers[config.auth_header.name] = config.auth_header.header_value()
            self._session = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(
                    total=config.total_timeout_seconds,
                    connect=config.connect_timeout_seconds,
                    sock_connect=config.connect_timeout_seconds,
                ),
                headers=headers,
                trust_env=False,
            )
        return self._session
