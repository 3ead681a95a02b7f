"""HTTP endpoints for API keys."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, delete, get, post
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide
from litestar.params import JSONBody, Parameter

from buena_server.accounts.repository import AccountRepository
from buena_server.auth.guards import requires
from buena_server.auth.permissions import Permission
from buena_server.idempotency.model import NO_KEPT_ANSWERS
from buena_server.keys.repository import ApiKeyRepository
from buena_server.keys.schemas import (
    CreateApiKeyRequest,
    CreatedApiKey,
    ListApiKeysResponse,
    RevokeApiKeyResponse,
)
from buena_server.keys.service import ApiKeyService
from buena_server.kit.dependencies import AuthenticatedRequest, validation_context
from buena_server.kit.driver import Connection
from buena_server.kit.openapi_docs import error_responses
from buena_server.kit.paging import Cursor, Limit, Offset, page, refuse_cursor_with_offset
from buena_server.services import services_of


def provide_key_service(conn: NamedDependency[Connection], state: State) -> ApiKeyService:
    services = services_of(state)
    return ApiKeyService(
        ApiKeyRepository(conn),
        services.key_usage,
        validation_context(services.settings),
        accounts=AccountRepository(conn),
        max_active=services.settings.max_active_keys_per_account,
        cache=services.key_cache,
        versions=services.key_versions,
        after_commit=conn.after_commit.append,
    )


class ApiKeyController(Controller):
    path = "/keys"
    tags = ["API Keys"]
    dependencies = {"service": Provide(provide_key_service, sync_to_thread=False)}

    @get(
        operation_id="list_api_keys",
        summary="List API keys",
        description="Requires `api_keys:read`. Newest first, paged like `GET /leads` (`cursor` or "
        "`offset`); "
        "`total` counts every key of the account, revoked and expired ones included. Never "
        "includes the keys themselves.",
        guards=[requires(Permission.API_KEYS_READ)],
        responses=error_responses(400, 403, 422),
    )
    async def list_api_keys(
        self,
        service: NamedDependency[ApiKeyService],
        request: AuthenticatedRequest,
        limit: Limit = None,
        offset: Offset = None,
        cursor: Cursor = None,
    ) -> ListApiKeysResponse:
        refuse_cursor_with_offset(cursor, offset)
        applied = page(limit, offset)
        return await service.list(
            request.user, limit=applied.limit, offset=applied.offset, cursor=cursor
        )

    @post(
        operation_id="create_api_key",
        summary="Create an API key",
        description="Requires `api_keys:write`, and every permission granted must be held by "
        "the calling key. A calling key that expires must give an `expires_at` no later than "
        "its own (422 `API_KEY_OUTLIVES_CALLER`); an account holds at most "
        "`BUENA_MAX_ACTIVE_KEYS_PER_ACCOUNT` keys that are neither revoked nor expired "
        "(422 `API_KEY_LIMIT_REACHED`). The full key is in this response only.",
        guards=[requires(Permission.API_KEYS_WRITE)],
        responses=error_responses(403, 422, body=True),
        response_description="The API key, with the full key: shown in this response only",
        # The answer holds the new key, which is stored only as a digest: never kept for
        # an Idempotency-Key (docs/api.md, "Idempotency").
        opt=NO_KEPT_ANSWERS,
    )
    async def create_api_key(
        self,
        service: NamedDependency[ApiKeyService],
        request: AuthenticatedRequest,
        data: JSONBody[CreateApiKeyRequest],
    ) -> CreatedApiKey:
        return await service.create(request.user, data)

    @delete(
        "/{key_id:str}",
        operation_id="revoke_api_key",
        summary="Revoke an API key",
        description="Requires `api_keys:write`, and every permission of the revoked key must "
        "be held by the calling key (403 otherwise). The key is refused from its very next "
        "request.",
        status_code=200,
        guards=[requires(Permission.API_KEYS_WRITE)],
        responses=error_responses(403, 404),
    )
    async def revoke_api_key(
        self,
        service: NamedDependency[ApiKeyService],
        request: AuthenticatedRequest,
        key_id: Annotated[str, Parameter(description="API key identifier (key_...)")],
    ) -> RevokeApiKeyResponse:
        return await service.revoke(request.user, key_id)
