"""The generic HTTP enrichment provider against a fake provider server (aiohttp on 127.0.0.1)
that answers by scenario: the mapping, nothing found, retries and their backoff, Retry-After,
timeouts, a closed port, answers it cannot read, the circuit breaker and the rate limit (on
a clock the test moves). Its settings and POST /enrich: test_enrichment_http_setup.py."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from aiohttp import web

from buena_server.enrichment.breaker import CircuitOpen, CircuitState
from buena_server.enrichment.http_provider import (
    HttpProvider,
    InputRefused,
    NoRequestSlot,
    ProviderUnavailable,
)
from buena_server.enrichment.model import LeadInput
from buena_server.kit import clock

from http_provider_fakes import ADA, FOUND, PERSON, Sleeps, answer_json, config
from server_testing import ManualClockLoop, run_with_manual_clock
from webhook_receivers import Answer, Receiver, as_json, header_of, receiving, status


def held(release: asyncio.Event) -> Answer:
    """An answer that comes only once the test releases it."""

    async def answer(_request: web.Request) -> web.StreamResponse:
        await release.wait()
        return web.json_response(PERSON)

    return answer


@pytest.fixture
async def fake() -> AsyncIterator[Receiver]:
    async with receiving(Receiver(default=answer_json(PERSON))) as receiver:
        yield receiver


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
async def provider_for(
    fake: Receiver, sleeps: Sleeps
) -> AsyncIterator[Callable[..., HttpProvider]]:
    made: list[HttpProvider] = []

    def make(**overrides: Any) -> HttpProvider:
        made.append(HttpProvider(config(fake.url, **overrides), user_agent="test", sleep=sleeps))
        return made[-1]

    yield make
    for provider in made:
        await provider.aclose()


class TestAnswers:
    async def test_the_mapping_both_ways(
        self, fake: Receiver, provider_for: Callable[..., HttpProvider]
    ) -> None:
        finding = await provider_for().enrich(ADA)
        assert finding is not None
        assert finding.data == FOUND
        (request,) = fake.received
        assert as_json(request) == {
            "email": "ada@analytical-engines.co.uk",
            "person": {"name": "Ada Lovelace"},
            "reveal": False,
        }
        assert header_of(request, "Authorization") == "Bearer sk_test_123"
        assert header_of(request, "User-Agent") == "test"

    async def test_get_sends_query_parameters(
        self, fake: Receiver, provider_for: Callable[..., HttpProvider]
    ) -> None:
        provider = provider_for(
            method="GET", request_fields={"email": "email", "full_name": "name"}
        )
        assert await provider.enrich(ADA) is not None
        (request,) = fake.received
        assert request.query == {
            "email": "ada@analytical-engines.co.uk",
            "name": "Ada Lovelace",
            "reveal": "false",
        }
        assert request.body == b""

    async def test_a_lead_without_the_needed_field_is_not_sent(
        self, fake: Receiver, provider_for: Callable[..., HttpProvider]
    ) -> None:
        assert await provider_for().enrich(LeadInput(full_name="Ada Lovelace")) is None
        assert fake.received == []

    @pytest.mark.parametrize(
        "answer",
        [
            answer_json({"error": "not found"}, 404),
            status(204),
            status(200),
            answer_json({}),
            answer_json({"person": None, "company": None}),
            answer_json({"person": {"employment": {"title": ""}}}),
        ],
        ids=["404", "204", "empty body", "empty object", "nulls", "empty string"],
    )
    async def test_nothing_found(
        self, fake: Receiver, provider_for: Callable[..., HttpProvider], answer: Answer
    ) -> None:
        fake.answers.append(answer)
        provider = provider_for()
        assert await provider.enrich(ADA) is None
        assert len(fake.received) == 1
        assert provider.breaker.failures == 0

    async def test_values_of_the_wrong_type_are_dropped_not_the_lead(
        self, fake: Receiver, provider_for: Callable[..., HttpProvider]
    ) -> None:
        odd = {
            "person": {"employment": {"title": {"name": "CEO"}}, "location": 42},
            "company": {"name": "Acme", "metrics": {"employees": "many"}},
        }
        fake.answers.append(answer_json(odd))
        finding = await provider_for().enrich(ADA)
        assert finding is not None
        assert finding.data == {"company_info": {"name": "Acme"}}

    async def test_a_number_written_as_a_string_is_taken(
        self, fake: Receiver, provider_for: Callable[..., HttpProvider]
    ) -> None:
        fake.answers.append(answer_json({"company": {"metrics": {"employees": "250"}}}))
        finding = await provider_for().enrich(ADA)
        assert finding is not None
        assert finding.data == {"company_info": {"employee_count": 250}}

    async def test_malformed_json_fails_without_a_retry_and_counts(
        self, fake: Receiver, provider_for: Callable[..., HttpProvider]
    ) -> None:
        fake.answers.append(status(200, '{"person": {'))
        provider = provider_for()
        with pytest.raises(ProviderUnavailable, match="not JSON"):
            await provider.enrich(ADA)
        assert len(fake.received) == 1
        assert provider.breaker.failures == 1

    async def test_an_answer_over_the_cap_fails(
        self, fake: Receiver, provider_for: Callable[..., HttpProvider]
    ) -> None:
        fake.answers.append(answer_json({"padding": "x" * 5000}))
        with pytest.raises(ProviderUnavailable, match="longer than 1024 bytes"):
            await provider_for(max_response_bytes=1024).enrich(ADA)

    async def test_a_refused_key_fails_at_once_and_counts(
        self, fake: Receiver, provider_for: Callable[..., HttpProvider], sleeps: Sleeps
    ) -> None:
        fake.answers.append(answer_json({"error": "invalid api key"}, 401))
        provider = provider_for()
        with pytest.raises(ProviderUnavailable, match="HTTP 401"):
            await provider.enrich(ADA)
        assert (len(fake.received), sleeps.delays, provider.breaker.failures) == (1, [], 1)

    async def test_a_refused_input_fails_at_once_and_does_not_count(
        self, fake: Receiver, provider_for: Callable[..., HttpProvider], sleeps: Sleeps
    ) -> None:
        fake.answers.append(answer_json({"error": "email is malformed"}, 422))
        provider = provider_for()
        with pytest.raises(InputRefused, match=r"HTTP 422: .*email is malformed"):
            await provider.enrich(ADA)
        assert (len(fake.received), sleeps.delays, provider.breaker.failures) == (1, [], 0)


class TestRetries:
    async def test_a_500_then_success(
        self, fake: Receiver, provider_for: Callable[..., HttpProvider], sleeps: Sleeps
    ) -> None:
        fake.answers.append(status(500, "boom"))
        finding = await provider_for().enrich(ADA)
        assert finding is not None
        assert finding.data == FOUND
        assert len(fake.received) == 2
        # backoff 0.5 s, plus up to 0.5 s of jitter
        (delay,) = sleeps.delays
        assert 0.5 <= delay <= 1.0

    async def test_outage_past_the_retries_raises_after_growing_waits(
        self, fake: Receiver, provider_for: Callable[..., HttpProvider], sleeps: Sleeps
    ) -> None:
        fake.default = status(503, "down for maintenance")
        provider = provider_for()
        with pytest.raises(ProviderUnavailable, match=r"HTTP 503: down .* \(3 attempts\)"):
            await provider.enrich(ADA)
        assert len(fake.received) == 3
        first, second = sleeps.delays
        assert 0.5 <= first <= 1.0
        assert 1.0 <= second <= 1.5
        assert provider.breaker.failures == 1  # one failed call, however many attempts

    @pytest.mark.parametrize(
        ("retry_after", "waited"),
        [("3", 3.0), ("0.25", 0.25), ("120", 30.0), ("Thu, 01 Jan 2026 00:00:07 GMT", 7.0)],
        ids=["seconds", "fraction", "capped", "http date"],
    )
    async def test_429_waits_for_retry_after(
        self,
        fake: Receiver,
        provider_for: Callable[..., HttpProvider],
        sleeps: Sleeps,
        monkeypatch: pytest.MonkeyPatch,
        retry_after: str,
        waited: float,
    ) -> None:
        monkeypatch.setattr(clock, "source", lambda: datetime(2026, 1, 1, tzinfo=UTC))
        fake.answers.append(answer_json({"error": "slow down"}, 429, {"Retry-After": retry_after}))
        assert await provider_for(max_retry_after_seconds=30).enrich(ADA) is not None
        assert sleeps.delays == [waited]
        assert len(fake.received) == 2

    async def test_a_closed_port_is_retried_then_raises(self, sleeps: Sleeps) -> None:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        # Nothing listens there any more: every connection is refused.
        provider = HttpProvider(
            config(f"http://127.0.0.1:{port}/find", retries=1), user_agent="test", sleep=sleeps
        )
        try:
            with pytest.raises(ProviderUnavailable, match=r"connection failed.*\(2 attempts\)"):
                await provider.enrich(ADA)
        finally:
            await provider.aclose()
        assert len(sleeps.delays) == 1


def on_manual_clock(
    scenario: Callable[[ManualClockLoop, Receiver, Callable[..., HttpProvider]], Awaitable[None]],
) -> None:
    """``scenario`` on a loop whose time only the test moves, with a fake provider server
    and providers that wait between attempts by recording the wait."""

    async def run(loop: ManualClockLoop) -> None:
        made: list[HttpProvider] = []

        def make(**overrides: Any) -> HttpProvider:
            provider = HttpProvider(config(receiver.url, **overrides), user_agent="test")
            made.append(provider)
            return provider

        async with receiving(Receiver(default=answer_json(PERSON))) as receiver:
            try:
                await scenario(loop, receiver, make)
            finally:
                for provider in made:
                    await provider.aclose()

    run_with_manual_clock(run)


def test_a_hung_answer_times_out_at_the_total_timeout() -> None:
    async def scenario(
        loop: ManualClockLoop, fake: Receiver, make: Callable[..., HttpProvider]
    ) -> None:
        release = asyncio.Event()
        fake.answers.append(held(release))
        call = asyncio.ensure_future(make(retries=0, total_timeout_seconds=10).enrich(ADA))
        await fake.wait_for(1)
        await loop.advance(9.5)
        assert not call.done()
        await loop.advance(0.5)
        with pytest.raises(ProviderUnavailable, match="timed out after 10 s"):
            await call
        release.set()

    on_manual_clock(scenario)


class TestCircuitBreaker:
    def test_opens_after_failures_fails_fast_then_probes_after_the_cool_down(self) -> None:
        async def scenario(
            loop: ManualClockLoop, fake: Receiver, make: Callable[..., HttpProvider]
        ) -> None:
            provider = make(retries=0)
            fake.default = status(500)
            for _ in range(3):
                with pytest.raises(ProviderUnavailable):
                    await provider.enrich(ADA)
            assert provider.breaker.state is CircuitState.OPEN
            # Open: refused at once, the service not contacted.
            await loop.advance(29)
            with pytest.raises(CircuitOpen, match=r"after 3 failed calls.*in 1\.0 s"):
                await provider.enrich(ADA)
            assert len(fake.received) == 3
            # The cool-down over: one probe goes through, succeeds, and closes the circuit.
            await loop.advance(1)
            assert provider.breaker.state is CircuitState.HALF_OPEN
            fake.default = answer_json(PERSON)
            assert await provider.enrich(ADA) is not None
            assert provider.breaker.state is CircuitState.CLOSED
            assert await provider.enrich(ADA) is not None
            assert len(fake.received) == 5

        on_manual_clock(scenario)

    def test_one_probe_at_a_time_without_retries_and_a_failed_probe_reopens(self) -> None:
        async def scenario(
            loop: ManualClockLoop, fake: Receiver, make: Callable[..., HttpProvider]
        ) -> None:
            provider = make(retries=2, breaker_failures=1, backoff_seconds=0)
            fake.answers.extend([status(500)] * 3)
            with pytest.raises(ProviderUnavailable, match=r"\(3 attempts\)"):
                await provider.enrich(ADA)
            assert provider.breaker.state is CircuitState.OPEN
            await loop.advance(30)
            release = asyncio.Event()

            async def probe_fails(request: web.Request) -> web.StreamResponse:
                await release.wait()
                return web.Response(status=502)

            fake.answers.append(probe_fails)
            probe = asyncio.ensure_future(provider.enrich(ADA))
            await fake.wait_for(4)
            try:
                # While the probe is out, other calls fail at once.
                with pytest.raises(CircuitOpen, match="probe"):
                    await provider.enrich(ADA)
            finally:
                release.set()
            with pytest.raises(ProviderUnavailable, match=r"HTTP 502 \(1 attempt\)"):
                await probe
            assert len(fake.received) == 4  # the probe was not retried
            # Open again, for a whole cool-down.
            await loop.advance(29.9)
            with pytest.raises(CircuitOpen):
                await provider.enrich(ADA)
            await loop.advance(0.1)
            assert await provider.enrich(ADA) is not None

        on_manual_clock(scenario)


def arrivals(loop: ManualClockLoop, times: list[float]) -> Answer:
    async def answer(_request: web.Request) -> web.StreamResponse:
        times.append(loop.time())
        return web.json_response(PERSON)

    return answer


class TestRateLimit:
    def test_requests_never_exceed_the_rate(self) -> None:
        async def scenario(
            loop: ManualClockLoop, fake: Receiver, make: Callable[..., HttpProvider]
        ) -> None:
            times: list[float] = []
            fake.default = arrivals(loop, times)
            provider = make(rate_limit="2/second")
            calls = [asyncio.ensure_future(provider.enrich(ADA)) for _ in range(5)]
            await fake.wait_for(2)
            await loop.advance(0.4)
            assert len(fake.received) == 2
            for count in (3, 4, 5):
                await loop.advance(0.1 if count == 3 else 0.5)
                await fake.wait_for(count)
            assert all(await asyncio.gather(*calls))
            # A burst of two, then one every half second.
            assert times == [0.0, 0.0, 0.5, 1.0, 1.5]

        on_manual_clock(scenario)

    def test_the_wait_for_a_slot_is_bounded_and_does_not_count(self) -> None:
        async def scenario(
            loop: ManualClockLoop, fake: Receiver, make: Callable[..., HttpProvider]
        ) -> None:
            provider = make(rate_limit="1/minute", rate_limit_wait_seconds=5, breaker_failures=1)
            assert await provider.enrich(ADA) is not None
            waiting = asyncio.ensure_future(provider.enrich(ADA))
            await loop.advance(0)  # it waits for a slot from 0 s on
            await loop.advance(4.9)
            assert not waiting.done()
            await loop.advance(0.1)
            with pytest.raises(NoRequestSlot, match=r"within 5 s \(rate limit 1/minute\)"):
                await waiting
            assert len(fake.received) == 1
            assert provider.breaker.state is CircuitState.CLOSED

        on_manual_clock(scenario)

    def test_every_attempt_takes_a_slot(self) -> None:
        async def scenario(
            loop: ManualClockLoop, fake: Receiver, make: Callable[..., HttpProvider]
        ) -> None:
            times: list[float] = []

            async def unavailable(request: web.Request) -> web.StreamResponse:
                times.append(loop.time())
                return web.Response(status=503)

            fake.answers.append(unavailable)
            fake.default = arrivals(loop, times)
            provider = make(rate_limit="1/second", backoff_seconds=0)
            call = asyncio.ensure_future(provider.enrich(ADA))
            await fake.wait_for(1)
            for _ in range(10):  # time enough for a retry sent at once to arrive
                await loop.advance(0)
            assert len(fake.received) == 1
            await loop.advance(1)
            await fake.wait_for(2)
            assert await call is not None
            # The retry, due at once (no backoff), waited for the next slot.
            assert times == [0.0, 1.0]

        on_manual_clock(scenario)
