"""What a documented pattern admits, the rule it documents accepts (schemathesis samples this
over HTTP; here every admitted shape is searched for directly)."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from buena_server.kit.validation import HTTP_URL, NOT_BLANK, Context, HttpUrl, Invalid, Text

from backends import SQLITE_PASS_ONLY

pytestmark = SQLITE_PASS_ONLY

CONTEXT = Context(default_phone_region=None)


@settings(max_examples=500)
@given(st.from_regex(HTTP_URL, fullmatch=True).filter(lambda url: len(url) <= 500))
def test_every_url_the_pattern_admits_is_accepted(url: str) -> None:
    assert HttpUrl().apply(url, CONTEXT) == url
    parts = urlsplit(url)  # what the webhook sender and address checks read: never raises
    assert parts.hostname
    _port = parts.port


@settings(max_examples=300)
@given(st.from_regex(NOT_BLANK, fullmatch=True).filter(lambda value: len(value) <= 100))
def test_every_required_text_the_pattern_admits_is_accepted(value: str) -> None:
    assert Text(100, min_length=1).apply(value, CONTEXT)


def test_the_url_pattern_refuses_what_the_rule_refuses() -> None:
    for url in ("ftp://x.io", "https://", "https://x.io/a b", "https://x.io:99999", "x.io"):
        assert re.match(HTTP_URL, url) is None, url


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("HTTP://0*", "letters, digits, dots and hyphens"),
        ("https://b\u00fccher.de/x", "ASCII host"),
        ("https://x.io:65536/", "not a valid URL"),
        ("https://x.io/a b", "whitespace"),
        ("ftp://x.io", "http(s) URL with a host"),
        ("https://[fe80::1%25eth0]/", "IPv6 address in brackets"),
        ("https://[1::2::3]/", "not a valid URL"),
    ],
)
def test_the_rule_refuses_what_the_pattern_refuses(url: str, message: str) -> None:
    assert re.fullmatch(HTTP_URL, url) is None
    with pytest.raises(Invalid, match=re.escape(message)):
        HttpUrl().apply(url, CONTEXT)


@settings(max_examples=500)
@given(st.text(max_size=40).map(lambda tail: "https://" + tail))
def test_a_url_is_accepted_exactly_when_the_pattern_admits_it(url: str) -> None:
    admitted = re.fullmatch(HTTP_URL, url.strip()) is not None
    try:
        HttpUrl().apply(url, CONTEXT)
    except Invalid:
        assert not admitted, url
    else:
        assert admitted, url


def test_every_port_is_admitted_and_none_beyond() -> None:
    for port in (0, 1, 80, 9999, 10000, 59999, 64999, 65499, 65529, 65535):
        assert HttpUrl().apply(f"https://x.io:{port}/", CONTEXT)
    for port in (65536, 65540, 65600, 66000, 70000, 99999):
        assert re.fullmatch(HTTP_URL, f"https://x.io:{port}/") is None
