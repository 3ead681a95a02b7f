"""Query strings, for every route alike: unknown parameters are refused (400, as Stripe
does), so is a single-valued one given twice (400), and integers are strict (422).

Litestar ignores query parameters a handler does not declare, and converts integers laxly
(``offset=1e3`` became 1000, ``limit=1.0`` became 1). Each route's declared parameters are
read once from Litestar's own model of the handler (``QueryRules.of_routes``), so a parameter
added to any handler is covered without being listed here again.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from urllib.parse import parse_qsl

import msgspec
from litestar.handlers import BaseRouteHandler
from litestar.routes import BaseRoute, HTTPRoute

from buena_server.errors import (
    ApiError,
    InvalidRequest,
    UnknownParameter,
    ValidationFailed,
    summary_of,
)

# What a JSON Schema integer looks like in a query string; anything else ("1.0", "1e3",
# "+1", " 1", "") is refused rather than guessed at.
_INTEGER = re.compile(r"-?[0-9]+\Z")


@dataclass(frozen=True, slots=True)
class QueryRules:
    """The query parameters one handler declares, which of them are integers, and which
    may be given more than once (sequences)."""

    names: tuple[str, ...]
    integers: frozenset[str]
    repeatable: frozenset[str] = frozenset()

    @classmethod
    def of_routes(cls, routes: Iterable[BaseRoute]) -> dict[BaseRouteHandler, QueryRules]:
        rules: dict[BaseRouteHandler, QueryRules] = {}
        for route in routes:
            if not isinstance(route, HTTPRoute):
                continue
            for handler, kwargs_model in route.route_handler_map.values():
                rules[handler] = cls.of_handler(handler, kwargs_model.expected_query_params)
        return rules

    @classmethod
    def of_handler(cls, handler: BaseRouteHandler, parameters: Iterable[Any]) -> QueryRules:
        parameters = list(parameters)
        types = {}
        if handler.signature_model is not None:
            types = {f.name: f.type for f in msgspec.structs.fields(handler.signature_model)}
        names = sorted(parameter.field_alias for parameter in parameters)
        integers = frozenset(
            parameter.field_alias
            for parameter in parameters
            if parameter.field_name in types and _is_integer(types[parameter.field_name])
        )
        repeatable = frozenset(p.field_alias for p in parameters if p.is_sequence)
        return cls(tuple(names), integers, repeatable)

    def check(self, query: Iterable[tuple[str, str]]) -> None:
        """Raise UnknownParameter (400) naming every undeclared parameter, else
        InvalidRequest (400) naming every single-valued parameter given more than once (which
        value would count?), else ValidationFailed (422) naming every integer parameter that
        is not a plain integer."""
        unknown: dict[str, None] = {}
        seen: set[str] = set()
        repeated: dict[str, None] = {}
        not_integers: dict[str, None] = {}
        for name, value in query:
            if name not in self.names:
                unknown.setdefault(name, None)
                continue
            if name in seen and name not in self.repeatable:
                repeated.setdefault(name, None)
            seen.add(name)
            if name in self.integers and _INTEGER.match(value) is None:
                not_integers.setdefault(name, None)
        if unknown:
            accepted = (
                f"accepted: {', '.join(self.names)}"
                if self.names
                else "this endpoint takes no query parameters"
            )
            raise _refusal(
                UnknownParameter,
                unknown,
                lambda name: f"Unknown query parameter {name!r} ({accepted})",
            )
        if repeated:
            raise _refusal(
                InvalidRequest,
                repeated,
                lambda name: f"Query parameter {name!r} may be given only once",
            )
        if not_integers:
            raise _refusal(
                ValidationFailed,
                not_integers,
                lambda name: f"{name} must be an integer, written with digits only",
            )


def _refusal(kind: type[ApiError], names: Iterable[str], message: Callable[[str], str]) -> ApiError:
    """``kind`` naming each of ``names`` in ``details.errors``, its message the summary."""
    errors = [{"field": name, "message": message(name), "source": "query"} for name in names]
    return kind(summary_of(errors), details={"errors": errors})


def _is_integer(annotation: Any) -> bool:
    info = msgspec.inspect.type_info(annotation)
    members = info.types if isinstance(info, msgspec.inspect.UnionType) else (info,)
    return any(
        isinstance(member, msgspec.inspect.IntType)
        or (
            isinstance(member, msgspec.inspect.Metadata)
            and isinstance(member.type, msgspec.inspect.IntType)
        )
        for member in members
    )


@lru_cache(1024)
def parse_query(query_string: bytes) -> tuple[tuple[str, str], ...]:
    """The pairs in the order sent, blank ones kept (``?tag`` is a parameter too): Litestar's
    own parse drops those, and its query_params group repeated names together. Cached as
    Litestar caches its own: clients repeat their query strings, and parse_qsl costs
    ~10 µs for a typical list query."""
    return tuple(parse_qsl(query_string.decode("latin-1"), keep_blank_values=True))
