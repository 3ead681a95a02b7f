"""The front door: what holds for every HTTP request, once, before anything answers it (the
hot paths or Litestar's router), as one ASGI middleware that ``create_app`` wraps around them.

- **Observation**: its metrics and its access-log line, whichever path answers. The route
  template comes from the scope: Litestar's router puts ``path_template`` there, and so do
  the hot paths for the two requests they answer, so a request is labelled the same way on
  either path; a path no route matches is ``unmatched``.
- **The last guard**: whatever escapes everything behind it still gets the one JSON error
  answer (escaped.py), never the ASGI server's plain-text 500.
- **The header caps** (http_limits.py; ``serve`` also applies them while the head arrives,
  http_protocol.py), and the **CORS** headers for the request's origin (cors.py), kept in the
  scope for ``http_hooks.common_headers``.
- **The common headers** on every answer, whoever gave it (``http_hooks.finish_head``):
  X-Request-ID, the security headers, X-RateLimit-*, CORS, and the ``Allow`` fixes.
- **HEAD** is GET without the body (RFC 9110, 9.3.2): the request goes on as a GET, through
  the same routing, authentication, rate limits and hot paths, and only the body of the
  answer is dropped. Status and headers are the GET's, Content-Length included (RFC 9110,
  8.6).

One layer rather than one per concern: each ASGI layer costs every request a coroutine and
a call (docs/design.md, "The front door").
"""

from __future__ import annotations

from time import perf_counter
from typing import cast

from buena_server.kit.access_log import AccessLog
from buena_server.kit.asgi import ASGIHandler, Message, Receive, Scope, Send
from buena_server.kit.cors import CORS_STATE_KEY, CorsPolicy
from buena_server.kit.escaped import answer_escaped, error_response
from buena_server.kit.http_hooks import finish_head
from buena_server.kit.http_limits import HeaderLimits
from buena_server.kit.metrics import UNMATCHED, Metrics


class FrontDoor:
    """``app`` is what answers HTTP requests past the door: the hot paths, or Litestar
    (``create_app``), or the gate that answers the API's 503 while ``serve`` prepares the
    database (``app._serve_when_ready``); ``others`` answers any other connection."""

    __slots__ = ("access_log", "app", "cors", "limits", "metrics", "others")

    def __init__(
        self,
        app: ASGIHandler,
        *,
        others: ASGIHandler,
        limits: HeaderLimits,
        cors: CorsPolicy | None,
        metrics: Metrics | None,
        access_log: AccessLog,
    ) -> None:
        self.app = app
        self.others = others
        self.limits = limits
        self.cors = cors
        self.metrics = metrics
        self.access_log = access_log

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":  # a WebSocket: Litestar's router refuses it
            await self.others(scope, receive, send)
            return
        start = perf_counter()
        status = 0

        async def observed_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                finish_head(message, scope)  # the GET's scope for a HEAD (below)
            await send(message)

        metrics = self.metrics
        if metrics is not None:
            metrics.in_progress += 1
        # One coroutine for all of it: each ASGI layer costs every request a coroutine.
        asked, answer = scope, cast(Send, observed_send)
        if scope["method"] == "HEAD":
            # The GET, on a copy: the server's own scope keeps saying HEAD (uvicorn then
            # sends no body either, and logs the method that was asked).
            scope.setdefault("state", {})  # shared by both scopes: the key id, the decision
            scope, answer = {**scope, "method": "GET"}, _without_body(observed_send)
        try:
            if self.cors is not None:
                scope.setdefault("state", {})[CORS_STATE_KEY] = self.cors.headers(scope)
            refusal = self.limits.check(scope)
            if refusal is None:
                await self.app(scope, receive, answer)
            else:
                code, headers, body = error_response(scope, refusal)
                await answer({"type": "http.response.start", "status": code, "headers": headers})
                await answer({"type": "http.response.body", "body": body})
        except Exception as exc:
            await answer_escaped(scope, answer, exc)
        finally:
            seconds = perf_counter() - start
            # No response started (the request was cancelled at shutdown, or the guard could
            # not answer): the ASGI server answers 500.
            status = status or 500
            # The route the request matched (a HEAD's, the GET's it went on as).
            route: str = scope.get("path_template") or UNMATCHED
            if metrics is not None:
                metrics.in_progress -= 1
                metrics.observe(asked["method"], route, status, seconds)
            if self.access_log.enabled():
                self.access_log.write(asked, route, status, seconds)


def _without_body(send: Send) -> Send:
    async def send_head(message: Message) -> None:
        if message["type"] == "http.response.body":
            if message.get("more_body", False):
                return
            message = {"type": "http.response.body", "body": b""}
        await send(message)

    return send_head
