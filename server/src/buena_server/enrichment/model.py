"""The provider seam: what a provider reads (``LeadInput``), what it answers (``Finding``),
what it declares (``EnrichmentProvider``), and the options that choose providers.

A provider is any object with ``name``, ``cost``, ``options`` and an ``enrich`` coroutine;
built-in ones live beside this module, third-party ones arrive through the entry point group
``buena.enrichment_providers`` (``registry``). docs/enrichment.md shows how to write one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final, Literal, Protocol, runtime_checkable

Option = Literal[
    "include_personal_info",
    "include_company_info",
    "include_social_profiles",
    "include_contact_info",
]
PERSONAL: Final = "include_personal_info"
COMPANY: Final = "include_company_info"
SOCIAL: Final = "include_social_profiles"
CONTACT: Final = "include_contact_info"
OPTIONS: tuple[Option, ...] = (PERSONAL, COMPANY, SOCIAL, CONTACT)


@dataclass(frozen=True, slots=True)
class LeadInput:
    """What is known of a lead before enrichment: given in the request, or read from a
    stored lead. Every field may be missing."""

    email: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    full_name: str | None = None
    company: str | None = None
    phone: str | None = None
    linkedin_url: str | None = None


@dataclass(frozen=True, slots=True)
class Finding:
    """What one provider found about one lead.

    ``data`` has the keys of the answer's ``enriched_data`` (``first_name``, ``company_info``
    ...; a nested object as a dict); keys the answer does not document are dropped.
    ``validity`` (0-1) says how valid the input the provider read was: 1 for a valid phone
    number, less for a possible one, and so on (the ``confidence`` rule in
    docs/enrichment.md averages it). ``normalized`` names the top-level keys of ``data``
    that are the input's own value in canonical form (an E.164 phone, a capitalised name):
    they replace the input's spelling. Every other key is an inference: it fills a field the
    input left empty, and is compared with the input and the other sources (agreement).
    """

    data: dict[str, Any]
    validity: float = 1.0
    normalized: frozenset[str] = frozenset()


@runtime_checkable
class EnrichmentProvider(Protocol):
    """A source of enrichment. ``cost``: credits charged per lead it finds something for
    (``BUENA_ENRICHMENT_COSTS`` may change it); ``options``: the request options that ask
    for what it finds (it runs when any of them is on)."""

    name: str
    cost: int
    options: frozenset[Option]

    async def enrich(self, lead: LeadInput) -> Finding | None:
        """What the provider finds about ``lead``, or None when it has nothing to say
        (no input it reads, or nothing found). Raising counts as finding nothing, and the
        error is logged; a lead no provider found anything for while one raised is failed
        as PROVIDER_UNAVAILABLE."""
        ...
