"""Value rules for request fields: declared once, enforced here (422), documented in OpenAPI.

Request structs decode structurally (types, required and unknown fields: 400). Each field's
value rule rides in ``msgspec.Meta(extra=...)``, which msgspec itself ignores, and its
OpenAPI keywords ride in ``extra_json_schema``, which Litestar copies into the schema. So the
documented constraint and the enforced one come from the same line.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import Any, Protocol, TypeVar
from urllib.parse import urlsplit

import email_validator
import msgspec
import phonenumbers

from buena_server.errors import ValidationFailed, summary_of
from buena_server.kit.clock import utcnow

_RULE_KEY = "buena_rule"

# Whitespace trimmed from text values. The documented patterns name the same characters, so
# what the schema calls blank and what the server calls blank never differ.
TRIMMED = " \t\n\r\x0b\x0c"
NO_NUL = r"^[^\x00]*$"
NOT_BLANK = r"^[^\x00]*[^\x00 \t\n\r\x0b\x0c][^\x00]*$"
# An http(s) URL, exactly what HttpUrl below accepts (after trimming surrounding blanks): an
# ASCII host name (so that urlsplit's NFKC check cannot fail; an internationalised domain in
# its xn-- form) or an IP literal (IPv4, or IPv6 in brackets, RFC 3986's grammar), a port
# 0-65535, nothing that str.isspace() calls whitespace (Python's \s, plus what ECMA-262's \s
# lacks), no NUL.
_OCTET = r"(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])"
_IPV4 = rf"{_OCTET}(?:\.{_OCTET}){{3}}"
_H16 = r"[0-9A-Fa-f]{1,4}"
_LS32 = rf"(?:{_H16}:{_H16}|{_IPV4})"
_IPV6 = "|".join(
    (
        rf"(?:{_H16}:){{6}}{_LS32}",
        rf"::(?:{_H16}:){{5}}{_LS32}",
        rf"(?:{_H16})?::(?:{_H16}:){{4}}{_LS32}",
        rf"(?:(?:{_H16}:){{0,1}}{_H16})?::(?:{_H16}:){{3}}{_LS32}",
        rf"(?:(?:{_H16}:){{0,2}}{_H16})?::(?:{_H16}:){{2}}{_LS32}",
        rf"(?:(?:{_H16}:){{0,3}}{_H16})?::{_H16}:{_LS32}",
        rf"(?:(?:{_H16}:){{0,4}}{_H16})?::{_LS32}",
        rf"(?:(?:{_H16}:){{0,5}}{_H16})?::{_H16}",
        rf"(?:(?:{_H16}:){{0,6}}{_H16})?::",
    )
)
HTTP_URL = (
    r"^[Hh][Tt][Tt][Pp][Ss]?://(?:[A-Za-z0-9._~%!$&'()*+,;=:-]*@)?"
    rf"(?:[A-Za-z0-9][A-Za-z0-9.-]*|\[(?:{_IPV6})\])"
    r"(?::(?:[0-9]{1,4}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5]))?"
    r"(?:[/?#][^\s\x00\x1c-\x1f\x85]*)?$"
)
# The custom OpenAPI format of FutureTimestamp: JSON Schema cannot say "after now".
FUTURE_DATE_TIME = "future-date-time"
S = TypeVar("S", bound=msgspec.Struct)
_json_encoder = msgspec.json.Encoder()


@dataclass(frozen=True, slots=True)
class Context:
    """What rules may depend on besides the value."""

    default_phone_region: str | None = None


class Invalid(Exception):
    """Raised by a rule with a message for the client."""


class Rule(Protocol):
    def apply(self, value: Any, context: Context) -> Any:
        """Return the value to store (possibly normalised) or raise Invalid."""
        ...


def field(
    rule: Rule, *, description: str, non_null: str | None = None, **schema: Any
) -> msgspec.Meta:
    """Meta for a request field: the rule to enforce plus its OpenAPI keywords.

    ``non_null`` documents a field whose type admits null only so that an explicit null can
    be answered with a 422 (PATCH of a required field): the schema then shows just that type.
    """
    extra_schema = {key: value for key, value in schema.items() if value is not None}
    if non_null is not None:
        extra_schema.update(type=non_null, one_of=None)
    return msgspec.Meta(
        description=description,
        extra_json_schema={"description": description, "extra": extra_schema or None},
        extra={_RULE_KEY: rule},
    )


def text(
    max_length: int, description: str, *, required: bool = False, strip: bool = True
) -> msgspec.Meta:
    """A text field: trimmed (unless ``strip`` is off), at most ``max_length``, no NUL
    (PostgreSQL cannot store it); ``required`` ones must not be blank or null."""
    min_length = 1 if required else 0
    return field(
        Text(max_length, min_length=min_length, strip=strip),
        description=description,
        max_length=max_length,
        min_length=min_length or None,
        pattern=NOT_BLANK if required else NO_NUL,
        non_null="string" if required else None,
    )


@dataclass(frozen=True, slots=True)
class Text:
    max_length: int
    min_length: int = 0
    strip: bool = True

    def apply(self, value: str, context: Context) -> str:
        # The length as sent, as the schema's maxLength counts it: blanks trimmed after do
        # not let a longer value through.
        if len(value) > self.max_length:
            raise Invalid(f"must be at most {self.max_length} characters")
        if self.strip:
            value = value.strip(TRIMMED)
        if len(value) < self.min_length:
            raise Invalid(
                "must not be empty"
                if self.min_length == 1
                else f"must be at least {self.min_length} characters"
            )
        _refuse_nul(value)
        return value


def _refuse_nul(value: str) -> None:
    # PostgreSQL cannot store NUL in text, and SQLite cuts LIKE patterns at it.
    if "\x00" in value:
        raise Invalid("must not contain NUL characters")


# Plain addresses (letters, digits, "_", "+", "-" and single dots before the @; LDH labels
# and a letters-only top-level domain after it), within the lengths of RFC 5321 (the whole
# address counted in UTF-8 octets, as email_validator counts it). The letters before the @
# may be Latin ones with accents (U+00C0-U+017F but U+00D7 and U+00F7: precomposed, NFC-stable
# letters, which email_validator admits in an internationalized local part). Every address
# this admits, email_validator admits too (a property test checks it), but deciding it here
# costs 2 µs against about 30-100 µs for email_validator's Unicode and IDNA checks; any
# other address (other scripts, rarer characters, "--" labels, special-use domains) goes
# through email_validator.
_LATIN_LETTERS = "\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u017f"
_PLAIN_EMAIL = re.compile(
    r"(?=.{1,254}\Z)(?=[^@]{1,64}@)"
    rf"[A-Za-z0-9_+\-{_LATIN_LETTERS}]+(?:\.[A-Za-z0-9_+\-{_LATIN_LETTERS}]+)*"
    r"@(?=.{1,253}\Z)(?:[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}\Z"
)
# Special-use names email_validator refuses; ".test" is admitted (test_environment below).
_SPECIAL_USE_SUFFIXES = tuple(
    f".{name}" for name in email_validator.SPECIAL_USE_DOMAIN_NAMES if name != "test"
)


def is_plain_email(value: str) -> bool:
    """Whether ``value`` is a plain address that email_validator would admit as it is."""
    if _PLAIN_EMAIL.match(value) is None:
        return False
    if not value.isascii() and len(value.encode()) > 254:
        return False
    # With a leading dot, so that the suffixes match whole labels only.
    domain = "." + value[value.index("@") + 1 :].lower()
    return "--" not in domain and not domain.endswith(_SPECIAL_USE_SUFFIXES)


def check_with_email_validator(value: str) -> None:
    """email_validator's verdict, with our options; raises EmailNotValidError."""
    # test_environment admits the reserved ".test" TLD, which developers use for fixtures;
    # other special-use domains (.local, .invalid, ...) stay refused.
    email_validator.validate_email(
        value,
        check_deliverability=False,
        test_environment=True,
        allow_smtputf8=True,
        allow_quoted_local=False,
    )


@dataclass(frozen=True, slots=True)
class Email:
    def apply(self, value: str, context: Context) -> str:
        value = value.strip()
        if is_plain_email(value):
            return value
        try:
            check_with_email_validator(value)
        except email_validator.EmailNotValidError as exc:
            raise Invalid(f"is not a valid email address: {exc}") from None
        return value


# Numbers of the North American Numbering Plan in international form: "+1", an area code
# that starts with 2-9, then groups of 3 and 4 digits, a single "-", "." or " " between any
# two groups. libphonenumber calls every one of them possible whatever the default region
# (country code 1, a 10-digit national number, no national prefix "1" to strip); deciding
# them here costs 0.2 µs against ~15 µs for its parse. Any other number goes through
# libphonenumber; test_phone_rule.py holds the two verdicts equal on generated numbers.
_NANP_NUMBER = re.compile(r"\+1[-. ]?[2-9][0-9]{2}[-. ]?[0-9]{3}[-. ]?[0-9]{4}")


@dataclass(frozen=True, slots=True)
class Phone:
    max_length: int = 50

    def apply(self, value: str, context: Context) -> str:
        value = value.strip()
        if len(value) > self.max_length:
            raise Invalid(f"must be at most {self.max_length} characters")
        _refuse_nul(value)
        if _NANP_NUMBER.fullmatch(value):
            return value
        hint = "use the international format, e.g. +1-555-123-4567"
        try:
            number = phonenumbers.parse(value, context.default_phone_region)
        except phonenumbers.NumberParseException:
            raise Invalid(f"is not a phone number ({hint})") from None
        if not phonenumbers.is_possible_number(number):
            raise Invalid(f"is not a possible phone number ({hint})")
        return value


# Any character str.isspace() admits (re's \s on str patterns is the same test).
_WHITESPACE = re.compile(r"\s")
# The rule is the documented pattern, no more and no less (test_documented_patterns.py; the
# fuzzer sends values on both sides of it): a host in ASCII (an internationalised one in its
# punycode form, xn--...), any port 0-65535, a path, query or fragment in any characters but
# whitespace and controls. urlsplit only words the refusal.
_PLAIN_URL = re.compile(HTTP_URL)


@dataclass(frozen=True, slots=True)
class HttpUrl:
    max_length: int = 500

    def apply(self, value: str, context: Context) -> str:
        value = value.strip()
        if len(value) > self.max_length:
            raise Invalid(f"must be at most {self.max_length} characters")
        if _PLAIN_URL.fullmatch(value):
            return value
        _refuse_nul(value)
        raise Invalid(_url_refusal(value))


def _url_refusal(value: str) -> str:
    """Why a value the pattern refuses is not an http(s) URL, in the user's terms."""
    try:
        parts = urlsplit(value)
        hostname = parts.hostname
        _port = parts.port  # raises ValueError when out of range
    except ValueError:
        return "is not a valid URL"
    if parts.scheme.lower() not in {"http", "https"} or not hostname:
        return "must be an http(s) URL with a host, e.g. https://linkedin.com/in/jane"
    if _WHITESPACE.search(value):
        return "must not contain whitespace"
    if ":" in hostname:
        return "must have an IPv6 address in brackets without a zone, e.g. https://[2001:db8::1]/"
    if not hostname.isascii():
        return "must have an ASCII host (an internationalised domain in its xn-- form)"
    return (
        "must have a host of letters, digits, dots and hyphens, e.g. https://linkedin.com/in/jane"
    )


@dataclass(frozen=True, slots=True)
class OneOf:
    values: tuple[str, ...]

    def apply(self, value: str, context: Context) -> str:
        if value not in self.values:
            raise Invalid(f"must be one of: {', '.join(self.values)}")
        return value


@dataclass(frozen=True, slots=True)
class StringList:
    """A list of short strings: trimmed, non-empty, duplicates dropped (first kept)."""

    max_items: int
    item_max_length: int
    allowed: tuple[str, ...] | None = None
    min_items: int = 0

    def apply(self, value: list[str], context: Context) -> list[str]:
        if len(value) > self.max_items:
            raise Invalid(f"must have at most {self.max_items} items")
        seen: dict[str, None] = {}
        for index, raw in enumerate(value):
            item = raw.strip(TRIMMED)
            if not item:
                raise Invalid(f"item {index} must not be empty")
            if "\x00" in item:
                raise Invalid(f"item {index} must not contain NUL characters")
            if len(item) > self.item_max_length:
                raise Invalid(f"item {index} must be at most {self.item_max_length} characters")
            if self.allowed is not None and item not in self.allowed:
                raise Invalid(f"item {index} ({item!r}) must be one of: {', '.join(self.allowed)}")
            seen.setdefault(item, None)
        if len(seen) < self.min_items:
            raise Invalid(f"must have at least {self.min_items} item(s)")
        return list(seen)


@dataclass(frozen=True, slots=True)
class JsonObject:
    """Free-form custom data, bounded in keys, key length, nesting and encoded size."""

    max_keys: int
    max_key_length: int
    max_bytes: int
    max_depth: int

    def apply(self, value: dict[str, Any], context: Context) -> dict[str, Any]:
        if len(value) > self.max_keys:
            raise Invalid(f"must have at most {self.max_keys} keys")
        for key in value:
            if not key.strip(TRIMMED) or len(key) > self.max_key_length or "\x00" in key:
                raise Invalid(
                    f"keys must be 1 to {self.max_key_length} characters, not blank, without NUL"
                )
        # One encoding answers the common case of each check (~0.5 against ~1.3 µs for
        # walking the value twice and encoding it): a value with no more brackets than
        # ``max_depth`` cannot nest deeper (brackets inside strings only count more), and
        # a NUL is written "\u0000", so a value whose JSON lacks that text holds none. A
        # value that fails a shortcut gets the full check.
        encoded = _json_encoder.encode(value)
        brackets = encoded.count(b"{") + encoded.count(b"[")
        if brackets > self.max_depth and _depth(value) > self.max_depth:
            raise Invalid(f"must not nest deeper than {self.max_depth} levels")
        if b"\\u0000" in encoded and _holds_nul(value):
            # PostgreSQL's jsonb cannot store \u0000 (a key or a string at any depth).
            raise Invalid("must not hold NUL (\\u0000) in any key or string")
        self.check_size(value, encoded)
        return value

    def check_size(self, value: dict[str, Any], encoded: bytes | None = None) -> None:
        # The size is json.dumps's (compact, UTF-8). msgspec writes the same bytes but for
        # the exponent of some floats ("1e-7" for "1e-07"), never half as many, and ~15
        # times faster: a value it encodes in half the limit is within it.
        if encoded is None:
            encoded = _json_encoder.encode(value)
        if len(encoded) * 2 <= self.max_bytes:
            return
        size = len(json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode())
        if size > self.max_bytes:
            raise Invalid(f"must encode to at most {self.max_bytes} bytes of JSON (got {size})")


def json_nested_at_most(depth: int) -> dict[str, Any]:
    """The JSON Schema of any JSON value with at most ``depth`` levels of arrays/objects, no
    NUL in its strings and keys."""
    schema: dict[str, Any] = {"type": ["null", "boolean", "number", "string"], "pattern": NO_NUL}
    for _ in range(depth):
        schema = {
            "type": ["null", "boolean", "number", "string", "array", "object"],
            "pattern": NO_NUL,
            "items": schema,
            "propertyNames": {"pattern": NO_NUL},
            "additionalProperties": schema,
        }
    return schema


def _holds_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any("\x00" in key or _holds_nul(child) for key, child in value.items())
    if isinstance(value, list):
        return any(_holds_nul(child) for child in value)
    return False


def _depth(value: Any) -> int:
    if isinstance(value, dict):
        children: Iterable[Any] = value.values()
    elif isinstance(value, list):
        children = value
    else:
        return 0
    deepest = 0
    for child in children:
        if isinstance(child, (dict, list)):
            deepest = max(deepest, _depth(child))
    return 1 + deepest


@dataclass(frozen=True, slots=True)
class FutureTimestamp:
    """An RFC 3339 timestamp with an offset, in the future; returned in UTC."""

    def apply(self, value: str, context: Context) -> datetime:
        example = "e.g. 2027-01-01T00:00:00Z"
        try:
            moment = msgspec.json.decode(msgspec.json.encode(value), type=datetime)
        except msgspec.DecodeError:
            raise Invalid(f"must be an RFC 3339 timestamp, {example}") from None
        if moment.tzinfo is None or moment.utcoffset() is None:
            raise Invalid(f"must include a time zone offset, {example}")
        try:
            moment = moment.astimezone(UTC)
        except OverflowError:
            raise Invalid("is out of range") from None
        if moment <= utcnow():
            raise Invalid("must be in the future")
        return moment


@cache
def rules_of(struct_type: type[msgspec.Struct]) -> tuple[tuple[str, Rule], ...]:
    info = msgspec.inspect.type_info(struct_type)
    assert isinstance(info, msgspec.inspect.StructType)
    found: list[tuple[str, Rule]] = []
    for struct_field in info.fields:
        for metadata in _metadata_in(struct_field.type):
            rule = (metadata.extra or {}).get(_RULE_KEY)
            if rule is not None:
                found.append((struct_field.name, rule))
    return tuple(found)


def _metadata_in(field_type: msgspec.inspect.Type) -> Iterator[msgspec.inspect.Metadata]:
    if isinstance(field_type, msgspec.inspect.Metadata):
        yield field_type
    elif isinstance(field_type, msgspec.inspect.UnionType):
        for member in field_type.types:
            yield from _metadata_in(member)


def validate(struct: S, context: Context, errors: list[dict[str, str]] | None = None) -> S:
    """Apply every field's rule; collect all failures (and ``errors`` found by the caller)
    into one 422."""
    errors = list(errors or [])
    changes: dict[str, Any] = {}
    for name, rule in rules_of(type(struct)):
        value = getattr(struct, name)
        if value is None or value is msgspec.UNSET:
            continue
        try:
            checked = rule.apply(value, context)
        except Invalid as exc:
            errors.append({"field": name, "message": f"{name} {exc}"})
            continue
        if checked is not value:  # normalised (trimmed...): the struct takes the new value
            changes[name] = checked
    if errors:
        raise_invalid(errors)
    return msgspec.structs.replace(struct, **changes) if changes else struct


def raise_invalid(errors: Sequence[dict[str, str]]) -> None:
    raise ValidationFailed(summary_of(list(errors)), details={"errors": list(errors)})
