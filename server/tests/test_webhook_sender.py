"""The outbound side of webhooks, against real receivers on 127.0.0.1: signing, redirects,
answer size, timeouts, and the address guard at delivery time (DNS rebinding)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import pytest
from aiohttp import web

from buena_server.webhooks.addresses import parse_address, refusal_reason
from buena_server.webhooks.sender import BODY_CAP, WebhookSender
from buena_server.webhooks.signing import signature_header

from webhook_receivers import (
    REFUSED_ADDRESSES,
    Answer,
    PointingResolver,
    Receiver,
    header_of,
    receiving,
    signatures_valid,
    status,
    url_for,
    v1_values,
)


def sender(
    *, allow_private: bool = True, timeout: float = 10.0, max_connections: int = 100
) -> WebhookSender:
    return WebhookSender(
        allow_private=allow_private,
        connect_timeout=min(timeout, 5.0),
        timeout=timeout,
        user_agent="Buena-Webhooks/test",
        max_connections=max_connections,
    )


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    async with receiving() as served:
        yield served


async def test_delivered_with_its_headers(receiver: Receiver) -> None:
    client = sender()
    body = b'{"id":"evt_1","type":"lead.created"}'
    header = signature_header(["whsec_one"], int(time.time()), body)
    attempt = await client.send(receiver.url, body, {"Buena-Signature": header})
    await client.close()
    assert attempt.delivered
    assert attempt.status_code == 200
    [got] = receiver.received
    assert got.body == body
    assert header_of(got, "Content-Type") == "application/json"
    assert header_of(got, "User-Agent") == "Buena-Webhooks/test"
    assert signatures_valid(header_of(got, "Buena-Signature"), body, "whsec_one")


def test_signature_header_carries_every_secret_new_first() -> None:
    body = b'{"a":1}'
    header = signature_header(["whsec_new", "whsec_old"], 1_700_000_000, body)
    assert header.startswith("t=1700000000,v1=")
    assert len(v1_values(header)) == 2
    assert signatures_valid(header, body, "whsec_new")
    assert signatures_valid(header, body, "whsec_old")
    assert not signatures_valid(header, body, "whsec_other")
    assert not signatures_valid(header, body + b" ", "whsec_new")
    only_new = signature_header(["whsec_new"], 1_700_000_000, body)
    assert v1_values(only_new) == v1_values(header)[:1]


async def test_an_error_answer_is_kept_short(receiver: Receiver) -> None:
    receiver.answers.append(status(500, "boom " * 1000))
    client = sender()
    attempt = await client.send(receiver.url, b"{}", {})
    await client.close()
    assert not attempt.delivered
    assert attempt.status_code == 500
    assert attempt.error is not None
    assert attempt.error.startswith("HTTP 500: boom")
    assert len(attempt.error) < 300


async def test_redirects_are_not_followed(receiver: Receiver) -> None:
    receiver.answers.append(status(302, headers={"Location": "/elsewhere"}))
    client = sender()
    attempt = await client.send(receiver.url, b"{}", {})
    await client.close()
    assert not attempt.delivered
    assert attempt.status_code == 302
    assert attempt.error is not None
    assert "/elsewhere" in attempt.error
    assert [r.path for r in receiver.received] == ["/hook"]


async def test_an_endless_answer_is_not_read_in_full(receiver: Receiver) -> None:
    sent = 0

    async def endless(request: web.Request) -> web.StreamResponse:
        nonlocal sent
        response = web.StreamResponse(status=500)
        await response.prepare(request)
        try:
            while True:  # never ends: only a reader that stops early returns
                await response.write(b"x" * 65_536)
                sent += 65_536
        except (ConnectionError, RuntimeError):
            return response

    receiver.answers.append(endless)
    client = sender(timeout=30.0)
    started = time.monotonic()
    attempt = await client.send(receiver.url, b"{}", {})
    await client.close()
    assert attempt.status_code == 500
    assert attempt.error is not None
    assert attempt.error.startswith("HTTP 500: xxx")
    assert "timed out" not in attempt.error
    assert time.monotonic() - started < 20
    assert sent >= BODY_CAP


async def test_a_timeout_is_a_failed_attempt(receiver: Receiver) -> None:
    release = asyncio.Event()

    async def hold(_request: web.Request) -> web.StreamResponse:
        await release.wait()
        return web.Response(text="late")

    receiver.answers.append(hold)
    client = sender(timeout=0.3)
    attempt = await client.send(receiver.url, b"{}", {})
    release.set()
    await client.close()
    assert not attempt.delivered
    assert attempt.status_code is None
    assert attempt.error == "timed out after 0.3 s"


async def test_the_timeout_starts_once_a_connection_slot_is_free(receiver: Receiver) -> None:
    """A fan-out may send more at once than there are connection slots: waiting for one is
    not the receiver's slowness and does not count against the attempt's timeout. Four
    answers of 0.2 s through one slot, each within its 0.5 s: the last waited 0.6 s."""

    async def slowish(_request: web.Request) -> web.StreamResponse:
        await asyncio.sleep(0.2)
        return web.Response(text="ok")

    receiver.default = slowish
    client = sender(timeout=0.5, max_connections=1)
    attempts = await asyncio.gather(*(client.send(receiver.url, b"{}", {}) for _ in range(4)))
    await client.close()
    assert [attempt.error for attempt in attempts] == [None] * 4


async def test_a_refused_connection_is_a_failed_attempt() -> None:
    async with receiving() as closed:
        url = closed.url
    client = sender()
    attempt = await client.send(url, b"{}", {})
    await client.close()
    assert not attempt.delivered
    assert attempt.status_code is None
    assert attempt.error is not None
    assert attempt.error.startswith("connection failed")


@pytest.mark.parametrize("address", REFUSED_ADDRESSES.values(), ids=REFUSED_ADDRESSES.keys())
def test_every_refused_class_is_named(address: str) -> None:
    parsed = parse_address(address)
    assert parsed is not None
    assert refusal_reason(parsed) is not None


@pytest.mark.parametrize("address", ["93.184.215.14", "2606:2800:21f:cb07:6820:80da:af6b:8b2c"])
def test_public_addresses_pass(address: str) -> None:
    parsed = parse_address(address)
    assert parsed is not None
    assert refusal_reason(parsed) is None


@pytest.mark.parametrize("address", REFUSED_ADDRESSES.values(), ids=REFUSED_ADDRESSES.keys())
async def test_refused_at_delivery_when_a_name_resolves_there(
    receiver: Receiver, address: str
) -> None:
    """DNS rebinding: the name resolved to a public address when the webhook was created;
    now it points at ``address``. Nothing is sent."""
    client = sender(allow_private=False)
    client.resolver.target = PointingResolver({"rebound.example": address})
    attempt = await client.send(f"https://rebound.example:{receiver.port}/hook", b"{}", {})
    await client.close()
    assert not attempt.delivered
    assert attempt.status_code is None
    assert attempt.error is not None
    assert attempt.error.startswith("refused:"), attempt.error
    assert address in attempt.error
    assert receiver.received == []


@pytest.mark.parametrize("address", REFUSED_ADDRESSES.values(), ids=REFUSED_ADDRESSES.keys())
async def test_refused_at_delivery_as_a_literal(receiver: Receiver, address: str) -> None:
    client = sender(allow_private=False)
    attempt = await client.send(url_for(address, receiver.port), b"{}", {})
    await client.close()
    assert not attempt.delivered
    assert attempt.status_code is None
    assert attempt.error is not None
    assert attempt.error.startswith("refused:"), attempt.error
    assert receiver.received == []


async def test_the_same_name_reaches_the_receiver_when_private_is_allowed(
    receiver: Receiver,
) -> None:
    """The control of the rebinding test: the pointing resolver does lead to the receiver."""
    client = sender(allow_private=True)
    client.resolver.target = PointingResolver({"rebound.example": "127.0.0.1"})
    attempt = await client.send(f"http://rebound.example:{receiver.port}/hook", b"{}", {})
    await client.close()
    assert attempt.delivered
    assert len(receiver.received) == 1


async def test_metadata_and_localhost_names_are_refused_whatever_they_resolve_to(
    receiver: Receiver,
) -> None:
    client = sender(allow_private=False)
    client.resolver.target = PointingResolver(
        {"metadata.google.internal": "93.184.215.14", "localhost": "93.184.215.14"}
    )
    for host in ("metadata.google.internal", "localhost"):
        attempt = await client.send(f"https://{host}:{receiver.port}/hook", b"{}", {})
        assert attempt.error is not None
        assert attempt.error.startswith("refused:")
    await client.close()


async def test_http_needs_private_allowed(receiver: Receiver) -> None:
    client = sender(allow_private=False)
    client.resolver.target = PointingResolver({"public.example": "93.184.215.14"})
    attempt = await client.send(f"http://public.example:{receiver.port}/hook", b"{}", {})
    await client.close()
    assert attempt.error is not None
    assert "https" in attempt.error


async def test_a_host_that_cannot_be_encoded_is_a_failed_attempt() -> None:
    client = sender(allow_private=False)
    attempt = await client.send(f"https://{'0' * 300}/hook", b"{}", {})
    await client.close()
    assert not attempt.delivered
    assert attempt.error is not None


def _from_port(ports: list[int], answer_headers: dict[str, str] | None = None) -> Answer:
    """An answer that notes the port each request came from."""

    async def answer(request: web.Request) -> web.StreamResponse:
        assert request.transport is not None
        ports.append(request.transport.get_extra_info("peername")[1])
        return web.Response(status=200, text="ok", headers=answer_headers)

    return answer


async def test_a_connection_is_kept_for_the_next_delivery(receiver: Receiver) -> None:
    ports: list[int] = []
    receiver.default = _from_port(ports)
    client = sender()
    for _ in range(3):
        assert (await client.send(receiver.url, b"{}", {})).delivered
    await client.close()
    assert len(ports) == 3
    assert len(set(ports)) == 1


async def test_a_connection_the_receiver_closes_is_not_used_again(receiver: Receiver) -> None:
    ports: list[int] = []
    receiver.default = _from_port(ports, {"Connection": "close"})
    client = sender()
    for _ in range(3):
        assert (await client.send(receiver.url, b"{}", {})).delivered
    await client.close()
    assert len(set(ports)) == 3


async def test_a_header_with_a_line_break_is_not_sent(receiver: Receiver) -> None:
    client = sender()
    attempt = await client.send(receiver.url, b"{}", {"Buena-Event-Id": "evt_1\r\nX-Evil: 1"})
    await client.close()
    assert not attempt.delivered
    assert attempt.error is not None
    assert attempt.error.startswith("request failed")
    assert receiver.received == []


async def test_a_kept_connection_the_receiver_closed_meanwhile_is_replaced() -> None:
    """The receiver answers as if it kept the connection, then closes it: the next delivery
    finds it closed (or has its request cross the close) and goes on a new connection."""
    arrived: list[bytes] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        arrived.append(await reader.readuntil(b"\r\n\r\n"))
        await reader.readexactly(2)
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    client = sender()
    attempts = [await client.send(f"http://127.0.0.1:{port}/hook", b"{}", {}) for _ in range(3)]
    await client.close()
    server.close()
    await server.wait_closed()
    assert all(attempt.delivered for attempt in attempts), attempts
    assert len(arrived) == 3
