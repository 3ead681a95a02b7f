"""Public identifiers: a type prefix and 96 random bits (``lead_3f9c...``)."""

import re
import secrets

_PLAUSIBLE = re.compile(r"[A-Za-z0-9_-]{1,64}")


def new_id(prefix: str) -> str:
    return f"{prefix}_{secrets.token_hex(12)}"


def is_plausible_id(value: str) -> bool:
    """Whether ``value`` could name a stored row; anything else is answered 404 unqueried
    (PostgreSQL refuses NUL in text, and no id is longer or stranger than this)."""
    return _PLAUSIBLE.fullmatch(value) is not None
