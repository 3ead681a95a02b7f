"""The built-in executor: LinkedIn simulated, like a payment API's test mode.

Nothing leaves the server. Every outcome is decided by a random generator seeded with
``BUENA_LINKEDIN_SANDBOX_SEED`` and the action's id, so the same action always turns out
the same way, and every result says ``"simulated": true``:

- an identifier starting with ``notfound`` fails with ``PROFILE_NOT_FOUND``, ``private``
  with ``PROFILE_PRIVATE`` (neither is retried); ``flaky`` fails its first attempt with
  the retryable ``RATE_LIMITED``, then succeeds;
- a connection request is accepted with the acceptance rate, a message (text or voice)
  answered with the reply rate, each between the response delays after the action:
  ``linkedin.connection.accepted`` / ``linkedin.message.replied`` events, then;
- ``get_profile`` answers a plausible profile made from the URL's identifier.
"""

from __future__ import annotations

import random
from typing import Any

from buena_server.linkedin.executors import (
    CONNECTION_ACCEPTED,
    MESSAGE_REPLIED,
    ActionInput,
    ExecutorError,
    ExecutorSettings,
    FollowUp,
    Outcome,
)

_HEADLINES = (
    "Head of Sales",
    "Founder & CEO",
    "VP Engineering",
    "Marketing Director",
    "Product Manager",
    "Account Executive",
    "Operations Lead",
)
_COMPANIES = ("Acme Widgets", "Globex", "Initech", "Umbrella Labs", "Hooli", "Stark Industries")
_PLACES = ("Berlin, Germany", "London, United Kingdom", "New York, United States",
           "Paris, France", "Madrid, Spain", "Toronto, Canada")  # fmt: skip
_REPLIES = (
    "Thanks for reaching out! Happy to chat next week.",
    "Interesting, can you send more details?",
    "Not the right time for us, but thanks.",
    "Sure, let's set up a call.",
)


class SandboxExecutor:
    name = "sandbox"

    def __init__(self, settings: ExecutorSettings) -> None:
        self.settings = settings

    async def execute(self, action: ActionInput) -> Outcome:
        rng = random.Random(f"{self.settings.sandbox_seed}:{action.id}")
        identifier = action.profile_id
        if identifier.startswith("notfound"):
            raise ExecutorError("PROFILE_NOT_FOUND", f"No LinkedIn member at {action.profile_url}")
        if identifier.startswith("private"):
            raise ExecutorError(
                "PROFILE_PRIVATE", f"The profile {action.profile_url} is not visible"
            )
        if identifier.startswith("flaky") and action.attempt == 1:
            raise ExecutorError(
                "RATE_LIMITED", "LinkedIn asked to slow down; retrying later", retryable=True
            )
        result: dict[str, Any] = {"simulated": True, "profile_url": action.profile_url}
        follow_ups: list[FollowUp] = []
        kind = action.action_type
        if kind == "send_connection_request":
            result.update(invitation="sent", note=action.message is not None)
            if rng.random() < self.settings.sandbox_acceptance_rate:
                follow_ups.append(
                    FollowUp(CONNECTION_ACCEPTED, self._delay(rng), {"simulated": True})
                )
        elif kind in {"send_message", "send_voice_message"}:
            result["message"] = "sent"
            if kind == "send_voice_message" and action.voice_settings is not None:
                words = len(str(action.voice_settings.get("text", "")).split())
                result["voice_seconds"] = round(words / 2.5, 1)  # ~150 words a minute
            if rng.random() < self.settings.sandbox_reply_rate:
                reply = {"text": rng.choice(_REPLIES)}
                data = {"simulated": True, "reply": reply}
                follow_ups.append(FollowUp(MESSAGE_REPLIED, self._delay(rng), data))
        elif kind == "view_profile":
            result["viewed"] = True
        elif kind == "withdraw_connection_request":
            result["invitation"] = "withdrawn"
        elif kind == "get_profile":
            result["profile"] = profile_of(identifier, action.profile_url, rng)
        return Outcome(result, follow_ups)

    def _delay(self, rng: random.Random) -> float:
        low = self.settings.sandbox_min_response_seconds
        high = max(low, self.settings.sandbox_max_response_seconds)
        return round(rng.uniform(low, high), 3)


def profile_of(identifier: str, url: str, rng: random.Random) -> dict[str, Any]:
    """A plausible member for ``identifier`` ("jane-doe-4a1b" is Jane Doe)."""
    words = [w for w in identifier.replace("_", "-").split("-") if w.isalpha()]
    first = words[0].capitalize() if words else identifier[:20]
    last = " ".join(w.capitalize() for w in words[1:]) or None
    connections = rng.randint(40, 900)
    return {
        "public_identifier": identifier,
        "profile_url": url,
        "first_name": first,
        "last_name": last,
        "headline": f"{rng.choice(_HEADLINES)} at {rng.choice(_COMPANIES)}",
        "location": rng.choice(_PLACES),
        "connections": min(connections, 500),
        "connections_label": "500+" if connections > 500 else str(connections),
    }
