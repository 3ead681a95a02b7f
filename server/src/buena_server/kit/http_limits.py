"""Caps on the request head: its size (request line and header fields) and how many fields
it has (``BUENA_MAX_HEADER_BYTES``, ``BUENA_MAX_HEADER_COUNT``). Beyond either: 431.

The app decides on every complete head it is given (front.py), under any ASGI server.
``buena-server serve`` also refuses a head that is still arriving once what it has read is
over a cap (http_protocol.py), so that a 30 MB header line costs 16 KiB of reading rather
than 30 MB of buffering. Both answer the same 431, which closes the connection: what the
client sends next is not a request the server can find the start of.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from buena_server.errors import RequestHeadersTooLarge

# What a head holds beside the target and the fields' names and values: the method's
# separator and " HTTP/1.1" with its CRLF, ": " and CRLF per field, and the blank line.
_CLOSE = {"Connection": "close"}
REQUEST_LINE_FRAMING = len(" ") + len(" HTTP/1.1\r\n") + len("\r\n")
FIELD_FRAMING = len(": \r\n")


@dataclass(frozen=True, slots=True)
class HeaderLimits:
    max_bytes: int
    max_count: int

    def refusal(self, head_bytes: int, fields: int) -> RequestHeadersTooLarge | None:
        """The 431 for a head of this size and number of fields, or None when it fits."""
        if fields > self.max_count:
            return RequestHeadersTooLarge(
                f"Too many request header fields: at most {self.max_count}",
                details={"max_header_count": self.max_count},
                headers=_CLOSE,
            )
        if head_bytes > self.max_bytes:
            return RequestHeadersTooLarge(
                f"The request line and header fields exceed {self.max_bytes} bytes",
                details={"max_header_bytes": self.max_bytes},
                headers=_CLOSE,
            )
        return None

    def check(self, scope: dict[str, Any]) -> RequestHeadersTooLarge | None:
        """The refusal of an ASGI request, from the head the server parsed."""
        headers = scope["headers"]
        fields = len(headers)
        size = len(scope["method"]) + len(scope.get("raw_path") or scope["path"])
        size += len(scope.get("query_string", b"")) + 1 + REQUEST_LINE_FRAMING
        size += FIELD_FRAMING * fields
        # A plain loop: faster here than sum(map(len, chain(...))); ~0.3 us for 6 fields.
        for name, value in headers:
            size += len(name) + len(value)
        if fields > self.max_count or size > self.max_bytes:
            return self.refusal(size, fields)
        return None
