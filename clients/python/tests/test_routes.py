"""Every typed method, on both clients, sends its route's method, path, query, body and
headers, and decodes the answer the contract promises."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

from depot_client import AsyncClient, Client, DecodeError, etag

from scripted import scripted

AT = "2024-01-01T00:00:00Z"
PROJECT = {"name": "p", "metadata": {"k": 1}, "created_at": AT, "updated_at": AT}
COLLECTION = {"project": "p", "name": "c", "schema": None, "created_at": AT, "updated_at": AT}
ITEM_ID = "01a2453b-d662-75a6-9878-729bba750c55"
ITEM = {"id": ITEM_ID, "version": 3, "created_at": AT, "updated_at": AT, "title": "x"}
OAUTH_CLIENT = {
    "client_id": "cid",
    "name": "bot",
    "scopes": ["admin"],
    "created_at": AT,
    "rate_limit": None,
    "client_secret": "s3",
}
LIMITED_CLIENT = {**OAUTH_CLIENT, "rate_limit": {"per_second": 0.5, "burst": 1}}
DELETED = {"code": 200, "message": "deleted"}
ITEMS = "/v1/projects/p/collections/c/items"
JSON = "application/json"


def page(entry: dict[str, Any]) -> dict[str, Any]:
    return {"data": [entry], "next_cursor": None}


@dataclass
class Case:
    name: str
    call: Callable[[Any], Any]
    method: str
    path: str
    answer: Any
    body: Any = None
    content_type: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    status: int = 200
    result: Any = "same as answer"


CASES = [
    Case("list_projects", lambda c: c.list_projects(limit=2, cursor="a b+"), "GET",
         "/v1/projects?limit=2&cursor=a%20b%2B", page(PROJECT)),
    Case("create_project", lambda c: c.create_project("p", metadata={"k": 1}), "POST", "/v1/projects",
         PROJECT, {"name": "p", "metadata": {"k": 1}}, JSON, status=201),
    Case("get_project", lambda c: c.get_project("p"), "GET", "/v1/projects/p", PROJECT),
    Case("update_project", lambda c: c.update_project("p", {"k": 1}), "PUT", "/v1/projects/p", PROJECT,
         {"metadata": {"k": 1}}, JSON),
    Case("delete_project", lambda c: c.delete_project("p"), "DELETE", "/v1/projects/p", DELETED, result=None),
    Case("list_collections", lambda c: c.list_collections("p"), "GET", "/v1/projects/p/collections",
         page(COLLECTION)),
    Case("create_collection", lambda c: c.create_collection("p", "c", schema={"type": "object"}), "POST",
         "/v1/projects/p/collections", COLLECTION, {"name": "c", "schema": {"type": "object"}}, JSON, status=201),
    Case("get_collection", lambda c: c.get_collection("p", "c"), "GET", "/v1/projects/p/collections/c",
         COLLECTION),
    Case("update_collection", lambda c: c.update_collection("p", "c", schema=None), "PUT",
         "/v1/projects/p/collections/c", COLLECTION, {"schema": None}, JSON),
    Case("delete_collection", lambda c: c.delete_collection("p", "c"), "DELETE", "/v1/projects/p/collections/c",
         DELETED, result=None),
    Case("list_items", lambda c: c.list_items("p", "c", limit=10), "GET", f"{ITEMS}?limit=10", page(ITEM)),
    Case("create_item", lambda c: c.create_item("p", "c", {"title": "x"}), "POST", ITEMS, ITEM,
         {"title": "x"}, JSON, status=201),
    Case("get_item", lambda c: c.get_item("p", "c", ITEM_ID), "GET", f"{ITEMS}/{ITEM_ID}", ITEM),
    Case("get_item_if_changed", lambda c: c.get_item_if_changed("p", "c", ITEM_ID, etag(ITEM)), "GET",
         f"{ITEMS}/{ITEM_ID}", ITEM, headers={"if-none-match": '"3"'}),
    Case("replace_item", lambda c: c.replace_item("p", "c", ITEM_ID, {"title": "y"}, if_match=3), "PUT",
         f"{ITEMS}/{ITEM_ID}", ITEM, {"title": "y"}, JSON, headers={"if-match": '"3"'}),
    Case("patch_item", lambda c: c.patch_item("p", "c", ITEM_ID, {"title": None}, if_match='W/"3"'), "PATCH",
         f"{ITEMS}/{ITEM_ID}", ITEM, {"title": None}, "application/merge-patch+json", headers={"if-match": 'W/"3"'}),
    Case("delete_item", lambda c: c.delete_item("p", "c", ITEM_ID, if_match='"3"'), "DELETE",
         f"{ITEMS}/{ITEM_ID}", DELETED, headers={"if-match": '"3"'}, result=None),
    Case("list_clients", lambda c: c.list_clients(cursor="x"), "GET", "/v1/clients?cursor=x", page(OAUTH_CLIENT)),
    Case("create_client", lambda c: c.create_client("bot", ["admin"]), "POST", "/v1/clients", OAUTH_CLIENT,
         {"name": "bot", "scopes": ["admin"]}, JSON, status=201),
    Case("create_client with a rate limit",
         lambda c: c.create_client("bot", ["admin"], rate_limit={"per_second": 0.5}), "POST", "/v1/clients",
         LIMITED_CLIENT, {"name": "bot", "scopes": ["admin"], "rate_limit": {"per_second": 0.5}}, JSON, status=201),
    Case("get_client", lambda c: c.get_client("c/d"), "GET", "/v1/clients/c%2Fd", OAUTH_CLIENT),
    Case("delete_client", lambda c: c.delete_client("cid"), "DELETE", "/v1/clients/cid", DELETED, result=None),
    Case("get_maintenance", lambda c: c.get_maintenance(), "GET", "/v1/admin/maintenance",
         {"enabled": False, "retry_after": 30}),
    Case("set_maintenance", lambda c: c.set_maintenance(True, retry_after=5), "PUT", "/v1/admin/maintenance",
         {"enabled": True, "retry_after": 5}, {"enabled": True, "retry_after": 5}, JSON),
    Case("set_maintenance without retry_after", lambda c: c.set_maintenance(False), "PUT",
         "/v1/admin/maintenance", {"enabled": False, "retry_after": 5}, {"enabled": False}, JSON),
    Case("healthz", lambda c: c.healthz(), "GET", "/healthz", {"status": "ok"}),
    Case("readyz", lambda c: c.readyz(), "GET", "/readyz", {"status": "ready"}),
    Case("openapi_document", lambda c: c.openapi_document(), "GET", "/openapi.json", {"openapi": "3.1.0", "paths": {}}),
]  # fmt: skip


async def call_async(case: Case, url: str) -> Any:
    async with AsyncClient(url, token="t") as client:
        return await case.call(client)


@pytest.mark.parametrize("flavor", ["sync", "async"])
@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_a_typed_method_sends_its_route_and_decodes_the_answer(case: Case, flavor: str) -> None:
    with scripted([{"status": case.status, "json": case.answer}]) as (url, script):
        if flavor == "sync":
            with Client(url, token="t") as client:
                result = case.call(client)
        else:
            result = asyncio.run(call_async(case, url))
    assert result == (case.answer if case.result == "same as answer" else case.result)
    [seen] = script.seen
    assert (seen.method, seen.path) == (case.method, case.path)
    assert (seen.json() if seen.body else None) == case.body
    assert seen.headers.get("content-type") == case.content_type
    for name, value in case.headers.items():
        assert seen.headers.get(name) == value
    anonymous = case.path in ("/healthz", "/readyz", "/openapi.json")
    assert seen.headers.get("authorization") == (None if anonymous else "Bearer t")
    assert ("idempotency-key" in seen.headers) == (case.method == "POST")
    assert seen.headers["accept"] == "application/json"
    assert seen.headers["user-agent"].startswith("depot-client-python/")


def test_a_304_to_if_none_match_is_none() -> None:
    with scripted([{"status": 304, "headers": {"ETag": '"3"'}}]) as (url, _), Client(url, token="t") as client:
        assert client.get_item_if_changed("p", "c", ITEM_ID, 3) is None


def test_iterating_follows_next_cursor_to_the_end() -> None:
    pages = [
        {"status": 200, "json": {"data": [ITEM], "next_cursor": "n1"}},
        {"status": 200, "json": {"data": [], "next_cursor": "n2"}},
        {"status": 200, "json": {"data": [ITEM, ITEM], "next_cursor": None}},
    ]
    with scripted(pages) as (url, script), Client(url, token="t") as client:
        assert len(list(client.iter_items("p", "c", page_size=2))) == 3
    assert [s.path for s in script.seen] == [
        f"{ITEMS}?limit=2",
        f"{ITEMS}?limit=2&cursor=n1",
        f"{ITEMS}?limit=2&cursor=n2",
    ]


def test_async_iteration_follows_next_cursor_too() -> None:
    pages = [
        {"status": 200, "json": {"data": [PROJECT], "next_cursor": "n1"}},
        {"status": 200, "json": {"data": [PROJECT], "next_cursor": None}},
    ]

    async def names(url: str) -> list[str]:
        async with AsyncClient(url, token="t") as client:
            return [p["name"] async for p in client.iter_projects()]

    with scripted(pages) as (url, script):
        assert asyncio.run(names(url)) == ["p", "p"]
    assert [s.path for s in script.seen] == ["/v1/projects", "/v1/projects?cursor=n1"]


@pytest.mark.parametrize(
    "answer",
    [{"status": 200, "json": ["not", "an", "object"]}, {"status": 200, "json": {"name": "p"}}],
    ids=["not an object", "members missing"],
)
def test_a_success_that_is_not_the_promised_resource_is_a_decode_error(answer: dict[str, Any]) -> None:
    with scripted([answer]) as (url, _), Client(url, token="t") as client, pytest.raises(DecodeError):
        client.get_project("p")


def test_a_raw_request_takes_any_method_path_and_headers() -> None:
    with scripted([{"status": 404, "json": {"code": 404, "message": "no"}}]) as (url, script):
        with Client(url, token="t") as client:
            response = client.request("post", "/v1/things?x=1", json=[1], headers={"X-Extra": "1"})
        assert (response.status, response.json()["message"], response.is_success) == (404, "no", False)
    [seen] = script.seen
    assert (seen.method, seen.path, seen.json(), seen.headers["x-extra"]) == ("POST", "/v1/things?x=1", [1], "1")
    with pytest.raises(ValueError, match="must start with /"), Client(url, token="t") as client:
        client.request("GET", "v1/projects")


def test_both_clients_offer_the_same_methods_with_the_same_parameters() -> None:
    def public(cls: type) -> dict[str, list[tuple[str, Any, Any]]]:
        out = {}
        for name, fn in inspect.getmembers(cls, inspect.isfunction):
            if not name.startswith("_") and name not in ("close", "aclose"):
                params = inspect.signature(fn).parameters.values()
                out[name] = [(p.name, p.kind, p.default) for p in params]
        return out

    sync, async_ = public(Client), public(AsyncClient)
    assert sync == async_
    assert all(
        inspect.iscoroutinefunction(getattr(AsyncClient, n))
        for n in async_
        if not n.startswith(("iter_", "with_", "stream_"))
    )
    assert all(inspect.isasyncgenfunction(getattr(AsyncClient, n)) for n in async_ if n.startswith("iter_"))


def test_the_client_checks_its_configuration() -> None:
    for bad in ("127.0.0.1:8080", "ftp://host", "http://host/?q=1", "http:///path"):
        with pytest.raises(ValueError, match="base URL"):
            Client(bad)
    with pytest.raises(ValueError, match="not both"):
        Client("http://h", token="t", client_id="i", client_secret="s")
    with pytest.raises(ValueError, match="go together"):
        Client("http://h", client_id="i")
    with pytest.raises(TypeError, match="JSON"):
        Client("http://h").create_item("p", "c", {"x": float("nan")})
    with pytest.raises(TypeError, match="list of scopes"):
        Client("http://h").create_client("bot", "admin")
    shown = repr(Client("http://h/", client_id="me", client_secret="hunter2"))
    assert "hunter2" not in shown
    assert "http://h " in shown
