"""The email rule: a fast check for plain addresses, email_validator for the rest, and the
same verdict as email_validator alone on every address."""

from __future__ import annotations

import email_validator
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from buena_server.kit.validation import (
    Context,
    Email,
    Invalid,
    check_with_email_validator,
    is_plain_email,
)

from backends import SQLITE_PASS_ONLY

pytestmark = SQLITE_PASS_ONLY


def validator_admits(value: str) -> bool:
    try:
        check_with_email_validator(value)
    except email_validator.EmailNotValidError:
        return False
    return True


def rule_admits(value: str) -> bool:
    try:
        Email().apply(value, Context(default_phone_region=None))
    except Invalid:
        return False
    return True


# Accented Latin letters, the two signs among them (U+00D7, U+00F7), and U+017F.
_LOCAL = st.text("aZ09_+-.'!#éÀÿ\u017f\u00d7\u00f7ĳ", min_size=0, max_size=70)
_LABEL = st.text("aZ09-", min_size=0, max_size=66)
_TLD = st.sampled_from(
    ["com", "io", "CO", "test", "local", "localhost", "invalid", "onion", "arpa", "c1", "x", ""]
)


@st.composite
def addresses(draw: st.DrawFn) -> str:
    """Near-misses and hits: every edge the fast check decides (dots, hyphens, lengths,
    special-use names, case), plus the odd Unicode character."""
    labels = draw(st.lists(_LABEL, min_size=0, max_size=4))
    domain = ".".join([*labels, draw(_TLD)])
    local = draw(_LOCAL)
    if draw(st.booleans()):
        local += draw(st.sampled_from(["é", "ß", " ", "@", '"', "\x00", "..", "."]))
    return f"{local}@{domain}"


@settings(max_examples=3000, deadline=None)
@given(addresses())
def test_the_fast_check_admits_only_what_email_validator_admits(value: str) -> None:
    if is_plain_email(value):
        assert validator_admits(value), value


@settings(max_examples=1000, deadline=None)
@given(st.one_of(addresses(), st.emails().map(str), st.text(max_size=40)))
def test_the_rule_agrees_with_email_validator(value: str) -> None:
    assert rule_admits(value) == validator_admits(value.strip()), value


@pytest.mark.parametrize(
    ("value", "plain"),
    [
        ("john.doe+leads@mail.example.com", True),
        ("ANN@EXAMPLE.COM", True),
        ("dev@fixtures.test", True),  # reserved for tests, admitted
        ("a@b.local", False),  # special-use: refused by email_validator
        ("a@mail.LOCALHOST", False),
        ("a@ab--cd.com", False),  # an R-LDH label: email_validator decides
        ("a..b@example.com", False),
        ("josé@example.com", True),  # accented Latin letters before the @
        ("björn.müller.\u017f@leads.test", True),
        ("a\u00d7b@example.com", False),  # a sign, no letter: email_validator decides
        ("用户@example.com", False),  # another script: email_validator decides (and admits)
        ("josé@exämple.com", False),  # an internationalized domain: email_validator decides
        # 247 characters but 307 octets: too long for email_validator.
        (f"{'é' * 60}@{'b' * 60}.{'c' * 60}.{'d' * 60}.com", False),
        (f"{'a' * 65}@example.com", False),  # local part over 64
        (f"a@{'b' * 64}.com", False),  # label over 63
    ],
)
def test_plain_addresses(value: str, plain: bool) -> None:
    assert is_plain_email(value) is plain
    if plain:
        assert validator_admits(value)


def test_special_use_domains_are_still_refused() -> None:
    for value in ("a@b.local", "a@b.invalid", "a@host.localhost", "a@x.onion", "a@1.in-addr.arpa"):
        assert not rule_admits(value), value
    assert rule_admits("josé@example.com")
    assert rule_admits("用户@example.com")
