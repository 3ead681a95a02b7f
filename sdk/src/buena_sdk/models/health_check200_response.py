from buena_sdk.models._base import ResponseModel, ServerDatetime


class HealthCheck200Response(ResponseModel):
    """Service status. ``status`` is healthy, degraded or down; each entry of ``services``
    (database, redis, api) is one of those or ``disabled`` when not configured."""

    status: str
    timestamp: ServerDatetime
    version: str
    services: dict[str, str]
    # milliseconds
    response_time: int
