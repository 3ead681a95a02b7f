"""The phone rule: North American numbers in international form decided by a pattern, every
other number by libphonenumber, and the same verdict as libphonenumber alone on every value."""

from __future__ import annotations

import phonenumbers
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from buena_server.kit.validation import _NANP_NUMBER, Context, Invalid, Phone

from backends import SQLITE_PASS_ONLY

pytestmark = SQLITE_PASS_ONLY

REGIONS = [None, "US", "CA", "GB", "DE", "FR", "IN"]


def library_admits(value: str, region: str | None) -> bool:
    try:
        number = phonenumbers.parse(value, region)
    except phonenumbers.NumberParseException:
        return False
    return bool(phonenumbers.is_possible_number(number))


def rule_admits(value: str, region: str | None) -> bool:
    try:
        Phone().apply(value, Context(default_phone_region=region))
    except Invalid:
        return False
    return True


_SEPARATOR = st.sampled_from(["", "-", ".", " ", "  ", "--", "(", ")", "/", "x"])


@st.composite
def near_north_american(draw: st.DrawFn) -> str:
    """Hits and near misses of the pattern: area codes from 0, wrong group lengths, other
    separators, a missing or doubled plus, other country codes."""
    prefix = draw(st.sampled_from(["+1", "+", "1", "+11", "+44", "", "++1", "+1 1"]))
    groups = [draw(st.text("0123456789", min_size=0, max_size=5)) for _ in range(3)]
    parts = [prefix]
    for group in groups:
        parts += [draw(_SEPARATOR), group]
    return "".join(parts)


@settings(max_examples=1500, deadline=None)
@given(st.from_regex(_NANP_NUMBER, fullmatch=True), st.sampled_from(REGIONS))
def test_every_number_the_pattern_admits_libphonenumber_admits(
    value: str, region: str | None
) -> None:
    assert library_admits(value, region), value


@settings(max_examples=1500, deadline=None)
@given(
    st.one_of(near_north_american(), st.text("+0123456789-. ()", max_size=20)),
    st.sampled_from(REGIONS),
)
def test_the_rule_agrees_with_libphonenumber(value: str, region: str | None) -> None:
    assert rule_admits(value, region) == library_admits(value.strip(), region), value


@pytest.mark.parametrize(
    ("value", "decided_by_the_pattern"),
    [
        ("+1-555-123-4567", True),
        ("+1 415 555 0100", True),
        ("+14155550100", True),
        ("+1.212.555.0199", True),
        ("+1-155-123-4567", False),  # an area code from 1: libphonenumber decides
        ("+1 (415) 555-0100", False),  # parentheses: libphonenumber decides (and admits)
        ("+44 20 7946 0958", False),  # another country
        ("+1-555-123-456", False),  # too short
        ("+1-555-123-4567 ext. 12", False),
    ],
)
def test_what_the_pattern_decides(value: str, decided_by_the_pattern: bool) -> None:
    assert (_NANP_NUMBER.fullmatch(value) is not None) is decided_by_the_pattern
    assert rule_admits(value, None) == library_admits(value, None)
