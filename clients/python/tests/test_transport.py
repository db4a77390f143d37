"""Failures without an answer, timeouts, cancellation, and the log line per retry."""

from __future__ import annotations

import asyncio
import logging
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from depot_client import AsyncClient, Client, RetryEvent, RetryPolicy, TransportError, Unavailable

from scripted import scripted


@contextmanager
def silent_server() -> Iterator[str]:
    """A socket that accepts connections (the kernel's backlog does) and never answers."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(16)
        host, port = sock.getsockname()
        yield f"http://{host}:{port}"


def closed_port() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        host, port = sock.getsockname()
    return f"http://{host}:{port}"


def test_a_refused_connection_is_retried_then_raised_as_a_transport_error() -> None:
    events: list[RetryEvent] = []
    with (
        Client(
            closed_port(), retry_policy=RetryPolicy(base=0.001, cap=0.01, max_retries=2), on_retry=events.append
        ) as c,
        pytest.raises(TransportError) as caught,
    ):
        c.list_projects()
    assert caught.value.status is None
    assert "transport error" in str(caught.value)
    assert [e.reason.kind for e in events] == ["transport", "transport"]


def test_a_sync_call_is_bounded_by_its_timeout() -> None:
    with silent_server() as url, Client(url, token="t", timeout=0.3, max_retries=0) as c:
        started = time.monotonic()
        with pytest.raises(TransportError, match=r"(?i)timed out"):
            c.get_project("p")
        assert time.monotonic() - started < 2.0


def test_with_options_changes_the_timeout_and_policy_but_shares_the_budget() -> None:
    with silent_server() as url, Client(url, token="t", max_retries=3) as c:
        quick = c.with_options(timeout=0.2, max_retries=0)
        assert (quick.retry_policy.max_retries, c.retry_policy.max_retries) == (0, 3)
        assert quick.retry_budget is c.retry_budget
        with pytest.raises(TransportError):
            quick.get_project("p")


def test_cancelling_the_task_stops_a_call_sleeping_before_a_retry() -> None:
    busy = {"status": 503, "headers": {"Retry-After": "10"}, "json": {"code": 503, "message": "busy"}}

    async def cancel_midway(url: str) -> float:
        async with AsyncClient(url, token="t") as c:
            task = asyncio.create_task(c.get_project("p"))
            await asyncio.sleep(0.3)
            started = time.monotonic()
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            return time.monotonic() - started

    with scripted([busy], repeat_last=True) as (url, script):
        assert asyncio.run(cancel_midway(url)) < 0.5
    assert len(script.seen) == 1, "cancelled during the 10 s wait, before a second attempt"


def test_cancelling_the_task_stops_a_call_waiting_for_an_answer() -> None:
    async def cancel_midway(url: str) -> None:
        async with AsyncClient(url, token="t") as c:
            with pytest.raises(asyncio.TimeoutError):  # TimeoutError from 3.11 on
                await asyncio.wait_for(c.get_project("p"), timeout=0.3)

    with silent_server() as url:
        started = time.monotonic()
        asyncio.run(cancel_midway(url))
        assert time.monotonic() - started < 2.0


def test_every_retry_is_a_log_line(caplog: pytest.LogCaptureFixture) -> None:
    busy = {"status": 503, "headers": {"Retry-After": "0"}, "json": {"code": 503, "message": "busy"}}
    caplog.set_level(logging.INFO, logger="depot_client")
    with scripted([busy], repeat_last=True) as (url, _):
        with Client(url, token="t", retry_policy=RetryPolicy(base=0.001, cap=0.01, max_retries=2)) as c:
            with pytest.raises(Unavailable):
                c.list_projects()
    lines = [r.getMessage() for r in caplog.records if r.name == "depot_client"]
    assert len(lines) == 3
    assert lines[0].startswith("GET /v1/projects: 503, retrying in 0.0 s (1/2)")
    assert lines[1].startswith("GET /v1/projects: 503, retrying in 0.0 s (2/2)")
    assert lines[2] == "GET /v1/projects: 503, not retrying: max retries reached"
    assert isinstance(caplog.records[0].__dict__["depot_retry"], RetryEvent)


def test_closing_a_derived_client_leaves_the_shared_pool_open() -> None:
    ok = {"status": 200, "json": {"status": "ok"}}
    with scripted([ok], repeat_last=True) as (url, _), Client(url) as c:
        with c.with_options(max_retries=0) as derived:
            derived.healthz()
        assert c.healthz() == {"status": "ok"}
