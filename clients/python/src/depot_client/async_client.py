"""`AsyncClient`: the asyncio twin of `Client`, with the same methods, awaited. Every
method authenticates, retries per the `RetryPolicy` and raises a typed `DepotError` for
a non-2xx answer. Kept method for method in step with ``client.py`` (a test checks the
two expose the same signatures)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from types import TracebackType
from typing import Any, TypeVar

import httpx

from . import _routes as routes
from ._base import _NO_BODY, _NOT_GIVEN, BaseClient, Prepared, describe, transport_error
from ._http import Call, Response, json_body
from ._routes import SortSpec
from .budget import RetryBudget
from .changes import AsyncChangeStream, OnReconnect, _Resume
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

__all__ = ["AsyncClient"]

T = TypeVar("T")


class AsyncClient(BaseClient):
    """An asyncio depot client, to be used from one event loop. Cancelling the task
    that awaits a call cancels it, whether it is sending or sleeping before a retry.

    Authenticate with ``token`` (a bearer token obtained elsewhere, never refreshed) or
    ``client_id`` and ``client_secret`` (tokens fetched from ``/oauth/token``, cached,
    refreshed before they expire and once after a 401). ``timeout`` bounds each attempt
    (seconds or an ``httpx.Timeout``); the policy's ``deadline`` bounds the retrying.
    ``http_client`` lets you bring your own ``httpx.Client`` (proxies, TLS settings,
    a mock transport); it is then yours to close. ``sleep`` and ``clock`` (monotonic
    seconds) replace ``asyncio.sleep`` and ``time.monotonic``, for tests. ``on_retry``
    is a plain function, called before each retry's delay.
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
        http_client: httpx.AsyncClient | None = None,
        sleep: Callable[[float], Awaitable[None]] | None = None,
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
        self._http = http_client if http_client is not None else httpx.AsyncClient(timeout=self._timeout)
        self._sleep = sleep if sleep is not None else asyncio.sleep
        self._token_lock = asyncio.Lock()

    async def aclose(self) -> None:
        """Closes the connection pool (unless it came from ``http_client``)."""
        if self._owns_http:
            await self._http.aclose()

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    def with_options(
        self,
        *,
        retry_policy: RetryPolicy | None = None,
        max_retries: int | None = None,
        timeout: float | httpx.Timeout | None = _NOT_GIVEN,
    ) -> AsyncClient:
        """A client with other retry or timeout settings that shares this one's
        connections, token cache and retry budget: ``client.with_options(max_retries=0)``."""
        return self._derive(retry_policy, max_retries, timeout)

    # --- the raw call ---------------------------------------------------------------

    async def request(
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
        return await self._execute(call)

    async def access_token(self) -> str | None:
        """The bearer token requests are sent with now, fetching one if needed."""
        return await self._bearer("bearer")

    # --- the engine -----------------------------------------------------------------

    async def _run(self, call: Call[T]) -> T:
        return self._decode(call, await self._execute(call))

    async def _execute(self, call: Call[Any]) -> Response:
        prepared = self._prepare(call)
        token = await self._bearer(call.auth)
        first = await self._send(prepared, token)
        if token is not None and first.status == 401 and self._refreshable:
            # The token may have been revoked, or the server restarted: one new token,
            # one more try.
            async with self._token_lock:
                self._tokens.invalidate(token)
            return await self._send(prepared, await self._bearer(call.auth))
        return first

    async def _send(self, prepared: Prepared, token: str | None) -> Response:
        """All attempts of one request under the policy, without token refresh."""
        run = self._start_run(prepared)
        headers = self._headers(prepared, token)
        while True:
            try:
                r = await self._http.request(
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
            await self._sleep(delay)

    async def _open_stream(self, call: Call[Any]) -> httpx.Response | Response:
        """``call`` for a stream: authenticated and retried like any call (503, 429, a
        lost connection; one fresh token after a 401), but a 2xx answer comes back open,
        its body unread. Any other status comes back read, as a `Response`."""
        prepared = self._prepare(call)
        token = await self._bearer(call.auth)
        opened = await self._stream_attempts(prepared, token)
        if isinstance(opened, Response) and opened.status == 401 and token is not None and self._refreshable:
            async with self._token_lock:
                self._tokens.invalidate(token)
            opened = await self._stream_attempts(prepared, await self._bearer(call.auth))
        return opened

    async def _stream_attempts(self, prepared: Prepared, token: str | None) -> httpx.Response | Response:
        run = self._start_run(prepared)
        headers = self._headers(prepared, token)
        while True:
            try:
                request = self._http.build_request("GET", prepared.url, headers=headers, timeout=self._timeout)
                r = await self._http.send(request, stream=True)
                if r.is_success:
                    return r
                try:
                    await r.aread()
                finally:
                    await r.aclose()
            except httpx.TransportError as e:
                delay = run.after_failure(describe(e))
                if delay is None:
                    raise transport_error(e) from e
            else:
                response, retry_after = self._response(r)
                delay = run.after_answer(response.status, retry_after)
                if delay is None:
                    return response
            await self._sleep(delay)

    async def _bearer(self, auth: str) -> str | None:
        if auth != "bearer":
            return None
        if self._client_id is None:
            return self._token
        async with self._token_lock:
            token = self._tokens.fresh(self._clock())
            if token is None:
                answer = await self._run(routes.issue_token(self._scope))
                token = answer["access_token"]
                self._tokens.store(token, float(answer["expires_in"]), self._clock())
            return token

    # --- projects -------------------------------------------------------------------

    async def list_projects(self, *, limit: int | None = None, cursor: str | None = None) -> ProjectPage:
        """A page of the projects this token may see."""
        return await self._run(routes.list_projects(limit, cursor))

    async def iter_projects(self, *, page_size: int | None = None) -> AsyncIterator[Project]:
        """Every project this token may see, page after page."""
        cursor: str | None = None
        while True:
            page = await self.list_projects(limit=page_size, cursor=cursor)
            for entry in page["data"]:
                yield entry
            if (cursor := page["next_cursor"]) is None:
                return

    async def create_project(
        self, name: str, *, metadata: Mapping[str, Any] | None = None, idempotency_key: str | bool = True
    ) -> Project:
        return await self._run(routes.create_project(name, metadata, idempotency_key))

    async def get_project(self, name: str) -> Project:
        return await self._run(routes.get_project(name))

    async def update_project(self, name: str, metadata: Mapping[str, Any]) -> Project:
        """Replaces the project's metadata."""
        return await self._run(routes.update_project(name, metadata))

    async def delete_project(self, name: str) -> None:
        """Deletes the project with its collections and items."""
        await self._run(routes.delete_project(name))

    # --- collections ----------------------------------------------------------------

    async def list_collections(
        self, project: str, *, limit: int | None = None, cursor: str | None = None
    ) -> CollectionPage:
        return await self._run(routes.list_collections(project, limit, cursor))

    async def iter_collections(self, project: str, *, page_size: int | None = None) -> AsyncIterator[Collection]:
        cursor: str | None = None
        while True:
            page = await self.list_collections(project, limit=page_size, cursor=cursor)
            for entry in page["data"]:
                yield entry
            if (cursor := page["next_cursor"]) is None:
                return

    async def create_collection(
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
        return await self._run(routes.create_collection(project, name, schema, indexes, idempotency_key))

    async def get_collection(self, project: str, name: str) -> Collection:
        return await self._run(routes.get_collection(project, name))

    async def update_collection(self, project: str, name: str, *, schema: JSONSchema | None) -> Collection:
        """Replaces the schema (None removes it); existing items are not re-checked."""
        return await self._run(routes.update_collection(project, name, schema))

    async def delete_collection(self, project: str, name: str) -> None:
        """Deletes the collection with its items."""
        await self._run(routes.delete_collection(project, name))

    # --- items ----------------------------------------------------------------------

    async def list_items(
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
        return await self._run(routes.list_items(project, collection, limit, cursor, filter, sort, fields))

    async def count_items(self, project: str, collection: str, *, filter: Filter | None = None) -> ItemCount:
        """How many items match: ``{"count": n, "exact": bool}``; not exact when counting
        stopped at the server's budget (``count`` is then a lower bound)."""
        return await self._run(routes.count_items(project, collection, filter))

    async def iter_items(
        self,
        project: str,
        collection: str,
        *,
        page_size: int | None = None,
        filter: Filter | None = None,
        sort: SortSpec | None = None,
        fields: Sequence[str] | None = None,
    ) -> AsyncIterator[Item]:
        """Every item that matches, page after page, through short and empty pages."""
        routes.list_items(project, collection, page_size, None, filter, sort, fields)  # checked now
        cursor: str | None = None
        while True:
            page = await self.list_items(
                project, collection, limit=page_size, cursor=cursor, filter=filter, sort=sort, fields=fields
            )
            for entry in page["data"]:
                yield entry
            if (cursor := page["next_cursor"]) is None:
                return

    async def create_item(
        self, project: str, collection: str, item: Mapping[str, Any], *, idempotency_key: str | bool = True
    ) -> Item:
        """Creates an item; the answer has the server's ``id``, ``created_at``,
        ``updated_at`` and ``version``."""
        return await self._run(routes.create_item(project, collection, item, idempotency_key))

    async def get_item(
        self, project: str, collection: str, item_id: str, *, fields: Sequence[str] | None = None
    ) -> Item:
        """The item; with ``fields``, only those top-level members (plus ``id``)."""
        return await self._run(routes.get_item(project, collection, item_id, fields))

    async def get_item_if_changed(self, project: str, collection: str, item_id: str, etag: str | int) -> Item | None:
        """The item, or None if its ETag (or version) is still ``etag`` (a 304)."""
        return await self._run(routes.get_item_if_changed(project, collection, item_id, etag))

    async def replace_item(
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
        return await self._run(routes.replace_item(project, collection, item_id, item, if_match))

    async def patch_item(
        self,
        project: str,
        collection: str,
        item_id: str,
        patch: Mapping[str, Any],
        *,
        if_match: str | int | None = None,
    ) -> Item:
        """Applies a JSON merge patch (RFC 7396: None removes a member)."""
        return await self._run(routes.patch_item(project, collection, item_id, patch, if_match))

    async def delete_item(
        self, project: str, collection: str, item_id: str, *, if_match: str | int | None = None
    ) -> None:
        await self._run(routes.delete_item(project, collection, item_id, if_match))

    # --- changes --------------------------------------------------------------------

    async def poll_changes(
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
        return await self._run(routes.poll_changes(project, since, collections, filter, include_item, limit))

    def stream_changes(
        self,
        project: str,
        *,
        since: str | None = None,
        collections: Sequence[str] | None = None,
        filter: Filter | None = None,
        include_item: bool = False,
        on_reconnect: OnReconnect | None = None,
    ) -> AsyncChangeStream:
        """The feed as it happens, over Server-Sent Events: ``async for event in
        client.stream_changes("p")``. Resumes by itself (``Last-Event-ID``) after a
        dropped connection, an ``end`` event or a refused token; ``on_reconnect`` hears
        of each. ``last_event_id`` on the stream says where it is."""
        resume = _Resume(project, since, collections, filter, include_item, on_reconnect)
        return AsyncChangeStream(self, resume)

    async def changes_ticket(self, project: str) -> ChangesTicket:
        """A single-use ticket (valid 60 s) that opens one stream of ``project``
        without a token: for a browser's ``EventSource``."""
        return await self._run(routes.changes_ticket(project))

    async def event_source_url(
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
        ticket = (await self.changes_ticket(project))["ticket"]
        q = routes.changes_query(since, collections, filter, include_item, ticket=ticket)
        return self.base_url + routes.changes_path(project) + q

    # --- OAuth clients (admin) ------------------------------------------------------

    async def list_clients(self, *, limit: int | None = None, cursor: str | None = None) -> OAuthClientPage:
        return await self._run(routes.list_clients(limit, cursor))

    async def create_client(
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
        return await self._run(routes.create_client(name, scopes, rate_limit, idempotency_key))

    async def get_client(self, client_id: str) -> OAuthClient:
        return await self._run(routes.get_client(client_id))

    async def delete_client(self, client_id: str) -> None:
        """Deletes the client and revokes its tokens."""
        await self._run(routes.delete_client(client_id))

    # --- maintenance (admin) --------------------------------------------------------

    async def get_maintenance(self) -> Maintenance:
        return await self._run(routes.get_maintenance())

    async def set_maintenance(self, enabled: bool, *, retry_after: int | None = None) -> Maintenance:
        """Turns maintenance mode on or off; while on, writes answer 503 with
        ``Retry-After: retry_after`` (unchanged if None)."""
        return await self._run(routes.set_maintenance(enabled, retry_after))

    # --- OAuth ----------------------------------------------------------------------

    async def issue_token(self, *, scope: str | None = None) -> TokenResponse:
        """A new token for this client's credentials (not cached, not used by the
        client: for handing to another program)."""
        return await self._run(routes.issue_token(scope))

    async def revoke_token(self, token: str) -> None:
        """Revokes one of this client's tokens (RFC 7009). Needs client credentials."""
        await self._run(routes.revoke_token(token))

    async def logout(self) -> None:
        """Revokes the cached token, if any, and forgets it; the next call fetches a
        new one."""
        async with self._token_lock:
            token = self._tokens.take()
        if token is not None:
            await self.revoke_token(token)

    # --- meta -----------------------------------------------------------------------

    async def healthz(self) -> Health:
        """``GET /healthz``, anonymous and tried once."""
        return await self._run(routes.probe("/healthz"))

    async def readyz(self) -> Health:
        """``GET /readyz``, anonymous and tried once: `Unavailable` when not ready."""
        return await self._run(routes.probe("/readyz"))

    async def openapi_document(self) -> dict[str, Any]:
        return await self._run(routes.openapi_document())

    async def metrics(self) -> str:
        """The Prometheus metrics, as text."""
        return await self._run(routes.metrics())
