"""API key material: generation, digest and preview.

Keys carry 256 random bits, so a plain SHA-256 digest is enough to store them (no salt or
slow hash is needed against guessing); the key itself is shown once and never stored.
"""

import hashlib
import re
import secrets

KEY_PREFIX = "bna_"
_KEY_PATTERN = re.compile(r"^bna_[0-9a-f]{64}$")


def generate_key() -> str:
    return KEY_PREFIX + secrets.token_hex(32)


def is_well_formed_key(key: str) -> bool:
    return bool(_KEY_PATTERN.match(key))


def key_digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def key_preview(key: str) -> str:
    return key[:8] + "..."
