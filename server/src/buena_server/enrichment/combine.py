"""One lead through the providers: their findings merged into one ``enriched_data``, with
the sources that contributed, the credits they cost, and the ``confidence`` rule.

The rule (docs/enrichment.md, "Confidence"):

- merging: the input's names and company stand; a provider's *normalized* keys replace the
  input's spelling (the first such provider wins), and the input's email, phone and LinkedIn
  URL appear only so; an *inference* fills a key the input left empty (the first provider
  wins); nested objects merge key by key, first value wins;
- ``validity`` = the mean of the contributing findings' validity (how valid the inputs were);
- ``agreement`` = 1 - 0.5 * (keys whose values disagree / keys with two or more values),
  over the input's values and the inferences (1 when no key has two values); two values
  agree when, lower-cased and kept to letters and digits, one contains the other
  ("Acme" and "ACME Corp.");
- ``confidence`` = validity * agreement, rounded to two decimals.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from buena_server.enrichment.model import Finding, LeadInput
from buena_server.enrichment.registry import Registered

log = logging.getLogger("buena.enrichment")

# The input fields that are also fields of enriched_data. An input's names and company
# stand in enriched_data; its email, phone and LinkedIn URL appear there only in the
# canonical form a provider gave them (one that found them invalid leaves them out, and its
# ``*_info`` says why), so enriched_data can be written back without checking it again.
GIVEN_FIELDS = ("first_name", "last_name", "email", "company", "phone", "linkedin_url")
ECHOED_FIELDS = ("first_name", "last_name", "company")


@dataclass(frozen=True, slots=True)
class Enrichment:
    data: dict[str, Any]
    confidence: float
    sources: list[str]
    cost: int
    # The provider each top-level key of ``data`` came from (keys the input gave and no
    # provider replaced have none).
    origins: dict[str, str]


def comparable(value: Any) -> str:
    return "".join(c for c in str(value).casefold() if c.isalnum())


def agree(a: Any, b: Any) -> bool:
    ca, cb = comparable(a), comparable(b)
    return bool(ca and cb) and (ca in cb or cb in ca)


class ProvidersFailed(Exception):
    """No provider found anything for a lead, and some of them failed (their errors): what
    they would have found is unknown, so the lead is not "nothing found"."""

    def __init__(self, failures: list[tuple[str, Exception]]) -> None:
        self.failures = failures
        described = "; ".join(f"{name}: {type(exc).__name__}: {exc}" for name, exc in failures)
        super().__init__(f"No provider found anything, and these failed: {described}")


async def enrich_lead(lead: LeadInput, providers: list[Registered]) -> Enrichment | None:
    """Every provider's finding for ``lead``, merged; None when none found anything (and
    none failed: ``ProvidersFailed`` when some did)."""
    found: list[tuple[Registered, Finding]] = []
    failures: list[tuple[str, Exception]] = []
    for registered in providers:
        name = registered.provider.name
        try:
            finding = await registered.provider.enrich(lead)
        except Exception as exc:
            # A provider's failure costs its findings, not the lead's others. One line, no
            # traceback: an outside service down fails every lead of a request alike.
            log.warning("enrichment provider %r failed: %s: %s", name, type(exc).__name__, exc)
            failures.append((name, exc))
            continue
        if finding is not None:
            found.append((registered, finding))
    if found:
        return combine(lead, found)
    if failures:
        raise ProvidersFailed(failures)
    return None


def combine(lead: LeadInput, found: list[tuple[Registered, Finding]]) -> Enrichment:
    given = {k: getattr(lead, k) for k in GIVEN_FIELDS if getattr(lead, k)}
    values: dict[str, list[Any]] = {k: [v] for k, v in given.items()}
    data: dict[str, Any] = {k: v for k, v in given.items() if k in ECHOED_FIELDS}
    normalized: set[str] = set()
    origins: dict[str, str] = {}
    for registered, finding in found:
        name = registered.provider.name
        for key, value in finding.data.items():
            if value is None:
                continue
            if isinstance(value, dict):
                merged = data.setdefault(key, {})
                for inner, inner_value in value.items():
                    if inner_value is not None:
                        merged.setdefault(inner, inner_value)
                origins.setdefault(key, name)
            elif key in finding.normalized:
                if key not in normalized:
                    normalized.add(key)
                    data[key] = value
                    origins[key] = name
            else:
                values.setdefault(key, []).append(value)
                if key not in data:
                    data[key] = value
                    origins[key] = name
    compared = [vs for vs in values.values() if len(vs) > 1]
    disagreeing = sum(1 for vs in compared if not all(agree(vs[0], v) for v in vs[1:]))
    agreement = 1 - 0.5 * disagreeing / len(compared) if compared else 1.0
    validity = sum(f.validity for _, f in found) / len(found)
    return Enrichment(
        data=data,
        confidence=round(max(0.0, min(1.0, validity * agreement)), 2),
        sources=[r.provider.name for r, _ in found],
        cost=sum(r.cost for r, _ in found),
        origins=origins,
    )
