"""The change feed's live stream (contract §9), for both clients: `ChangeStream`
(sync) and `AsyncChangeStream`, iterators of `ChangeEvent` that resume by themselves.

A stream remembers the last event id it saw (each event's cursor, and the bare ``id:``
frame the server sends on open) and reconnects with ``Last-Event-ID`` when the
connection drops, when the server ends it (``event: end``: token expiry, lagging,
shutdown) or when the token is refused (a fresh one is fetched, as for any call).
Connecting retries a 503 or 429 with the client's backoff; any other error (`Gone` for a
cursor past retention, `Forbidden`, `NotFound`) ends the stream by raising it.
"""

from __future__ import annotations

import codecs
import json
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Generator, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

import httpx

from . import _routes as routes
from ._base import describe
from ._http import Call, Response
from .errors import DecodeError
from .models import ChangeEvent
from .query import Filter
from .retry import RetryPolicy

if TYPE_CHECKING:
    from .async_client import AsyncClient
    from .client import Client

__all__ = ["AsyncChangeStream", "ChangeStream", "ReconnectInfo"]


@dataclass(frozen=True)
class ReconnectInfo:
    """Given to ``on_reconnect`` before each reconnect."""

    #: ``"end:<reason>"`` for an ``event: end``, else what broke the connection.
    reason: str
    #: The cursor the stream resumes from (sent as ``Last-Event-ID``).
    cursor: str | None
    #: Seconds it waits first.
    delay: float


OnReconnect = Callable[[ReconnectInfo], None]


class _Connection:
    """One connection: bytes in, (event, its id) out, and how it ended."""

    def __init__(self, resume_from: str | None) -> None:
        from .sse import SseParser

        self.parser = SseParser(resume_from or "")
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self.events = 0
        self.ended = False
        self.reason = "the connection closed"
        self.end_cursor: str | None = None

    def feed(self, chunk: bytes, final: bool = False) -> list[tuple[ChangeEvent, str]]:
        out: list[tuple[ChangeEvent, str]] = []
        for frame in self.parser.push(self._decoder.decode(chunk, final)):
            if frame.event == "end":
                self.ended = True
                end = _json_object(frame.data)
                self.reason = f"end:{end.get('reason', 'unknown')}"
                cursor = end.get("cursor")
                self.end_cursor = cursor if isinstance(cursor, str) and cursor else None
                break
            value = _json_object(frame.data)
            if "cursor" not in value or "op" not in value:
                raise DecodeError(f"a change event (id {frame.id}) is not an event: {frame.data[:100]}")
            self.events += 1
            out.append((cast(ChangeEvent, value), frame.id))
        return out


def _json_object(text: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


class _Resume:
    """Where a stream is, and how long to wait before its next connection."""

    def __init__(
        self,
        project: str,
        since: str | None,
        collections: Sequence[str] | None,
        filter: Filter | None,
        include_item: bool,
        on_reconnect: OnReconnect | None,
    ) -> None:
        routes.changes_query(since, collections, filter, include_item)  # checked now
        self.project = project
        self.since = since
        self.collections = collections
        self.filter = filter
        self.include_item = include_item
        self.on_reconnect = on_reconnect
        self.last_event_id: str | None = None
        self.retry = 1.0
        #: Connections in a row that brought no event.
        self.barren = 0

    def call(self) -> Call[Response]:
        since = self.last_event_id if self.last_event_id is not None else self.since
        # The header wins on the server; `since` is there for proxies that drop it.
        path = routes.changes_path(self.project) + routes.changes_query(
            since, self.collections, self.filter, self.include_item
        )
        headers = {"Accept": "text/event-stream"}
        if self.last_event_id is not None:
            headers["Last-Event-ID"] = self.last_event_id
        return Call("GET", path, lambda r: r, headers=headers)

    def saw(self, event_id: str) -> None:
        if event_id:
            self.last_event_id = event_id

    def after(self, conn: _Connection, policy: RetryPolicy) -> float:
        """Seconds to wait before reconnecting after ``conn``, reported to the hook."""
        self.saw(conn.parser.last_event_id)
        if conn.end_cursor is not None:
            self.last_event_id = conn.end_cursor
        if conn.parser.retry_ms is not None:
            self.retry = conn.parser.retry_ms / 1000
        self.barren = 0 if conn.events else self.barren + 1
        # `event: end` asks for a reconnect now; a drop waits the server's `retry`. Both
        # grow with the backoff while connections keep ending without an event.
        backoff = min(max(self.barren - 1, 0), 30)
        delay = 0.0 if conn.ended and self.barren <= 1 else policy.delay(backoff, self.retry)
        if self.on_reconnect is not None:
            self.on_reconnect(ReconnectInfo(conn.reason, self.last_event_id, delay))
        return delay


class ChangeStream:
    """A live, self-resuming stream of change events: ``for event in stream``.
    ``last_event_id`` is where it is (to resume later with ``since=``); ``close()``, or
    leaving a ``with`` block, ends it."""

    def __init__(self, client: Client, resume: _Resume) -> None:
        self._client = client
        self._resume = resume
        self._events = self._run()

    @property
    def last_event_id(self) -> str | None:
        return self._resume.last_event_id

    def __iter__(self) -> Iterator[ChangeEvent]:
        return self

    def __next__(self) -> ChangeEvent:
        return next(self._events)

    def close(self) -> None:
        self._events.close()

    def __enter__(self) -> ChangeStream:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _run(self) -> Generator[ChangeEvent, None, None]:
        resume = self._resume
        while True:
            opened = self._client._open_stream(resume.call())
            if isinstance(opened, Response):
                raise opened.error()
            conn = _Connection(resume.last_event_id)
            try:
                for chunk in opened.iter_bytes():
                    for event, event_id in conn.feed(chunk):
                        resume.saw(event_id)
                        yield event
                    if conn.ended:
                        break
                else:
                    conn.feed(b"", final=True)
            except httpx.TransportError as e:
                conn.reason = describe(e)
            finally:
                opened.close()
            delay = resume.after(conn, self._client.retry_policy)
            if delay > 0:
                self._client._sleep(delay)


class AsyncChangeStream:
    """The asyncio twin of `ChangeStream`: ``async for event in stream``; ``aclose()``,
    or leaving an ``async with`` block, ends it."""

    def __init__(self, client: AsyncClient, resume: _Resume) -> None:
        self._client = client
        self._resume = resume
        self._events = self._run()

    @property
    def last_event_id(self) -> str | None:
        return self._resume.last_event_id

    def __aiter__(self) -> AsyncIterator[ChangeEvent]:
        return self

    async def __anext__(self) -> ChangeEvent:
        return await self._events.__anext__()

    async def aclose(self) -> None:
        await self._events.aclose()

    async def __aenter__(self) -> AsyncChangeStream:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def _run(self) -> AsyncGenerator[ChangeEvent, None]:
        resume = self._resume
        while True:
            opened = await self._client._open_stream(resume.call())
            if isinstance(opened, Response):
                raise opened.error()
            conn = _Connection(resume.last_event_id)
            try:
                async for chunk in opened.aiter_bytes():
                    for event, event_id in conn.feed(chunk):
                        resume.saw(event_id)
                        yield event
                    if conn.ended:
                        break
                else:
                    conn.feed(b"", final=True)
            except httpx.TransportError as e:
                conn.reason = describe(e)
            finally:
                await opened.aclose()
            delay = resume.after(conn, self._client.retry_policy)
            if delay > 0:
                await self._client._sleep(delay)
