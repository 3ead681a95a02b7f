"""What a documented pattern admits, the rule it documents accepts (schemathesis samples this
over HTTP; here every admitted shape is searched for directly)."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from buena_server.kit.validation import HTTP_URL, NOT_BLANK, Context, HttpUrl, Text

from backends import SQLITE_PASS_ONLY

pytestmark = SQLITE_PASS_ONLY

CONTEXT = Context(default_phone_region=None)


@settings(max_examples=500)
@given(st.from_regex(HTTP_URL, fullmatch=True).filter(lambda url: len(url) <= 500))
def test_every_url_the_pattern_admits_is_accepted(url: str) -> None:
    assert HttpUrl().apply(url, CONTEXT) == url


@settings(max_examples=300)
@given(st.from_regex(NOT_BLANK, fullmatch=True).filter(lambda value: len(value) <= 100))
def test_every_required_text_the_pattern_admits_is_accepted(value: str) -> None:
    assert Text(100, min_length=1).apply(value, CONTEXT)


def test_the_url_pattern_refuses_what_the_rule_refuses() -> None:
    for url in ("ftp://x.io", "https://", "https://x.io/a b", "https://x.io:99999", "x.io"):
        assert re.match(HTTP_URL, url) is None, url
