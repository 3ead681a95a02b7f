"""What the rate-limit settings may say: the strategies and the limits notation.

Its own module so that config.py (which checks the settings when they load) and
ratelimit.py (which applies them) both import it, and neither imports the other.
"""

from __future__ import annotations

from enum import StrEnum

from limits import RateLimitItem, parse_many


class RateLimitStrategy(StrEnum):
    FIXED_WINDOW = "fixed-window"
    MOVING_WINDOW = "moving-window"
    SLIDING_WINDOW_COUNTER = "sliding-window-counter"


def parse_rate_limits(value: str) -> list[RateLimitItem]:
    """``"60/minute;1000/hour"`` → items sorted by window length; ``"off"`` → []."""
    if value.strip().lower() == "off":
        return []
    try:
        items = parse_many(value)
    except ValueError as exc:
        raise ValueError(
            f"invalid rate limits {value!r}: use e.g. '60/minute;1000/hour;10000/day' or 'off'"
        ) from exc
    return sorted(items, key=lambda item: item.get_expiry())
