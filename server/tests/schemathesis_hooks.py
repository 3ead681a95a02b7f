"""Schemathesis hooks for the API fuzz test (loaded through SCHEMATHESIS_HOOKS).

Two rules cannot be written in JSON Schema: a phone number must be *possible* (per
libphonenumber), and an API key's expiry must be in the future. These hooks teach the
generator both, so that the positive-data checks test everything else.
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec
import phonenumbers
import schemathesis
from hypothesis import strategies as st

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


@schemathesis.hook
def map_body(ctx: Any, body: Any) -> Any:
    """Move a well-formed expiry into the future; leave malformed ones for negative tests."""
    if isinstance(body, dict) and isinstance(body.get("expires_at"), str):
        try:
            expires_at = msgspec.json.decode(f'"{body["expires_at"]}"', type=datetime)
        except msgspec.DecodeError:
            return body
        if expires_at.tzinfo is not None:
            body["expires_at"] = (datetime.now(UTC) + timedelta(days=30)).isoformat()
    return body


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
