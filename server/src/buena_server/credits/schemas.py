"""Response bodies of /credits."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

import msgspec

LedgerKind = Literal["grant", "enrichment", "operator"]


class LedgerEntry(msgspec.Struct, kw_only=True):
    id: str
    # Credits added (positive) or spent (negative).
    amount: int
    balance_after: int
    kind: LedgerKind
    description: str | None
    # The request that spent them (its X-Request-ID), for charges.
    request_id: str | None
    created_at: datetime


class CreditsResponse(msgspec.Struct, kw_only=True):
    balance: int
    data: list[LedgerEntry]
    total: int
    limit: int
    offset: int
