"""People's names: a full name split into title, first, middle, last and suffix, and
capitalised when it was written all in one case (nameparser)."""

from __future__ import annotations

from typing import Any

from nameparser import HumanName

from buena_server.enrichment.model import PERSONAL, Finding, LeadInput, Option


def _parsed(text: str) -> HumanName:
    name = HumanName(text)
    # "dr. JOHN q. public jr." and "ADA LOVELACE" are capitalised; "Ada deLacy" is kept as
    # written (nameparser leaves mixed case alone unless forced).
    name.capitalize(force=text.isupper() or text.islower() or _mixed_words(text))
    return name


def _mixed_words(text: str) -> bool:
    """Some words all upper and some all lower ("dr. JOHN q. public"): typed carelessly."""
    words = [w for w in text.replace(",", " ").split() if any(c.isalpha() for c in w)]
    return any(w.isupper() and len(w) > 1 for w in words) and any(w.islower() for w in words)


class NameProvider:
    name = "name"
    cost = 1
    options: frozenset[Option] = frozenset({PERSONAL})

    async def enrich(self, lead: LeadInput) -> Finding | None:
        text = lead.full_name or " ".join(p for p in (lead.first_name, lead.last_name) if p)
        if not text.strip():
            return None
        name = _parsed(text)
        if not (name.first or name.last):
            return None
        info: dict[str, Any] = {
            "full_name": str(name) or None,
            "title": name.title or None,
            "first_name": name.first or None,
            "middle_name": name.middle or None,
            "last_name": name.last or None,
            "suffix": name.suffix or None,
        }
        data: dict[str, Any] = {"name_info": info}
        if name.first:
            data["first_name"] = name.first
        if name.last:
            data["last_name"] = name.last
        # Parsed from the first and last names given: their own spelling, capitalised.
        # Parsed from a full name: an inference, compared with any first and last given.
        normalized = frozenset() if lead.full_name else frozenset(data) - {"name_info"}
        validity = 1.0 if name.first and name.last else 0.6
        return Finding(data, validity, normalized=normalized)
