"""The exceptions the client raises, typed by status.

Every one is a `DepotError`, which always has ``status``, ``message``, ``details`` and
``request_id`` (``status`` and ``request_id`` are None when there was no answer):

- `ApiError`: the server answered with a non-2xx status and (usually) the contract's
  envelope ``{"code", "message", "details"}``; one subclass per status the contract
  gives a meaning (`NotFound`, `MissingFields`, `PreconditionFailed`, ...), and
  `ServerError` for the other 5xx;
- `TransportError`: no answer (connection refused or reset, timeout, malformed HTTP);
- `DecodeError`: a 2xx answer whose body is not what the route promises.

There is deliberately no "retries exhausted" error: when the retry engine gives up, the
caller gets the *last* outcome it saw (the `Unavailable` carrying the 503, or the
`TransportError`), because that is what says what went wrong on the server.
"""

from __future__ import annotations

import json
import time
from typing import Any

import httpx

from .retry import parse_retry_after

__all__ = [
    "ApiError",
    "BadRequest",
    "Conflict",
    "DecodeError",
    "DepotError",
    "Forbidden",
    "Gone",
    "IdempotencyMismatch",
    "MethodNotAllowed",
    "MissingFields",
    "NotFound",
    "PayloadTooLarge",
    "PreconditionFailed",
    "RateLimited",
    "ServerError",
    "TransportError",
    "Unauthorized",
    "Unavailable",
    "UnsupportedMediaType",
    "ValidationFailed",
    "error_from_response",
]


class DepotError(Exception):
    """The base of every error this library raises."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        details: dict[str, Any] | None = None,
        request_id: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        #: The envelope's machine-readable ``details``, if it had an object there.
        self.details = details
        #: The server's ``X-Request-Id``: quote it when reporting a 5xx.
        self.request_id = request_id

    def __str__(self) -> str:
        return self.message if self.status is None else f"{self.status}: {self.message}"


class ApiError(DepotError):
    """The server answered with a non-2xx status."""

    status: int

    def __init__(
        self,
        message: str,
        *,
        status: int,
        details: dict[str, Any] | None = None,
        request_id: str | None = None,
        headers: httpx.Headers | None = None,
        body: bytes = b"",
    ) -> None:
        super().__init__(message, status=status, details=details, request_id=request_id)
        self.headers = headers if headers is not None else httpx.Headers()
        self.body = body


class BadRequest(ApiError):
    """400: the body is not JSON, has wrong types, or a query parameter is wrong."""


class ValidationFailed(BadRequest):
    """400 with ``details.errors``: the item breaks the collection's schema (a keyword
    other than ``required``)."""

    @property
    def errors(self) -> list[dict[str, Any]]:
        """``[{"pointer": "/title", "message": "..."}]``."""
        errors = (self.details or {}).get("errors")
        return [e for e in errors if isinstance(e, dict)] if isinstance(errors, list) else []


class Unauthorized(ApiError):
    """401: the token is missing, unknown, expired or revoked (or, from the token
    endpoint, the client credentials are wrong)."""


class Forbidden(ApiError):
    """403: a valid token without the needed scope."""


class NotFound(ApiError):
    """404: no such endpoint, project, collection, item or client, or one this token
    may not see."""


class MethodNotAllowed(ApiError):
    """405: the endpoint does not support the method."""

    @property
    def allow(self) -> list[str]:
        """The methods the endpoint supports, from the ``Allow`` header."""
        return [m.strip() for m in self.headers.get("allow", "").split(",") if m.strip()]


class MissingFields(ApiError):
    """406: required members are missing."""

    @property
    def missing(self) -> list[str]:
        """The missing members as JSON pointers (``["/title"]``)."""
        missing = (self.details or {}).get("missing")
        return [m for m in missing if isinstance(m, str)] if isinstance(missing, list) else []


class Conflict(ApiError):
    """409: the name exists already, the idempotency key is still in flight, or the
    write conflicts with the current state."""


class Gone(ApiError):
    """410: a change-feed cursor older than the feed's retention."""


class PreconditionFailed(ApiError):
    """412: ``If-Match`` does not name the item's current version."""


class PayloadTooLarge(ApiError):
    """413: the body is larger than the server's limit."""


class UnsupportedMediaType(ApiError):
    """415: the body's ``Content-Type`` is not JSON."""


class IdempotencyMismatch(ApiError):
    """422: the ``Idempotency-Key`` was used before with a different request."""


class _RetryAfter(ApiError):
    @property
    def retry_after(self) -> float | None:
        """The server's ``Retry-After`` in seconds, if it sent a valid one."""
        value = self.headers.get("retry-after")
        return None if value is None else parse_retry_after(value, time.time())


class RateLimited(_RetryAfter):
    """429: the client is over its rate limit (retried like a 503 until the policy's
    limits are reached)."""


class ServerError(ApiError):
    """A 5xx: a bug on the server (500) or a gateway's failure."""


class Unavailable(ServerError, _RetryAfter):
    """503: the server can't serve now; the request had no effect (retried until the
    policy's limits are reached)."""


class TransportError(DepotError):
    """No answer: the connection failed, was reset or timed out."""


class DecodeError(DepotError):
    """A successful answer whose body is not what the route promises."""


_BY_STATUS: dict[int, type[ApiError]] = {
    400: BadRequest,
    401: Unauthorized,
    403: Forbidden,
    404: NotFound,
    405: MethodNotAllowed,
    406: MissingFields,
    409: Conflict,
    410: Gone,
    412: PreconditionFailed,
    413: PayloadTooLarge,
    415: UnsupportedMediaType,
    422: IdempotencyMismatch,
    429: RateLimited,
    503: Unavailable,
}


def error_from_response(status: int, headers: httpx.Headers, body: bytes) -> ApiError:
    """The typed error a non-2xx answer stands for. A body that is not the envelope (a
    proxy's HTML page, say) still gives the right class, with a short excerpt of the
    body as message so the person reading it has a clue."""
    message, details = _envelope(status, body)
    cls = _BY_STATUS.get(status)
    if cls is None:
        cls = ServerError if status >= 500 else ApiError
    if cls is BadRequest and isinstance((details or {}).get("errors"), list):
        cls = ValidationFailed
    return cls(
        message,
        status=status,
        details=details,
        request_id=headers.get("x-request-id"),
        headers=headers,
        body=body,
    )


def _envelope(status: int, body: bytes) -> tuple[str, dict[str, Any] | None]:
    try:
        parsed = json.loads(body)
    except ValueError:
        parsed = None
    if isinstance(parsed, dict) and isinstance(parsed.get("message"), str) and parsed["message"]:
        details = parsed.get("details")
        return parsed["message"], details if isinstance(details, dict) else None
    excerpt = body.decode("utf-8", "replace").strip()[:200]
    return excerpt or f"the server answered {status} without a body", None
