"""Prometheus metrics (``prometheus_client``), one registry per app.

Requests are counted and timed by route *template* (``/api/v2/leads/{lead_id}``, never the
raw path, so the number of series stays bounded; a path no route matches is ``unmatched``),
method and status, by ``front.FrontDoor`` whichever path answers the request. What
the server holds (database connections, the rate limiter's state) is read when Prometheus
scrapes, so it costs requests nothing.

Each process has its own registry: behind a load balancer, scrape every process (see
docs/deployment.md).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from typing import Any, Protocol
from wsgiref.simple_server import WSGIServer

from litestar import MediaType, Request, Response, get
from litestar.handlers import HTTPRouteHandler
from prometheus_client import (
    CollectorRegistry,
    Histogram,
    PlatformCollector,
    ProcessCollector,
    start_http_server,
)
from prometheus_client.exposition import choose_encoder
from prometheus_client.metrics_core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from buena_server.kit.driver import Database
from buena_server.kit.ratelimit import RateLimitService

UNMATCHED = "unmatched"
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
# Seconds; most requests take a millisecond or less, a database timeout takes seconds.
_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class Metrics:
    def __init__(self, database: Database, rate_limiter: RateLimitService | None) -> None:
        self.registry = CollectorRegistry(auto_describe=False)
        # One histogram: its _count series is the request count (a separate Counter would
        # add ~1.7 µs a request to the histogram's ~2.4 µs; docs/design.md, "Metrics, ...").
        self.requests = Histogram(
            "buena_http_request_duration_seconds",
            "HTTP requests by method, route template and status, and the time from a "
            "request's arrival to the end of its response",
            ("method", "route", "status"),
            buckets=_BUCKETS,
            registry=self.registry,
        )
        self.in_progress = 0
        # The process's queue worker, when it runs one (set by create_app).
        self.worker: QueueWorkerState | None = None
        # Each label set's child: labels() costs more than the observation.
        self._children: dict[tuple[str, str, int], Histogram] = {}
        self.registry.register(_ServerState(self, database, rate_limiter))
        ProcessCollector(registry=self.registry)
        PlatformCollector(registry=self.registry)

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        # Bounded: a method outside HTTP's usual ones is "other"; routes are the app's own.
        key = (method if method in _METHODS else "other", route, status)
        child = self._children.get(key)
        if child is None:
            child = self._children[key] = self.requests.labels(key[0], route, str(status))
        child.observe(seconds)


class QueueWorkerState(Protocol):
    """What the metrics read of a queue worker (queue.Worker)."""

    @property
    def running(self) -> int: ...

    @property
    def outcomes(self) -> dict[str, int]: ...


class _ServerState(Collector):
    """Gauges and counters read from the server's objects at scrape time."""

    def __init__(
        self, metrics: Metrics, database: Database, rate_limiter: RateLimitService | None
    ) -> None:
        self.metrics = metrics
        self.database = database
        self.rate_limiter = rate_limiter

    def collect(self) -> Iterator[Metric]:
        yield GaugeMetricFamily(
            "buena_http_requests_in_progress",
            "Requests received and not yet answered",
            value=self.metrics.in_progress,
        )
        in_use, waiting = self.database.pool_usage()
        yield GaugeMetricFamily(
            "buena_database_connections_in_use",
            "Database connections taken by a transaction (or being opened)",
            value=in_use,
        )
        yield GaugeMetricFamily(
            "buena_database_connections_waiting",
            "Transactions waiting for a connection (PostgreSQL) or the write lock (SQLite)",
            value=waiting,
        )
        worker = self.metrics.worker
        if worker is not None:
            yield GaugeMetricFamily(
                "buena_queue_jobs_running",
                "Jobs this process's worker is running",
                value=worker.running,
            )
            runs = CounterMetricFamily(
                "buena_queue_job_runs",
                "Job runs of this process's worker by outcome: completed, retried (a failure "
                "or RetryLater), dead (failed its last attempt)",
                labels=["outcome"],
            )
            for outcome, count in sorted(worker.outcomes.items()):
                runs.add_metric([outcome], count)
            yield runs
        limiter = self.rate_limiter
        if limiter is None:
            return
        yield CounterMetricFamily(
            "buena_rate_limit_refusals",
            "Requests refused with 429 by the per-key rate limits",
            value=limiter.refusals,
        )
        if limiter.shared is not None:
            yield GaugeMetricFamily(
                "buena_redis_fallback",
                "1 while rate limits are kept in this process because Redis failed, else 0",
                value=int(limiter.falling_back),
            )
            yield CounterMetricFamily(
                "buena_redis_fallbacks",
                "Times a Redis failure made this process limit requests on its own",
                value=limiter.fallbacks,
            )


def metrics_endpoint(metrics: Metrics) -> HTTPRouteHandler:
    """GET /metrics for ``metrics``."""

    @get("/metrics", include_in_schema=False, sync_to_thread=False)
    def metrics_text(request: Request[Any, Any, Any]) -> Response[bytes]:
        """The Prometheus text format, or OpenMetrics when the scraper asks for it (not part
        of the API: no key, not in the OpenAPI document)."""
        encode, content_type = choose_encoder(request.headers.get("accept", ""))
        # The content type given as a header: as media_type, Litestar would add a second
        # charset.
        return Response(
            encode(metrics.registry),
            media_type=MediaType.TEXT,
            headers={"content-type": content_type},
        )

    return metrics_text


class MetricsListener:
    """/metrics on a port of its own (``BUENA_METRICS_PORT``), served from a thread by
    prometheus_client's HTTP server, so the API's listener need not expose it."""

    def __init__(self, metrics: Metrics, host: str, port: int) -> None:
        self.metrics = metrics
        self.host = host
        self.port = port
        self._server: WSGIServer | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._server, self._thread = start_http_server(
            self.port, self.host, registry=self.metrics.registry
        )
        self.port = self._server.server_port  # the one chosen when asked for port 0

    async def stop(self) -> None:
        server, thread = self._server, self._thread
        if server is None or thread is None:
            return
        # shutdown() waits for the serving loop's next poll (up to half a second).
        await asyncio.to_thread(server.shutdown)
        server.server_close()
        await asyncio.to_thread(thread.join)
