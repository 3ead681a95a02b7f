"""An answer lost after the server committed: the SDK retries the create with the same
Idempotency-Key, the server replays its first answer, and exactly one lead exists.

A TCP proxy between the SDK and the live server reads the server's whole answer (so the
server has committed and answered) and then drops the client's connection instead of
passing the answer on."""

import asyncio
import threading
from collections.abc import Iterator
from typing import Any

import pytest

import buena_sdk
from buena_sdk import DefaultApi

_HEAD_END = b"\r\n\r\n"


def _complete(answer: bytes) -> bool:
    """Whether ``answer`` holds a whole HTTP response with a Content-Length body."""
    head, found, body = answer.partition(_HEAD_END)
    if not found:
        return False
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return len(body) >= int(value)
    return True


class DroppingProxy:
    """Forwards connections to ``upstream``; the next ``drops`` answers are read in full
    from the server, then the client's connection is cut instead of receiving them."""

    def __init__(self, upstream_host: str, upstream_port: int) -> None:
        self.upstream = (upstream_host, upstream_port)
        self.drops = 0
        self.dropped = 0
        self.port = 0
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._server: asyncio.AbstractServer | None = None
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> "DroppingProxy":
        self._thread.start()
        self._ready.wait(10)
        return self

    def __exit__(self, *_exc: object) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._server = self._loop.run_until_complete(
            asyncio.start_server(self._handle, "127.0.0.1", 0)
        )
        self.port = self._server.sockets[0].getsockname()[1]
        self._ready.set()
        self._loop.run_forever()
        self._server.close()
        pending = asyncio.all_tasks(self._loop)
        for task in pending:
            task.cancel()
        self._loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
        self._loop.run_until_complete(self._server.wait_closed())
        self._loop.close()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection(*self.upstream)

        async def requests() -> None:
            while data := await reader.read(65536):
                up_writer.write(data)
                await up_writer.drain()
            up_writer.close()

        async def answers() -> None:
            held = b""
            while data := await up_reader.read(65536):
                if self.drops == 0:
                    writer.write(data)
                    await writer.drain()
                    continue
                held += data
                if _complete(held):
                    self.drops -= 1
                    self.dropped += 1
                    writer.transport.abort()  # the answer never reaches the client
                    up_writer.close()
                    return
            writer.close()

        try:
            await asyncio.gather(requests(), answers(), return_exceptions=True)
        finally:
            writer.close()
            up_writer.close()


@pytest.fixture
def proxy(server: Any) -> Iterator[DroppingProxy]:
    host, port = server.host.split("//", 1)[1].split("/", 1)[0].split(":")
    with DroppingProxy(host, int(port)) as running:
        yield running


def _api_through(proxy: DroppingProxy, server: Any) -> buena_sdk.ApiClient:
    configuration = buena_sdk.Configuration(
        host=f"http://127.0.0.1:{proxy.port}/api/v2", api_key={"ApiKeyAuth": server.key}
    )
    return buena_sdk.ApiClient(configuration)


NEW_LEAD = buena_sdk.CreateLeadRequest(
    first_name="Lost", last_name="Answer", email="lost.answer@example.com"
)


def test_a_create_whose_answer_was_lost_is_retried_once(server: Any, proxy: DroppingProxy) -> None:
    with _api_through(proxy, server) as client:
        proxy.drops = 1
        lead = DefaultApi(client).create_lead(NEW_LEAD)
    assert proxy.dropped == 1
    leads = server.all_leads()
    assert [item["id"] for item in leads] == [lead.id]


async def test_an_async_create_whose_answer_was_lost_is_retried_once(
    server: Any, proxy: DroppingProxy
) -> None:
    async with _api_through(proxy, server) as client:
        proxy.drops = 1
        lead = await DefaultApi(client).create_lead_async(NEW_LEAD)
    assert proxy.dropped == 1
    leads = server.all_leads()
    assert [item["id"] for item in leads] == [lead.id]


def test_a_delete_whose_answer_was_lost_answers_as_the_first_time(
    server: Any, proxy: DroppingProxy
) -> None:
    created = server.create_lead(first_name="Gone", last_name="Soon", email="gone@example.com")
    with _api_through(proxy, server) as client:
        proxy.drops = 1
        deleted = DefaultApi(client).delete_lead(created["id"])
    assert proxy.dropped == 1
    assert deleted["deleted_id"] == created["id"]  # the replayed first answer, not a 404
    assert server.lead_status(created["id"]) == 404
