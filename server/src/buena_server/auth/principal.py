"""Who is calling: the authenticated API key."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Principal:
    key_id: str
    account_id: str
    permissions: frozenset[str]
