"""What one logical request is (`Call`), what comes back (`Response`), and the
encoding helpers both clients share."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, Literal, TypeVar
from urllib.parse import quote

import httpx

from .errors import ApiError, DecodeError, error_from_response

T = TypeVar("T")

#: How a request authenticates: the client's bearer token, the OAuth client's id and
#: secret in HTTP Basic (the OAuth endpoints), or nothing (health probes).
Auth = Literal["bearer", "basic", "none"]

#: Methods a transport failure may be retried for: repeating them changes nothing.
#: PATCH is here because the server's PATCH is a JSON merge patch, which is idempotent.
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "PATCH", "DELETE"})


class Response:
    """An answer of any status, fully read. The body is read before the retry engine
    sees the answer, so a connection dropped mid-body is a transport failure (and is
    retried like one) rather than surfacing later."""

    __slots__ = ("content", "headers", "status")

    def __init__(self, status: int, headers: httpx.Headers, content: bytes) -> None:
        self.status = status
        self.headers = headers
        self.content = content

    def __repr__(self) -> str:
        return f"<Response {self.status}, {len(self.content)} bytes>"

    @property
    def is_success(self) -> bool:
        return 200 <= self.status < 300

    @property
    def request_id(self) -> str | None:
        value: str | None = self.headers.get("x-request-id")
        return value

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", "replace")

    def json(self) -> Any:
        """The body parsed as JSON, or `DecodeError`."""
        try:
            return json.loads(self.content)
        except ValueError as e:
            raise DecodeError(f"the {self.status} answer is not JSON: {e}", request_id=self.request_id) from e

    def error(self) -> ApiError:
        """The typed error this (non-2xx) answer stands for."""
        return error_from_response(self.status, self.headers, self.content)

    def raise_for_status(self) -> Response:
        """Itself if 2xx, otherwise raises the typed `ApiError` its envelope describes."""
        if not self.is_success:
            raise self.error()
        return self


@dataclass(frozen=True)
class Call(Generic[T]):
    """One logical request, as every attempt of it is sent, and how to decode its
    answer. Built by the route functions, run by either client."""

    method: str
    #: Path and query, already encoded, starting with ``/``.
    path: str
    decode: Callable[[Response], T]
    body: bytes | None = None
    content_type: str | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    auth: Auth = "bearer"
    #: True: a generated key on a POST; a string: that key; False: none.
    idempotency_key: str | bool = True
    #: False for the health probes, which report the present and are never retried.
    retries: bool = True
    #: Non-2xx statuses that are an answer rather than an error (304 for a GET with
    #: ``If-None-Match``); ``decode`` gets them.
    ok_statuses: frozenset[int] = frozenset()


def json_body(value: Any) -> bytes:
    """Compact UTF-8 JSON. NaN and infinities are refused here: they are not JSON, and
    the server would answer 400 anyway."""
    try:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode()
    except (TypeError, ValueError) as e:
        raise TypeError(f"the request body can't be sent as JSON: {e}") from e


def seg(value: str) -> str:
    """A path segment, query value or form value, percent-encoded (everything but RFC
    3986's unreserved characters, spaces as ``%20``). A name the server would refuse
    still reaches it intact and gets the server's 404 rather than naming another route.
    RFC 6749 §2.3.1 has the client id and secret form-encoded like this before they go
    into HTTP Basic, and the server decodes them so: a secret with ``+`` or ``%`` would
    break otherwise."""
    return quote(value, safe="")


def query(**params: str | int | None) -> str:
    """``?a=1&b=x``, in the given order, leaving out None values; or nothing."""
    parts = [f"{name}={seg(str(value))}" for name, value in params.items() if value is not None]
    return "?" + "&".join(parts) if parts else ""


def expect_object(response: Response, required: tuple[str, ...] = ()) -> dict[str, Any]:
    """The body as a JSON object that has the ``required`` members, or `DecodeError`."""
    value = response.json()
    if not isinstance(value, dict):
        raise DecodeError(
            f"the {response.status} answer is not a JSON object",
            request_id=response.request_id,
        )
    missing = [name for name in required if name not in value]
    if missing:
        raise DecodeError(
            f"the {response.status} answer lacks {', '.join(missing)}",
            request_id=response.request_id,
        )
    return value


def expect_page(response: Response, required: tuple[str, ...]) -> dict[str, Any]:
    """A list page whose entries are objects with the ``required`` members."""
    page = expect_object(response, ("data",))
    data = page["data"]
    if not isinstance(data, list) or not all(isinstance(e, dict) for e in data):
        raise DecodeError("the page's data is not a list of objects", request_id=response.request_id)
    for entry in data:
        missing = [name for name in required if name not in entry]
        if missing:
            raise DecodeError(f"a page entry lacks {', '.join(missing)}", request_id=response.request_id)
    cursor = page.get("next_cursor")
    if cursor is not None and not isinstance(cursor, str):
        raise DecodeError("the page's next_cursor is not a string", request_id=response.request_id)
    page.setdefault("next_cursor", None)
    return page


def decode_nothing(response: Response) -> None:
    """For DELETE and revoke, whose body (``{"code": 200, "message"}``) says nothing more."""
    del response
