"""The per-call options every operation takes, as openapi-generator's clients name them.

``op(..., _request_timeout=5, _headers={...}, _request_auth={...}, _retries=0)``:

- ``_request_timeout``: seconds for this call's attempts instead of
  ``Configuration.timeout``; a ``(connect, read)`` pair bounds connecting and each read
  apart. ``None`` (given explicitly) waits forever.
- ``_headers``: extra headers for this call, sent after (and so over) the SDK's own.
- ``_request_auth``: this call's API key instead of the configured one, in the generator's
  form ``{"in": "header", "type": "api_key", "key": "x-api-key", "value": "bna_..."}``.
- ``_retries``: how many times this call may be retried, instead of
  ``Configuration.retries`` (``_retries=0``: one attempt).
"""

from collections.abc import Mapping
from typing import Any, Optional, TypedDict, Union

from buena_sdk._transport import Timeout

API_KEY_HEADER = "x-api-key"


class Unset:
    """The type of "not given" where None means something (no timeout)."""


UNSET = Unset()


class CallOptions(TypedDict, total=False):
    """The keyword arguments above; every operation accepts them as ``**call``."""

    _request_timeout: Union[float, tuple[float, float], None]
    _headers: Optional[Mapping[str, str]]
    _request_auth: Optional[Mapping[str, Any]]
    _retries: Optional[int]


def request_timeout(call: CallOptions, default: Optional[float]) -> Timeout:
    """The timeout of this call: the per-call one when given (even None), else ``default``."""
    if "_request_timeout" not in call:
        return default
    value = call["_request_timeout"]
    if isinstance(value, tuple):
        connect, read = value
        for part in value:
            _check_seconds(part)
        return (float(connect), float(read))
    if value is not None:
        _check_seconds(value)
        return float(value)
    return None


def retries(call: CallOptions, default: int) -> int:
    value = call.get("_retries")
    if value is None:
        return default
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ValueError(f"_retries must be an int >= 0, got {value!r}")
    return value


def apply_headers(
    call: CallOptions, headers: dict[str, str], *, authenticated: bool
) -> dict[str, str]:
    """``headers`` with this call's auth and extra headers applied (a new dict)."""
    auth = call.get("_request_auth")
    extra = call.get("_headers")
    if auth is None and not extra:
        return headers
    result = dict(headers)
    if auth is not None and authenticated:
        name, value = _auth_header(auth)
        # Replaces the configured key whatever the case of its name.
        for existing in [key for key in result if key.lower() == name.lower()]:
            del result[existing]
        result[name] = value
    if extra:
        lowered = {name.lower() for name in extra}
        result = {key: value for key, value in result.items() if key.lower() not in lowered}
        result.update(extra)
    return result


def _auth_header(auth: Mapping[str, Any]) -> tuple[str, str]:
    where = auth.get("in", "header")
    kind = auth.get("type", "api_key")
    value = auth.get("value")
    if where != "header" or kind != "api_key" or not isinstance(value, str) or not value:
        raise ValueError(
            "_request_auth must be {'in': 'header', 'type': 'api_key', "
            "'key': 'x-api-key', 'value': '<key>'} (the API takes its key in a header)"
        )
    name = auth.get("key", API_KEY_HEADER)
    return (name if isinstance(name, str) and name else API_KEY_HEADER), value


def _check_seconds(value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
        raise ValueError(f"_request_timeout must be seconds > 0, got {value!r}")
