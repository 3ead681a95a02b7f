"""What holds for every HTTP request before anything answers it (the hot paths or Litestar):
the header caps (http_limits.py)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from buena_server.http_limits import HeaderLimits, error_response

Scope = dict[str, Any]
Message = dict[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIHandler = Callable[[Scope, Receive, Send], Awaitable[None]]


class HttpEdge:
    def __init__(self, app: ASGIHandler, limits: HeaderLimits) -> None:
        self.app = app
        self.limits = limits

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        refusal = self.limits.check(scope)
        if refusal is not None:
            status, headers, body = error_response(scope, refusal)
            await send({"type": "http.response.start", "status": status, "headers": headers})
            await send({"type": "http.response.body", "body": body})
            return
        await self.app(scope, receive, send)
