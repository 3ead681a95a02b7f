"""uvicorn's httptools protocol, refusing an oversized request head while it is still arriving.

httptools (llhttp) puts no bound on a request head: it gathers a header line of any length,
and any number of them, before uvicorn sees one. This subclass counts the head as it is
read: each complete field as the parser reports it, and the raw bytes of a head that has not
ended yet, so that a single endless line is refused after ``max_bytes`` and one read, not
after the whole of it. The refusal is the app's 431 (escaped.error_response) with
``Connection: close``. The connection then closes as nginx closes one (a "lingering close"):
the answer is sent and the sending side shut, and what the client still sends is read and
dropped for up to a second, because closing a socket with unread data resets it, and the
reset can destroy the answer before the client has read it.
"""

from __future__ import annotations

import asyncio
import http
from typing import Any, ClassVar

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from buena_server.errors import RequestHeadersTooLarge
from buena_server.escaped import error_response
from buena_server.http_limits import FIELD_FRAMING, REQUEST_LINE_FRAMING, HeaderLimits

LINGER_SECONDS = 1.0


class _HeadRefused(Exception):
    """Raised from a parser callback to stop parsing (httptools wraps it in an
    HttpParserCallbackError, which uvicorn answers through ``send_400_response``)."""


class LimitedHttpToolsProtocol(HttpToolsProtocol):
    limits: ClassVar[HeaderLimits]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._in_head = True  # until the first request's headers are complete
        self._head_bytes = 0
        self._head_fields = 0
        self._counted = REQUEST_LINE_FRAMING
        self._refusal: RequestHeadersTooLarge | None = None
        self._linger: asyncio.TimerHandle | None = None

    def data_received(self, data: bytes) -> None:
        if self._refusal is not None:
            return  # lingering: dropped unread
        if self._in_head:
            self._head_bytes += len(data)
        super().data_received(data)
        if self._refusal is None and self._in_head:
            # Headers still incomplete: every byte read since the head began belongs to it.
            self._refusal = self.limits.refusal(self._head_bytes, self._head_fields)
            if self._refusal is not None:
                self._refuse()

    def on_url(self, url: bytes) -> None:
        super().on_url(url)
        self._counted += len(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        self._head_fields += 1
        self._counted += len(name) + len(value) + FIELD_FRAMING
        refusal = self.limits.refusal(self._counted, self._head_fields)
        if refusal is not None:
            self._refusal = refusal
            raise _HeadRefused
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        self._in_head = False
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        # The next head starts here. (What of it came in the same read is left uncounted by
        # data_received: at most one read more before a refusal.)
        self._in_head = True
        self._head_bytes = 0
        self._head_fields = 0
        self._counted = REQUEST_LINE_FRAMING
        super().on_message_complete()

    def send_400_response(self, msg: str) -> None:
        if self._refusal is not None:
            self._refuse()
        else:
            super().send_400_response(msg)

    def _refuse(self) -> None:
        assert self._refusal is not None
        scope = {"headers": self.headers or [], "state": {}}
        status, headers, body = error_response(scope, self._refusal)
        reason = http.HTTPStatus(status).phrase.encode()
        head = [b"HTTP/1.1 %d %s\r\n" % (status, reason)]
        head += [name + b": " + value + b"\r\n" for name, value in headers]
        head.append(b"connection: close\r\n\r\n")
        self.logger.warning("Request refused: %s", self._refusal.message)
        self.transport.write(b"".join(head) + body)
        if self.transport.can_write_eof():
            self.transport.write_eof()
            self._linger = self.loop.call_later(LINGER_SECONDS, self.transport.close)
        else:
            self.transport.close()

    def connection_lost(self, exc: Exception | None) -> None:
        if self._linger is not None:
            self._linger.cancel()
        super().connection_lost(exc)


def limited_http_protocol(limits: HeaderLimits) -> type[LimitedHttpToolsProtocol]:
    """The protocol class to give uvicorn (``http=``), with these limits."""
    return type("LimitedHttpToolsProtocol", (LimitedHttpToolsProtocol,), {"limits": limits})
