"""Every structural error of a request body at once (400), not only the first.

msgspec stops at the first field it cannot decode, which would have a client fix one field
per round trip. The valid case keeps msgspec's single fast decode (Litestar's, or the hot
path's); only once a body has failed is it examined field by field here, from the same
Struct: unknown fields, fields of the wrong JSON type, then missing required fields.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

import msgspec
from litestar import Request
from litestar.utils.scope.state import ScopeState

# msgspec ends a message with the path of the offending value: "... - at `$.tags[0]`".
_AT_PATH = re.compile(r"^(?P<message>.*?) - at `\$\.?(?P<path>[^`]*)`$")


def body_errors_of(request: Request[Any, Any, Any]) -> list[dict[str, str]]:
    """The structural errors of the request's JSON body against its handler's body Struct;
    empty when there is no such body (or it was not decoded as JSON)."""
    data = request.route_handler.parsed_fn_signature.parameters.get("data")
    body = ScopeState.from_scope(request.scope).json
    if data is None or not isinstance(body, dict):
        return []
    struct_type = data.annotation
    if not (isinstance(struct_type, type) and issubclass(struct_type, msgspec.Struct)):
        return []
    return structural_errors(struct_type, body)


def structural_errors(
    struct_type: type[msgspec.Struct], body: dict[str, Any], *, strict: bool = False
) -> list[dict[str, str]]:
    """The body's unknown, mistyped and missing fields; ``strict`` refuses what msgspec's lax
    mode would convert (``0`` for a boolean, ``"5"`` for an integer)."""
    fields = {field.encode_name: field for field in msgspec.structs.fields(struct_type)}
    forbid_unknown = struct_type.__struct_config__.forbid_unknown_fields
    errors: list[dict[str, str]] = []
    for name, value in body.items():
        if name not in fields:
            if forbid_unknown:
                errors.append(_error(name, f"Object contains unknown field `{name}`"))
            continue
        try:
            msgspec.convert({name: value}, _single_field(struct_type, name), strict=strict)
        except msgspec.ValidationError as exc:
            errors.append(_type_error(name, str(exc)))
    for name, field in fields.items():
        if field.required and name not in body:
            errors.append(_error(name, f"Object missing required field `{name}`"))
    return errors


@cache
def _single_field(struct_type: type[msgspec.Struct], name: str) -> type[msgspec.Struct]:
    """A Struct of one field of ``struct_type``, with its type (and so its error messages)."""
    field = next(f for f in msgspec.structs.fields(struct_type) if f.encode_name == name)
    return msgspec.defstruct(f"{struct_type.__name__}_{field.name}", [(name, field.type)])


def _type_error(name: str, raw: str) -> dict[str, str]:
    match = _AT_PATH.match(raw)
    if match is None:
        return _error(name, f"{name}: {raw}")
    path = match.group("path") or name
    return _error(path, f"{path}: {match.group('message')}")


def _error(field: str, message: str) -> dict[str, str]:
    return {"field": field, "message": message, "source": "body"}
