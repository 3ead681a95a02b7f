"""The request id: one per request, in the X-Request-ID header and in every error body."""

from __future__ import annotations

import random
import re
from typing import Any

from litestar.types import Scope

HEADER = "x-request-id"
_STATE_KEY = "buena_request_id"
# A caller-supplied id is echoed back when it is short and plain, so that clients and proxies
# can correlate logs; anything else is replaced by a fresh one.
_ACCEPTABLE = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


def request_id_of(scope: Scope | dict[str, Any]) -> str:
    state = scope.setdefault("state", {})
    existing = state.get(_STATE_KEY)
    if isinstance(existing, str):
        return existing
    for name, value in scope.get("headers", ()):
        if name == b"x-request-id":
            incoming = value.decode("latin-1")
            if _ACCEPTABLE.match(incoming):
                state[_STATE_KEY] = incoming
                return incoming
            break
    # Not a secret, only unique: 128 bits from the fast generator, without a system call.
    request_id = f"req_{random.getrandbits(128):032x}"
    state[_STATE_KEY] = request_id
    return request_id
