"""The pure retry rules: which failures are retried, and how long the SDK waits."""

from datetime import datetime, timedelta, timezone
from email.utils import format_datetime

import pytest

from buena_sdk._retry import RetryPolicy, error_code_of, parse_retry_after

NOW = datetime(2026, 11, 28, 20, 0, 0, tzinfo=timezone.utc)
NO_JITTER = lambda: 0.0  # noqa: E731
FULL_JITTER = lambda: 1.0  # noqa: E731


class TestParseRetryAfter:
    @pytest.mark.parametrize(
        ("value", "expected"),
        [("7", 7.0), (" 2.5 ", 2.5), ("0", 0.0), ("-3", 0.0)],
    )
    def test_delta_seconds(self, value: str, expected: float) -> None:
        assert parse_retry_after(value, now=NOW) == expected

    def test_http_date_in_the_future(self) -> None:
        header = format_datetime(NOW + timedelta(seconds=30), usegmt=True)
        assert parse_retry_after(header, now=NOW) == 30.0

    def test_http_date_in_the_past_means_now(self) -> None:
        header = format_datetime(NOW - timedelta(minutes=5), usegmt=True)
        assert parse_retry_after(header, now=NOW) == 0.0

    @pytest.mark.parametrize("value", [None, "", "soon", "nan", "inf", "Fri, 99 Foo"])
    def test_unusable_values_are_ignored(self, value: "str | None") -> None:
        assert parse_retry_after(value, now=NOW) is None


class TestBackoff:
    def test_doubles_from_half_a_second(self) -> None:
        policy = RetryPolicy()
        delays = [policy.backoff(n, rand=NO_JITTER) for n in range(6)]
        assert delays == [0.5, 1.0, 2.0, 4.0, 8.0, 8.0]

    def test_jitter_takes_at_most_a_quarter_off(self) -> None:
        policy = RetryPolicy()
        assert policy.backoff(2, rand=FULL_JITTER) == pytest.approx(1.5)
        assert 1.5 <= policy.backoff(2) <= 2.0


class TestDelayAfterResponse:
    @pytest.mark.parametrize("status", [408, 429, 500, 502, 503, 504])
    @pytest.mark.parametrize("method", ["GET", "PATCH", "DELETE"])
    def test_idempotent_methods_retry_transient_statuses(self, method: str, status: int) -> None:
        delay = RetryPolicy().delay_after_response(method, status, {}, 0, rand=NO_JITTER)
        assert delay == 0.5

    @pytest.mark.parametrize("status", [400, 401, 403, 404, 409, 413, 415, 422, 501])
    def test_client_errors_and_permanent_failures_are_final(self, status: int) -> None:
        assert RetryPolicy().delay_after_response("GET", status, {}, 0) is None

    @pytest.mark.parametrize("status", [408, 500, 502, 503, 504])
    def test_post_is_not_retried_when_the_server_may_have_acted(self, status: int) -> None:
        assert RetryPolicy().delay_after_response("POST", status, {}, 0) is None

    @pytest.mark.parametrize("status", [408, 500, 502, 503, 504])
    def test_post_with_an_idempotency_key_is_retried(self, status: int) -> None:
        policy = RetryPolicy()
        delay = policy.delay_after_response(
            "POST", status, {}, 0, rand=NO_JITTER, idempotency_key=True
        )
        assert delay == 0.5

    def test_a_key_in_use_is_retried_only_with_its_key(self) -> None:
        policy = RetryPolicy()
        code = "IDEMPOTENCY_KEY_IN_USE"
        keyed = policy.delay_after_response(
            "POST", 409, {"Retry-After": "1"}, 0, idempotency_key=True, error_code=code
        )
        assert keyed == 1.0
        assert policy.delay_after_response("POST", 409, {}, 0, error_code=code) is None
        other = policy.delay_after_response(
            "POST", 409, {}, 0, idempotency_key=True, error_code="LEAD_EMAIL_EXISTS"
        )
        assert other is None

    def test_post_is_retried_on_429(self) -> None:
        assert RetryPolicy().delay_after_response("post", 429, {}, 0, rand=NO_JITTER) == 0.5

    def test_retry_after_takes_precedence_over_backoff(self) -> None:
        headers = {"Retry-After": "12"}
        assert RetryPolicy().delay_after_response("GET", 429, headers, 1) == 12.0

    def test_retry_after_as_http_date(self) -> None:
        headers = {"Retry-After": format_datetime(NOW + timedelta(seconds=4), usegmt=True)}
        assert RetryPolicy().delay_after_response("GET", 503, headers, 0, now=NOW) == 4.0

    def test_retry_after_beyond_the_cap_gives_up(self) -> None:
        policy = RetryPolicy(max_retry_after=60)
        assert policy.delay_after_response("GET", 429, {"Retry-After": "60"}, 0) == 60.0
        assert policy.delay_after_response("GET", 429, {"Retry-After": "61"}, 0) is None

    def test_stops_after_max_retries(self) -> None:
        policy = RetryPolicy(max_retries=2)
        assert policy.delay_after_response("GET", 503, {}, 1, rand=NO_JITTER) == 1.0
        assert policy.delay_after_response("GET", 503, {}, 2) is None

    def test_zero_retries_disables_retrying(self) -> None:
        assert RetryPolicy(max_retries=0).delay_after_response("GET", 503, {}, 0) is None


class TestDelayAfterConnectionError:
    @pytest.mark.parametrize("method", ["GET", "POST", "PATCH", "DELETE"])
    def test_any_method_retries_when_nothing_was_sent(self, method: str) -> None:
        delay = RetryPolicy().delay_after_connection_error(method, False, 0, rand=NO_JITTER)
        assert delay == 0.5

    def test_idempotent_method_retries_after_a_possibly_sent_request(self) -> None:
        assert RetryPolicy().delay_after_connection_error("GET", True, 1, rand=NO_JITTER) == 1.0

    def test_post_is_not_retried_after_a_possibly_sent_request(self) -> None:
        assert RetryPolicy().delay_after_connection_error("POST", True, 0) is None

    def test_post_with_an_idempotency_key_is_retried_after_a_possibly_sent_request(
        self,
    ) -> None:
        policy = RetryPolicy()
        delay = policy.delay_after_connection_error(
            "POST", True, 0, rand=NO_JITTER, idempotency_key=True
        )
        assert delay == 0.5

    def test_stops_after_max_retries(self) -> None:
        assert RetryPolicy(max_retries=1).delay_after_connection_error("GET", False, 1) is None


class TestErrorCodeOf:
    @pytest.mark.parametrize(
        ("body", "code"),
        [
            (b'{"error": true, "code": "IDEMPOTENCY_KEY_IN_USE"}', "IDEMPOTENCY_KEY_IN_USE"),
            (b'{"code": 3}', None),
            (b"[1]", None),
            (b"not json", None),
            (b"", None),
        ],
    )
    def test_reads_the_code_of_an_error_body(self, body: bytes, code: object) -> None:
        assert error_code_of(body) == code
