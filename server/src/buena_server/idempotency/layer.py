"""Idempotency-Key on the wire: the one place that claims a key, replays an answer, refuses
a reused or busy key, and keeps or releases the answer.

Both ways a request can be answered use it: the Litestar routes through
:class:`IdempotencyMiddleware` (after authentication, so the account is known), and the
POST /leads hot path through :meth:`Idempotency.claim_for_hot_path`, which hands anything but
a fresh claim (a replay, a refusal) over to the middleware via the scope's state, as the hot
path hands over everything but its successful case.

Where the store can (the database), a successful answer is kept in the request's own
transaction: :func:`keep_rendered_answer` (an ``after_request`` hook) renders it, and
:func:`keep_answer_before_commit` (called by the connection dependency just before it
commits) writes it. Everything else is kept, or the claim released, once the answer is
complete and before it is sent.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, cast

from litestar import MediaType, Response
from litestar.middleware import MiddlewareProtocol
from litestar.serialization import get_serializer
from litestar.types import ASGIApp
from litestar.types import Receive as AnyReceive
from litestar.types import Scope as AnyScope
from litestar.types import Send as AnySend

from buena_server.errors import IdempotencyKeyInUse
from buena_server.idempotency.model import (
    HEADER,
    METHODS,
    OPT,
    REPLAYED_HEADER,
    Claim,
    Held,
    StoredResponse,
    check_key,
    fingerprint,
    is_kept,
    is_valid_key,
    kept_headers,
    new_claim,
    replay_or_refuse,
)
from buena_server.idempotency.store import IdempotencyStore
from buena_server.kit import clock
from buena_server.kit.asgi import Message, Receive, Scope, Send, read_body, replaying
from buena_server.kit.driver import Connection

logger = logging.getLogger("buena_server.idempotency")


# Scope state: what the hot path found for the key (a Claim, a StoredResponse to replay, or
# the exception to answer) when it hands the request over.
STATE_KEY = "buena_idempotency"
_HEADER_BYTES = HEADER.encode()


@dataclass(slots=True)
class Pending:
    """The claim a request runs under, and its answer once rendered."""

    claim: Claim
    store: IdempotencyStore
    response: StoredResponse | None = None
    saved: bool = False


# The request's Pending, for the after_request hook and the connection dependency (neither
# is given the scope).
_pending: ContextVar[Pending | None] = ContextVar("buena_idempotency_pending", default=None)


class Idempotency:
    """The app's idempotency service (``Services.idempotency``)."""

    def __init__(self, store: IdempotencyStore, *, max_body_bytes: int) -> None:
        self.store = store
        self.max_body_bytes = max_body_bytes

    async def begin(
        self, account_id: str, key: str, method: str, path: str, query: bytes, body: bytes
    ) -> Claim | StoredResponse:
        """A claim to run under, or the answer to replay; raises the refusals (400, 409, 422,
        503 when the store is unreachable)."""
        request_fingerprint = fingerprint(method, path, query, body)
        outcome = await self.store.claim(account_id, check_key(key), request_fingerprint)
        if isinstance(outcome, Held):
            return replay_or_refuse(outcome, request_fingerprint)
        return outcome

    def claim_early(
        self, scope: dict[str, Any], account_id: str, key: str, body: bytes
    ) -> EarlyClaim | None:
        """For the hot path: the claim sent before the request's authentication completes,
        so that it travels with the rate-limit check (one Redis round trip for both); None
        where the store cannot (the database) or the key is malformed (refused after
        authentication, as always). ``account_id`` is the cached API key's: authentication
        confirms it, or the claim is dropped (``drop_early``)."""
        if not self.store.sends_claims or not is_valid_key(key):
            return None
        request_fingerprint = fingerprint(
            scope["method"], scope["path"], scope["query_string"], body
        )
        claim = new_claim(account_id, key, request_fingerprint)
        reply = self.store.send_claim(claim, clock.utcnow())
        return None if reply is None else EarlyClaim(claim, reply)

    async def drop_early(self, early: EarlyClaim) -> None:
        """The request was refused before running (401, 403, 429): let go of the key if its
        early claim took it; never raises."""
        try:
            if await self.store.claim_sent(early.claim, early.reply) is early.claim:
                await self.store.release(early.claim)
        except Exception as exc:  # the store is unreachable: the claim's lease frees the key
            logger.warning("could not release an idempotency key: %r", exc)

    async def claim_for_hot_path(
        self,
        scope: dict[str, Any],
        account_id: str,
        key: str,
        body: bytes,
        early: EarlyClaim | None = None,
    ) -> HotClaim | None:
        """The claim for a hot-path request (made now, or read from ``early``), or None:
        then the outcome (a replay, an error) is in the scope's state and the request goes
        to the Litestar app, which answers it."""
        state = scope.setdefault("state", {})
        try:
            outcome = None
            if early is not None:
                if early.claim.account_id == account_id:
                    outcome = await self._early_outcome(early)
                else:  # never for a key of the account it was cached for
                    await self.drop_early(early)
            if outcome is None:
                outcome = await self.begin(
                    account_id, key, scope["method"], scope["path"], scope["query_string"], body
                )
        except Exception as exc:  # the Litestar app answers it (400, 409, 422, 503...)
            state[STATE_KEY] = exc
            return None
        state[STATE_KEY] = outcome  # kept for the Litestar app if the hot path hands over
        if isinstance(outcome, StoredResponse):
            return None
        return HotClaim(self, outcome)

    async def _early_outcome(self, early: EarlyClaim) -> Claim | StoredResponse | None:
        """What the early claim found, as ``begin`` answers; None when it did not run."""
        found = await self.store.claim_sent(early.claim, early.reply)
        if isinstance(found, Held):
            return replay_or_refuse(found, early.claim.fingerprint)
        return found

    async def finish(self, pending: Pending, response: StoredResponse) -> None:
        """Keep the answer (unless kept already) or release the claim; never raises: the
        answer goes out either way."""
        if pending.saved:
            return
        try:
            if is_kept(response.status):
                if not await self.store.save(pending.claim, response):
                    logger.warning(
                        "idempotency key %r was taken over before its answer was kept",
                        pending.claim.key,
                    )
            else:
                await self.store.release(pending.claim)
        except Exception as exc:  # the store is unreachable: a retry runs the request again
            logger.warning("could not keep the answer for an idempotency key: %r", exc)
        pending.saved = True


def created_answer(body: bytes, location: str) -> StoredResponse:
    """The answer the hot path gives a create (hot_paths.HotPaths._respond), as kept."""
    return StoredResponse(201, [("content-type", "application/json"), ("location", location)], body)


@dataclass(slots=True)
class EarlyClaim:
    """A claim sent before authentication answered (``Idempotency.claim_early``)."""

    claim: Claim
    reply: Awaitable[object]


class HotClaim:
    """A claim the hot path creates a lead under (see ``hot_paths.HotPaths.create_lead``)."""

    __slots__ = ("pending", "service")

    def __init__(self, service: Idempotency, claim: Claim) -> None:
        self.service = service
        self.pending = Pending(claim, service.store)

    @property
    def single_write(self) -> bool:
        """Whether the create may stay one statement: not when the answer is written in the
        same transaction."""
        return not self.service.store.saves_in_transaction

    async def keep_in(self, conn: Connection, response: StoredResponse) -> None:
        """In the create's transaction: keep its answer there, where the store can."""
        self.pending.response = response
        await _save_in(conn, self.pending)

    async def kept(self) -> None:
        """After the commit: keep the answer, unless it was kept in the transaction."""
        assert self.pending.response is not None
        await self.service.finish(self.pending, self.pending.response)


async def _save_in(conn: Connection, pending: Pending) -> None:
    response = pending.response
    if response is None or pending.saved or not pending.store.saves_in_transaction:
        return
    if not await pending.store.save_in(conn, pending.claim, response):
        # The lease ran out and another request took the key: undo this one's change.
        raise IdempotencyKeyInUse(
            "A request with this Idempotency-Key took over while this one ran; retry shortly",
            headers={"Retry-After": "1"},
        )

    async def committed() -> None:
        # Only once committed: a failed commit's answer (503) releases the claim instead.
        pending.saved = True

    conn.after_commit.append(committed)


async def keep_answer_before_commit(conn: Connection) -> None:
    """The connection dependency's last step before commit: the answer joins the change."""
    pending = _pending.get()
    if pending is not None:
        await _save_in(conn, pending)


async def keep_rendered_answer(response: Response[Any]) -> Response[Any]:
    """``after_request``: render a keyed request's answer now, so that the store can keep it
    in the request's transaction (the connection dependency commits after this hook, before
    anything is sent); the response then sends those same bytes."""
    pending = _pending.get()
    status = response.status_code
    if (
        pending is None
        or status is None
        or not pending.store.saves_in_transaction
        or not is_kept(status)
    ):
        return response
    # A Response the handler built itself leaves its media type to the route: ours are JSON.
    declared = response.media_type or MediaType.JSON
    media_type = declared.value if isinstance(declared, MediaType) else str(declared)
    body = response.render(
        response.content, media_type, get_serializer(response.response_type_encoders)
    )
    response.content = body
    headers = kept_headers([(name, str(value)) for name, value in response.headers.items()])
    pending.response = StoredResponse(status, [("content-type", media_type), *headers], body)
    return response


class IdempotencyMiddleware(MiddlewareProtocol):
    """Honours Idempotency-Key on POST, PATCH and DELETE (placed after authentication), with
    the app's ``Idempotency`` given by ``create_app`` (``services.SharedMiddleware``)."""

    def __init__(self, app: ASGIApp, *, service: Idempotency) -> None:
        self.next = cast(Callable[[Scope, Receive, Send], Awaitable[None]], app)
        self.service = service

    async def __call__(self, scope: AnyScope, receive: AnyReceive, send: AnySend) -> None:
        await self.handle(cast(Scope, scope), cast(Receive, receive), cast(Send, send))

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] not in METHODS
            or scope["route_handler"].opt.get(OPT) is False
        ):
            await self.next(scope, receive, send)
            return
        state: dict[str, Any] = scope.setdefault("state", {})
        outcome = state.pop(STATE_KEY, None)
        key = _header(scope)
        if outcome is None and key is None:
            await self.next(scope, receive, send)
            return
        service = self.service
        if outcome is None:
            assert key is not None
            # The route's own cap where it has one (an upload's), else the app's.
            cap = scope["route_handler"].resolve_request_max_body_size() or service.max_body_bytes
            body, complete = await read_body(receive, cap)
            receive = replaying(body, complete, receive)
            if not complete:  # too large: answered 413, nothing to keep
                await self.next(scope, receive, send)
                return
            outcome = await service.begin(
                scope["user"].account_id,
                key,
                scope["method"],
                scope["path"],
                scope["query_string"],
                body,
            )
        if isinstance(outcome, Exception):
            raise outcome
        if isinstance(outcome, StoredResponse):
            await _replay(send, outcome)
            return
        await self._run(scope, receive, send, Pending(outcome, service.store), service)

    async def _run(
        self, scope: Scope, receive: Receive, send: Send, pending: Pending, service: Idempotency
    ) -> None:
        started: dict[str, Any] = {}
        chunks: list[bytes] = []

        async def keep_then_send(message: Message) -> None:
            # The answer is kept (or the claim released) before any of it is sent: a client
            # that has the answer can count on a retry replaying it.
            if message["type"] == "http.response.start":
                started.update(message)
                return
            if message["type"] != "http.response.body" or not started:
                await send(message)
                return
            chunks.append(message.get("body", b""))
            if message.get("more_body", False):
                return
            body = b"".join(chunks)
            response = StoredResponse(
                started["status"], kept_headers(list(started.get("headers", []))), body
            )
            await service.finish(pending, response)
            await send(started)
            await send({"type": "http.response.body", "body": body, "more_body": False})

        reset = _pending.set(pending)
        try:
            await self.next(scope, receive, keep_then_send)
        except BaseException:
            if not pending.saved:
                await service.finish(pending, StoredResponse(500, [], b""))
            raise
        finally:
            _pending.reset(reset)


def _header(scope: Scope) -> str | None:
    for name, value in scope["headers"]:
        if name == _HEADER_BYTES:
            return str(value.decode("latin-1"))
    return None


async def _replay(send: Send, response: StoredResponse) -> None:
    headers = [
        (name.encode("latin-1"), value.encode("latin-1")) for name, value in response.headers
    ]
    headers += [
        (b"content-length", b"%d" % len(response.body)),
        (REPLAYED_HEADER.encode(), b"true"),
    ]
    await send({"type": "http.response.start", "status": response.status, "headers": headers})
    await send({"type": "http.response.body", "body": response.body, "more_body": False})
