"""Schemathesis hooks for the API fuzz test (loaded through SCHEMATHESIS_HOOKS).

Three rules cannot be written in JSON Schema: a phone number must be *possible* (per
libphonenumber), an API key's expiry must be in the future, and a webhook's URL must not
reach a non-public address. The document names them as custom formats (``phone``,
``future-date-time``, ``webhook-url``); these hooks teach the generator each, so that the
positive-data checks test everything else.
"""

from __future__ import annotations

import functools
import json
import re
import uuid
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import phonenumbers
import schemathesis
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.core.parameters import ParameterLocation
from schemathesis.transport.serialization import Binary

from buena_server.keys.service import KEYS_CURSOR_BINDING
from buena_server.kit.cursor import Position, encode_cursor
from buena_server.kit.validation import FUTURE_DATE_TIME
from buena_server.leads.listing import LeadQuery
from buena_server.leads.parameters import lead_filters, query_binding
from buena_server.linkedin.schemas import SCHEDULE_FORMAT, TIME_ZONE_FORMAT, time_zones
from buena_server.webhooks.schemas import WEBHOOK_URL_FORMAT

from voice_audio import Voice, voice_file

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


# A webhook URL must not name or resolve to a non-public address, which JSON Schema cannot
# say: https URLs under .invalid, which never resolves (and so is judged again at delivery).
schemathesis.openapi.format(
    WEBHOOK_URL_FORMAT,
    st.builds(
        "https://{}.hooks.invalid/{}".format,
        st.from_regex(r"[a-z0-9]{1,20}", fullmatch=True),
        st.from_regex(r"[A-Za-z0-9._~-]{0,30}", fullmatch=True),
    ),
)


# A LinkedIn integration's time zone: an IANA name the server knows (JSON Schema cannot list
# the time zone database); an action's scheduled_at: from a year ago (as soon as the rules
# allow) to 364 days ahead.
schemathesis.openapi.format(TIME_ZONE_FORMAT, st.sampled_from(sorted(time_zones())))
schemathesis.openapi.format(
    SCHEDULE_FORMAT,
    st.builds(
        _future_timestamp,
        st.integers(-365 * 86_400, 364 * 86_400),
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
    if case.query and isinstance(case.query.get("cursor"), str):
        _valid_cursor(case.path, case.query)
    _delays_in_order(case.body)
    _csv_is_text(case)
    _prospects_within_the_body_limit(case)
    _voice_samples_are_audio(case)


@functools.cache
def _voice_sample() -> bytes:
    return voice_file("wav", Voice(seconds=10.5, sample_rate=8_000))


def _voice_samples_are_audio(case: Any) -> None:
    """An uploaded voice sample must decode as WAV, MP3, M4A or FLAC audio, which JSON
    Schema cannot say: each file of a positive POST /voice-clones becomes a generated voice.
    A negative body keeps its generated files, which the server refuses as it refuses any
    other broken upload (those refusals: test_voice_clones.py)."""
    body = case.body
    if not (
        case.path.endswith("/voice-clones")
        and case.method.upper() == "POST"
        and isinstance(body, dict)
        and isinstance(body.get("files"), list)
    ):
        return
    component = case.meta.components.get(ParameterLocation.BODY) if case.meta else None
    if component is not None and component.mode is GenerationMode.NEGATIVE:
        return
    body["files"] = [Binary(_voice_sample()) for _ in body["files"]]
    # Schemathesis revalidates a body changed in place, and takes one holding bytes for an
    # invalid one (JSON Schema has no bytes): the case stays what it was generated as.
    # (A private method: the public API has no way to say "this edit keeps it valid".)
    case._record_starting_state()


def _prospects_within_the_body_limit(case: Any) -> None:
    """A list may hold 10,000 prospects, each up to a few kilobytes: more than the body
    limit (BUENA_MAX_BODY_BYTES, 1 MiB; its 413 is tested in test_http_limits.py), which
    JSON Schema cannot say. A generated list that large keeps its length with empty
    prospects, so that the count (or the items' own rules, on smaller lists) is tested."""
    body = case.body
    if not (case.path.endswith("/prospect-lists") and isinstance(body, dict)):
        return
    prospects = body.get("prospects")
    if isinstance(prospects, list) and len(json.dumps(prospects)) > 900_000:
        body["prospects"] = [{} for _ in prospects]


def _csv_is_text(case: Any) -> None:
    """A CSV upload's body is text whatever it holds: a generated JSON value of another type
    (a negative case, "incorrect type") would reach the server as the text of that JSON, a
    CSV file like any other. It stands for an invalid file instead, sent as one: with a NUL,
    the one character the schema refuses (the refusal: test_prospect_lists.py)."""
    if case.path.endswith("/prospect-lists/import") and not isinstance(case.body, str):
        case.body = "email\n\x00\n"


def _delays_in_order(body: Any) -> None:
    """A LinkedIn integration's max_delay_seconds must not be below its min_delay_seconds,
    which JSON Schema cannot say: a generated pair is put in order (the refusal is tested in
    test_linkedin_api.py)."""
    if not isinstance(body, dict):
        return
    low, high = body.get("min_delay_seconds"), body.get("max_delay_seconds")
    # JSON Schema's integers include 1361.0, which the server takes as 1361.
    low = int(low) if isinstance(low, float) and low.is_integer() else low
    high = int(high) if isinstance(high, float) and high.is_integer() else high
    if isinstance(low, int) and isinstance(high, int) and low > high:
        body["min_delay_seconds"], body["max_delay_seconds"] = high, low
    elif isinstance(low, int) and low > 300 and "max_delay_seconds" not in body:
        body["max_delay_seconds"] = low  # the default maximum is 300
    elif isinstance(high, int) and high < 60 and "min_delay_seconds" not in body:
        body["min_delay_seconds"] = high  # the default minimum is 60


def _valid_cursor(path: str, query: dict[str, Any]) -> None:
    """A cursor is opaque: only the server makes valid ones, for one list. A generated one
    is replaced by a cursor made for the request's own list (malformed and foreign cursors
    are tested in test_leads_cursor.py), and an offset beside it dropped (JSON Schema cannot
    say "not both"; the 400 is tested there too)."""
    query.pop("offset", None)
    if path.endswith("/keys"):
        query["cursor"] = encode_cursor(KEYS_CURSOR_BINDING, Position(datetime.now(UTC), "key_x"))
        return
    values = {name: value for name, value in query.items() if isinstance(value, str)}
    filters = lead_filters(
        [],
        *(
            values.get(name)
            for name in (
                "search",
                "company",
                "status",
                "tags",
                "created_after",
                "created_before",
                "updated_after",
                "updated_before",
                "has_email",
            )
        ),
    )
    sort = values.get("sort") or "created_at"
    lead_query = LeadQuery(filters, sort, values.get("order") or "desc")
    value: Any = datetime.now(UTC) if sort in ("created_at", "updated_at") else "m"
    query["cursor"] = encode_cursor(query_binding(lead_query), Position(value, "lead_x"))


# POST /prospect-lists/import takes its list as CSV: a generated string is sent as it is.
schemathesis.serializer.alias("text/csv", "text/plain")
