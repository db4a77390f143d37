"""depot-client: a typed Python client for the depot HTTP API, sync and async.

- `Client` (``client.py``) and `AsyncClient` (``async_client.py``): one typed method
  per route, plus the raw `Client.request`; every call authenticates and retries.
- ``_routes.py``: one `Call` builder per route, shared by both clients;
  ``_base.py``: configuration, request preparation and the token cache, shared too.
- `RetryPolicy` (``retry.py``): full-jitter exponential backoff, ``Retry-After`` parsing.
- `RetryBudget` (``budget.py``): the token bucket that keeps retries a share of requests.
- ``engine.py``: the retry decisions, free of I/O, and the `RetryEvent` every retry
  reports (a log line on the ``depot_client`` logger and the ``on_retry`` hook).
- ``errors.py``: `DepotError` and its subclasses, typed by status.
- ``models.py``: the resources as TypedDicts.
- ``query.py``: the §8 filter builder (`field`, `and_`, `or_`, `not_`), sort keys, fields.
- ``changes.py``: the change feed's self-resuming stream (`ChangeStream`,
  `AsyncChangeStream`); ``sse.py``: the Server-Sent Events parser it reads with.

    from depot_client import Client
    with Client("http://127.0.0.1:8080", client_id="app", client_secret="...") as depot:
        depot.create_project("demo")
"""

from ._http import Response
from ._routes import etag
from ._version import __version__
from .async_client import AsyncClient
from .budget import RetryBudget
from .changes import AsyncChangeStream, ChangeStream, ReconnectInfo
from .client import Client
from .engine import OnRetry, RetryEvent, RetryReason
from .errors import (
    ApiError,
    BadRequest,
    Conflict,
    DecodeError,
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
    ServerError,
    TransportError,
    Unauthorized,
    Unavailable,
    UnsupportedMediaType,
    ValidationFailed,
)
from .models import (
    ChangeEvent,
    ChangesPage,
    ChangesTicket,
    Collection,
    CollectionPage,
    Health,
    Item,
    ItemCount,
    ItemMeta,
    ItemPage,
    JSONSchema,
    Maintenance,
    OAuthClient,
    OAuthClientPage,
    Project,
    ProjectPage,
    RateLimit,
    TokenResponse,
)
from .query import Field, Filter, QueryError, SortKey, and_, asc, desc, field, not_, or_
from .retry import RetryPolicy, parse_retry_after
from .sse import SseEvent, SseParser

__all__ = [
    "ApiError",
    "AsyncChangeStream",
    "AsyncClient",
    "BadRequest",
    "ChangeEvent",
    "ChangeStream",
    "ChangesPage",
    "ChangesTicket",
    "Client",
    "Collection",
    "CollectionPage",
    "Conflict",
    "DecodeError",
    "DepotError",
    "Field",
    "Filter",
    "Forbidden",
    "Gone",
    "Health",
    "IdempotencyMismatch",
    "Item",
    "ItemCount",
    "ItemMeta",
    "ItemPage",
    "JSONSchema",
    "Maintenance",
    "MethodNotAllowed",
    "MissingFields",
    "NotFound",
    "OAuthClient",
    "OAuthClientPage",
    "OnRetry",
    "PayloadTooLarge",
    "PreconditionFailed",
    "Project",
    "ProjectPage",
    "QueryError",
    "RateLimit",
    "RateLimited",
    "ReconnectInfo",
    "Response",
    "RetryBudget",
    "RetryEvent",
    "RetryPolicy",
    "RetryReason",
    "ServerError",
    "SortKey",
    "SseEvent",
    "SseParser",
    "TokenResponse",
    "TransportError",
    "Unauthorized",
    "Unavailable",
    "UnsupportedMediaType",
    "ValidationFailed",
    "__version__",
    "and_",
    "asc",
    "desc",
    "etag",
    "field",
    "not_",
    "or_",
    "parse_retry_after",
]
