"""Response bodies of /credits."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

import msgspec

# grant: the opening balance; enrichment: a charge (or an enrichment job's reservation);
# refund: what a job reserved and did not use, given back when it ends; operator: an
# operator's change.
LedgerKind = Literal["grant", "enrichment", "refund", "operator"]


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
