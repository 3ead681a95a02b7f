"""The custom-fields rule (JsonObject): its size is json.dumps's compact UTF-8 length, decided
from msgspec's encoding when that is at most half the limit; its depth."""

from __future__ import annotations

import json
from typing import Any

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from buena_server.kit.validation import Context, Invalid, JsonObject, _depth, _holds_nul

from backends import SQLITE_PASS_ONLY

pytestmark = SQLITE_PASS_ONLY

CONTEXT = Context(default_phone_region=None)

# What a JSON body decodes to: every float (exponents large and small), any text (control
# characters and astral ones included), integers past 64 bits.
_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(),
)
JSON_VALUES = st.recursive(
    _SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)
OBJECTS = st.dictionaries(st.text(min_size=1, max_size=8), JSON_VALUES, max_size=6)


def dumped_size(value: Any) -> int:
    return len(json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode())


@settings(max_examples=1000, deadline=None)
@given(JSON_VALUES)
def test_json_dumps_never_writes_twice_what_msgspec_writes(value: Any) -> None:
    assert dumped_size(value) <= 2 * len(msgspec.json.encode(value))


@settings(max_examples=1000, deadline=None)
@given(OBJECTS, st.integers(min_value=2, max_value=400))
def test_the_size_limit_is_json_dumps_length(value: dict[str, Any], limit: int) -> None:
    rule = JsonObject(max_keys=100, max_key_length=100, max_bytes=limit, max_depth=100)
    try:
        rule.check_size(value)
    except Invalid:
        assert dumped_size(value) > limit
    else:
        assert dumped_size(value) <= limit


def test_the_limit_counts_bytes_as_json_dumps_writes_them() -> None:
    # "1e-07" is five bytes to json.dumps, four to msgspec: the limit counts five.
    value = {"f": 1e-07}  # {"f":1e-07}: 11 bytes
    rule = JsonObject(max_keys=10, max_key_length=10, max_bytes=10, max_depth=5)
    with pytest.raises(Invalid, match="got 11"):
        rule.check_size(value)
    JsonObject(max_keys=10, max_key_length=10, max_bytes=11, max_depth=5).check_size(value)


@pytest.mark.parametrize(
    ("value", "depth"),
    [
        ({}, 1),
        ({"a": 1, "b": "x"}, 1),
        ({"a": []}, 2),
        ({"a": [1, {"b": [2]}], "c": {}}, 4),
        ({"a": {"b": {"c": {"d": {"e": 1}}}}}, 5),
    ],
)
def test_depth(value: dict[str, Any], depth: int) -> None:
    JsonObject(max_keys=10, max_key_length=10, max_bytes=1000, max_depth=depth).apply(
        value, CONTEXT
    )
    with pytest.raises(Invalid, match="nest deeper"):
        JsonObject(max_keys=10, max_key_length=10, max_bytes=1000, max_depth=depth - 1).apply(
            value, CONTEXT
        )


# Text that trips the shortcuts of ``apply`` (brackets inside strings, a NUL, the escape
# "\\u0000" written by hand) beside any text.
_TRICKY = st.one_of(st.sampled_from(["{[", "]}", "\x00", "a\x00b", "\\u0000", "[{[{"]), st.text())
TRICKY_VALUES = st.recursive(
    st.one_of(_SCALARS, _TRICKY),
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(_TRICKY, inner, max_size=4)
    ),
    max_leaves=20,
)


@settings(max_examples=500, deadline=None)
@given(
    st.dictionaries(st.text("abc", min_size=1, max_size=4), TRICKY_VALUES, max_size=4),
    st.integers(min_value=0, max_value=6),
)
def test_depth_and_nul_verdicts_are_those_of_walking_the_value(
    value: dict[str, Any], depth: int
) -> None:
    """``apply`` decides depth and NUL from one encoding where it can: its verdicts are
    those of walking the value."""
    rule = JsonObject(max_keys=100, max_key_length=100, max_bytes=10**6, max_depth=depth)
    expected = None
    if _depth(value) > depth:
        expected = "nest deeper"
    elif _holds_nul(value):
        expected = "must not hold NUL"
    if expected is None:
        rule.apply(value, CONTEXT)
    else:
        with pytest.raises(Invalid, match=expected):
            rule.apply(value, CONTEXT)
