"""Client settings: where the API lives, how to authenticate, and how to connect."""

import os
from typing import Optional, Union

from buena_sdk._version import __version__

DEFAULT_HOST = "https://api.buena.ai/api/v2"
DEFAULT_USER_AGENT = f"BuenaSDK-Python/{__version__}"

# Name of the API's security scheme; the reference stores the key under it.
API_KEY_AUTH = "ApiKeyAuth"
# Environment fallbacks, read once at construction when the argument is not given.
ENV_API_KEY = "BUENA_API_KEY"
ENV_HOST = "BUENA_HOST"


class Configuration:
    """Settings shared by every request an :class:`~buena_sdk.ApiClient` makes.

    ``api_key`` is a plain dict keyed by security scheme, so both
    ``Configuration(api_key={"ApiKeyAuth": key})`` and, after construction,
    ``configuration.api_key["ApiKeyAuth"] = key`` work. The key is read at request time.

    ``retries`` is how many times the SDK retries a failed request (connection errors, 408,
    429, 5xx; see the README). ``0`` disables SDK retries. ``timeout`` is the total time in
    seconds allowed for one attempt; ``None`` waits forever.
    """

    def __init__(
        self,
        host: Optional[str] = None,
        api_key: Optional[dict[str, str]] = None,
        *,
        verify_ssl: bool = True,
        ssl_ca_cert: Optional[str] = None,
        cert_file: Optional[str] = None,
        key_file: Optional[str] = None,
        connection_pool_maxsize: int = 10,
        proxy: Optional[str] = None,
        proxy_headers: Optional[dict[str, str]] = None,
        timeout: Optional[Union[int, float]] = 30,
        user_agent: str = DEFAULT_USER_AGENT,
        retries: int = 2,
    ) -> None:
        if retries < 0:
            raise ValueError("retries must be >= 0")
        if timeout is not None and timeout <= 0:
            raise ValueError("timeout must be > 0 seconds, or None for no timeout")
        if connection_pool_maxsize < 1:
            raise ValueError("connection_pool_maxsize must be >= 1")

        self.host: str = host or _host_from_environment() or DEFAULT_HOST
        if api_key is not None:
            # Copy so that later edits through either reference cannot surprise the other.
            self.api_key: dict[str, str] = dict(api_key)
        else:
            env_key = os.environ.get(ENV_API_KEY)
            self.api_key = {API_KEY_AUTH: env_key} if env_key else {}
        self.verify_ssl = verify_ssl
        self.ssl_ca_cert = ssl_ca_cert
        self.cert_file = cert_file
        self.key_file = key_file
        self.connection_pool_maxsize = connection_pool_maxsize
        self.proxy = proxy
        self.proxy_headers = proxy_headers
        self.timeout: Optional[float] = None if timeout is None else float(timeout)
        self.user_agent = user_agent
        self.retries = retries

    @property
    def base_url(self) -> str:
        """The host without a trailing slash, so ``host + "/leads"`` never doubles it."""
        return self.host.rstrip("/")

    def auth_key(self) -> Optional[str]:
        """The API key to send as ``x-api-key``, or None when none is configured."""
        return self.api_key.get(API_KEY_AUTH) or None

    def __repr__(self) -> str:
        # Never print the key itself: configurations end up in logs and tracebacks.
        has_key = "set" if self.auth_key() else "unset"
        return f"Configuration(host={self.host!r}, api_key={has_key}, retries={self.retries})"


def _host_from_environment() -> Optional[str]:
    # buena-server reads BUENA_HOST too, as the interface to listen on ("127.0.0.1",
    # "0.0.0.0"). Only a URL is meant for the SDK; a bare address there is the server's.
    value = os.environ.get(ENV_HOST, "").strip()
    return value if value.startswith(("http://", "https://")) else None
