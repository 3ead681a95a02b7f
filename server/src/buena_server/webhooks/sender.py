"""One outbound POST of a webhook delivery, with the limits a server calling URLs its users
chose must keep: connect and total timeouts, no redirect followed, no proxy from the
environment, at most ``BODY_CAP`` bytes of the answer read (and a short excerpt kept), and
every address checked (``addresses``) before the connection is opened. The requests go
through ``client.DeliveryClient`` (HTTP/1.1, keep-alive connections pooled per host); the
lookups through aiohttp's resolver, wrapped by the guard."""

from __future__ import annotations

import socket
from dataclasses import dataclass

from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import DefaultResolver

from buena_server.kit.http_answers import excerpt
from buena_server.webhooks.addresses import (
    AddressRefused,
    GuardedResolver,
    url_refusal,
    url_scheme_error,
)
from buena_server.webhooks.client import AnswerFailed, ConnectFailed, DeliveryClient

# What is read of an answer at most (an excerpt of it is kept in ``last_error``).
BODY_CAP = 65_536


@dataclass(frozen=True, slots=True)
class Attempt:
    """What one POST came to: delivered (a 2xx), or why not."""

    status_code: int | None
    error: str | None

    @property
    def delivered(self) -> bool:
        return self.error is None


class SwappableResolver(AbstractResolver):
    """The resolver the guard wraps, replaceable while the sender lives (tests point a
    hostname at an address of their choice this way)."""

    def __init__(self) -> None:
        # aiohttp's default, made on first use (it belongs to the running event loop).
        self.target: AbstractResolver | None = None

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        if self.target is None:
            self.target = DefaultResolver()
        return await self.target.resolve(host, port, family)

    async def close(self) -> None:
        if self.target is not None:
            await self.target.close()


class WebhookSender:
    """The process's one HTTP client for deliveries (its connections opened on first use, in
    the running event loop, and kept open between deliveries)."""

    def __init__(
        self,
        *,
        allow_private: bool,
        connect_timeout: float,
        timeout: float,
        user_agent: str,
        max_connections: int = 100,
    ) -> None:
        self.allow_private = allow_private
        # At least one per job the worker runs at once: a delivery never waits for a
        # connection (that wait would count against its timeout).
        self.max_connections = max_connections
        self.connect_timeout = connect_timeout
        self.timeout = timeout
        self.user_agent = user_agent
        self.resolver = SwappableResolver()
        self._client = DeliveryClient(
            GuardedResolver(self.resolver, allow_private=allow_private),
            allow_private=allow_private,
            connect_timeout=connect_timeout,
            user_agent=user_agent,
            max_connections=max_connections,
            cap=BODY_CAP,
        )

    async def refusal(self, url: str) -> str | None:
        """Why a webhook may not have ``url`` (scheme, or a refused host or address)."""
        return url_scheme_error(url, allow_private=self.allow_private) or await url_refusal(
            url,
            self.resolver,
            allow_private=self.allow_private,
            lookup_seconds=self.connect_timeout,
        )

    async def send(self, url: str, body: bytes, headers: dict[str, str]) -> Attempt:
        if (error := url_scheme_error(url, allow_private=self.allow_private)) is not None:
            return Attempt(None, f"refused: {error}")
        try:
            answer = await self._client.post(url, body, headers, seconds=self.timeout)
        except TimeoutError:
            return Attempt(None, f"timed out after {self.timeout:g} s")
        except AddressRefused as exc:
            return Attempt(None, str(exc))
        except ConnectFailed as exc:
            return Attempt(None, f"connection failed: {exc}")
        except (AnswerFailed, OSError, ValueError) as exc:
            # ValueError: a host IDNA cannot encode, among others.
            return Attempt(None, f"request failed: {type(exc).__name__}: {exc}")
        status = answer.status
        if 200 <= status < 300:
            return Attempt(status, None)
        if 300 <= status < 400:
            return Attempt(status, f"HTTP {status}: redirect to {answer.location!r} not followed")
        text = excerpt(answer.body)
        return Attempt(status, f"HTTP {status}" + (f": {text}" if text else ""))

    async def close(self) -> None:
        self._client.close()
