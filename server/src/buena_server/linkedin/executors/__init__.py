"""What an executor is: the one piece that talks to LinkedIn (or, for the built-in sandbox,
pretends to). The server decides when an action runs; the executor only performs it.

An executor is an object with a ``name`` and ``async execute(action) -> Outcome``. It
raises ``ExecutorError`` for an outcome it knows (``PROFILE_NOT_FOUND``...), with
``retryable=True`` when trying again later may succeed (the action is retried with a
backoff, at most ``BUENA_LINKEDIN_MAX_ATTEMPTS`` times). Any other exception counts as a
retryable ``EXECUTOR_ERROR``. An action may reach ``execute`` twice if the process dies
during the call (its queue job runs again): ``action.attempt`` tells the runs apart.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from buena_server.events.catalogue import LINKEDIN_CONNECTION_ACCEPTED, LINKEDIN_MESSAGE_REPLIED

# What an executor may report as happening later (the sandbox's simulated outcomes; a
# network executor would learn them from LinkedIn).
CONNECTION_ACCEPTED = LINKEDIN_CONNECTION_ACCEPTED
MESSAGE_REPLIED = LINKEDIN_MESSAGE_REPLIED
FOLLOW_UP_TYPES = frozenset({CONNECTION_ACCEPTED, MESSAGE_REPLIED})


@dataclass(frozen=True, slots=True)
class ActionInput:
    """The action as an executor sees it."""

    id: str
    account_id: str
    action_type: str
    profile_url: str  # canonical: https://www.linkedin.com/in/<profile_id>/
    profile_id: str
    message: str | None
    voice_settings: dict[str, Any] | None
    lead_id: str | None
    attempt: int  # 1 for the first run
    sender_profile_url: str  # the integration's own profile


@dataclass(frozen=True, slots=True)
class FollowUp:
    """Something the executor says will happen ``after_seconds`` after the action (an
    invitation accepted, a reply): recorded then as an event of ``type``."""

    type: str
    after_seconds: float
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Outcome:
    """What a completed action did: ``result`` becomes the action's ``result``."""

    result: dict[str, Any]
    follow_ups: Sequence[FollowUp] = ()


class ExecutorError(Exception):
    def __init__(self, code: str, message: str, *, retryable: bool = False) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.retryable = retryable


@runtime_checkable
class LinkedInExecutor(Protocol):
    name: str

    async def execute(self, action: ActionInput) -> Outcome: ...


@dataclass(frozen=True, slots=True)
class ExecutorSettings:
    """What executors may read of the server's settings (a plug-in's factory gets it)."""

    sandbox_seed: int = 0
    sandbox_acceptance_rate: float = 0.3
    sandbox_reply_rate: float = 0.2
    sandbox_min_response_seconds: float = 3600.0
    sandbox_max_response_seconds: float = 86_400.0
