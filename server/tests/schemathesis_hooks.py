"""Schemathesis hooks for the API fuzz test (loaded through SCHEMATHESIS_HOOKS).

Two rules cannot be written in JSON Schema: a phone number must be *possible* (per
libphonenumber), and an API key's expiry must be in the future. The document names them as
custom formats (``phone``, ``future-date-time``); these hooks teach the generator both, so
that the positive-data checks test everything else.
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import phonenumbers
import schemathesis
from hypothesis import strategies as st

from buena_server.kit.validation import FUTURE_DATE_TIME

_REGIONS = sorted(phonenumbers.SUPPORTED_REGIONS)


def _example_phone(region: str, style: int) -> str:
    number = phonenumbers.example_number(region)
    assert number is not None
    return phonenumbers.format_number(number, style)


_PHONES = st.builds(
    _example_phone,
    st.sampled_from([r for r in _REGIONS if phonenumbers.example_number(r) is not None]),
    st.sampled_from(
        [phonenumbers.PhoneNumberFormat.E164, phonenumbers.PhoneNumberFormat.INTERNATIONAL]
    ),
)
schemathesis.openapi.format("phone", _PHONES)


def _future_timestamp(seconds_ahead: int, offset_minutes: int, zulu: bool) -> str:
    moment = datetime.now(UTC) + timedelta(seconds=seconds_ahead)
    if zulu:
        return moment.isoformat().replace("+00:00", "Z")
    return moment.astimezone(timezone(timedelta(minutes=offset_minutes))).isoformat()


# From a day to about 30 years ahead, in any offset the server may be sent.
schemathesis.openapi.format(
    FUTURE_DATE_TIME,
    st.builds(
        _future_timestamp,
        st.integers(86_400, 30 * 365 * 86_400),
        st.integers(-14 * 60, 14 * 60),
        st.booleans(),
    ),
)


_IDEMPOTENCY_KEY = re.compile(r"^[!-~]{1,255}$")


@schemathesis.hook
def before_call(ctx: Any, case: Any, **kwargs: Any) -> None:
    """A well-formed Idempotency-Key made unique per call: the generator repeats short keys
    with other bodies, which the server rightly refuses (422), and JSON Schema cannot say
    "unique". Malformed keys are left for the negative tests."""
    headers = case.headers
    key = headers.get("Idempotency-Key") if headers else None
    if isinstance(key, str) and _IDEMPOTENCY_KEY.match(key):
        headers["Idempotency-Key"] = str(uuid.uuid4())
