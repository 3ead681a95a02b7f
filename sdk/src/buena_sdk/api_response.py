"""What the ``*_with_http_info`` operations return."""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class ApiResponse(Generic[T]):
    """The parsed result together with the HTTP details it came with.

    ``headers`` looks names up case-insensitively, e.g. ``headers["x-ratelimit-remaining"]``.
    """

    status_code: int
    headers: Mapping[str, str]
    data: T
    raw_data: bytes
