"""``BUENA_REDIS_URL`` read one way, by redis-py's own parser, for every Redis user.

Two clients talk to Redis: redis-py's pool (health, key versions, the strategies run by
``limits``, the authentication failure guard) and the script client of redis_script.py (the
rate-limit script and the idempotency store). Both take their address, credentials,
database and TLS settings from one :class:`RedisEndpoint`; the script client even takes its
TLS context from redis-py (``SSLConnection``), so ``ssl_ca_certs`` and its kin mean the same
to both. A query parameter the script client could not follow (redis-py's socket and pool
tuning, ``protocol``, a client name, a misspelt option) is refused when the settings load:
otherwise the health check could find Redis up while the rate limits could not reach it.
"""

from __future__ import annotations

import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from redis.asyncio import ConnectionPool, SSLConnection
from redis.asyncio.connection import parse_url

# What parse_url gives for the URL's address and credentials (the scheme as connection_class).
_ADDRESS = frozenset({"host", "port", "username", "password", "db", "connection_class"})
# redis-py's TLS options (rediss:// only), passed to its SSLConnection.
_TLS = frozenset(
    {
        "ssl_keyfile",
        "ssl_certfile",
        "ssl_password",
        "ssl_cert_reqs",
        "ssl_ca_certs",
        "ssl_ca_data",
        "ssl_ca_path",
        "ssl_check_hostname",
        "ssl_min_version",
        "ssl_ciphers",
        "ssl_include_verify_flags",
        "ssl_exclude_verify_flags",
    }
)


def connection_options(url: str) -> dict[str, Any]:
    """redis-py's reading of ``url`` (its connection keyword arguments); ValueError for a URL
    that is not ``redis://`` or ``rediss://`` or that says what the script client ignores."""
    if not url.startswith(("redis://", "rediss://")):
        raise ValueError("BUENA_REDIS_URL must start with redis:// or rediss://")
    options: dict[str, Any] = dict(parse_url(url))
    unknown = sorted(set(options) - _ADDRESS - _TLS)
    if unknown:
        raise ValueError(
            f"BUENA_REDIS_URL: unsupported query parameter(s) {', '.join(unknown)}; "
            f"the URL may carry db and, with rediss://, {', '.join(sorted(_TLS))} "
            "(the timeout is BUENA_REDIS_TIMEOUT_SECONDS)"
        )
    tls = sorted(set(options) & _TLS)
    if tls and options.get("connection_class") is not SSLConnection:
        raise ValueError(f"BUENA_REDIS_URL: TLS options ({', '.join(tls)}) need rediss://")
    return options


@dataclass(frozen=True)
class RedisEndpoint:
    """Where Redis is and how to reach it, as every Redis user of the app sees it."""

    options: Mapping[str, Any]
    timeout: float

    @classmethod
    def from_url(cls, url: str, timeout: float) -> RedisEndpoint:
        return cls(connection_options(url), timeout)

    @property
    def host(self) -> str:
        return str(self.options.get("host", "localhost"))

    @property
    def port(self) -> int:
        return int(self.options.get("port", 6379))

    @property
    def username(self) -> str | None:
        return self.options.get("username")

    @property
    def password(self) -> str | None:
        return self.options.get("password")

    @property
    def db(self) -> int:
        return int(self.options.get("db", 0))

    def ssl_context(self) -> ssl.SSLContext | None:
        """For rediss://, the TLS context redis-py's own connections use; else None."""
        if self.options.get("connection_class") is not SSLConnection:
            return None
        tls = {name: value for name, value in self.options.items() if name in _TLS}
        return SSLConnection(**tls).ssl_context.get()

    def pool(self) -> ConnectionPool:
        """A redis-py pool on this endpoint (each call a new one)."""
        return ConnectionPool(
            **self.options, socket_timeout=self.timeout, socket_connect_timeout=self.timeout
        )
