"""The synthesis seam: a voice engine turns text, a clone's profile and settings into MP3.

Engines are found through the entry point group ``buena.voice_engines`` (the way pytest finds
its plugins); `BUENA_VOICE_ENGINE` names the one the server uses (default ``espeak``, the
built-in `voice/espeak.py`, registered in server/pyproject.toml). A neural engine ships as its
own distribution declaring, for example::

    [project.entry-points."buena.voice_engines"]
    neural = "my_package.engine:NeuralEngine"

The object the entry point names is called with no arguments and must give a `VoiceEngine`.
The app loads its engine once, at start, and awaits its ``aclose()`` (when it has one) at
shutdown: an engine holding threads, processes or connections releases them there.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from importlib import metadata
from typing import Any, Protocol, runtime_checkable

import msgspec

ENTRY_POINT_GROUP = "buena.voice_engines"


class SynthesisRequest(msgspec.Struct, frozen=True, kw_only=True):
    """What to say and how: the clone's analysed profile (the `profile` object of the wire
    shape, None before analysis) and its settings (stability, clarity, use_speaker_boost)."""

    text: str
    profile: dict[str, Any] | None = None
    settings: dict[str, Any] = msgspec.field(default_factory=dict)


@runtime_checkable
class VoiceEngine(Protocol):
    """A speech synthesiser behind the seam."""

    name: str
    """Short name, e.g. ``espeak-ng``."""
    version: str
    """Changes whenever the same request would sound different: part of the preview cache key."""
    description: str
    """Plain words of what it does, e.g. "matches pitch and pace, not timbre"."""

    def synthesize(self, request: SynthesisRequest) -> AsyncIterator[bytes]:
        """The MP3 of `request`, in pieces as they are encoded (an async generator)."""
        ...


class UnknownVoiceEngine(ValueError):
    """`BUENA_VOICE_ENGINE` names no installed engine."""


def _entry_points() -> Sequence[metadata.EntryPoint]:
    return tuple(metadata.entry_points(group=ENTRY_POINT_GROUP))


def installed_engines() -> list[str]:
    """The names engines are installed under, sorted."""
    return sorted({ep.name for ep in _entry_points()})


def check_engine_name(name: str) -> str:
    """`name` when an engine is installed under it, else `UnknownVoiceEngine` listing those
    that are (the settings check this at start-up)."""
    names = installed_engines()
    if name not in names:
        listed = ", ".join(names) or "none"
        raise UnknownVoiceEngine(
            f"no voice engine named {name!r} is installed (entry point group "
            f"{ENTRY_POINT_GROUP!r}); installed: {listed}"
        )
    return name


async def close_engine(engine: VoiceEngine) -> None:
    """Release what `engine` holds: its ``aclose()``, when it has one."""
    aclose = getattr(engine, "aclose", None)
    if aclose is not None:
        await aclose()


def load_engine(name: str) -> VoiceEngine:
    """The engine installed under `name` (see the module's docstring)."""
    check_engine_name(name)
    entry = next(ep for ep in _entry_points() if ep.name == name)
    engine = entry.load()()
    if not isinstance(engine, VoiceEngine):
        raise TypeError(f"voice engine {name!r} ({entry.value}) is not a VoiceEngine")
    return engine
