"""The README's webhook receiver, run as written on a real socket: a signed event gets 204,
anything else a 400 naming the reason."""

import json
import re
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any, Callable, Optional

import pytest

from buena_sdk.webhooks import sign_payload

SECRET = "whsec_" + "r" * 43
SERVE_LINE = 'HTTPServer(("0.0.0.0", 8080), Receiver).serve_forever()'
_BLOCK = re.compile(r"```python\n(.*?)```", re.DOTALL)
_HERE = Path(__file__).resolve()
READMES = {"sdk": _HERE.parents[1] / "README.md", "repository": _HERE.parents[2] / "README.md"}


def _receiver_code(readme: Path) -> str:
    blocks = [b for b in _BLOCK.findall(readme.read_text()) if "class Receiver" in b]
    assert len(blocks) == 1, f"{readme}: expected one receiver example"
    code = blocks[0]
    assert SERVE_LINE in code
    return code.replace(SERVE_LINE, "")


# The sdist has sdk/README.md only; the repository's is checked where it is.
@pytest.fixture(params=[name for name, path in READMES.items() if path.is_file()])
def receiver_url(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("BUENA_WEBHOOK_SECRET", SECRET)
    namespace: dict[str, Any] = {"__name__": "readme_receiver"}
    readme = READMES[request.param]
    exec(compile(_receiver_code(readme), str(readme), "exec"), namespace)  # noqa: S102
    handler = namespace["Receiver"]
    handler.log_message = lambda *args: None  # keep the test output clean
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02})
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/buena-webhook"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def _post(url: str, body: bytes, signature: Optional[str]) -> "tuple[int, str]":
    headers = {"Content-Type": "application/json"}
    if signature is not None:
        headers["Buena-Signature"] = signature
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            return response.status, ""
    except urllib.error.HTTPError as error:
        with error:
            return error.code, error.reason


def test_a_signed_event_is_accepted(
    receiver_url: str, event_json: Callable[..., Any], capsys: pytest.CaptureFixture[str]
) -> None:
    body = json.dumps(event_json()).encode()
    assert _post(receiver_url, body, sign_payload(body, SECRET)) == (204, "")
    assert "evt_1 lead.created lead_abc" in capsys.readouterr().out


def test_anything_else_is_refused_with_the_reason(
    receiver_url: str, event_json: Callable[..., Any]
) -> None:
    body = json.dumps(event_json()).encode()
    assert _post(receiver_url, body, None) == (400, "missing_header")
    forged = sign_payload(body, "whsec_" + "x" * 43)
    assert _post(receiver_url, body, forged) == (400, "no_matching_signature")
    stale = sign_payload(body, SECRET, timestamp=1_000_000_000)
    assert _post(receiver_url, body, stale) == (400, "timestamp_outside_tolerance")
