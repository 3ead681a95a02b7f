"""HTTP endpoints for API keys."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, delete, get, post
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide
from litestar.params import JSONBody, Parameter
from sqlalchemy.ext.asyncio import AsyncConnection

from buena_server.auth.guards import requires
from buena_server.auth.permissions import Permission
from buena_server.auth.principal import Principal
from buena_server.keys.repository import ApiKeyRepository
from buena_server.keys.schemas import (
    CreateApiKeyRequest,
    CreatedApiKey,
    ListApiKeysResponse,
    RevokeApiKeyResponse,
)
from buena_server.keys.service import ApiKeyService
from buena_server.openapi_docs import error_responses
from buena_server.validation import Context


def provide_key_service(
    conn: NamedDependency[AsyncConnection],
    state: State,
    validation_context: NamedDependency[Context],
) -> ApiKeyService:
    return ApiKeyService(ApiKeyRepository(conn), state.key_usage, validation_context)


class ApiKeyController(Controller):
    path = "/keys"
    tags = ["API Keys"]
    dependencies = {"service": Provide(provide_key_service, sync_to_thread=False)}

    @get(
        operation_id="list_api_keys",
        summary="List API keys",
        description="Requires `api_keys:read`. Never includes the keys themselves.",
        guards=[requires(Permission.API_KEYS_READ)],
        responses=error_responses(403),
    )
    async def list_api_keys(
        self, service: NamedDependency[ApiKeyService], principal: NamedDependency[Principal]
    ) -> ListApiKeysResponse:
        return await service.list(principal)

    @post(
        operation_id="create_api_key",
        summary="Create an API key",
        description="Requires `api_keys:write`, and every permission granted must be held by "
        "the calling key. The full key is in this response only.",
        guards=[requires(Permission.API_KEYS_WRITE)],
        responses=error_responses(400, 403, 413, 415, 422),
    )
    async def create_api_key(
        self,
        service: NamedDependency[ApiKeyService],
        principal: NamedDependency[Principal],
        data: JSONBody[CreateApiKeyRequest],
    ) -> CreatedApiKey:
        return await service.create(principal, data)

    @delete(
        "/{key_id:str}",
        operation_id="revoke_api_key",
        summary="Revoke an API key",
        description="Requires `api_keys:write`. The key is refused from its very next request.",
        status_code=200,
        guards=[requires(Permission.API_KEYS_WRITE)],
        responses=error_responses(403, 404),
    )
    async def revoke_api_key(
        self,
        service: NamedDependency[ApiKeyService],
        principal: NamedDependency[Principal],
        key_id: Annotated[str, Parameter(description="API key identifier (key_...)")],
    ) -> RevokeApiKeyResponse:
        return await service.revoke(principal, key_id)
