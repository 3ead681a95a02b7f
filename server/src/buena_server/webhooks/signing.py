"""The ``Buena-Signature`` header: ``t=<unix seconds>,v1=<hex HMAC-SHA256(secret,
"<t>.<raw body>")>``, after Stripe's, with one ``v1`` per valid secret (the new one first
while a rotated secret's overlap lasts), so a receiver verifies with either secret."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence
from datetime import datetime

HEADER = "Buena-Signature"


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """The hex HMAC-SHA256 of ``"<timestamp>.<body>"`` keyed with the whole secret
    (``whsec_...``, as its UTF-8 bytes)."""
    message = str(timestamp).encode() + b"." + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def signature_header(secrets: Sequence[str], timestamp: int, body: bytes) -> str:
    """The header's value for ``body`` sent at ``timestamp``, signed with each secret."""
    parts = [f"t={timestamp}"]
    parts.extend(f"v1={signature(secret, timestamp, body)}" for secret in secrets)
    return ",".join(parts)


def signing_secrets(
    secret: str, previous: str | None, previous_expires_at: datetime | None, now: datetime
) -> list[str]:
    """The secrets that sign a delivery sent at ``now``: the current one first, the one it
    replaced while its overlap lasts."""
    if previous is not None and previous_expires_at is not None and now < previous_expires_at:
        return [secret, previous]
    return [secret]
