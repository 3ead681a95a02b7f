"""Mapping error responses to the exception tree, and what the exceptions say."""

import json
from typing import Any, Callable

import pytest
from urllib3 import HTTPHeaderDict

import buena_sdk
from buena_sdk import exceptions as exc
from buena_sdk.exceptions import exception_from_response


def _map(status: int, body: Any, **headers: str) -> exc.ApiException:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return exception_from_response(status, None, raw, HTTPHeaderDict(headers))


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (400, exc.BadRequestException),
        (401, exc.UnauthorizedException),
        (402, exc.PaymentRequiredException),
        (403, exc.ForbiddenException),
        (404, exc.NotFoundException),
        (409, exc.ConflictException),
        (422, exc.UnprocessableEntityException),
        (429, exc.RateLimitException),
        (500, exc.ServiceException),
        (503, exc.ServiceException),
        (599, exc.ServiceException),
        (408, exc.ApiException),
        (413, exc.ApiException),
        (415, exc.ApiException),
    ],
)
def test_status_selects_the_class(status: int, cls: type, error_body: Callable[..., Any]) -> None:
    error = _map(status, error_body(status, "SOME_CODE", "something"))
    assert type(error) is cls
    assert isinstance(error, exc.ApiException)
    assert isinstance(error, exc.BuenaError)
    assert error.status == status


def test_fields_come_from_the_json_body(error_body: Callable[..., Any]) -> None:
    body = error_body(409, "LEAD_EMAIL_EXISTS", "A lead with this email exists", existing_id="l1")
    error = _map(409, body, **{"X-Request-ID": "req_header"})
    assert error.code == "LEAD_EMAIL_EXISTS"
    assert error.message == "A lead with this email exists"
    assert error.request_id == "req_409"  # the body wins over the header
    assert error.details == {"existing_id": "l1"}
    assert error.reason == "Conflict"
    assert json.loads(error.body or "") == body
    assert error.headers["x-request-id"] == "req_header"


def test_str_is_one_readable_line(error_body: Callable[..., Any]) -> None:
    error = _map(404, error_body(404, "LEAD_NOT_FOUND", "Lead lead_x not found"))
    expected = "(404) Not Found: LEAD_NOT_FOUND: Lead lead_x not found (request_id=req_404)"
    assert str(error) == expected


def test_request_id_falls_back_to_the_header() -> None:
    error = _map(502, b"<html>Bad gateway</html>", **{"X-Request-ID": "req_proxy"})
    assert error.request_id == "req_proxy"
    assert error.code is None
    assert error.message is None
    assert error.body == "<html>Bad gateway</html>"
    assert str(error) == "(502) Bad Gateway: <html>Bad gateway</html> (request_id=req_proxy)"


def test_long_non_json_bodies_are_cut_in_str_but_kept_in_body() -> None:
    error = _map(500, b"x" * 1000)
    assert str(error) == "(500) Internal Server Error: " + "x" * 200 + "..."
    assert error.body == "x" * 1000


def test_json_that_is_not_an_object_is_only_body() -> None:
    error = _map(400, [1, 2])
    assert error.code is None
    assert error.details is None
    assert error.body == "[1, 2]"


def test_validation_details_are_kept(error_body: Callable[..., Any]) -> None:
    errors = [{"field": "email", "message": "not a valid email"}]
    error = _map(422, error_body(422, "VALIDATION_ERROR", "Invalid", errors=errors))
    assert isinstance(error, exc.UnprocessableEntityException)
    assert error.details == {"errors": errors}


def test_rate_limit_carries_retry_after(error_body: Callable[..., Any]) -> None:
    body = error_body(429, "RATE_LIMIT_EXCEEDED", "Slow down")
    error = _map(429, body, **{"Retry-After": "17"})
    assert isinstance(error, exc.RateLimitException)
    assert error.retry_after == 17.0
    without_header = _map(429, body)
    assert isinstance(without_header, exc.RateLimitException)
    assert without_header.retry_after is None


def test_connection_errors_are_api_exceptions_with_status_zero() -> None:
    error = exc.ApiConnectionError("ConnectionRefusedError: refused", request_sent=False)
    assert isinstance(error, exc.ApiException)
    assert error.status == 0
    assert error.reason == "Connection error"
    assert error.request_sent is False
    assert str(error) == "(0) Connection error: ConnectionRefusedError: refused"


def test_timeouts_are_connection_errors() -> None:
    error = exc.ApiTimeoutError("ReadTimeoutError: timed out")
    assert isinstance(error, exc.ApiConnectionError)
    assert error.request_sent is True
    assert str(error) == "(0) Timeout: ReadTimeoutError: timed out"


def test_the_tree_is_importable_from_every_documented_place() -> None:
    from buena_sdk import rest

    for name in exc.__all__:
        if name == "exception_from_response":
            continue
        assert getattr(rest, name) is getattr(exc, name) is getattr(buena_sdk, name)


def test_data_holds_the_parsed_error_model(error_body: Callable[..., Any]) -> None:
    error = _map(409, error_body(409, "LEAD_EMAIL_EXISTS", "Exists", existing_id="l1"))
    assert isinstance(error.data, buena_sdk.ErrorResponse)
    assert error.data.code == "LEAD_EMAIL_EXISTS"
    assert error.data.details == {"existing_id": "l1"}
    assert error.data.request_id == "req_409"


def test_data_is_none_when_the_body_is_not_the_error_json() -> None:
    assert _map(502, b"<html>Bad gateway</html>").data is None
    assert _map(400, {"unexpected": "shape"}).data is None
