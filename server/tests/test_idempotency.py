"""Idempotency-Key (idempotency/): the first answer kept and replayed, a reused or busy key
refused, across requests, app instances and both stores, with the hot paths on and off.

Time (the lease, the 24 h expiry) moves through the project clock, never by sleeping."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import redis
from sqlalchemy import func, select, text

from buena_server.app import create_app, hot_paths_of
from buena_server.auth.permissions import Permission
from buena_server.config import Settings
from buena_server.errors import InvalidIdempotencyKey
from buena_server.idempotency import Claim, Idempotency
from buena_server.idempotency.model import StoredResponse, check_key, fingerprint, new_claim
from buena_server.kit import clock
from buena_server.services import services_of
from buena_server.tables import idempotency_keys

from backends import REDIS_URL
from server_testing import API, Account, InProcessClient, MovedClock, assert_error, running

LEAD = {"first_name": "Ada", "last_name": "Lovelace", "email": "ada@example.com"}


@pytest.fixture(params=["database", "redis"])
def store_kind(request: pytest.FixtureRequest) -> str:
    if request.param == "redis":
        try:
            redis.Redis.from_url(REDIS_URL, socket_connect_timeout=0.5).ping()
        except redis.ConnectionError:
            pytest.skip("Redis is not running here (CI runs it)")
    return str(request.param)


@pytest.fixture(params=[True, False], ids=["hot-paths", "litestar"])
def hot_paths(request: pytest.FixtureRequest) -> bool:
    return bool(request.param)


@pytest.fixture
def settings_overrides(store_kind: str, hot_paths: bool) -> dict[str, Any]:
    values: dict[str, Any] = {
        "idempotency_store": store_kind,
        "hot_paths": hot_paths,
        "idempotency_lease_seconds": 30,
    }
    if store_kind == "redis":
        values.update(redis_url=REDIS_URL, redis_key_prefix=f"buena-test-{secrets.token_hex(6)}")
    return values


def keyed(account: Account, key: str, **headers: str) -> dict[str, str]:
    return {**account.headers(), "idempotency-key": key, **headers}


async def lead_total(account: Account) -> int:
    listed = await account.client.get(f"{API}/leads", headers=account.headers())
    total: int = listed.json()["total"]
    return total


def service(client: InProcessClient) -> Idempotency:
    idempotency: Idempotency = services_of(client.app).idempotency
    return idempotency


async def test_a_repeated_create_replays_the_first_answer(
    client: InProcessClient, account: Account
) -> None:
    first = await client.post(f"{API}/leads", json=LEAD, headers=keyed(account, "k-1"))
    again = await client.post(f"{API}/leads", json=LEAD, headers=keyed(account, "k-1"))
    assert first.status_code == again.status_code == 201
    assert "idempotent-replayed" not in first.headers
    assert again.headers["idempotent-replayed"] == "true"
    assert again.content == first.content
    assert again.headers["content-type"] == first.headers["content-type"]
    assert again.headers["x-request-id"] != first.headers["x-request-id"]
    assert await lead_total(account) == 1
    # Without a key, the same body is a second create (refused: the email is taken).
    plain = await client.post(f"{API}/leads", json=LEAD, headers=account.headers())
    assert_error(plain, 409, "LEAD_EMAIL_EXISTS")


async def test_a_key_with_another_request_is_refused(
    client: InProcessClient, account: Account
) -> None:
    first = await client.post(f"{API}/leads", json=LEAD, headers=keyed(account, "k-2"))
    assert first.status_code == 201
    other_body = await client.post(
        f"{API}/leads", json={**LEAD, "email": "b@example.com"}, headers=keyed(account, "k-2")
    )
    assert_error(other_body, 422, "IDEMPOTENCY_KEY_MISMATCH")
    other_path = await client.patch(
        f"{API}/leads/{first.json()['id']}", json={"notes": "x"}, headers=keyed(account, "k-2")
    )
    assert_error(other_path, 422, "IDEMPOTENCY_KEY_MISMATCH")
    assert await lead_total(account) == 1


async def test_keys_belong_to_an_account(
    client: InProcessClient, account: Account, other_account: Account
) -> None:
    mine = await client.post(f"{API}/leads", json=LEAD, headers=keyed(account, "shared"))
    theirs = await client.post(f"{API}/leads", json=LEAD, headers=keyed(other_account, "shared"))
    assert mine.status_code == theirs.status_code == 201
    assert "idempotent-replayed" not in theirs.headers
    assert mine.json()["id"] != theirs.json()["id"]


async def test_a_running_request_holds_its_key_until_its_lease_ends(
    client: InProcessClient, account: Account, moved_clock: MovedClock
) -> None:
    # Another process claimed the key and died (or is still running): the same request is
    # refused with 409 until the lease runs out, then it runs.
    body = httpx.Request("POST", "http://x", json=LEAD).content
    claimed = await service(client).store.claim(
        account.id, "k-3", fingerprint("POST", f"{API}/leads", b"", body)
    )
    assert not isinstance(claimed, StoredResponse)
    busy = await client.post(
        f"{API}/leads",
        content=body,
        headers=keyed(account, "k-3", **{"content-type": "application/json"}),
    )
    assert_error(busy, 409, "IDEMPOTENCY_KEY_IN_USE")
    assert busy.headers["retry-after"] == "1"
    moved_clock.advance(seconds=29)
    still = await client.post(
        f"{API}/leads",
        content=body,
        headers=keyed(account, "k-3", **{"content-type": "application/json"}),
    )
    assert_error(still, 409, "IDEMPOTENCY_KEY_IN_USE")
    moved_clock.advance(seconds=2)
    runs = await client.post(
        f"{API}/leads",
        content=body,
        headers=keyed(account, "k-3", **{"content-type": "application/json"}),
    )
    assert runs.status_code == 201, runs.text
    assert await lead_total(account) == 1


async def test_answers_are_kept_for_the_ttl(
    client: InProcessClient, account: Account, moved_clock: MovedClock
) -> None:
    first = await client.post(f"{API}/leads", json=LEAD, headers=keyed(account, "k-4"))
    moved_clock.advance(hours=23, minutes=59)
    replay = await client.post(f"{API}/leads", json=LEAD, headers=keyed(account, "k-4"))
    assert replay.headers["idempotent-replayed"] == "true"
    assert replay.content == first.content
    moved_clock.advance(minutes=2)
    fresh = await client.post(
        f"{API}/leads", json={**LEAD, "email": "c@example.com"}, headers=keyed(account, "k-4")
    )
    assert fresh.status_code == 201
    assert "idempotent-replayed" not in fresh.headers


@pytest.mark.parametrize("store_kind", ["database"], indirect=True)
@pytest.mark.parametrize("hot_paths", [True], indirect=True)
async def test_expired_answers_are_purged(
    client: InProcessClient, account: Account, moved_clock: MovedClock
) -> None:
    for number in range(3):
        await client.post(
            f"{API}/leads",
            json={**LEAD, "email": f"p{number}@example.com"},
            headers=keyed(account, f"p-{number}"),
        )
    moved_clock.advance(hours=24, seconds=1)
    await client.post(
        f"{API}/leads", json={**LEAD, "email": "p9@example.com"}, headers=keyed(account, "p-9")
    )
    assert await service(client).store.purge() == 3
    async with services_of(client.app).database.transaction(write=False) as conn:
        left = (await conn.execute(select(func.count()).select_from(idempotency_keys))).scalar()
    assert left == 1


@pytest.mark.parametrize(
    "key", ["", "x" * 256, "tab\there", "ünïcode"], ids=["empty", "256", "control", "non-ascii"]
)
@pytest.mark.parametrize("hot_paths", [True, False], ids=["hot-paths", "litestar"], indirect=True)
@pytest.mark.parametrize("store_kind", ["database"], indirect=True)
async def test_malformed_keys_are_refused(
    client: InProcessClient, account: Account, key: str
) -> None:
    headers = [(b"x-api-key", account.key.encode()), (b"idempotency-key", key.encode())]
    headers.append((b"content-type", b"application/json"))
    response = await client.post(
        f"{API}/leads",
        content=httpx.Request("POST", "http://x", json=LEAD).content,
        headers=headers,
    )
    body = assert_error(response, 400, "INVALID_IDEMPOTENCY_KEY")
    assert body["details"]["max_length"] == 255
    assert await lead_total(account) == 0
    longest = await client.post(f"{API}/leads", json=LEAD, headers=keyed(account, "y" * 255))
    assert longest.status_code == 201


async def test_answers_of_requests_that_ran_are_kept_errors_included(
    client: InProcessClient, account: Account
) -> None:
    invalid = {**LEAD, "email": "not-an-email"}
    first = await client.post(f"{API}/leads", json=invalid, headers=keyed(account, "k-5"))
    assert_error(first, 422, "VALIDATION_ERROR")
    again = await client.post(f"{API}/leads", json=invalid, headers=keyed(account, "k-5"))
    assert again.status_code == 422
    assert again.headers["idempotent-replayed"] == "true"
    assert again.content == first.content  # the first answer, request id included
    missing = await client.delete(f"{API}/leads/lead_unknown", headers=keyed(account, "k-6"))
    assert_error(missing, 404, "LEAD_NOT_FOUND")
    replayed = await client.delete(f"{API}/leads/lead_unknown", headers=keyed(account, "k-6"))
    assert (replayed.status_code, replayed.headers["idempotent-replayed"]) == (404, "true")


async def test_refusals_before_running_are_not_kept(
    client: InProcessClient, account: Account
) -> None:
    read_only = await account.key_with(Permission.LEADS_READ)
    # Cached first: the hot path then sends the claim with the rate-limit check (Redis), and
    # must let the key go when the permission is missing.
    listed = await client.get(f"{API}/leads", headers={"x-api-key": read_only})
    assert listed.status_code == 200
    refused = await client.post(
        f"{API}/leads", json=LEAD, headers={"x-api-key": read_only, "idempotency-key": "k-7"}
    )
    assert_error(refused, 403, "PERMISSION_DENIED")
    # Same account, same key, now allowed: it runs.
    runs = await client.post(f"{API}/leads", json=LEAD, headers=keyed(account, "k-7"))
    assert runs.status_code == 201
    assert "idempotent-replayed" not in runs.headers


async def test_a_body_too_large_is_refused_and_not_kept(
    client: InProcessClient, account: Account, settings: Settings
) -> None:
    too_large = {**LEAD, "notes": "x" * settings.max_body_bytes}
    refused = await client.post(f"{API}/leads", json=too_large, headers=keyed(account, "k-big"))
    assert_error(refused, 413, "PAYLOAD_TOO_LARGE")
    # Nothing ran, nothing was kept: the key is free for a request that fits.
    runs = await client.post(f"{API}/leads", json=LEAD, headers=keyed(account, "k-big"))
    assert runs.status_code == 201, runs.text
    assert "idempotent-replayed" not in runs.headers


async def test_update_and_delete_replay(client: InProcessClient, account: Account) -> None:
    lead = await account.create_lead()
    path = f"{API}/leads/{lead['id']}"
    patched = await client.patch(path, json={"notes": "n"}, headers=keyed(account, "u-1"))
    repatched = await client.patch(path, json={"notes": "n"}, headers=keyed(account, "u-1"))
    assert patched.status_code == repatched.status_code == 200
    assert repatched.headers["idempotent-replayed"] == "true"
    assert repatched.content == patched.content
    deleted = await client.delete(path, headers=keyed(account, "d-1"))
    redeleted = await client.delete(path, headers=keyed(account, "d-1"))
    assert deleted.status_code == redeleted.status_code == 200
    assert redeleted.json() == deleted.json()
    assert redeleted.headers["idempotent-replayed"] == "true"
    # Without the key, a second delete says what is true now.
    assert (await client.delete(path, headers=account.headers())).status_code == 404


async def test_simultaneous_requests_with_one_key_create_once(
    client: InProcessClient, account: Account
) -> None:
    answers = await asyncio.gather(
        *(client.post(f"{API}/leads", json=LEAD, headers=keyed(account, "race")) for _ in range(4))
    )
    created = [
        a for a in answers if a.status_code == 201 and "idempotent-replayed" not in a.headers
    ]
    assert len(created) == 1
    for answer in answers:
        if answer is created[0]:
            continue
        if answer.status_code == 409:
            assert_error(answer, 409, "IDEMPOTENCY_KEY_IN_USE")
        else:
            assert answer.headers["idempotent-replayed"] == "true"
            assert answer.content == created[0].content
    assert await lead_total(account) == 1


@pytest.fixture
async def second_instance(settings: Settings) -> AsyncIterator[InProcessClient]:
    """Another app (another server process's state) on the same database and Redis."""
    async with running(create_app(settings)) as other:
        yield other


async def test_a_key_holds_across_app_instances(
    client: InProcessClient, second_instance: InProcessClient, account: Account
) -> None:
    first = await client.post(f"{API}/leads", json=LEAD, headers=keyed(account, "k-8"))
    elsewhere = await second_instance.post(f"{API}/leads", json=LEAD, headers=keyed(account, "k-8"))
    assert elsewhere.headers["idempotent-replayed"] == "true"
    assert elsewhere.content == first.content
    # A claim taken through one instance is busy on the other.
    body = httpx.Request("POST", "http://x", json={**LEAD, "email": "z@example.com"}).content
    await service(client).store.claim(
        account.id, "k-9", fingerprint("POST", f"{API}/leads", b"", body)
    )
    busy = await second_instance.post(
        f"{API}/leads",
        content=body,
        headers=keyed(account, "k-9", **{"content-type": "application/json"}),
    )
    assert_error(busy, 409, "IDEMPOTENCY_KEY_IN_USE")
    assert await lead_total(account) == 1


@pytest.mark.parametrize("hot_paths", [True], ids=["hot-paths"], indirect=True)
async def test_a_claim_taken_over_after_its_lease_cannot_keep_an_answer(
    client: InProcessClient, account: Account, moved_clock: MovedClock
) -> None:
    store = service(client).store
    first = new_claim(account.id, "k-10", "f")
    assert await store._claim(first, clock.utcnow()) is None
    moved_clock.advance(seconds=31)
    taken = await store.claim(account.id, "k-10", "f")
    assert not isinstance(taken, StoredResponse)
    answer = StoredResponse(201, [("content-type", "application/json")], b"{}")
    assert not await store.save(first, answer)
    assert await store.save(taken, answer)  # type: ignore[arg-type]


VOLATILE = {"id", "created_at", "updated_at", "timestamp", "request_id"}


def _comparable(response: httpx.Response) -> tuple[int, Any, dict[str, str]]:
    body = response.json()
    if isinstance(body, dict):
        body = {name: value for name, value in body.items() if name not in VOLATILE}
    headers = {
        name: value
        for name, value in response.headers.items()
        if name not in {"date", "x-request-id", "content-length", "location"}
        and not name.startswith("x-ratelimit-")
    }
    if "location" in response.headers:  # names the lead's own id; replays keep it
        assert response.headers["location"] == f"{API}/leads/{response.json()['id']}"
        headers["location"] = "present"
    return response.status_code, body, headers


@pytest.mark.parametrize("hot_paths", [True], ids=["hot-paths"], indirect=True)
async def test_the_hot_path_answers_keyed_creates_as_litestar_does(
    client: InProcessClient, settings: Settings, account: Account
) -> None:
    app = client.app
    hot_paths = hot_paths_of(app)
    assert hot_paths is not None
    handed_over = 0
    inner = hot_paths.fallback

    async def fallback(scope: Any, receive: Any, send: Any) -> None:
        nonlocal handed_over
        handed_over += 1
        await inner(scope, receive, send)

    hot_paths.fallback = fallback
    litestar_app = create_app(settings.model_copy(update={"hot_paths": False}))
    async with running(litestar_app) as litestar:
        views = []
        for caller, prefix in ((client, "hot"), (litestar, "ls")):
            email = f"{prefix}@example.com"
            steps = [
                ({**LEAD, "email": email}, f"{prefix}-1"),  # runs
                ({**LEAD, "email": email}, f"{prefix}-1"),  # replayed
                ({**LEAD, "email": "x@example.com"}, f"{prefix}-1"),  # another request
                ({**LEAD, "email": email}, f"{prefix}-2"),  # runs: 409, the email is taken
                ({**LEAD, "email": email}, f"{prefix}-2"),  # the 409 replayed
            ]
            answers = [
                await caller.post(f"{API}/leads", json=body, headers=keyed(account, key))
                for body, key in steps
            ]
            view = [_comparable(answer) for answer in answers]
            for status, body, _headers in view:
                if isinstance(body, dict):
                    body.pop("email", None)
                    if isinstance(body.get("details"), dict):
                        body["details"].pop("email", None)
                        body["details"].pop("existing_id", None)
                        body["message"] = status
            views.append(view)
            if caller is client:
                # The hot path answered the first create itself; the rest were handed over.
                assert handed_over == len(steps) - 1
        assert views[0] == views[1]
        assert [status for status, _, _ in views[0]] == [201, 201, 422, 409, 409]


@pytest.mark.parametrize("store_kind", ["database"], indirect=True)
async def test_the_answer_commits_with_the_change_it_reports(
    client: InProcessClient, account: Account
) -> None:
    # Make keeping an answer fail inside the database: the create it reports rolls back
    # with it, the claim is let go, and the same request runs again once the store works.
    database = services_of(client.app).database
    sqlite = database.dialect.name == "sqlite"
    async with database.transaction(write=True) as conn:
        if sqlite:
            await conn.execute(
                text(
                    "CREATE TRIGGER refuse_answers BEFORE UPDATE ON idempotency_keys "
                    "BEGIN SELECT RAISE(ABORT, 'no answers today'); END"
                )
            )
        else:
            await conn.execute(
                text(
                    "CREATE OR REPLACE FUNCTION refuse_answers() RETURNS trigger "
                    "LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'no answers today'; END $$"
                )
            )
            await conn.execute(
                text(
                    "CREATE TRIGGER refuse_answers BEFORE UPDATE ON idempotency_keys "
                    "FOR EACH ROW EXECUTE FUNCTION refuse_answers()"
                )
            )
    failed = await client.post(f"{API}/leads", json=LEAD, headers=keyed(account, "atomic"))
    assert_error(failed, 500, "INTERNAL_ERROR")
    assert await lead_total(account) == 0
    async with database.transaction(write=True) as conn:
        await conn.execute(
            text("DROP TRIGGER refuse_answers" + ("" if sqlite else " ON idempotency_keys"))
        )
    runs = await client.post(f"{API}/leads", json=LEAD, headers=keyed(account, "atomic"))
    assert runs.status_code == 201
    assert "idempotent-replayed" not in runs.headers
    assert await lead_total(account) == 1


@pytest.mark.parametrize("store_kind", ["redis"], indirect=True)
async def test_an_unreachable_redis_store_answers_503_and_changes_nothing(
    settings: Settings, account: Account
) -> None:
    down = settings.model_copy(update={"redis_url": "redis://127.0.0.1:1/0"})
    async with running(create_app(down)) as unreachable:
        answer = await unreachable.post(f"{API}/leads", json=LEAD, headers=keyed(account, "r"))
        body = assert_error(answer, 503, "SERVICE_UNAVAILABLE")
        assert answer.headers["retry-after"] == "1"
        assert "idempotency" in body["message"]
    assert await lead_total(account) == 0


@pytest.mark.parametrize("store_kind", ["database"], indirect=True)
@pytest.mark.parametrize("hot_paths", [True], ids=["hot-paths"], indirect=True)
async def test_the_openapi_document_names_the_header_and_its_answers(
    client: InProcessClient,
) -> None:
    document = (await client.get(f"{API}/openapi.json")).json()
    writes = [
        (path, method, operation)
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if method in {"post", "patch", "delete"}
    ]
    # POST /enrich, POST /jobs/{id}/cancel, the LinkedIn, prospect-list and voice-clone
    # writes among them.
    assert len(writes) == 25
    # The answers that carry a secret shown once take no key (they are never kept), nor does
    # a voice preview (audio, cached by its own key).
    secret_answers = {
        (f"{API}/keys", "post"),
        (f"{API}/webhooks", "post"),
        (f"{API}/webhooks/{{webhook_id}}/rotate-secret", "post"),
        (f"{API}/voice-clones/preview", "post"),
    }
    for path, method, operation in writes:
        if (path, method) in secret_answers:
            parameters = operation.get("parameters", [])
            assert all(p["name"] != "Idempotency-Key" for p in parameters), (path, method)
    writes = [w for w in writes if (w[0], w[1]) not in secret_answers]
    for path, method, operation in writes:
        [header] = [p for p in operation["parameters"] if p["name"] == "Idempotency-Key"]
        assert header["in"] == "header"
        assert header["schema"]["maxLength"] == 255
        for status in ("400", "409", "422"):
            error = operation["responses"][status]
            assert error["content"]["application/json"]["schema"] == {
                "$ref": "#/components/schemas/ErrorBody"
            }, (path, method, status)
        success = next(r for s, r in operation["responses"].items() if s.startswith("2"))
        assert "Idempotent-Replayed" in success["headers"]


async def test_simultaneous_requests_on_two_instances_create_once(
    client: InProcessClient, second_instance: InProcessClient, account: Account
) -> None:
    answers = await asyncio.gather(
        *(
            caller.post(f"{API}/leads", json=LEAD, headers=keyed(account, "two-instances"))
            for caller in (client, second_instance, client, second_instance)
        )
    )
    fresh = [a for a in answers if a.status_code == 201 and "idempotent-replayed" not in a.headers]
    assert len(fresh) == 1
    assert {a.status_code for a in answers} <= {201, 409}
    assert await lead_total(account) == 1


@pytest.mark.parametrize("store_kind", ["database"], indirect=True)
async def test_a_store_that_fails_answers_the_error_body_on_both_paths(
    client: InProcessClient, account: Account
) -> None:
    # The claim's statement fails (its table is gone): the JSON 500, never a bare one, and
    # nothing created, whether the hot path or Litestar met the failure.
    database = services_of(client.app).database
    async with database.transaction(write=True) as conn:
        await conn.execute(text("ALTER TABLE idempotency_keys RENAME TO idempotency_keys_away"))
    try:
        answer = await client.post(f"{API}/leads", json=LEAD, headers=keyed(account, "gone"))
        # SQLite calls a missing table an OperationalError (503), PostgreSQL not (500).
        code = {500: "INTERNAL_ERROR", 503: "SERVICE_UNAVAILABLE"}[answer.status_code]
        assert_error(answer, answer.status_code, code)
        assert await lead_total(account) == 0
    finally:
        async with database.transaction(write=True) as conn:
            await conn.execute(text("ALTER TABLE idempotency_keys_away RENAME TO idempotency_keys"))


@pytest.mark.parametrize("key", ["abc\n", "a b", "\x7f", "x" * 256, ""])
def test_check_key_refuses_what_is_not_one_line_of_visible_ascii(key: str) -> None:
    with pytest.raises(InvalidIdempotencyKey):
        check_key(key)
    assert check_key("~!" + "x" * 253) == "~!" + "x" * 253


async def test_a_new_api_key_is_never_kept_for_a_replay(
    client: InProcessClient, account: Account
) -> None:
    # Its answer holds the secret, which is stored only as a digest: the header is ignored.
    body = {"name": "integration", "permissions": ["leads:read"]}
    first = await client.post(f"{API}/keys", json=body, headers=keyed(account, "new-key"))
    second = await client.post(f"{API}/keys", json=body, headers=keyed(account, "new-key"))
    assert first.status_code == second.status_code == 201
    assert "idempotent-replayed" not in second.headers
    assert first.json()["key"] != second.json()["key"]
    free = await service(client).store.claim(account.id, "new-key", "f")
    assert isinstance(free, Claim)  # nothing was kept under the key
