"""uvicorn's httptools protocol, refusing a request head that is over the caps while it is
still arriving.

httptools (llhttp) puts no bound on a request head: it gathers a header line of any length,
and any number of them, before uvicorn sees one. After each read that leaves a head
unfinished, this subclass weighs what it has of that head (the bytes read since it began,
and the fields parsed) against the caps, so that a single endless line is refused after
``max_bytes`` and one read, not after the whole of it. A head that ends is the app's to
judge (front.py, with the same ``HeaderLimits``), so a request that fits costs nothing here
but the test after its read. The refusal is the app's 431 (escaped.error_response), which
closes the connection. It closes as nginx closes one (a "lingering close"): the answer is
sent and the sending side shut, and what the client still sends is read and dropped for up
to a second, because closing a socket with unread data resets it, and the reset can destroy
the answer before the client has read it.
"""

from __future__ import annotations

import http
from typing import Any, ClassVar, cast

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from buena_server.errors import RequestHeadersTooLarge
from buena_server.kit.escaped import error_response
from buena_server.kit.http_hooks import common_headers
from buena_server.kit.http_limits import HeaderLimits

LINGER_SECONDS = 1.0


class LimitedHttpToolsProtocol(HttpToolsProtocol):
    limits: ClassVar[HeaderLimits]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Bytes of the unfinished head read so far; -1 while no head is unfinished.
        self._head_bytes = -1
        self._refused = False

    def data_received(self, data: bytes) -> None:
        if self._refused:
            return  # lingering: dropped unread
        # No request under way before this read (none yet, or the last one's body complete):
        # what it holds begins with a head.
        cycle = self.cycle
        fresh = self._head_bytes < 0 and (cycle is None or not cycle.more_body)
        super().data_received(data)
        scope = cast("dict[str, Any] | None", self.scope)  # None before the first request
        # uvicorn starts each request's scope when its head begins and adds the method when
        # the head ends: a scope without one is a head still arriving.
        if scope is None or "method" in scope or self._refused:
            self._head_bytes = -1
            return
        if self._head_bytes >= 0:
            self._head_bytes += len(data)
        else:
            # It began in this read: all of the read is this head if the read began with it
            # and no request was completed in it. Otherwise what of it came here is left
            # uncounted: a refusal comes at most one read later, never early.
            self._head_bytes = len(data) if fresh and self.cycle is cycle else 0
        refusal = self.limits.refusal(self._head_bytes, len(self.headers))
        if refusal is not None:
            self._refuse(refusal)

    def _refuse(self, refusal: RequestHeadersTooLarge) -> None:
        self._refused = True
        scope = {"headers": self.headers or [], "state": {}}
        status, headers, body = error_response(scope, refusal)
        headers += common_headers(scope)  # sent before the app, so past the front door
        reason = http.HTTPStatus(status).phrase.encode()
        head = [b"HTTP/1.1 %d %s\r\n" % (status, reason)]
        head += [name + b": " + value + b"\r\n" for name, value in headers]
        head.append(b"\r\n")
        self.logger.warning("Request refused: %s", refusal.message)
        self.transport.write(b"".join(head) + body)
        if self.transport.can_write_eof():
            self.transport.write_eof()
            self.loop.call_later(LINGER_SECONDS, self.transport.close)
        else:
            self.transport.close()


def limited_http_protocol(limits: HeaderLimits) -> type[LimitedHttpToolsProtocol]:
    """The protocol class to give uvicorn (``http=``), with these limits."""
    return type("LimitedHttpToolsProtocol", (LimitedHttpToolsProtocol,), {"limits": limits})
