"""LinkedIn profile URLs: the canonical form and the public identifier.

Every spelling of a member profile (``http``, no scheme, ``m.`` or a country subdomain,
trailing paths such as ``/details/experience/``, a query string or fragment, an encoded
identifier) becomes ``https://www.linkedin.com/in/<identifier>/``; company, school, job,
post and other pages are not profiles and give nothing.
"""

from __future__ import annotations

import re
from urllib.parse import quote, unquote, urlsplit

from buena_server.enrichment.model import SOCIAL, Finding, LeadInput, Option

# linkedin.com, www., m., mobile. and two-letter country subdomains (uk., de., ...).
_HOST = re.compile(r"^(?:(?:www|m|mobile|[a-z]{2})\.)?linkedin\.com$")
# Public identifiers: 3-100 letters (any script), digits and hyphens (LinkedIn's rule).
_IDENTIFIER = re.compile(r"^[\w-]{3,100}$")


def canonical_profile(url: str) -> tuple[str, str] | None:
    """The canonical URL and public identifier of a member profile URL, or None."""
    text = url.strip()
    if not re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*://", text):
        text = "https://" + text
    try:
        parts = urlsplit(text)
    except ValueError:
        return None
    host = (parts.hostname or "").lower()
    if parts.scheme.lower() not in {"http", "https"} or not _HOST.match(host):
        return None
    segments = [s for s in parts.path.split("/") if s]
    if len(segments) < 2 or segments[0].lower() != "in":
        return None
    identifier = unquote(segments[1]).lower()
    if not _IDENTIFIER.match(identifier) or identifier.strip("-_") == "":
        return None
    return f"https://www.linkedin.com/in/{quote(identifier)}/", identifier


class LinkedInProvider:
    name = "linkedin"
    cost = 1
    options: frozenset[Option] = frozenset({SOCIAL})

    async def enrich(self, lead: LeadInput) -> Finding | None:
        if not lead.linkedin_url:
            return None
        found = canonical_profile(lead.linkedin_url)
        if found is None:
            return None
        url, identifier = found
        data = {
            "linkedin_url": url,
            "social_profiles": {"linkedin": url, "linkedin_public_identifier": identifier},
        }
        return Finding(data, normalized=frozenset({"linkedin_url"}))
