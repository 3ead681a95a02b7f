"""Raw-ASGI answers to the two requests clients make most: read a lead, create a lead.

For these requests Litestar's per-request machinery (routing, the middleware stack, signature
parsing, dependency resolution, guards, response objects, hooks) costs several times the
work itself (docs/design.md, "Hot paths"). So the app answers their *successful* case here,
with the code that decides every answer shared with the Litestar routes: authentication and
rate limits (``auth.middleware.authenticate``), the permission, the repository and service,
the same msgspec Struct encoded by msgspec, the same headers.

Anything else (a missing or bad key, a missing permission, an unknown lead, a body that is not
a valid lead, a conflict, a database error) is handed to the Litestar app unchanged, with the
body replayed and the authentication outcome kept (a request's rate limits are counted
once), and Litestar answers it exactly as it answers every other request. Whatever
authentication raised, and a database outage, travel with the request and Litestar's one
exception handler answers them (``auth.middleware.end_with``): an outage is not waited for
twice. Handing over happens before anything is committed: a create that fails rolls back
first.
``BUENA_HOT_PATHS=false`` turns this off; the tests run every hot request both ways and
compare the answers.
"""

from __future__ import annotations

import logging

import msgspec

from buena_server.auth.middleware import (
    AUTH_OUTCOME_STATE_KEY,
    AuthServices,
    authenticate,
    end_with,
    presented_key,
)
from buena_server.auth.permissions import Permission
from buena_server.auth.principal import Principal
from buena_server.auth.tokens import key_digest
from buena_server.errors import is_database_outage
from buena_server.idempotency import HEADER as IDEMPOTENCY_HEADER
from buena_server.idempotency import Idempotency
from buena_server.idempotency.layer import EarlyClaim, HotClaim, created_answer
from buena_server.kit.asgi import ASGIHandler, Receive, Scope, Send, read_body, replaying
from buena_server.kit.dependencies import validation_context
from buena_server.kit.driver import Database, is_transaction_conflict
from buena_server.kit.http_hooks import is_json_media_type, json_head, media_type_of
from buena_server.kit.ids import is_plausible_id
from buena_server.kit.openapi_docs import BASE_PATH
from buena_server.leads.repository import LeadRepository
from buena_server.leads.schemas import CreateLeadRequest, Lead
from buena_server.leads.service import LeadService
from buena_server.leads.urls import lead_location
from buena_server.services import Services

logger = logging.getLogger("buena_server.kit.hot_paths")


LEADS_PATH = f"{BASE_PATH}/leads"
_LEAD_PREFIX = f"{LEADS_PATH}/"
LEAD_TEMPLATE = f"{LEADS_PATH}/{{lead_id}}"  # as Litestar's router writes it (metrics, logs)
_JSON_ENCODER = msgspec.json.Encoder()


class HotPaths:
    def __init__(self, services: Services, fallback: ASGIHandler, *, max_body_bytes: int) -> None:
        # Read once: each request then reads its own attributes only.
        self.auth: AuthServices = services.auth
        self.database: Database = services.database
        self.validation = validation_context(services.settings)
        self.idempotency: Idempotency = services.idempotency
        self.fallback = fallback
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope["path"]
        method = scope["method"]
        if scope["query_string"]:
            pass  # neither request takes parameters: Litestar refuses them (query_rules.py)
        elif method == "GET" and path.startswith(_LEAD_PREFIX):
            lead_id = path[len(_LEAD_PREFIX) :]
            if is_plausible_id(lead_id):
                scope["path_template"] = LEAD_TEMPLATE
                await self.get_lead(scope, receive, send, lead_id)
                return
        elif method == "POST" and path == LEADS_PATH:
            scope["path_template"] = LEADS_PATH
            await self.create_lead(scope, receive, send)
            return
        await self.fallback(scope, receive, send)

    async def get_lead(self, scope: Scope, receive: Receive, send: Send, lead_id: str) -> None:
        principal = await self._authenticate(
            scope, Permission.LEADS_READ, presented_key(_headers(scope).get)
        )
        lead: Lead | None = None
        if principal is not None:
            try:
                async with self.database.transaction(write=False) as conn:
                    lead = await LeadRepository(conn).get(principal.account_id, lead_id)
            except Exception as exc:  # Litestar answers it (503 for an outage)
                logger.debug("hot path handing over GET %s: %r", lead_id, exc)
                _keep_outage(scope, exc)
        if lead is None:
            await self.fallback(scope, receive, send)
            return
        await self._respond(scope, send, 200, _JSON_ENCODER.encode(lead))

    async def create_lead(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = _headers(scope)
        body, complete = await read_body(receive, self.max_body_bytes)
        created: tuple[bytes, str] | None = None
        if (
            complete
            and is_json_media_type(media_type_of(headers.get("content-type", "")))
            and body.strip()
        ):
            presented = presented_key(headers.get)  # read once for the claim and the check
            key = headers.get(IDEMPOTENCY_HEADER)
            early = None if key is None else self._claim_early(scope, presented, key, body)
            principal = await self._authenticate(scope, Permission.LEADS_WRITE, presented)
            if principal is None:
                if early is not None:  # refused before running: nothing kept
                    await self.idempotency.drop_early(early)
            elif key is None:
                created = await self._create(scope, principal, body)
            else:
                # idempotency/layer.py decides; a replay or a refusal, like any failure, is
                # answered by the Litestar app.
                claim = await self.idempotency.claim_for_hot_path(
                    scope, principal.account_id, key, body, early
                )
                if claim is not None:
                    created = await self._create(scope, principal, body, claim)
        if created is None:
            await self.fallback(scope, replaying(body, complete, receive), send)
            return
        answer, location = created
        await self._respond(scope, send, 201, answer, location=location)

    def _claim_early(
        self, scope: Scope, presented: str | None, key: str, body: bytes
    ) -> EarlyClaim | None:
        """The key's claim sent now, for a caller whose API key is cached (its account
        known), so that Redis gets it with the rate-limit check: one round trip for both."""
        cached = None if presented is None else self.auth.key_cache.get(key_digest(presented))
        if cached is None:
            return None
        return self.idempotency.claim_early(scope, cached.record.account_id, key, body)

    async def _create(
        self, scope: Scope, principal: Principal, body: bytes, claim: HotClaim | None = None
    ) -> tuple[bytes, str] | None:
        """The created lead's body and location, or None (rolled back: Litestar answers,
        under the same claim)."""
        try:
            request = msgspec.json.decode(body, type=CreateLeadRequest)
            # A create writes once: one statement on PostgreSQL (LeadRepository.insert),
            # unless its Idempotency-Key's answer is written in the same transaction.
            single_write = claim is None or claim.single_write
            async with self.database.transaction(write=True, single_write=single_write) as conn:
                service = LeadService(LeadRepository(conn), self.validation)
                lead = await service.create(principal.account_id, request)
                answer, location = _JSON_ENCODER.encode(lead), lead_location(lead.id)
                if claim is not None:
                    await claim.keep_in(conn, created_answer(answer, location))
        except Exception as exc:  # rolled back; Litestar answers it (400, 409, 422, 503...)
            logger.debug("hot path handing over POST: %r", exc)
            _keep_outage(scope, exc)
            return None
        if claim is not None:
            await claim.kept()
        return answer, location

    async def _authenticate(
        self, scope: Scope, permission: Permission, presented: str | None
    ) -> Principal | None:
        """The caller presenting API key ``presented`` when it may go on here; otherwise
        None, with the outcome (whatever authentication raised, or a principal without the
        permission) kept for the Litestar app, which answers an exception with its one
        handler (``end_with``)."""
        try:
            principal = await authenticate(self.auth, scope, presented)
        except Exception as exc:
            end_with(scope, exc)
            return None
        scope.setdefault("state", {})[AUTH_OUTCOME_STATE_KEY] = principal
        return principal if permission in principal.permissions else None

    async def _respond(
        self, scope: Scope, send: Send, status: int, body: bytes, location: str | None = None
    ) -> None:
        extra = ((b"location", location.encode()),) if location is not None else ()
        headers = json_head(body, extra)
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})


def _keep_outage(scope: Scope, exc: Exception) -> None:
    """A database outage met here answers the request: Litestar would meet it again, after
    another wait of up to the database timeout. Any other error Litestar finds itself, with
    its own wording; a deadlock or serialization failure it runs again, as before."""
    if is_database_outage(exc) and not is_transaction_conflict(exc):
        end_with(scope, exc)


def _headers(scope: Scope) -> dict[str, str]:
    # ASGI servers give lower-case names; the first of a repeated header wins, as in Litestar.
    headers: dict[str, str] = {}
    for name, value in scope["headers"]:
        headers.setdefault(name.decode("latin-1"), value.decode("latin-1"))
    return headers
