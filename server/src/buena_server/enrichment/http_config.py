"""What ``BUENA_ENRICHMENT_HTTP_PROVIDERS`` may say: one object per outside service (Apollo,
Clearbit, Hunter and the like) that the generic HTTP provider (``http_provider``) calls.

Everything is checked when the settings load, so a mistake stops the start-up with a
message naming the provider and the field: an unknown option, a lead field or an
``enriched_data`` key that does not exist, an auth variable that is not set, a rate in the
wrong notation. docs/enrichment.md, "The HTTP provider", shows a full example.
"""

from __future__ import annotations

import json
import os
import types
from functools import cache
from typing import Any, Literal, Self, Union, get_args, get_origin, get_type_hints
from urllib.parse import urlsplit

import msgspec
from limits import RateLimitItem
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    TypeAdapter,
    ValidationError,
    field_validator,
    model_validator,
)

from buena_server.enrichment.model import LeadInput, Option
from buena_server.enrichment.schemas import EnrichedData
from buena_server.kit.ratelimit_rules import parse_rate_limits

# The lead fields a provider may send (all of LeadInput's).
LEAD_FIELDS: tuple[str, ...] = tuple(LeadInput.__dataclass_fields__)


def _is_struct(kind: Any) -> bool:
    return isinstance(kind, type) and issubclass(kind, msgspec.Struct)


def _without_none(kind: Any) -> Any:
    """``X | None`` -> ``X``."""
    if get_origin(kind) in (Union, types.UnionType):
        kept = [arg for arg in get_args(kind) if arg is not type(None)]
        if len(kept) == 1:
            return kept[0]
    return kind


@cache
def response_targets() -> dict[str, Any]:
    """Every key of ``enriched_data`` a response field may fill, with its type: the top-level
    fields (``title``) and the fields of its objects (``company_info.domain``)."""
    targets: dict[str, Any] = {}
    for name, kind in get_type_hints(EnrichedData).items():
        inner = _without_none(kind)
        if _is_struct(inner):
            for sub, sub_kind in get_type_hints(inner).items():
                targets[f"{name}.{sub}"] = sub_kind
        else:
            targets[name] = kind
    return targets


class AuthHeader(BaseModel):
    """The header that carries the service's key: ``value`` written here, or (better: the
    JSON then holds no secret) ``value_env``, the environment variable that holds it, read
    at start-up. ``prefix`` goes before it (``"Bearer "``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1, pattern=r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")
    value: SecretStr | None = None
    value_env: str | None = Field(default=None, min_length=1)
    prefix: str = ""

    @model_validator(mode="after")
    def _one_value(self) -> Self:
        if (self.value is None) == (self.value_env is None):
            raise ValueError("auth_header needs exactly one of value and value_env")
        if self.value_env is not None:
            secret = os.environ.get(self.value_env)
            if not secret:
                raise ValueError(
                    f"auth_header.value_env names the environment variable {self.value_env}, "
                    "which is not set"
                )
            # Resolved once, here: the provider never reads the environment.
            return self.model_copy(update={"value": SecretStr(secret)})
        return self

    def header_value(self) -> str:
        assert self.value is not None  # one of the two, resolved by _one_value
        return self.prefix + self.value.get_secret_value()


class HttpProviderConfig(BaseModel):
    """One outside service. Times are in seconds."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # Unique among all providers; shown in ``sources``; the key of BUENA_ENRICHMENT_COSTS.
    name: str = Field(pattern=r"^[a-z][a-z0-9_-]{0,39}$")
    url: str
    method: Literal["GET", "POST"] = "POST"
    auth_header: AuthHeader | None = None
    # An outbound proxy (http://host:port) for this service; none by default (the
    # environment's HTTP(S)_PROXY variables are not read).
    proxy: str | None = None
    # Further headers, sent as they are (an API version, Accept...): no secrets here.
    headers: dict[str, str] = Field(default_factory=dict)
    # The request options that turn it on (any of them).
    options: list[Option] = Field(min_length=1)
    # Lead field -> the name it is sent under: a query parameter (GET) or a key of the JSON
    # body (POST; a dotted name nests: "person.email").
    request_fields: dict[str, str] = Field(min_length=1)
    # Sent with every request beside the lead's fields (GET: strings, numbers, booleans).
    request_constants: dict[str, Any] = Field(default_factory=dict)
    # The lead fields of which the service needs one at least: a lead with none of them is
    # not sent. Empty: any of ``request_fields``.
    requires_any: list[str] = Field(default_factory=list)
    # Dotted path in the answer ("person.employment.title"; a number picks a list item) ->
    # key of enriched_data ("title", "company_info.domain").
    response_fields: dict[str, str] = Field(min_length=1)
    cost: int = Field(default=1, ge=0)
    connect_timeout_seconds: float = Field(default=3.0, gt=0)
    total_timeout_seconds: float = Field(default=10.0, gt=0)
    # Attempts after the first for a connection error, a timeout, 408, 429 or 5xx, waiting
    # backoff_seconds * 2^n (plus up to backoff_seconds of jitter, at most
    # max_backoff_seconds), or the answer's Retry-After up to max_retry_after_seconds.
    retries: int = Field(default=2, ge=0, le=10)
    backoff_seconds: float = Field(default=0.5, ge=0)
    max_backoff_seconds: float = Field(default=10.0, ge=0)
    max_retry_after_seconds: float = Field(default=30.0, ge=0)
    # After this many failed calls in a row the circuit opens: calls fail at once for
    # breaker_cool_down_seconds, then one call probes the service.
    breaker_failures: int = Field(default=5, ge=1)
    breaker_cool_down_seconds: float = Field(default=30.0, gt=0)
    # Requests sent at most, in the `limits` notation ("10/second", "600/minute", several
    # separated by ';'); "off" for none. A request waits for a slot at most
    # rate_limit_wait_seconds, then the call fails.
    rate_limit: str = "off"
    rate_limit_wait_seconds: float = Field(default=10.0, ge=0)
    # What is read of an answer at most (a longer one is a failure).
    max_response_bytes: int = Field(default=1_048_576, ge=1024)

    @field_validator("url", "proxy")
    @classmethod
    def _check_url(cls, value: str | None) -> str | None:
        if value is not None:
            parts = urlsplit(value)
            if parts.scheme not in ("http", "https") or not parts.hostname:
                # Not echoed: a URL may carry a key in its query string.
                raise ValueError("must be an http:// or https:// URL with a host")
        return value

    @field_validator("request_fields")
    @classmethod
    def _check_request_fields(cls, value: dict[str, str]) -> dict[str, str]:
        unknown = sorted(set(value) - set(LEAD_FIELDS))
        if unknown:
            raise ValueError(
                f"request_fields names unknown lead fields {unknown}; "
                f"the lead's fields are {list(LEAD_FIELDS)}"
            )
        if not all(value.values()) or any("" in sent.split(".") for sent in value.values()):
            raise ValueError("request_fields: every lead field needs a non-empty name to go by")
        return value

    @field_validator("response_fields")
    @classmethod
    def _check_response_fields(cls, value: dict[str, str]) -> dict[str, str]:
        targets = response_targets()
        unknown = sorted({target for target in value.values() if target not in targets})
        if unknown:
            raise ValueError(
                f"response_fields fills unknown enriched_data keys {unknown}; "
                f"known keys: {sorted(targets)}"
            )
        if any("" in path.split(".") for path in value):
            raise ValueError("response_fields: a path has an empty segment")
        return value

    @field_validator("rate_limit")
    @classmethod
    def _check_rate_limit(cls, value: str) -> str:
        parse_rate_limits(value)  # raises ValueError with a readable message
        return value

    @model_validator(mode="after")
    def _check_consistency(self) -> Self:
        missing = sorted(set(self.requires_any) - set(self.request_fields))
        if missing:
            raise ValueError(f"requires_any names lead fields it does not send: {missing}")
        if self.connect_timeout_seconds > self.total_timeout_seconds:
            raise ValueError("connect_timeout_seconds is longer than total_timeout_seconds")
        if self.method == "GET":
            nested = [k for k, v in self.request_constants.items() if isinstance(v, dict | list)]
            if nested:
                raise ValueError(
                    f"request_constants {nested}: a GET sends query parameters, which hold "
                    "strings, numbers and booleans only"
                )
        return self

    @property
    def rates(self) -> list[RateLimitItem]:
        return parse_rate_limits(self.rate_limit)

    @property
    def needed_fields(self) -> list[str]:
        return self.requires_any or list(self.request_fields)


_PROVIDERS = TypeAdapter(list[HttpProviderConfig])


def parse_http_providers(value: Any) -> list[HttpProviderConfig]:
    """BUENA_ENRICHMENT_HTTP_PROVIDERS (a JSON list, or the list itself) checked, with each
    mistake named by position and provider name, never echoing a value (one may be a key)."""
    if isinstance(value, str):
        if not value.strip():
            return []
        try:
            value = json.loads(value)
        except json.JSONDecodeError as exc:
            raise ValueError(
                f"BUENA_ENRICHMENT_HTTP_PROVIDERS is not valid JSON: {exc.msg} "
                f"(line {exc.lineno}, column {exc.colno})"
            ) from None
    if not isinstance(value, list):
        raise ValueError("BUENA_ENRICHMENT_HTTP_PROVIDERS must be a JSON list of objects")
    try:
        providers = _PROVIDERS.validate_python(value)
    except ValidationError as exc:
        raise ValueError(_readable(exc, value)) from None
    names = [provider.name for provider in providers]
    taken = sorted({name for name in names if names.count(name) > 1})
    if taken:
        raise ValueError(f"BUENA_ENRICHMENT_HTTP_PROVIDERS names {taken} more than once")
    return providers


def _readable(error: ValidationError, value: list[Any]) -> str:
    lines = ["BUENA_ENRICHMENT_HTTP_PROVIDERS:"]
    for item in error.errors(include_input=False, include_url=False):
        location = list(item["loc"])
        index = location.pop(0) if location and isinstance(location[0], int) else None
        entry = value[index] if isinstance(index, int) and index < len(value) else None
        named = entry.get("name") if isinstance(entry, dict) else None
        who = f"[{index}]" + (f" ({named})" if isinstance(named, str) else "")
        where = ".".join(str(part) for part in location) or "(the object)"
        message = item["msg"].removeprefix("Value error, ")
        lines.append(f"  {who} {where}: {message}")
    return "\n".join(lines)
