"""`Client`: the synchronous client. Every method authenticates, retries per the
`RetryPolicy` and raises a typed `DepotError` for a non-2xx answer."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from types import TracebackType
from typing import Any, TypeVar

import httpx

from . import _routes as routes
from ._base import _NO_BODY, _NOT_GIVEN, BaseClient, Prepared, describe, transport_error
from ._http import Call, Response, json_body
from ._routes import SortSpec
from .budget import RetryBudget
from .changes import ChangeStream, OnReconnect, _Resume
from .engine import OnRetry
from .models import (
    ChangesPage,
    ChangesTicket,
    Collection,
    CollectionPage,
    Health,
    Item,
    ItemCount,
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
from .query import Filter
from .retry import RetryPolicy

__all__ = ["Client"]

T = TypeVar("T")


class Client(BaseClient):
    """A synchronous depot client, safe to share between threads.

    Authenticate with ``token`` (a bearer token obtained elsewhere, never refreshed) or
    ``client_id`` and ``client_secret`` (tokens fetched from ``/oauth/token``, cached,
    refreshed before they expire and once after a 401). ``timeout`` bounds each attempt
    (seconds or an ``httpx.Timeout``); the policy's ``deadline`` bounds the retrying.
    ``http_client`` lets you bring your own ``httpx.Client`` (proxies, TLS settings,
    a mock transport); it is then yours to close. ``sleep`` and ``clock`` (monotonic
    seconds) replace ``time.sleep`` and ``time.monotonic``, for tests.
    """

    def __init__(
        self,
        base_url: str,
        *,
        token: str | None = None,
        client_id: str | None = None,
        client_secret: str | None = None,
        scope: str | None = None,
        retry_policy: RetryPolicy | None = None,
        max_retries: int | None = None,
        retry_budget: RetryBudget | None = None,
        on_retry: OnRetry | None = None,
        timeout: float | httpx.Timeout | None = None,
        http_client: httpx.Client | None = None,
        sleep: Callable[[float], None] | None = None,
        clock: Callable[[], float] | None = None,
    ) -> None:
        super().__init__(
            base_url,
            token=token,
            client_id=client_id,
            client_secret=client_secret,
            scope=scope,
            retry_policy=retry_policy,
            max_retries=max_retries,
            retry_budget=retry_budget,
            on_retry=on_retry,
            timeout=timeout,
            clock=clock,
        )
        self._owns_http = http_client is None
        self._http = http_client if http_client is not None else httpx.Client(timeout=self._timeout)
        self._sleep = sleep if sleep is not None else time.sleep
        self._token_lock = threading.Lock()

    def close(self) -> None:
        """Closes the connection pool (unless it came from ``http_client``)."""
        if self._owns_http:
            self._http.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def with_options(
        self,
        *,
        retry_policy: RetryPolicy | None = None,
        max_retries: int | None = None,
        timeout: float | httpx.Timeout | None = _NOT_GIVEN,
    ) -> Client:
        """A client with other retry or timeout settings that shares this one's
        connections, token cache and retry budget: ``client.with_options(max_retries=0)``."""
        return self._derive(retry_policy, max_retries, timeout)

    # --- the raw call ---------------------------------------------------------------

    def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = _NO_BODY,
        headers: Mapping[str, str] | None = None,
        idempotency_key: str | bool = True,
    ) -> Response:
        """``method path`` (path and query, starting with ``/``) with an optional JSON
        body, authenticated and retried; the answer of any status comes back as a
        `Response`. A POST gets an automatic ``Idempotency-Key`` unless
        ``idempotency_key`` is False (or is the key to use)."""
        if not path.startswith("/"):
            raise ValueError(f"path {path!r} must start with /")
        body = None if json is _NO_BODY else json_body(json)
        call: Call[Response] = Call(
            method.upper(),
            path,
            lambda r: r,
            body=body,
            content_type=None if body is None else "application/json",
            headers=dict(headers or {}),
            idempotency_key=idempotency_key,
        )
        return self._execute(call)

    def access_token(self) -> str | None:
        """The bearer token requests are sent with now, fetching one if needed."""
        return self._bearer("bearer")

    # --- the engine -----------------------------------------------------------------

    def _run(self, call: Call[T]) -> T:
        return self._decode(call, self._execute(call))

    def _execute(self, call: Call[Any]) -> Response:
        prepared = self._prepare(call)
        token = self._bearer(call.auth)
        first = self._send(prepared, token)
        if token is not None and first.status == 401 and self._refreshable:
            # The token may have been revoked, or the server restarted: one new token,
            # one more try.
            with self._token_lock:
                self._tokens.invalidate(token)
            return self._send(prepared, self._bearer(call.auth))
        return first

    def _send(self, prepared: Prepared, token: str | None) -> Response:
        """All attempts of one request under the policy, without token refresh."""
        run = self._start_run(prepared)
        headers = self._headers(prepared, token)
        while True:
            try:
                r = self._http.request(
                    prepared.call.method,
                    prepared.url,
                    content=prepared.call.body,
                    headers=headers,
                    timeout=self._timeout,
                )
            except httpx.TransportError as e:
                delay = run.after_failure(describe(e))
                if delay is None:
                    raise transport_error(e) from e
            else:
                response, retry_after = self._response(r)
                delay = run.after_answer(response.status, retry_after)
                if delay is None:
                    return response
            self._sleep(delay)

    def _open_stream(self, call: Call[Any]) -> httpx.Response | Response:
        """``call`` for a stream: authenticated and retried like any call (503, 429, a
        lost connection; one fresh token after a 401), but a 2xx answer comes back open,
        its body unread. Any other status comes back read, as a `Response`."""
        prepared = self._prepare(call)
        token = self._bearer(call.auth)
        opened = self._stream_attempts(prepared, token)
        if isinstance(opened, Response) and opened.status == 401 and token is not None and self._refreshable:
            with self._token_lock:
                self._tokens.invalidate(token)
            opened = self._stream_attempts(prepared, self._bearer(call.auth))
        return opened

    def _stream_attempts(self, prepared: Prepared, token: str | None) -> httpx.Response | Response:
        run = self._start_run(prepared)
        headers = self._headers(prepared, token)
        while True:
            try:
                request = self._http.build_request("GET", prepared.url, headers=headers, timeout=self._timeout)
                r = self._http.send(request, stream=True)
                if r.is_success:
                    return r
                try:
                    r.read()
                finally:
                    r.close()
            except httpx.TransportError as e:
                delay = run.after_failure(describe(e))
                if delay is None:
                    raise transport_error(e) from e
            else:
                response, retry_after = self._response(r)
                delay = run.after_answer(response.status, retry_after)
                if delay is None:
                    return response
            self._sleep(delay)

    def _bearer(self, auth: str) -> str | None:
        if auth != "bearer":
            return None
        if self._client_id is None:
            return self._token
        with self._token_lock:
            token = self._tokens.fresh(self._clock())
            if token is None:
                answer = self._run(routes.issue_token(self._scope))
                token = answer["access_token"]
                self._tokens.store(token, float(answer["expires_in"]), self._clock())
            return token

    # --- projects -------------------------------------------------------------------

    def list_projects(self, *, limit: int | None = None, cursor: str | None = None) -> ProjectPage:
        """A page of the projects this token may see."""
        return self._run(routes.list_projects(limit, cursor))

    def iter_projects(self, *, page_size: int | None = None) -> Iterator[Project]:
        """Every project this token may see, page after page."""
        cursor: str | None = None
        while True:
            page = self.list_projects(limit=page_size, cursor=cursor)
            yield from page["data"]
            if (cursor := page["next_cursor"]) is None:
                return

    def create_project(
        self, name: str, *, metadata: Mapping[str, Any] | None = None, idempotency_key: str | bool = True
    ) -> Project:
        return self._run(routes.create_project(name, metadata, idempotency_key))

    def get_project(self, name: str) -> Project:
        return self._run(routes.get_project(name))

    def update_project(self, name: str, metadata: Mapping[str, Any]) -> Project:
        """Replaces the project's metadata."""
        return self._run(routes.update_project(name, metadata))

    def delete_project(self, name: str) -> None:
        """Deletes the project with its collections and items."""
        self._run(routes.delete_project(name))

    # --- collections ----------------------------------------------------------------

    def list_collections(self, project: str, *, limit: int | None = None, cursor: str | None = None) -> CollectionPage:
        return self._run(routes.list_collections(project, limit, cursor))

    def iter_collections(self, project: str, *, page_size: int | None = None) -> Iterator[Collection]:
        cursor: str | None = None
        while True:
            page = self.list_collections(project, limit=page_size, cursor=cursor)
            yield from page["data"]
            if (cursor := page["next_cursor"]) is None:
                return

    def create_collection(
        self,
        project: str,
        name: str,
        *,
        schema: JSONSchema | None = None,
        indexes: Sequence[str] | None = None,
        idempotency_key: str | bool = True,
    ) -> Collection:
        """``schema`` is a JSON Schema (draft 2020-12) items must satisfy, or None.
        ``indexes``: paths lists may sort on, whose comparisons an index serves (§8)."""
        return self._run(routes.create_collection(project, name, schema, indexes, idempotency_key))

    def get_collection(self, project: str, name: str) -> Collection:
        return self._run(routes.get_collection(project, name))

    def update_collection(self, project: str, name: str, *, schema: JSONSchema | None) -> Collection:
        """Replaces the schema (None removes it); existing items are not re-checked."""
        return self._run(routes.update_collection(project, name, schema))

    def delete_collection(self, project: str, name: str) -> None:
        """Deletes the collection with its items."""
        self._run(routes.delete_collection(project, name))

    # --- items ----------------------------------------------------------------------

    def list_items(
        self,
        project: str,
        collection: str,
        *,
        limit: int | None = None,
        cursor: str | None = None,
        filter: Filter | None = None,
        sort: SortSpec | None = None,
        fields: Sequence[str] | None = None,
    ) -> ItemPage:
        """A page of items, in id (creation) order unless ``sort`` says otherwise (1 to 3
        keys: ``[desc("priority"), "title"]``, each a server-owned member or an indexed
        path). ``filter``: only items that match (`depot_client.query.field`).
        ``fields``: only those top-level members, plus ``id``. A filtered page may be
        short, even empty, with a ``next_cursor``: the server's scan budget ran out;
        only a None ``next_cursor`` is the end (`iter_items` follows it)."""
        return self._run(routes.list_items(project, collection, limit, cursor, filter, sort, fields))

    def count_items(self, project: str, collection: str, *, filter: Filter | None = None) -> ItemCount:
        """How many items match: ``{"count": n, "exact": bool}``; not exact when counting
        stopped at the server's budget (``count`` is then a lower bound)."""
        return self._run(routes.count_items(project, collection, filter))

    def iter_items(
        self,
        project: str,
        collection: str,
        *,
        page_size: int | None = None,
        filter: Filter | None = None,
        sort: SortSpec | None = None,
        fields: Sequence[str] | None = None,
    ) -> Iterator[Item]:
        """Every item that matches, page after page, through short and empty pages."""
        routes.list_items(project, collection, page_size, None, filter, sort, fields)  # checked now
        cursor: str | None = None
        while True:
            page = self.list_items(
                project, collection, limit=page_size, cursor=cursor, filter=filter, sort=sort, fields=fields
            )
            yield from page["data"]
            if (cursor := page["next_cursor"]) is None:
                return

    def create_item(
        self, project: str, collection: str, item: Mapping[str, Any], *, idempotency_key: str | bool = True
    ) -> Item:
        """Creates an item; the answer has the server's ``id``, ``created_at``,
        ``updated_at`` and ``version``."""
        return self._run(routes.create_item(project, collection, item, idempotency_key))

    def get_item(self, project: str, collection: str, item_id: str, *, fields: Sequence[str] | None = None) -> Item:
        """The item; with ``fields``, only those top-level members (plus ``id``)."""
        return self._run(routes.get_item(project, collection, item_id, fields))

    def get_item_if_changed(self, project: str, collection: str, item_id: str, etag: str | int) -> Item | None:
        """The item, or None if its ETag (or version) is still ``etag`` (a 304)."""
        return self._run(routes.get_item_if_changed(project, collection, item_id, etag))

    def replace_item(
        self,
        project: str,
        collection: str,
        item_id: str,
        item: Mapping[str, Any],
        *,
        if_match: str | int | None = None,
    ) -> Item:
        """Replaces the item; with ``if_match`` (an ETag, or a version) only if it is
        still that version, else `PreconditionFailed`."""
        return self._run(routes.replace_item(project, collection, item_id, item, if_match))

    def patch_item(
        self,
        project: str,
        collection: str,
        item_id: str,
        patch: Mapping[str, Any],
        *,
        if_match: str | int | None = None,
    ) -> Item:
        """Applies a JSON merge patch (RFC 7396: None removes a member)."""
        return self._run(routes.patch_item(project, collection, item_id, patch, if_match))

    def delete_item(self, project: str, collection: str, item_id: str, *, if_match: str | int | None = None) -> None:
        self._run(routes.delete_item(project, collection, item_id, if_match))

    # --- changes --------------------------------------------------------------------

    def poll_changes(
        self,
        project: str,
        *,
        since: str | None = None,
        collections: Sequence[str] | None = None,
        filter: Filter | None = None,
        include_item: bool = False,
        limit: int | None = None,
    ) -> ChangesPage:
        """A page of the change feed (§9). ``since``: a cursor, ``"oldest"``, or None for
        the feed's current end; continue with ``since=page["next_cursor"]`` (never None).
        ``filter`` keeps item events whose item matches; ``include_item`` adds ``item``
        to creates and updates."""
        return self._run(routes.poll_changes(project, since, collections, filter, include_item, limit))

    def stream_changes(
        self,
        project: str,
        *,
        since: str | None = None,
        collections: Sequence[str] | None = None,
        filter: Filter | None = None,
        include_item: bool = False,
        on_reconnect: OnReconnect | None = None,
    ) -> ChangeStream:
        """The feed as it happens, over Server-Sent Events: ``for event in
        client.stream_changes("p")``. Resumes by itself (``Last-Event-ID``) after a
        dropped connection, an ``end`` event or a refused token; ``on_reconnect`` hears
        of each. ``last_event_id`` on the stream says where it is."""
        resume = _Resume(project, since, collections, filter, include_item, on_reconnect)
        return ChangeStream(self, resume)

    def changes_ticket(self, project: str) -> ChangesTicket:
        """A single-use ticket (valid 60 s) that opens one stream of ``project``
        without a token: for a browser's ``EventSource``."""
        return self._run(routes.changes_ticket(project))

    def event_source_url(
        self,
        project: str,
        *,
        since: str | None = None,
        collections: Sequence[str] | None = None,
        filter: Filter | None = None,
        include_item: bool = False,
    ) -> str:
        """A stream URL carrying a fresh ticket instead of the token, to hand to a
        browser's ``new EventSource(url)``. The ticket works once."""
        ticket = (self.changes_ticket(project))["ticket"]
        q = routes.changes_query(since, collections, filter, include_item, ticket=ticket)
        return self.base_url + routes.changes_path(project) + q

    # --- OAuth clients (admin) ------------------------------------------------------

    def list_clients(self, *, limit: int | None = None, cursor: str | None = None) -> OAuthClientPage:
        return self._run(routes.list_clients(limit, cursor))

    def create_client(
        self,
        name: str,
        scopes: Sequence[str],
        *,
        rate_limit: RateLimit | None = None,
        idempotency_key: str | bool = True,
    ) -> OAuthClient:
        """Creates an OAuth client; the answer is the only one that shows its
        ``client_secret``. ``rate_limit`` (``{"per_second": 50, "burst": 100}``,
        ``burst`` optional) is its own limit; without one the server's default applies."""
        return self._run(routes.create_client(name, scopes, rate_limit, idempotency_key))

    def get_client(self, client_id: str) -> OAuthClient:
        return self._run(routes.get_client(client_id))

    def delete_client(self, client_id: str) -> None:
        """Deletes the client and revokes its tokens."""
        self._run(routes.delete_client(client_id))

    # --- maintenance (admin) --------------------------------------------------------

    def get_maintenance(self) -> Maintenance:
        return self._run(routes.get_maintenance())

    def set_maintenance(self, enabled: bool, *, retry_after: int | None = None) -> Maintenance:
        """Turns maintenance mode on or off; while on, writes answer 503 with
        ``Retry-After: retry_after`` (unchanged if None)."""
        return self._run(routes.set_maintenance(enabled, retry_after))

    # --- OAuth ----------------------------------------------------------------------

    def issue_token(self, *, scope: str | None = None) -> TokenResponse:
        """A new token for this client's credentials (not cached, not used by the
        client: for handing to another program)."""
        return self._run(routes.issue_token(scope))

    def revoke_token(self, token: str) -> None:
        """Revokes one of this client's tokens (RFC 7009). Needs client credentials."""
        self._run(routes.revoke_token(token))

    def logout(self) -> None:
        """Revokes the cached token, if any, and forgets it; the next call fetches a
        new one."""
        with self._token_lock:
            token = self._tokens.take()
        if token is not None:
            self.revoke_token(token)

    # --- meta -----------------------------------------------------------------------

    def healthz(self) -> Health:
        """``GET /healthz``, anonymous and tried once."""
        return self._run(routes.probe("/healthz"))

    def readyz(self) -> Health:
        """``GET /readyz``, anonymous and tried once: `Unavailable` when not ready."""
        return self._run(routes.probe("/readyz"))

    def openapi_document(self) -> dict[str, Any]:
        return self._run(routes.openapi_document())

    def metrics(self) -> str:
        """The Prometheus metrics, as text."""
        return self._run(routes.metrics())
