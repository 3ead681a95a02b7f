"""What holds for every HTTP request before anything answers it (the hot paths or Litestar):
the header caps (http_limits.py) and the CORS headers for the request's origin (cors.py)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from buena_server.cors import CORS_STATE_KEY, CorsPolicy
from buena_server.http_limits import HeaderLimits, error_response

Scope = dict[str, Any]
Message = dict[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIHandler = Callable[[Scope, Receive, Send], Awaitable[None]]


class HttpEdge:
    def __init__(self, app: ASGIHandler, limits: HeaderLimits, cors: CorsPolicy | None) -> None:
        self.app = app
        self.limits = limits
        self.cors = cors

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.cors is not None:
            scope.setdefault("state", {})[CORS_STATE_KEY] = self.cors.headers(scope)
        refusal = self.limits.check(scope)
        if refusal is not None:
            status, headers, body = error_response(scope, refusal)
            await send({"type": "http.response.start", "status": status, "headers": headers})
            await send({"type": "http.response.body", "body": body})
            return
        await self.app(scope, receive, send)
