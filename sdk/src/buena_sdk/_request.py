"""What an operation asks for (``RequestOptions``) and the ``HttpRequest`` sent for it on
every attempt of one call (``build_request``): the URL and query, the headers (key,
Idempotency-Key, the caller's own), the body and the timeout."""

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Optional
from urllib.parse import urlencode

from pydantic import BaseModel

from buena_sdk import _debug_log
from buena_sdk._call_options import CallOptions, apply_headers, request_timeout
from buena_sdk._codec import query_value, serialize_body
from buena_sdk._transport import HttpRequest, Timeout
from buena_sdk.configuration import Configuration

IDEMPOTENCY_KEY_HEADER = "Idempotency-Key"
# Methods sent with an Idempotency-Key (a fresh one per call, the same on its retries).
KEYED_METHODS = frozenset({"POST", "PATCH", "DELETE"})


@dataclass(frozen=True)
class RequestOptions:
    """What an operation asks for; ``ApiClient`` turns it into an ``HttpRequest``."""

    method: str
    path: str
    query: Mapping[str, Any] = field(default_factory=dict)
    body: Optional[BaseModel] = None
    # A body that is not JSON (a CSV upload, a multipart form from ``_multipart``): its
    # media type and bytes, sent as they are on every attempt.
    content: Optional[tuple[str, bytes]] = None
    # /health needs no key, and the key is not sent where it is not needed.
    authenticated: bool = True
    # Sent with an Idempotency-Key (POST, PATCH, DELETE), and so retried like an idempotent
    # call; False where the server keeps no answer (a new API key's secret is never stored).
    keyed: bool = True
    # The Idempotency-Key to send instead of a fresh random one (a caller that must repeat
    # a call across runs, and wants the first answer back rather than a second action).
    idempotency_key: Optional[str] = None
    # What the operation answers in (an export streams CSV or NDJSON).
    accept: str = "application/json"
    # Headers the operation itself sends (``Prefer: respond-async`` for a job); the call's
    # own ``_headers`` go over them.
    headers: Mapping[str, str] = field(default_factory=dict)


def call_secrets(configuration: Configuration, call: CallOptions) -> list[str]:
    """Every key this call could send, for the debug log to redact."""
    secrets = [value for value in configuration.api_key.values() if value]
    auth = call.get("_request_auth")
    if auth is not None and isinstance(auth.get("value"), str):
        secrets.append(auth["value"])
    return secrets


def build_request(
    configuration: Configuration,
    default_headers: Mapping[str, str],
    options: RequestOptions,
    call: Optional[CallOptions] = None,
) -> HttpRequest:
    """The request sent on every attempt of one call (same Idempotency-Key on each),
    with the call's own timeout, headers and auth when ``call`` gives them."""
    method = options.method.upper()
    url = configuration.base_url + options.path
    if options.query:
        query = [(name, query_value(value)) for name, value in options.query.items()]
        query = [(name, value) for name, value in query if value is not None]
        if query:
            url += "?" + urlencode(query)

    headers = {
        "Accept": options.accept,
        "User-Agent": configuration.user_agent,
        **default_headers,
        **options.headers,
    }
    body = None
    if options.body is not None:
        body = serialize_body(options.body)
        headers["Content-Type"] = "application/json"
    elif options.content is not None:
        headers["Content-Type"], body = options.content
    if options.authenticated:
        key = configuration.auth_key()
        if key is not None:
            headers["x-api-key"] = key
    if method in KEYED_METHODS and options.keyed:
        # One key per call, reused by every retry: the server answers a repeat with the
        # first answer, so a retry after a lost answer never acts twice.
        headers[IDEMPOTENCY_KEY_HEADER] = options.idempotency_key or str(uuid.uuid4())
    timeout: Timeout = configuration.timeout
    if call:
        headers = apply_headers(call, headers, authenticated=options.authenticated)
        timeout = request_timeout(call, configuration.timeout)
    request = HttpRequest(method, url, headers, body, timeout)
    if _debug_log.enabled():
        _debug_log.log_request(request, call_secrets(configuration, call or {}))
    return request
