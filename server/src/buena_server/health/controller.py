"""GET /health: no API key needed."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get
from litestar.datastructures import State
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import Example

from buena_server import API_VERSION
from buena_server.health.service import (
    HealthCheck200Response,
    HealthUnavailable,
)
from buena_server.kit.openapi_docs import error_responses
from buena_server.kit.request_id import request_id_of
from buena_server.services import services_of

_HEALTHY: dict[str, Any] = {
    "status": "healthy",
    "timestamp": "2026-12-05T10:00:00.123456Z",
    "version": API_VERSION,
    "services": {"database": "healthy", "redis": "healthy", "api": "healthy"},
    "response_time": 1,
}
_DOWN_SERVICES = {"database": "down", "redis": "healthy", "api": "healthy"}
_DOWN: dict[str, Any] = {
    "error": True,
    "code": "SERVICE_UNAVAILABLE",
    "message": "The database is unavailable",
    "version": API_VERSION,
    "request_id": "req_6b1f0c2d3e4a5b6c7d8e9f0a1b2c3d4e",
    "details": {"services": _DOWN_SERVICES},
    **_HEALTHY,
    "status": "down",
    "services": _DOWN_SERVICES,
}
# operationId -> the example of its success answer.
ANSWERS: dict[str, tuple[str, Any]] = {"health_check": ("Healthy", _HEALTHY)}


@get(
    "/health",
    operation_id="health_check",
    summary="Health of the API, its database and Redis",
    description="No API key needed. Answers 503 when the database is unreachable, with the "
    "error fields every error has plus the health report (status `down`); a service that is "
    "not configured reports `disabled`.",
    tags=["System"],
    responses={
        **error_responses(authenticated=False),
        503: ResponseSpec(
            data_container=HealthUnavailable,
            description="The database is unreachable",
            generate_examples=False,
            examples=[Example(summary="The database is down", value=_DOWN)],
        ),
    },
)
async def health_check(
    state: State, request: Request[Any, Any, Any]
) -> Response[HealthCheck200Response | HealthUnavailable]:
    health = services_of(state).health
    report = await health.check()
    if report.status != "down":
        return Response(report, status_code=200)
    unavailable = HealthUnavailable(
        error=True,
        code="SERVICE_UNAVAILABLE",
        message="The database is unavailable",
        version=API_VERSION,
        request_id=request_id_of(request.scope),
        details={"services": report.services},
        **{
            name: getattr(report, name)
            for name in ("status", "timestamp", "services", "response_time")
        },
    )
    return Response(unavailable, status_code=503, headers={"Retry-After": "1"})
