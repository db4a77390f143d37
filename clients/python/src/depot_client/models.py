"""The resources as the API shows them, as `TypedDict`s.

TypedDicts rather than dataclasses because the values *are* the JSON the server sent:
nothing is copied or converted, a resource read can be sent back as is, a member the
server adds later doesn't break an older client, and mypy still checks every key a
caller reads. Items are plain ``dict[str, Any]`` (`Item`): their members are the
caller's own, besides the four the server owns (see `ItemMeta`).

Timestamps are RFC 3339 strings (UTC, milliseconds), as sent.
"""

from __future__ import annotations

from typing import Any, TypedDict

__all__ = [
    "ChangeEvent",
    "ChangesPage",
    "ChangesTicket",
    "Collection",
    "CollectionPage",
    "Health",
    "Item",
    "ItemCount",
    "ItemMeta",
    "ItemPage",
    "JSONSchema",
    "Maintenance",
    "OAuthClient",
    "OAuthClientPage",
    "Project",
    "ProjectPage",
    "RateLimit",
    "TokenResponse",
]

#: A JSON Schema (draft 2020-12): an object, or a boolean.
JSONSchema = dict[str, Any] | bool

#: A stored item: the caller's members plus ``id``, ``created_at``, ``updated_at`` and
#: ``version`` (see `ItemMeta`).
Item = dict[str, Any]


class ItemMeta(TypedDict):
    """The server-owned members every item carries."""

    #: A UUIDv7: ids sort by creation time.
    id: str
    created_at: str
    updated_at: str
    #: 1, then +1 per write; the item's ETag is this number quoted.
    version: int


class Project(TypedDict):
    name: str
    #: Free-form metadata the owner keeps with the project; ``{}`` by default.
    metadata: dict[str, Any]
    created_at: str
    updated_at: str


class Collection(TypedDict):
    project: str
    name: str
    #: The JSON Schema every item must satisfy, or None for none.
    schema: JSONSchema | None
    #: Paths lists may sort on, whose comparisons an index serves (§8).
    indexes: list[str]
    created_at: str
    updated_at: str


class _RateLimitRequired(TypedDict):
    #: Requests a second, above 0 and at most 1,000,000 (``0.5``: one every 2 seconds).
    per_second: float


class RateLimit(_RateLimitRequired, total=False):
    """A client's own rate limit (contract §10): a request beyond it is a 429 with
    ``Retry-After``. The server always shows ``burst``; a create may leave it out
    (twice the rate)."""

    #: How many requests may come at once after a quiet time, 1 to 1,000,000.
    burst: int


class _OAuthClientRequired(TypedDict):
    client_id: str
    name: str
    scopes: list[str]
    created_at: str


class OAuthClient(_OAuthClientRequired, total=False):
    """An OAuth client (the ``OAuthClient`` schema of the OpenAPI document)."""

    #: Its own rate limit, or None: then the server's ``--client-rate`` applies, if
    #: any. (Always sent by servers that have rate limits; older ones leave it out.)
    rate_limit: RateLimit | None
    #: Only in the answer to the create request: keep it, it is never shown again.
    client_secret: str | None


class Maintenance(TypedDict):
    enabled: bool
    #: The ``Retry-After`` (seconds) of the 503s that writes get while enabled.
    retry_after: int


class TokenResponse(TypedDict):
    """An RFC 6749 §5.1 access token response."""

    access_token: str
    token_type: str
    #: Seconds the token lives.
    expires_in: int
    #: Space-separated scopes the token has.
    scope: str


class Health(TypedDict):
    """``{"status": "ok"}`` from ``/healthz``, ``{"status": "ready"}`` from ``/readyz``."""

    status: str


class ProjectPage(TypedDict):
    data: list[Project]
    #: Pass as ``cursor`` for the next page; None on the last.
    next_cursor: str | None


class CollectionPage(TypedDict):
    data: list[Collection]
    next_cursor: str | None


class ItemPage(TypedDict):
    data: list[Item]
    next_cursor: str | None


class OAuthClientPage(TypedDict):
    data: list[OAuthClient]
    next_cursor: str | None


class ItemCount(TypedDict):
    """How many items match; ``exact`` is False when counting stopped at the server's
    budget (``--max-count-scan``), and ``count`` is then a lower bound."""

    count: int
    exact: bool


class _ChangeEventRequired(TypedDict):
    #: Where the feed continues after this event (opaque).
    cursor: str
    #: create, update, delete, expire, collection_create, collection_update,
    #: collection_delete.
    op: str
    collection: str
    #: When it was committed, RFC 3339.
    at: str


class ChangeEvent(_ChangeEventRequired, total=False):
    """One event of the change feed (§9). Collection events have no ``id``,
    ``version`` or ``item``; ``item`` comes with creates and updates when asked for."""

    id: str
    version: int
    item: Item


class ChangesPage(TypedDict):
    data: list[ChangeEvent]
    #: Never None: where to continue (``since=``).
    next_cursor: str


class ChangesTicket(TypedDict):
    """A single-use ticket (valid ``expires_in`` seconds) for one stream of a project."""

    ticket: str
    expires_in: int
