"""Tokens on the wire: client credentials form-encoded inside HTTP Basic, one token
fetched and cached, refreshed before expiry and once after a 401; a static token sent
as is."""

from __future__ import annotations

import asyncio
import base64
import uuid
from typing import Any

import pytest

from depot_client import AsyncClient, Client, RetryEvent, RetryPolicy, Unauthorized

from scripted import VirtualTime, scripted

FAST = RetryPolicy(base=0.001, cap=0.01)
PROJECT = {"name": "notes", "metadata": {}, "created_at": "x", "updated_at": "x"}
OK_PROJECT = {"status": 200, "json": PROJECT}


def busy(retry_after: str = "0") -> dict[str, Any]:
    return {"status": 503, "headers": {"Retry-After": retry_after}, "json": {"code": 503, "message": "busy"}}


def error(status: int, message: str) -> dict[str, Any]:
    return {"status": status, "json": {"code": status, "message": message}}


def test_a_post_retried_through_503s_keeps_one_key_and_one_token() -> None:
    answers = [busy(), busy(), {"status": 201, "headers": {"Location": "/v1/projects/notes"}, "json": PROJECT}]
    events: list[RetryEvent] = []
    with scripted(answers) as (url, script):
        with Client(url, client_id="id", client_secret="s+cr%t", retry_policy=FAST, on_retry=events.append) as c:
            assert c.create_project("notes")["name"] == "notes"
    keys = {s.headers["idempotency-key"] for s in script.seen}
    assert len(script.seen) == 3
    assert len(keys) == 1, "one key for every attempt"
    assert uuid.UUID(keys.pop()).version == 4
    assert {s.headers["authorization"] for s in script.seen} == {"Bearer tok-1"}
    [token] = script.token_requests
    # RFC 6749 §2.3.1: id and secret are form-encoded, then put in HTTP Basic.
    assert token.headers["authorization"] == "Basic " + base64.b64encode(b"id:s%2Bcr%25t").decode()
    assert token.headers["authorization"] == "Basic aWQ6cyUyQmNyJTI1dA=="
    assert token.headers["content-type"] == "application/x-www-form-urlencoded"
    assert token.body == b"grant_type=client_credentials"
    assert "idempotency-key" not in token.headers
    assert [(e.attempt, e.max_retries, e.reason.status, e.path) for e in events] == [
        (1, 5, 503, "/v1/projects"),
        (2, 5, 503, "/v1/projects"),
    ]


def test_a_scope_is_asked_for_in_the_form() -> None:
    with scripted([OK_PROJECT]) as (url, script):
        with Client(url, client_id="id", client_secret="s", scope="project:notes:read") as c:
            c.get_project("notes")
    assert script.token_requests[0].body == b"grant_type=client_credentials&scope=project%3Anotes%3Aread"


def test_a_401_fetches_a_new_token_once_and_resends_with_the_same_key() -> None:
    answers = [error(401, "token revoked"), {"status": 201, "json": PROJECT}]
    with scripted(answers) as (url, script), Client(url, client_id="id", client_secret="s") as c:
        c.create_project("notes")
    assert [s.headers["authorization"] for s in script.seen] == ["Bearer tok-1", "Bearer tok-2"]
    assert len({s.headers["idempotency-key"] for s in script.seen}) == 1
    assert len(script.token_requests) == 2


def test_a_second_401_after_the_refresh_is_raised() -> None:
    answers = [error(401, "no"), error(401, "still no")]
    with scripted(answers) as (url, script), Client(url, client_id="id", client_secret="s") as c:
        with pytest.raises(Unauthorized, match="still no") as caught:
            c.get_project("notes")
    assert caught.value.status == 401
    assert (len(script.seen), len(script.token_requests)) == (2, 2)


def test_a_static_token_is_sent_as_is_and_never_refreshed() -> None:
    with scripted([error(401, "expired")]) as (url, script), Client(url, token="abc") as c:
        with pytest.raises(Unauthorized):
            c.list_projects()
    assert [s.headers["authorization"] for s in script.seen] == ["Bearer abc"]
    assert not script.token_requests


def test_a_token_is_reused_until_shortly_before_it_expires() -> None:
    time = VirtualTime()
    with scripted([OK_PROJECT], repeat_last=True) as (url, script):
        with Client(url, client_id="id", client_secret="s", clock=time.clock, sleep=time.sleep) as c:
            c.get_project("notes")
            time.now += 3569  # expires_in 3600: refreshed 30 s (a tenth, at most 30 s) early
            c.get_project("notes")
            time.now += 1
            c.get_project("notes")
    assert [s.headers["authorization"] for s in script.seen] == ["Bearer tok-1", "Bearer tok-1", "Bearer tok-2"]


def test_concurrent_async_calls_wait_for_one_token_fetch() -> None:
    async def many(url: str) -> None:
        async with AsyncClient(url, client_id="id", client_secret="s") as c:
            await asyncio.gather(*(c.get_project("notes") for _ in range(10)))

    with scripted([OK_PROJECT], repeat_last=True) as (url, script):
        asyncio.run(many(url))
    assert len(script.token_requests) == 1
    assert {s.headers["authorization"] for s in script.seen} == {"Bearer tok-1"}


def test_logout_revokes_the_cached_token_and_forgets_it() -> None:
    answers = [{"status": 200, "json": {"data": [], "next_cursor": None}}, {"status": 200, "json": {}}]
    with scripted(answers) as (url, script), Client(url, client_id="id", client_secret="s") as c:
        c.list_projects()
        c.logout()
        assert c.access_token() == "tok-2", "the revoked token was forgotten"
    revoke = script.seen[1]
    assert (revoke.method, revoke.path, revoke.body) == ("POST", "/oauth/revoke", b"token=tok-1")
    assert revoke.headers["authorization"].startswith("Basic ")
    assert "idempotency-key" not in revoke.headers


def test_issue_token_gets_a_fresh_token_without_touching_the_cache() -> None:
    with scripted([]) as (url, script), Client(url, client_id="id", client_secret="s") as c:
        assert c.access_token() == "tok-1"
        assert c.issue_token(scope="admin")["access_token"] == "tok-2"
        assert c.access_token() == "tok-1"
    assert script.token_requests[1].body == b"grant_type=client_credentials&scope=admin"


def test_oauth_calls_need_client_credentials() -> None:
    with Client("http://127.0.0.1:9", token="t") as c, pytest.raises(ValueError, match="client credentials"):
        c.revoke_token("t")
    with Client("http://127.0.0.1:9") as c:
        assert c.access_token() is None
