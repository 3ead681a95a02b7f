"""The HTTP provider's field mapping, free of I/O: a lead's fields into the request, the
service's answer into ``enriched_data`` keys, each value converted to the type
``enriched_data`` gives that key (``http_config.response_targets``)."""

from __future__ import annotations

import copy
import logging
from typing import Any, get_origin

import msgspec

from buena_server.enrichment.http_config import HttpProviderConfig, response_targets
from buena_server.enrichment.model import LeadInput

log = logging.getLogger("buena.enrichment")


def _put(target: dict[str, Any], dotted: str, value: Any) -> None:
    """``target["a"]["b"] = value`` for ``"a.b"``, making the objects on the way."""
    *parents, last = dotted.split(".")
    for part in parents:
        inner = target.get(part)
        if not isinstance(inner, dict):
            inner = target[part] = {}
        target = inner
    target[last] = value


def _query_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def request_of(config: HttpProviderConfig, lead: LeadInput) -> dict[str, Any] | None:
    """The JSON body (POST) or query parameters (GET) for ``lead``; None when the lead has
    none of the fields the service needs (it is then not called)."""
    given = {field: getattr(lead, field) for field in config.request_fields}
    given = {field: value for field, value in given.items() if value}
    if not any(field in given for field in config.needed_fields):
        return None
    if config.method == "GET":
        params = {name: _query_value(value) for name, value in config.request_constants.items()}
        params.update({config.request_fields[field]: value for field, value in given.items()})
        return params
    body = copy.deepcopy(config.request_constants)
    for field, value in given.items():
        _put(body, config.request_fields[field], value)
    return body


def value_at(answer: Any, path: str) -> Any:
    """The value at a dotted ``path`` of the answer (a number picks a list's item); None when
    the answer has nothing there."""
    value = answer
    for part in path.split("."):
        if isinstance(value, dict):
            value = value.get(part)
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            return None
    return value


def findings_of(name: str, answer: Any, fields: dict[str, str]) -> dict[str, Any]:
    """The ``enriched_data`` keys ``fields`` maps out of ``answer``. A value that is not of
    its key's type, even loosely ("250" is taken for a number, "true" for a boolean), is
    dropped and logged: one odd value costs that value, not the lead."""
    targets = response_targets()
    data: dict[str, Any] = {}
    for path, target in fields.items():
        value = value_at(answer, path)
        if value is None or value in ("", [], {}):
            continue
        kind = targets[target]
        if get_origin(kind) is list and not isinstance(value, list):
            value = [value]  # one address where the key holds several
        try:
            value = msgspec.convert(value, kind, strict=False)
        except msgspec.ValidationError as wrong:
            log.warning(
                "enrichment provider %r: %s in the answer does not fit %s (%s): dropped",
                name,
                path,
                target,
                wrong,
            )
            continue
        top, _, inner = target.partition(".")
        if inner:
            data.setdefault(top, {}).setdefault(inner, value)
        else:
            data.setdefault(top, value)
    return data
