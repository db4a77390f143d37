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

    from depot_client import Client
    with Client("http://127.0.0.1:8080", client_id="app", client_secret="...") as depot:
        depot.create_project("demo")
"""

from ._http import Response
from ._routes import etag
from ._version import __version__
from .async_client import AsyncClient
from .budget import RetryBudget
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
    Collection,
    CollectionPage,
    Health,
    Item,
    ItemMeta,
    ItemPage,
    JSONSchema,
    Maintenance,
    OAuthClient,
    OAuthClientPage,
    Project,
    ProjectPage,
    TokenResponse,
)
from .retry import RetryPolicy, parse_retry_after

__all__ = [
    "ApiError",
    "AsyncClient",
    "BadRequest",
    "Client",
    "Collection",
    "CollectionPage",
    "Conflict",
    "DecodeError",
    "DepotError",
    "Forbidden",
    "Gone",
    "Health",
    "IdempotencyMismatch",
    "Item",
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
    "RateLimited",
    "Response",
    "RetryBudget",
    "RetryEvent",
    "RetryPolicy",
    "RetryReason",
    "ServerError",
    "TokenResponse",
    "TransportError",
    "Unauthorized",
    "Unavailable",
    "UnsupportedMediaType",
    "ValidationFailed",
    "__version__",
    "etag",
    "parse_retry_after",
]
