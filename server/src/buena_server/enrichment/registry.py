"""The providers a server runs: the built-in ones, then the outside services the settings
describe (``BUENA_ENRICHMENT_HTTP_PROVIDERS``, each an ``HttpProvider``), then those installed
packages register in the entry point group ``buena.enrichment_providers`` (as pytest finds
its plug-ins).

An entry point names a class or a factory; it is called with the server's settings, the
built-ins too. A plug-in whose name is already taken, or that is not a provider, stops the
server at start-up with a message rather than being skipped quietly.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from importlib.metadata import entry_points
from typing import Any

from buena_server import __version__
from buena_server.enrichment.company import CompanyProvider
from buena_server.enrichment.emails import EmailProvider
from buena_server.enrichment.http_config import HttpProviderConfig
from buena_server.enrichment.http_provider import HttpProvider
from buena_server.enrichment.linkedin import LinkedInProvider
from buena_server.enrichment.model import EnrichmentProvider, Option
from buena_server.enrichment.names import NameProvider
from buena_server.enrichment.phone import PhoneProvider

ENTRY_POINT_GROUP = "buena.enrichment_providers"


@dataclass(frozen=True, slots=True)
class ProviderSettings:
    """What providers may read of the server's settings (a plug-in's factory gets it)."""

    default_phone_region: str | None = None
    dns: bool = False
    http_providers: tuple[HttpProviderConfig, ...] = ()


def builtin_providers(settings: ProviderSettings) -> list[EnrichmentProvider]:
    """In merge order: a field two providers fill is taken from the first."""
    return [
        NameProvider(),
        EmailProvider(check_dns=settings.dns),
        PhoneProvider(settings.default_phone_region),
        CompanyProvider(),
        LinkedInProvider(),
    ]


def http_providers(settings: ProviderSettings) -> list[EnrichmentProvider]:
    """The outside services of BUENA_ENRICHMENT_HTTP_PROVIDERS, in their order."""
    user_agent = f"Buena-Enrichment/{__version__}"
    return [HttpProvider(config, user_agent=user_agent) for config in settings.http_providers]


class ProviderError(RuntimeError):
    """A provider that cannot be registered (start-up stops with this message)."""


@dataclass(frozen=True, slots=True)
class Registered:
    provider: EnrichmentProvider
    cost: int  # per lead, after BUENA_ENRICHMENT_COSTS


class ProviderRegistry:
    def __init__(
        self, providers: Iterable[EnrichmentProvider], costs: Mapping[str, int] | None = None
    ) -> None:
        costs = dict(costs or {})
        self._by_name: dict[str, Registered] = {}
        for provider in providers:
            if not isinstance(provider, EnrichmentProvider):
                raise ProviderError(f"{provider!r} is not an enrichment provider")
            if provider.name in self._by_name:
                raise ProviderError(f"two enrichment providers are named {provider.name!r}")
            cost = costs.pop(provider.name, provider.cost)
            if cost < 0:
                raise ProviderError(f"enrichment provider {provider.name!r} costs {cost} < 0")
            self._by_name[provider.name] = Registered(provider, cost)
        if costs:
            raise ProviderError(
                f"BUENA_ENRICHMENT_COSTS names unknown providers: {', '.join(sorted(costs))}"
            )

    @classmethod
    def load(
        cls, settings: ProviderSettings, costs: Mapping[str, int] | None = None
    ) -> ProviderRegistry:
        """The built-ins, then the configured HTTP providers, then every installed plug-in."""
        return cls(
            [*builtin_providers(settings), *http_providers(settings), *plugin_providers(settings)],
            costs,
        )

    @property
    def registered(self) -> list[Registered]:
        return list(self._by_name.values())

    def names(self) -> list[str]:
        return list(self._by_name)

    def cost_of(self, name: str) -> int:
        return self._by_name[name].cost

    def serving(self, options: Iterable[Option]) -> list[Registered]:
        """The providers that serve any of ``options``, in merge order."""
        wanted = frozenset(options)
        return [r for r in self._by_name.values() if r.provider.options & wanted]

    async def aclose(self) -> None:
        """Close what the providers hold open (an HTTP provider's session; a plug-in's, if it
        has an ``aclose`` coroutine), when the app stops."""
        for registered in self._by_name.values():
            close: Callable[[], Awaitable[object]] | None = getattr(
                registered.provider, "aclose", None
            )
            if close is not None:
                await close()


def plugin_providers(settings: ProviderSettings) -> list[EnrichmentProvider]:
    providers = []
    for entry in entry_points(group=ENTRY_POINT_GROUP):
        try:
            factory: Callable[..., Any] = entry.load()
            provider = factory(settings)
        except Exception as exc:
            raise ProviderError(
                f"enrichment provider plug-in {entry.name!r} ({entry.value}) failed to load: {exc}"
            ) from exc
        providers.append(provider)
    return providers
