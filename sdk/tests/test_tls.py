"""TLS as the Configuration asks for it, on both real transports (urllib3 and aiohttp): the
server's certificate checked against the system's or a given CA, or not at all
(``verify_ssl=False``), and a client certificate presented when the server requires one."""

import ssl
import sys
from collections.abc import Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any, Callable

import pytest
import trustme

import buena_sdk
from buena_sdk import ApiConnectionError, DefaultApi

KEY = "bna_" + "ef" * 32


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def server_context(ca: trustme.CA) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(context)
    return context


@pytest.fixture
def ca_file(ca: trustme.CA, tmp_path: Path) -> str:
    path = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return str(path)


@pytest.fixture
def tls_server(
    serve: Callable[..., AbstractContextManager[Any]],
    server_context: ssl.SSLContext,
    lead_json: Callable[..., Any],
) -> Iterator[Any]:
    with serve(server_context) as server:
        server.script(200, lead_json(id="lead_tls"))
        yield server


async def get_lead(invoke: Any, server: Any, **config: Any) -> Any:
    configuration = buena_sdk.Configuration(
        host=server.host, api_key={"ApiKeyAuth": KEY}, retries=0, **config
    )
    async with buena_sdk.ApiClient(configuration) as client:
        return await invoke(DefaultApi(client), "get_lead", "lead_tls")


async def test_the_given_ca_is_trusted(invoke: Any, tls_server: Any, ca_file: str) -> None:
    lead = await get_lead(invoke, tls_server, ssl_ca_cert=ca_file)
    assert lead.id == "lead_tls"


async def test_an_unknown_ca_is_refused(invoke: Any, tls_server: Any) -> None:
    with pytest.raises(ApiConnectionError) as refused:
        await get_lead(invoke, tls_server)
    assert "CERTIFICATE_VERIFY_FAILED" in str(refused.value)
    assert refused.value.request_sent is False
    assert tls_server.requests == []


async def test_a_refused_handshake_sent_nothing_so_a_post_is_retried(
    invoke: Any, tls_server: Any
) -> None:
    """Both transports say a refused TLS handshake sent nothing (urllib3 raises the same
    SSLError for a failure while reading a response, after the request went out), so even a
    POST without an idempotency key is tried again."""
    configuration = buena_sdk.Configuration(
        host=tls_server.host, api_key={"ApiKeyAuth": KEY}, retries=2
    )
    waits: list[float] = []

    async def wait(seconds: float) -> None:
        waits.append(seconds)

    async with buena_sdk.ApiClient(configuration) as client:
        client._sleep = waits.append
        client._async_sleep = wait
        with pytest.raises(ApiConnectionError) as refused:
            await invoke(
                DefaultApi(client),
                "create_lead",
                {"first_name": "Ada", "last_name": "Lovelace", "email": "ada@example.com"},
            )
    assert refused.value.request_sent is False
    assert len(waits) == 2
    assert tls_server.requests == []


async def test_a_plain_http_server_refuses_the_handshake(
    invoke: Any, serve: Callable[..., AbstractContextManager[Any]]
) -> None:
    with serve() as plain:
        host = plain.host.replace("http://", "https://")
        configuration = buena_sdk.Configuration(host=host, api_key={"ApiKeyAuth": KEY}, retries=0)
        async with buena_sdk.ApiClient(configuration) as client:
            with pytest.raises(ApiConnectionError) as refused:
                await invoke(DefaultApi(client), "get_lead", "lead_tls")
    assert refused.value.request_sent is False


# urllib3's reminder that nothing is verified: what this test asks for.
@pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning")
async def test_verify_ssl_off_accepts_any_certificate(invoke: Any, tls_server: Any) -> None:
    lead = await get_lead(invoke, tls_server, verify_ssl=False)
    assert lead.id == "lead_tls"


class TestClientCertificate:
    @pytest.fixture
    def server_context(self, ca: trustme.CA) -> ssl.SSLContext:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ca.issue_cert("127.0.0.1").configure_cert(context)
        ca.configure_trust(context)
        context.verify_mode = ssl.CERT_REQUIRED
        return context

    @pytest.fixture
    def client_files(self, ca: trustme.CA, tmp_path: Path) -> tuple[str, str]:
        issued = ca.issue_cert("client@example.com")
        cert, key = tmp_path / "client.pem", tmp_path / "client.key"
        issued.cert_chain_pems[0].write_to_path(str(cert))
        issued.private_key_pem.write_to_path(str(key))
        return str(cert), str(key)

    async def test_is_presented(
        self,
        invoke: Any,
        tls_server: Any,
        ca_file: str,
        client_files: tuple[str, str],
    ) -> None:
        cert_file, key_file = client_files
        lead = await get_lead(
            invoke, tls_server, ssl_ca_cert=ca_file, cert_file=cert_file, key_file=key_file
        )
        assert lead.id == "lead_tls"

    async def test_without_one_the_server_refuses(
        self, invoke: Any, tls_server: Any, ca_file: str, mode: str
    ) -> None:
        if mode == "async" and sys.version_info < (3, 11):
            # Python 3.9's asyncio leaves the TLS transport of a refused handshake to the
            # garbage collector, whose ResourceWarning then fails whichever test is running
            # (asyncio's TLS layer was rewritten in 3.11, where this runs).
            pytest.skip("asyncio before 3.11 leaks the transport of a refused TLS handshake")
        with pytest.raises(ApiConnectionError):
            await get_lead(invoke, tls_server, ssl_ca_cert=ca_file)
        assert tls_server.requests == []
