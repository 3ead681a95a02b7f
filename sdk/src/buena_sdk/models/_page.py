from typing import Generic, TypeVar

from buena_sdk.models._base import ResponseModel

_T = TypeVar("_T")


class Page(ResponseModel, Generic[_T]):
    """One page of a paged list. ``total`` counts every matching item; ``limit`` is what
    the server applied (values above 100 become 100), so advance by it rather than by the
    limit you asked for."""

    data: list[_T]
    total: int
    limit: int
    offset: int
