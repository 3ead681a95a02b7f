"""Every HTTP request, once, whichever path answers it (the hot paths or Litestar's router):
its metrics and its access-log line.

The route template comes from the scope: Litestar's router puts ``path_template`` there, and
so do the hot paths for the two requests they answer, so a request is labelled the same way
on either path. This wraps the whole app (``BuenaApp``), so it sees the status of every
response, errors and requests no route matches included.
"""

from __future__ import annotations

from time import perf_counter
from typing import Any

from buena_server.access_log import AccessLog
from buena_server.asgi import ASGIHandler, Receive, Scope, Send
from buena_server.metrics import UNMATCHED, Metrics


class RequestObserver:
    __slots__ = ("access_log", "app", "metrics")

    def __init__(self, app: ASGIHandler, metrics: Metrics | None, access_log: AccessLog) -> None:
        self.app = app
        self.metrics = metrics
        self.access_log = access_log

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        start = perf_counter()
        status = 0

        async def observed_send(message: dict[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        metrics = self.metrics
        if metrics is not None:
            metrics.in_progress += 1
        try:
            await self.app(scope, receive, observed_send)
        finally:
            seconds = perf_counter() - start
            # No response started (an error escaped, or the request was cancelled at shutdown):
            # uvicorn answers 500.
            status = status or 500
            route: str = scope.get("path_template") or UNMATCHED
            if metrics is not None:
                metrics.in_progress -= 1
                metrics.observe(scope["method"], route, status, seconds)
            if self.access_log.enabled():
                self.access_log.write(scope, route, status, seconds)
