"""What every operations class shares: the client, and the checks on ids and bodies."""

import re
from typing import Any, Optional, TypeVar, Union
from urllib.parse import quote

from buena_sdk.api_client import ApiClient
from buena_sdk.models._base import RequestModel


class ApiBase:
    """Holds the ``ApiClient`` the operations send through."""

    def __init__(self, api_client: Optional[ApiClient] = None) -> None:
        self.api_client = api_client if api_client is not None else ApiClient()


# The characters quote(..., safe="") leaves as they are; ids are usually made of these only.
_UNRESERVED = re.compile(r"[A-Za-z0-9_.~-]+")


def path_param(name: str, value: str) -> str:
    """``value`` as one path segment, URL-quoted."""
    # An empty id would turn GET /leads/{id} into GET /leads/ (the list): refuse it here.
    if not isinstance(value, str) or not value:
        raise ValueError(f"{name} must be a non-empty string, got {value!r}")
    if _UNRESERVED.fullmatch(value):
        return value
    return quote(value, safe="")


_M = TypeVar("_M", bound=RequestModel)


def as_model(model: type[_M], value: Union[_M, dict[str, Any]]) -> _M:
    """A request model from itself or from a plain dict."""
    # A plain dict is accepted for convenience and validated locally, exactly as if the
    # model had been built from it (so unknown keys fail before any request).
    if isinstance(value, model):
        return value
    if isinstance(value, dict):
        return model.model_validate(value)
    raise TypeError(f"expected {model.__name__} or dict, got {type(value).__name__}")


class EmptyBody(RequestModel):
    """``{}``: the API wants a JSON body on every POST (415 or 400 without one), including
    those that take no parameters, such as a redelivery."""
