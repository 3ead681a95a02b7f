"""Client settings: where the API lives, how to authenticate, and how to connect."""

import logging
import os
from typing import ClassVar, Optional, Union

from buena_sdk._version import __version__

DEFAULT_HOST = "https://api.buena.ai/api/v2"
DEFAULT_USER_AGENT = f"BuenaSDK-Python/{__version__}"

# Name of the API's security scheme; the reference stores the key under it.
API_KEY_AUTH = "ApiKeyAuth"
# Environment fallbacks, read once at construction when the argument is not given.
ENV_API_KEY = "BUENA_API_KEY"
ENV_HOST = "BUENA_HOST"
# The logger of every request, response and retry the SDK logs.
LOGGER_NAME = "buena_sdk"
DEFAULT_LOGGER_FORMAT = "%(asctime)s %(levelname)s %(message)s"


class Configuration:
    """Settings shared by every request an :class:`~buena_sdk.ApiClient` makes.

    ``api_key`` is a plain dict keyed by security scheme, so both
    ``Configuration(api_key={"ApiKeyAuth": key})`` and, after construction,
    ``configuration.api_key["ApiKeyAuth"] = key`` work. The key is read at request time.

    ``retries`` is how many times the SDK retries a failed request (connection errors, 408,
    429, 5xx; see the README). ``0`` disables SDK retries. ``timeout`` is the total time in
    seconds allowed for one attempt; ``None`` waits forever.

    As in openapi-generator's clients: ``api_key_prefix["ApiKeyAuth"]`` (e.g. ``"Bearer"``)
    is sent before the key; ``debug = True`` logs each request and response at DEBUG on
    the ``buena_sdk`` logger (to stderr, or to ``logger_file`` when set, in
    ``logger_format``), with API keys and webhook secrets redacted; and
    ``Configuration.set_default(cfg)`` makes ``cfg`` what ``ApiClient()`` uses when given
    none (``get_default()`` returns it, creating one from the environment at first).
    """

    _default: ClassVar[Optional["Configuration"]] = None

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
        api_key_prefix: Optional[dict[str, str]] = None,
        debug: bool = False,
        logger_file: Optional[str] = None,
        logger_format: str = DEFAULT_LOGGER_FORMAT,
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
        self.api_key_prefix: dict[str, str] = dict(api_key_prefix or {})
        self._logger_format = logger_format
        self._logger_file: Optional[str] = None
        self._handler: Optional[logging.Handler] = None
        self._debug = False
        self.logger_file = logger_file
        self.debug = debug

    # -- the generator's class-wide default ------------------------------------------------

    @classmethod
    def set_default(cls, default: Optional["Configuration"]) -> None:
        """Make ``default`` the configuration of every ``ApiClient()`` built without one
        (None: back to a fresh one from the environment)."""
        cls._default = default

    @classmethod
    def get_default(cls) -> "Configuration":
        """The default configuration (built from the environment on first use)."""
        if cls._default is None:
            cls._default = Configuration()
        return cls._default

    @classmethod
    def get_default_copy(cls) -> "Configuration":
        """The generator's older name of :meth:`get_default`."""
        return cls.get_default()

    # -- logging ----------------------------------------------------------------------

    @property
    def logger(self) -> dict[str, logging.Logger]:
        """The loggers this configuration's settings apply to."""
        return {"package_logger": logging.getLogger(LOGGER_NAME)}

    @property
    def debug(self) -> bool:
        """True: log each request and response (keys redacted) at DEBUG."""
        return self._debug

    @debug.setter
    def debug(self, value: bool) -> None:
        self._debug = bool(value)
        package_logger = logging.getLogger(LOGGER_NAME)
        if self._debug:
            package_logger.setLevel(logging.DEBUG)
            self._install_handler()
        elif package_logger.level == logging.DEBUG:
            # Back to the level the application's logging configuration gives it.
            package_logger.setLevel(logging.NOTSET)

    @property
    def logger_file(self) -> Optional[str]:
        """A file the ``buena_sdk`` log is appended to (else stderr, once ``debug`` is on)."""
        return self._logger_file

    @logger_file.setter
    def logger_file(self, value: Optional[str]) -> None:
        self._logger_file = value
        if value is not None or self._handler is not None:
            self._install_handler()

    @property
    def logger_format(self) -> str:
        """The ``logging`` format of the SDK's handler."""
        return self._logger_format

    @logger_format.setter
    def logger_format(self, value: str) -> None:
        self._logger_format = value
        if self._handler is not None:
            self._handler.setFormatter(logging.Formatter(value))

    def _install_handler(self) -> None:
        """One handler of this configuration on the package logger: the file, or stderr."""
        package_logger = logging.getLogger(LOGGER_NAME)
        if self._handler is not None:
            package_logger.removeHandler(self._handler)
            self._handler.close()
        handler: logging.Handler = (
            logging.FileHandler(self._logger_file)
            if self._logger_file is not None
            else logging.StreamHandler()
        )
        handler.setFormatter(logging.Formatter(self._logger_format))
        package_logger.addHandler(handler)
        self._handler = handler

    @property
    def base_url(self) -> str:
        """The host without a trailing slash, so ``host + "/leads"`` never doubles it."""
        return self.host.rstrip("/")

    def auth_key(self) -> Optional[str]:
        """The value to send as ``x-api-key`` (with its ``api_key_prefix``, if any), or None
        when no key is configured."""
        return self.get_api_key_with_prefix(API_KEY_AUTH)

    def get_api_key_with_prefix(self, identifier: str) -> Optional[str]:
        """The generator's name: the key of scheme ``identifier`` with its prefix."""
        key = self.api_key.get(identifier)
        if not key:
            return None
        prefix = self.api_key_prefix.get(identifier)
        return f"{prefix} {key}" if prefix else key

    def __repr__(self) -> str:
        # Never print the key itself: configurations end up in logs and tracebacks.
        has_key = "set" if self.auth_key() else "unset"
        return f"Configuration(host={self.host!r}, api_key={has_key}, retries={self.retries})"


def _host_from_environment() -> Optional[str]:
    # buena-server reads BUENA_HOST too, as the interface to listen on ("127.0.0.1",
    # "0.0.0.0"). Only a URL is meant for the SDK; a bare address there is the server's.
    value = os.environ.get(ENV_HOST, "").strip()
    return value if value.startswith(("http://", "https://")) else None
