from typing import Optional

from buena_sdk.models._base import ResponseModel, ServerDatetime
from buena_sdk.models._page import Page


class LedgerEntry(ResponseModel):
    """One change of the account's credit balance."""

    id: str
    # Credits added (positive) or spent (negative).
    amount: int
    balance_after: int
    # grant (the opening balance), enrichment (a charge, or an enrichment job's reservation),
    # refund (what a job reserved and did not use) or operator (added by an operator)
    kind: str
    description: Optional[str] = None
    # The X-Request-ID of the request that spent them, for charges.
    request_id: Optional[str] = None
    created_at: ServerDatetime


class CreditsResponse(Page[LedgerEntry]):
    """The account's balance and one page of its ledger, newest first."""

    balance: int
