"""A company from a corporate email address: its registrable domain (the Public Suffix
List bundled in the ``publicsuffixlist`` package, never fetched at run time), the website,
and a name guessed from the domain. Free-mail and disposable domains say nothing of an
employer."""

from __future__ import annotations

from functools import cache
from typing import Any

import email_validator
from publicsuffixlist import PublicSuffixList

from buena_server.enrichment.emails import is_disposable_domain, is_free_domain
from buena_server.enrichment.model import COMPANY, Finding, LeadInput, Option


@cache
def _suffixes() -> PublicSuffixList:
    # Reads the list shipped inside the package (a few ms, once).
    return PublicSuffixList()


def registrable_domain(domain: str) -> str | None:
    """``mail.acme.co.uk`` → ``acme.co.uk``; None for a public suffix itself (``co.uk``)."""
    found: str | None = _suffixes().privatesuffix(domain.lower().rstrip("."))
    return found


def name_guess(registrable: str) -> str:
    """``acme-widgets.co.uk`` → ``Acme Widgets``: the label left of the public suffix."""
    label = registrable.split(".", 1)[0]
    return " ".join(part.capitalize() for part in label.replace("_", "-").split("-") if part)


class CompanyProvider:
    name = "company"
    cost = 1
    options: frozenset[Option] = frozenset({COMPANY})

    async def enrich(self, lead: LeadInput) -> Finding | None:
        if not lead.email:
            return None
        try:
            domain = email_validator.validate_email(
                lead.email, check_deliverability=False
            ).ascii_domain.lower()
        except email_validator.EmailNotValidError:
            return None
        if is_free_domain(domain) or is_disposable_domain(domain):
            return None
        registrable = registrable_domain(domain)
        if registrable is None:
            return None
        guess = name_guess(registrable)
        info: dict[str, Any] = {
            "name": lead.company or guess,
            "domain": registrable,
            "website": f"https://{registrable}",
        }
        # The name is a guess (validity 0.8): "acme.io" may be Acme Inc. or ACME Labs.
        return Finding({"company": guess, "company_info": info}, validity=0.8)
