"""Verify the webhook requests Buena sends, and sign payloads to test a receiver.

Each delivery is a POST whose body is an :class:`~buena_sdk.models.Event` in JSON, with::

    Buena-Signature: t=1733368800,v1=5257a869e7ec...(64 hex digits)

``v1`` is the hex HMAC-SHA256, keyed with the webhook's secret (``whsec_...``, the whole
string), of ``"<t>.<raw body>"``. While a rotated secret's previous one is still valid the
header carries two ``v1`` values (the new secret's first); either may match.

:func:`construct_event` checks all of this and returns the event, or raises
:class:`SignatureVerificationError` whose ``reason`` is one of the ``REASON_*`` codes below.
Pass it the body exactly as received (bytes): parsed and re-encoded JSON will not match.
"""

import hashlib
import hmac
import json
import time
from typing import Optional, Union

from pydantic import ValidationError

from buena_sdk.exceptions import SignatureVerificationError
from buena_sdk.models import Event

__all__ = [
    "DEFAULT_TOLERANCE",
    "DELIVERY_ID_HEADER",
    "EVENT_ID_HEADER",
    "REASON_INVALID_PAYLOAD",
    "REASON_MALFORMED_HEADER",
    "REASON_MISSING_HEADER",
    "REASON_NO_MATCHING_SIGNATURE",
    "REASON_NO_SIGNATURE",
    "REASON_TIMESTAMP_OUTSIDE_TOLERANCE",
    "SIGNATURE_HEADER",
    "SignatureVerificationError",
    "construct_event",
    "sign_payload",
    "verify_signature",
]

SIGNATURE_HEADER = "Buena-Signature"
EVENT_ID_HEADER = "Buena-Event-Id"
DELIVERY_ID_HEADER = "Buena-Delivery-Id"

# Seconds a signature's timestamp may lie from now, either way: an older request is taken
# for a replay. Five minutes, as Stripe's, allows for clock drift and queueing.
DEFAULT_TOLERANCE = 300

REASON_MISSING_HEADER = "missing_header"
REASON_MALFORMED_HEADER = "malformed_header"
REASON_NO_SIGNATURE = "no_signature"
REASON_NO_MATCHING_SIGNATURE = "no_matching_signature"
REASON_TIMESTAMP_OUTSIDE_TOLERANCE = "timestamp_outside_tolerance"
REASON_INVALID_PAYLOAD = "invalid_payload"

_SCHEME = "v1"


def construct_event(
    payload: Union[bytes, str],
    signature_header: Optional[str],
    secret: str,
    tolerance: Optional[int] = DEFAULT_TOLERANCE,
    *,
    now: Optional[float] = None,
) -> Event:
    """The event in ``payload``, once ``signature_header`` proves that Buena sent it with
    ``secret`` less than ``tolerance`` seconds ago (or ahead: clocks drift).

    ``payload`` is the raw request body (a ``str`` is taken as its UTF-8 encoding);
    ``signature_header`` the ``Buena-Signature`` header, None when it is absent.
    ``tolerance=None`` skips the time check (to verify a stored request later: replays are
    then yours to refuse, e.g. by event id). ``now`` (Unix seconds) replaces the clock.

    Raises :class:`SignatureVerificationError` (``reason`` says which check failed),
    ``ValueError`` for an empty secret or a negative tolerance.
    """
    body = _as_bytes(payload)
    verify_signature(body, signature_header, secret, tolerance, now=now)
    try:
        parsed = json.loads(body)
    except ValueError as exc:  # invalid UTF-8 is a ValueError too
        raise SignatureVerificationError(
            REASON_INVALID_PAYLOAD, f"The payload is not JSON: {exc}"
        ) from exc
    try:
        return Event.model_validate(parsed)
    except ValidationError as exc:
        raise SignatureVerificationError(
            REASON_INVALID_PAYLOAD, f"The payload is not an event: {exc}"
        ) from exc


def verify_signature(
    payload: Union[bytes, str],
    signature_header: Optional[str],
    secret: str,
    tolerance: Optional[int] = DEFAULT_TOLERANCE,
    *,
    now: Optional[float] = None,
) -> None:
    """The checks of :func:`construct_event` without parsing the body: returns if one
    ``v1`` signature matches and the timestamp is within ``tolerance``, raises otherwise."""
    if not secret:
        raise ValueError("secret must be the webhook's signing secret (whsec_...), got nothing")
    if tolerance is not None and tolerance < 0:
        raise ValueError(f"tolerance must be >= 0 seconds or None, got {tolerance}")
    if not signature_header:
        raise SignatureVerificationError(
            REASON_MISSING_HEADER, f"No {SIGNATURE_HEADER} header: the request is not signed"
        )
    timestamp, signatures = _parse_header(signature_header)
    expected = _signature(timestamp, _as_bytes(payload), secret).encode("ascii")
    # Every candidate is compared, in constant time, so the time taken says nothing of
    # which one (or how much of one) matched. As bytes: compare_digest refuses non-ASCII str.
    matches = [hmac.compare_digest(expected, value.encode("utf-8")) for value in signatures]
    if not any(matches):
        raise SignatureVerificationError(
            REASON_NO_MATCHING_SIGNATURE,
            f"No v1 signature of {SIGNATURE_HEADER} matches the payload with this secret "
            "(wrong secret, or a body changed on the way: pass the raw body)",
        )
    if tolerance is None:
        return
    age = (time.time() if now is None else now) - timestamp
    if abs(age) > tolerance:
        when = f"{age:.0f} s old" if age > 0 else f"{-age:.0f} s in the future"
        raise SignatureVerificationError(
            REASON_TIMESTAMP_OUTSIDE_TOLERANCE,
            f"The signature's timestamp is {when}, beyond the tolerance of {tolerance} s",
        )


def sign_payload(payload: Union[bytes, str], secret: str, timestamp: Optional[int] = None) -> str:
    """A ``Buena-Signature`` value for ``payload``, as Buena computes it, to test a
    receiver: ``t=<timestamp, default now>,v1=<signature>``."""
    when = int(time.time()) if timestamp is None else timestamp
    return f"t={when},{_SCHEME}={_signature(when, _as_bytes(payload), secret)}"


def _signature(timestamp: int, payload: bytes, secret: str) -> str:
    signed = str(timestamp).encode("ascii") + b"." + payload
    return hmac.new(secret.encode("utf-8"), signed, hashlib.sha256).hexdigest()


def _parse_header(header: str) -> tuple[int, list[str]]:
    """The timestamp and the ``v1`` values of ``t=...,v1=...[,v1=...]``; other schemes
    (a future ``v2``) are skipped, so a receiver keeps working when the server adds one."""
    timestamp: Optional[int] = None
    signatures: list[str] = []
    for item in header.split(","):
        name, equals, value = item.strip().partition("=")
        if not equals or not name:
            raise _malformed(f"{item.strip()!r} is not name=value")
        if name == "t":
            if timestamp is not None:
                raise _malformed("more than one t=")
            # int() would also take "+1", " 1" or "1_000": only plain digits are a timestamp.
            if not value.isascii() or not value.isdigit():
                raise _malformed(f"t={value!r} is not a Unix timestamp")
            timestamp = int(value)
        elif name == _SCHEME:
            signatures.append(value)
    if timestamp is None:
        raise _malformed("no t= timestamp")
    if not signatures:
        raise SignatureVerificationError(
            REASON_NO_SIGNATURE, f"{SIGNATURE_HEADER} has no v1= signature"
        )
    return timestamp, signatures


def _malformed(what: str) -> SignatureVerificationError:
    return SignatureVerificationError(
        REASON_MALFORMED_HEADER,
        f"{SIGNATURE_HEADER} is malformed ({what}); expected t=<unix seconds>,v1=<hex>",
    )


def _as_bytes(payload: Union[bytes, str]) -> bytes:
    if isinstance(payload, str):
        return payload.encode("utf-8")
    if isinstance(payload, (bytes, bytearray, memoryview)):
        return bytes(payload)
    # A dict here is the body already parsed: its re-encoding would not be what was signed.
    raise TypeError(
        f"payload must be the raw request body (bytes or str), got {type(payload).__name__}"
    )
