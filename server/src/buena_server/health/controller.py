"""GET /health: no API key needed."""

from __future__ import annotations

from litestar import Response, get
from litestar.datastructures import State

from buena_server.health.service import HealthCheck200Response, HealthService
from buena_server.openapi_docs import error_responses


@get(
    "/health",
    operation_id="health_check",
    summary="Health of the API, its database and Redis",
    description="No API key needed. Answers 503 with status `down` when the database is "
    "unreachable; a service that is not configured reports `disabled`.",
    tags=["System"],
    responses={503: error_responses()[503]},
)
async def health_check(state: State) -> Response[HealthCheck200Response]:
    health: HealthService = state.health
    report = await health.check()
    return Response(report, status_code=503 if report.status == "down" else 200)
