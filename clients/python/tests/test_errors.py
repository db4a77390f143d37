"""Non-2xx answers become typed errors carrying the envelope; only 503 and 429 are
retried."""

from __future__ import annotations

import httpx
import pytest

from depot_client import (
    ApiError,
    BadRequest,
    Client,
    Conflict,
    DepotError,
    Forbidden,
    Gone,
    IdempotencyMismatch,
    MethodNotAllowed,
    MissingFields,
    NotFound,
    PayloadTooLarge,
    PreconditionFailed,
    RateLimited,
    RetryEvent,
    ServerError,
    Unauthorized,
    Unavailable,
    UnsupportedMediaType,
    ValidationFailed,
)
from depot_client.errors import error_from_response

from scripted import scripted


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (400, BadRequest),
        (401, Unauthorized),
        (403, Forbidden),
        (404, NotFound),
        (405, MethodNotAllowed),
        (406, MissingFields),
        (409, Conflict),
        (410, Gone),
        (412, PreconditionFailed),
        (413, PayloadTooLarge),
        (415, UnsupportedMediaType),
        (422, IdempotencyMismatch),
        (429, RateLimited),
        (500, ServerError),
        (502, ServerError),
        (503, Unavailable),
        (418, ApiError),
    ],
)
def test_each_status_has_its_error_class(status: int, cls: type[ApiError]) -> None:
    body = b'{"code": %d, "message": "it went wrong"}' % status
    err = error_from_response(status, httpx.Headers({"x-request-id": "rid-1"}), body)
    assert type(err) is cls
    assert isinstance(err, DepotError)
    assert (err.status, err.message, err.details, err.request_id) == (status, "it went wrong", None, "rid-1")
    assert str(err) == f"{status}: it went wrong"


def test_a_406_lists_the_missing_fields_as_pointers() -> None:
    body = b'{"code":406,"message":"missing required fields: title","details":{"missing":["/title","/due"]}}'
    err = error_from_response(406, httpx.Headers(), body)
    assert isinstance(err, MissingFields)
    assert err.missing == ["/title", "/due"]


def test_a_400_with_schema_errors_is_a_validation_failure() -> None:
    body = b'{"code":400,"message":"bad","details":{"errors":[{"pointer":"/n","message":"not an integer"}]}}'
    err = error_from_response(400, httpx.Headers(), body)
    assert isinstance(err, ValidationFailed)
    assert isinstance(err, BadRequest)
    assert err.errors == [{"pointer": "/n", "message": "not an integer"}]
    plain = error_from_response(400, httpx.Headers(), b'{"code":400,"message":"bad JSON","details":{"line":1}}')
    assert type(plain) is BadRequest


def test_retry_after_and_allow_are_read_from_the_headers() -> None:
    busy = error_from_response(503, httpx.Headers({"retry-after": "7"}), b"")
    assert isinstance(busy, Unavailable)
    assert isinstance(busy, ServerError)
    assert busy.retry_after == 7.0
    slow = error_from_response(429, httpx.Headers({"retry-after": "soon"}), b"")
    assert isinstance(slow, RateLimited)
    assert slow.retry_after is None
    nope = error_from_response(405, httpx.Headers({"allow": "GET,HEAD, POST"}), b"")
    assert isinstance(nope, MethodNotAllowed)
    assert nope.allow == ["GET", "HEAD", "POST"]


def test_a_body_that_is_not_the_envelope_still_gives_the_status() -> None:
    html = error_from_response(502, httpx.Headers(), b"<html>Bad Gateway</html>")
    assert (type(html), html.message) == (ServerError, "<html>Bad Gateway</html>")
    empty = error_from_response(503, httpx.Headers(), b"")
    assert "without a body" in empty.message


def test_a_400_is_raised_typed_at_once_and_never_retried() -> None:
    answer = {
        "status": 400,
        "headers": {"Retry-After": "0", "X-Request-Id": "rid-9"},
        "json": {"code": 400, "message": "bad JSON", "details": {"line": 1, "column": 2}},
    }
    events: list[RetryEvent] = []
    with scripted([answer], repeat_last=True) as (url, script):
        with Client(url, token="t", on_retry=events.append) as c, pytest.raises(BadRequest) as caught:
            c.create_item("p", "c", {"a": 1})
    assert (caught.value.details, caught.value.request_id) == ({"line": 1, "column": 2}, "rid-9")
    assert len(script.seen) == 1
    assert events == []


def test_health_probes_are_anonymous_and_not_retried() -> None:
    busy = {"status": 503, "headers": {"Retry-After": "0"}, "json": {"code": 503, "message": "not ready"}}
    with scripted([busy], repeat_last=True) as (url, script):
        with Client(url, client_id="id", client_secret="s") as c, pytest.raises(Unavailable):
            c.readyz()
    assert len(script.seen) == 1
    assert "authorization" not in script.seen[0].headers
    assert not script.token_requests
