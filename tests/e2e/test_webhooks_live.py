"""A real `buena-server serve` (its worker beside the API) delivers lead events to a
receiver on loopback that verifies each request with the SDK's verifier,
``buena_sdk.webhooks.construct_event``, as a customer's receiver would."""

import secrets
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from buena_sdk.exceptions import SignatureVerificationError
from buena_sdk.models import Event
from buena_sdk.webhooks import EVENT_ID_HEADER, SIGNATURE_HEADER, construct_event

from backends import fresh_database
from live_server import live_server

ADA = {"first_name": "Ada", "last_name": "Hook", "email": "ada@example.com"}


class Verifying:
    """Each request verified with ``secret`` once it is known; what passed, what did not."""

    def __init__(self) -> None:
        self.secret = ""
        self.events: list[Event] = []
        self.refused: list[str] = []
        self.changed = threading.Condition()

    def receive(self, body: bytes, headers: Any) -> int:
        with self.changed:
            try:
                event = construct_event(body, headers.get(SIGNATURE_HEADER), self.secret)
            except SignatureVerificationError as error:
                self.refused.append(error.reason)
                self.changed.notify_all()
                return 400
            assert headers.get(EVENT_ID_HEADER) == event.id
            self.events.append(event)
            self.changed.notify_all()
            return 200

    def wait_for(self, count: int) -> list[Event]:
        with self.changed:
            assert self.changed.wait_for(lambda: len(self.events) >= count, timeout=30), (
                self.events,
                self.refused,
            )
            return list(self.events)


@pytest.fixture
def receiver() -> Iterator[tuple[Verifying, str]]:
    verifying = Verifying()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            self.send_response(verifying.receive(body, self.headers))
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            return None

    http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=http.serve_forever, daemon=True)
    thread.start()
    try:
        yield verifying, f"http://127.0.0.1:{http.server_address[1]}/hook"
    finally:
        http.shutdown()
        http.server_close()
        thread.join()


def test_serve_delivers_signed_lead_events(receiver: tuple[Verifying, str], tmp_path: Path) -> None:
    verifying, url = receiver
    key = "bna_" + secrets.token_hex(32)
    settings = {"BUENA_BOOTSTRAP_KEY": key, "BUENA_WEBHOOKS_ALLOW_PRIVATE": "true"}
    with (
        fresh_database(str(tmp_path / "webhooks.db")) as database_url,
        live_server(database_url, tmp_path, settings) as live,
        httpx.Client(base_url=live.base_url, headers={"x-api-key": key}) as api,
    ):
        types = ["lead.created", "lead.updated", "lead.deleted"]
        webhook = api.post("/webhooks", json={"url": url, "events": types})
        assert webhook.status_code == 201, webhook.text
        verifying.secret = webhook.json()["secret"]

        lead = api.post("/leads", json=ADA).json()
        changed = api.patch(f"/leads/{lead['id']}", json={"company": "Analytical"})
        assert changed.status_code == 200, changed.text
        assert api.delete(f"/leads/{lead['id']}").status_code == 200

        events = verifying.wait_for(3)
        assert sorted(event.type for event in events) == sorted(types)
        for event in events:
            assert event.data["object"]["id"] == lead["id"]
            # The body is the event as GET /events/{id} answers it.
            stored = api.get(f"/events/{event.id}")
            assert stored.status_code == 200
            assert Event.model_validate(stored.json()) == event
        updated = next(event for event in events if event.type == "lead.updated")
        assert updated.data["object"]["company"] == "Analytical"
        assert updated.data["previous_attributes"]["company"] is None
        assert verifying.refused == []

        # A receiver holding another secret refuses the same deliveries.
        verifying.secret = "whsec_" + secrets.token_urlsafe(32)
        other = api.post("/leads", json={**ADA, "email": "bob@example.com"})
        assert other.status_code == 201, other.text
        with verifying.changed:
            assert verifying.changed.wait_for(lambda: verifying.refused, timeout=30)
        assert verifying.refused[0] == "no_matching_signature"
