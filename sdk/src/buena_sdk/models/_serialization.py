"""``to_dict`` / ``from_dict`` / ``to_json`` / ``from_json`` / ``to_str`` on every model, as
openapi-generator's pydantic-v2 templates define them, so code written against a generated
client keeps working.

As there, ``to_dict`` uses the field aliases and leaves out a field whose value is None,
unless that None was set explicitly (sent as null by the server, or passed by the caller),
which a nullable field keeps; ``from_dict(None)`` is None. ``to_dict`` keeps Python values
(a ``datetime`` stays one); ``to_json`` writes them as JSON (RFC 3339 strings).
"""

import json
import pprint
from typing import Any, Optional

from pydantic import BaseModel, TypeAdapter
from typing_extensions import Self

# Dumps a value of any type (datetime, date, enum) as pydantic writes it in JSON.
_JSON_ADAPTER: TypeAdapter[Any] = TypeAdapter(Any)


class OpenApiModelMixin(BaseModel):
    """The generator's model methods, shared by every request and response model."""

    def to_dict(self) -> dict[str, Any]:
        """The model as a dict by alias, without the fields that are None and unset."""
        result = _dict_of(self, mode="python")
        assert isinstance(result, dict)
        return result

    def to_json(self) -> str:
        """The JSON of :meth:`to_dict`."""
        return json.dumps(_dict_of(self, mode="json"))

    def to_str(self) -> str:
        """A readable representation, by alias (the generator's ``pprint`` of the dump)."""
        return pprint.pformat(self.model_dump(by_alias=True))

    @classmethod
    def from_dict(cls, obj: Optional[Any]) -> Optional[Self]:
        """The model validated from ``obj``; None for None."""
        if obj is None:
            return None
        return cls.model_validate(obj)

    @classmethod
    def from_json(cls, json_str: str) -> Optional[Self]:
        """The model from its JSON (``from_dict`` of the parsed value)."""
        return cls.from_dict(json.loads(json_str))


def _dict_of(value: Any, *, mode: str) -> Any:
    if isinstance(value, BaseModel):
        fields_set = value.model_fields_set
        out: dict[str, Any] = {}
        for name, info in type(value).model_fields.items():
            item = getattr(value, name)
            if item is None and name not in fields_set:
                continue
            out[info.alias or name] = _dict_of(item, mode=mode)
        return out
    if isinstance(value, (list, tuple)):
        return [_dict_of(item, mode=mode) for item in value]
    if isinstance(value, dict):
        return {key: _dict_of(item, mode=mode) for key, item in value.items()}
    if mode == "json" and not isinstance(value, (str, int, float, bool, type(None))):
        # datetime, date, enum...: what pydantic writes in JSON for them.
        return _JSON_ADAPTER.dump_python(value, mode="json")
    return value
