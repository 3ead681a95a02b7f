"""buena_sdk.webhooks: construct_event accepts exactly what Buena signs, and says why it
refuses anything else; sign_payload signs as the server does."""

import hashlib
import hmac
import json
from typing import Any, Callable

import pytest

import buena_sdk
from buena_sdk import webhooks
from buena_sdk.models import Event
from buena_sdk.webhooks import SignatureVerificationError, construct_event, sign_payload

SECRET = "whsec_Y2hhbmdlLW1lLXRoaXMtaXMtYS10ZXN0LXNlY3JldA"
OLD_SECRET = "whsec_b2xkLXNlY3JldC1zdGlsbC12YWxpZC1kdXJpbmctb3ZlcmxhcA"
T = 1_733_368_800  # the signature's timestamp in these tests


def _hex(secret: str, t: int, body: bytes) -> str:
    # Written out from the contract (HMAC-SHA256 of "<t>.<raw body>", hex), independently
    # of the module's own helper.
    return hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()


@pytest.fixture
def body(event_json: Callable[..., Any]) -> bytes:
    # As the server sends it: compact JSON, a non-ASCII character kept as UTF-8.
    event = event_json(data={"object": {"id": "lead_1", "company": "Müller GmbH"}})
    return json.dumps(event, separators=(",", ":"), ensure_ascii=False).encode()


def _refusal(*args: Any, **kwargs: Any) -> SignatureVerificationError:
    with pytest.raises(SignatureVerificationError) as caught:
        construct_event(*args, **kwargs)
    return caught.value


def test_a_valid_signature_gives_the_typed_event(body: bytes) -> None:
    event = construct_event(body, f"t={T},v1={_hex(SECRET, T, body)}", SECRET, now=T + 10)
    assert isinstance(event, Event)
    assert (event.id, event.type) == ("evt_1", "lead.created")
    assert event.data["object"]["company"] == "Müller GmbH"
    assert event.created_at.tzinfo is not None


def test_the_body_may_be_given_as_text(body: bytes) -> None:
    header = f"t={T},v1={_hex(SECRET, T, body)}"
    assert construct_event(body.decode(), header, SECRET, now=T).id == "evt_1"
    assert construct_event(bytearray(body), header, SECRET, now=T).id == "evt_1"


def test_sign_payload_signs_as_the_contract_says(body: bytes) -> None:
    assert sign_payload(body, SECRET, T) == f"t={T},v1={_hex(SECRET, T, body)}"


def test_sign_payload_defaults_to_now(body: bytes) -> None:
    header = sign_payload(body, SECRET)
    assert construct_event(body, header, SECRET).id == "evt_1"  # the real clock, both sides


def test_a_tampered_body_is_refused(body: bytes) -> None:
    header = sign_payload(body, SECRET, T)
    tampered = body.replace(b"lead_1", b"lead_2")
    error = _refusal(tampered, header, SECRET, now=T)
    assert error.reason == webhooks.REASON_NO_MATCHING_SIGNATURE
    assert "raw body" in str(error)


def test_re_encoded_json_is_refused(body: bytes) -> None:
    # What a receiver gets by parsing then dumping the body: not the bytes that were signed.
    header = sign_payload(body, SECRET, T)
    reencoded = json.dumps(json.loads(body)).encode()
    assert reencoded != body
    assert _refusal(reencoded, header, SECRET, now=T).reason == "no_matching_signature"


def test_the_wrong_secret_is_refused(body: bytes) -> None:
    header = sign_payload(body, OLD_SECRET, T)
    assert _refusal(body, header, SECRET, now=T).reason == "no_matching_signature"


@pytest.mark.parametrize("secret", [SECRET, OLD_SECRET])
def test_during_a_rotation_either_secret_verifies(body: bytes, secret: str) -> None:
    # The new secret's signature first, the previous one's second (the contract's order).
    header = f"t={T},v1={_hex(SECRET, T, body)},v1={_hex(OLD_SECRET, T, body)}"
    assert construct_event(body, header, secret, now=T).id == "evt_1"


def test_a_secret_in_neither_of_two_signatures_is_refused(body: bytes) -> None:
    header = f"t={T},v1={_hex(SECRET, T, body)},v1={_hex(OLD_SECRET, T, body)}"
    other = "whsec_" + "z" * 43
    assert _refusal(body, header, other, now=T).reason == "no_matching_signature"


def test_unknown_schemes_and_spaces_are_tolerated(body: bytes) -> None:
    # A later server may add a v2 scheme; receivers built today must keep working.
    header = f" t={T} , v2=abc ,v1={_hex(SECRET, T, body)} "
    assert construct_event(body, header, SECRET, now=T).id == "evt_1"


def test_a_signature_made_for_another_timestamp_is_refused(body: bytes) -> None:
    # The timestamp is signed: moving t forward to pass the tolerance breaks the signature.
    header = f"t={T + 3600},v1={_hex(SECRET, T, body)}"
    assert _refusal(body, header, SECRET, now=T + 3600).reason == "no_matching_signature"


@pytest.mark.parametrize(
    ("now", "words"),
    [(T + 301, "301 s old"), (T - 301, "301 s in the future"), (T + 86_400, "86400 s old")],
)
def test_a_timestamp_beyond_the_tolerance_is_refused(body: bytes, now: int, words: str) -> None:
    header = sign_payload(body, SECRET, T)
    error = _refusal(body, header, SECRET, now=now)
    assert error.reason == webhooks.REASON_TIMESTAMP_OUTSIDE_TOLERANCE
    assert words in str(error)
    assert "300 s" in str(error)


@pytest.mark.parametrize("now", [T - 300, T, T + 300])
def test_the_tolerance_is_inclusive(body: bytes, now: int) -> None:
    assert construct_event(body, sign_payload(body, SECRET, T), SECRET, now=now).id == "evt_1"


def test_the_tolerance_can_be_changed_or_turned_off(body: bytes) -> None:
    header = sign_payload(body, SECRET, T)
    assert construct_event(body, header, SECRET, tolerance=3600, now=T + 3600).id == "evt_1"
    assert _refusal(body, header, SECRET, tolerance=0, now=T + 1).reason == (
        "timestamp_outside_tolerance"
    )
    assert construct_event(body, header, SECRET, tolerance=None, now=T + 10**7).id == "evt_1"


@pytest.mark.parametrize("header", [None, ""])
def test_no_header_is_refused(body: bytes, header: Any) -> None:
    error = _refusal(body, header, SECRET, now=T)
    assert error.reason == webhooks.REASON_MISSING_HEADER
    assert "Buena-Signature" in str(error)


@pytest.mark.parametrize(
    ("header", "words"),
    [
        ("garbage", "'garbage' is not name=value"),
        ("v1=abc", "no t= timestamp"),
        (f"t={T},t={T},v1=abc", "more than one t="),
        ("t=soon,v1=abc", "t='soon' is not a Unix timestamp"),
        ("t=-5,v1=abc", "is not a Unix timestamp"),
        ("t=1_000,v1=abc", "is not a Unix timestamp"),
        ("t=١٢٣,v1=abc", "is not a Unix timestamp"),  # non-ASCII digits
        (f"t={T},,v1=abc", "'' is not name=value"),
        (f"t={T},=abc", "'=abc' is not name=value"),
    ],
)
def test_a_malformed_header_is_refused_with_what_is_wrong(
    body: bytes, header: str, words: str
) -> None:
    error = _refusal(body, header, SECRET, now=T)
    assert error.reason == webhooks.REASON_MALFORMED_HEADER
    assert words in str(error)


def test_a_header_without_v1_is_refused(body: bytes) -> None:
    error = _refusal(body, f"t={T},v0=abc", SECRET, now=T)
    assert error.reason == webhooks.REASON_NO_SIGNATURE


def test_a_non_hex_or_non_ascii_signature_is_only_a_mismatch(body: bytes) -> None:
    error = _refusal(body, f"t={T},v1=ünïcode", SECRET, now=T)
    assert error.reason == "no_matching_signature"


@pytest.mark.parametrize(
    ("payload", "words"),
    [
        (b"not json", "not JSON"),
        (b"\xff\xfe", "not JSON"),
        (b"[1, 2]", "not an event"),
        (b'{"id": "evt_1", "type": "lead.created"}', "not an event"),
    ],
)
def test_a_signed_body_that_is_not_an_event_is_refused(payload: bytes, words: str) -> None:
    error = _refusal(payload, sign_payload(payload, SECRET, T), SECRET, now=T)
    assert error.reason == webhooks.REASON_INVALID_PAYLOAD
    assert words in str(error)


def test_the_signature_is_checked_before_the_body_is_parsed() -> None:
    # An unsigned body is never parsed: the refusal is about the signature.
    assert _refusal(b"not json", f"t={T},v1=00", SECRET, now=T).reason == "no_matching_signature"


def test_programming_errors_are_not_verification_errors(body: bytes) -> None:
    header = sign_payload(body, SECRET, T)
    with pytest.raises(ValueError, match="secret"):
        construct_event(body, header, "", now=T)
    with pytest.raises(ValueError, match="tolerance"):
        construct_event(body, header, SECRET, tolerance=-1, now=T)
    with pytest.raises(TypeError, match="raw request body"):
        construct_event(json.loads(body), header, SECRET, now=T)


def test_verify_signature_checks_without_parsing() -> None:
    payload = b"anything at all"
    webhooks.verify_signature(payload, sign_payload(payload, SECRET, T), SECRET, now=T)
    with pytest.raises(SignatureVerificationError):
        webhooks.verify_signature(payload, sign_payload(payload, SECRET, T), SECRET, now=T + 301)


def test_the_error_is_part_of_the_sdks_tree_and_exported() -> None:
    assert issubclass(SignatureVerificationError, buena_sdk.BuenaError)
    assert not issubclass(SignatureVerificationError, buena_sdk.ApiException)
    assert buena_sdk.SignatureVerificationError is SignatureVerificationError
    assert buena_sdk.webhooks.construct_event is construct_event
    error = SignatureVerificationError("missing_header", "No header")
    assert (error.reason, error.message, str(error)) == ("missing_header", "No header", "No header")


def test_the_header_names() -> None:
    assert webhooks.SIGNATURE_HEADER == "Buena-Signature"
    assert webhooks.EVENT_ID_HEADER == "Buena-Event-Id"
    assert webhooks.DELIVERY_ID_HEADER == "Buena-Delivery-Id"
