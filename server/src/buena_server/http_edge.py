"""What holds for every HTTP request before anything answers it (the hot paths or Litestar):
the header caps (http_limits.py), the CORS headers for the request's origin (cors.py), and
HEAD.

HEAD is GET without the body (RFC 9110, 9.3.2): the request goes on as a GET, through the
same routing, authentication, rate limits and hot paths, and only the body of the answer is
dropped. Status and headers are the GET's, Content-Length included (RFC 9110, 8.6).
"""

from __future__ import annotations

from buena_server.asgi import ASGIHandler, Message, Receive, Scope, Send
from buena_server.cors import CORS_STATE_KEY, CorsPolicy
from buena_server.escaped import error_response
from buena_server.http_limits import HeaderLimits


class HttpEdge:
    def __init__(self, app: ASGIHandler, limits: HeaderLimits, cors: CorsPolicy | None) -> None:
        self.app = app
        self.limits = limits
        self.cors = cors

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["method"] == "HEAD":
            # A copy: the server's own scope keeps saying HEAD (uvicorn then sends no body
            # either, and logs the method that was asked).
            scope.setdefault("state", {})  # shared by both scopes: the key id, the decision
            as_get = {**scope, "method": "GET"}
            try:
                await self._answer(as_get, receive, _without_body(send))
            finally:
                # The route the GET matched, for the observer's metrics and access log.
                if "path_template" in as_get:
                    scope["path_template"] = as_get["path_template"]
            return
        await self._answer(scope, receive, send)

    async def _answer(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.cors is not None:
            scope.setdefault("state", {})[CORS_STATE_KEY] = self.cors.headers(scope)
        refusal = self.limits.check(scope)
        if refusal is not None:
            status, headers, body = error_response(scope, refusal)
            await send({"type": "http.response.start", "status": status, "headers": headers})
            await send({"type": "http.response.body", "body": body})
            return
        await self.app(scope, receive, send)


def _without_body(send: Send) -> Send:
    async def send_head(message: Message) -> None:
        if message["type"] == "http.response.body":
            if message.get("more_body", False):
                return
            message = {"type": "http.response.body", "body": b""}
        await send(message)

    return send_head
