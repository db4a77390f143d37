"""The client against the real depot binary: proof that client and server agree on the
wire, and that a 503 flood loses and duplicates nothing."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from depot_client import (
    AsyncClient,
    Client,
    DepotError,
    IdempotencyMismatch,
    MissingFields,
    NotFound,
    PreconditionFailed,
    RetryBudget,
    RetryEvent,
    RetryPolicy,
    Unauthorized,
    ValidationFailed,
    etag,
)

from depot_bin import ADMIN_ID, ADMIN_SECRET, running_depot

SCHEMA = {
    "type": "object",
    "required": ["title"],
    "properties": {"title": {"type": "string"}, "n": {"type": "integer"}},
}


@pytest.fixture(scope="module")
def depot_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with running_depot(tmp_path_factory.mktemp("depot-data")) as url:
        yield url


@pytest.fixture
def depot(depot_url: str) -> Iterator[Client]:
    with Client(depot_url, client_id=ADMIN_ID, client_secret=ADMIN_SECRET) as client:
        yield client


def fresh_project(depot: Client) -> str:
    name = f"p-{uuid.uuid4().hex[:12]}"
    depot.create_project(name, metadata={"by": "e2e"})
    depot.create_collection(name, "todo", schema=SCHEMA)
    return name


def test_a_project_collection_and_item_round_trip(depot: Client) -> None:
    project = fresh_project(depot)
    assert depot.get_project(project)["metadata"] == {"by": "e2e"}
    assert depot.get_collection(project, "todo")["schema"] == SCHEMA
    assert depot.update_project(project, {"tier": 2})["metadata"] == {"tier": 2}

    item = depot.create_item(project, "todo", {"title": "buy milk", "n": 1})
    assert (item["title"], item["version"]) == ("buy milk", 1)
    assert depot.get_item(project, "todo", item["id"]) == item
    assert depot.get_item_if_changed(project, "todo", item["id"], etag(item)) is None

    replaced = depot.replace_item(project, "todo", item["id"], {"title": "buy oat milk"}, if_match=etag(item))
    assert (replaced["version"], "n" in replaced) == (2, False)
    patched = depot.patch_item(project, "todo", item["id"], {"n": 5}, if_match=replaced["version"])
    assert (patched["version"], patched["n"], patched["title"]) == (3, 5, "buy oat milk")
    assert depot.get_item_if_changed(project, "todo", item["id"], etag(item)) == patched

    assert [i["id"] for i in depot.iter_items(project, "todo", page_size=1)] == [item["id"]]
    assert project in {p["name"] for p in depot.iter_projects(page_size=100)}
    depot.delete_item(project, "todo", item["id"], if_match=etag(patched))
    with pytest.raises(NotFound):
        depot.get_item(project, "todo", item["id"])
    depot.delete_project(project)
    with pytest.raises(NotFound):
        depot.get_project(project)


def test_a_stale_if_match_is_a_412_and_changes_nothing(depot: Client) -> None:
    project = fresh_project(depot)
    item = depot.create_item(project, "todo", {"title": "a"})
    depot.patch_item(project, "todo", item["id"], {"title": "b"}, if_match=etag(item))
    with pytest.raises(PreconditionFailed) as caught:
        depot.replace_item(project, "todo", item["id"], {"title": "c"}, if_match=etag(item))
    assert caught.value.status == 412
    assert caught.value.request_id
    assert depot.get_item(project, "todo", item["id"])["title"] == "b"


def test_missing_required_fields_are_a_406_with_pointers(depot: Client) -> None:
    project = fresh_project(depot)
    with pytest.raises(MissingFields) as caught:
        depot.create_item(project, "todo", {"n": 1})
    assert caught.value.missing == ["/title"]
    with pytest.raises(ValidationFailed) as invalid:
        depot.create_item(project, "todo", {"title": "x", "n": "one"})
    assert [e["pointer"] for e in invalid.value.errors] == ["/n"]


def test_an_idempotent_post_replayed_gives_the_same_answer_and_one_item(depot: Client) -> None:
    project = fresh_project(depot)
    key = f"key-{uuid.uuid4()}"
    first = depot.create_item(project, "todo", {"title": "once"}, idempotency_key=key)
    again = depot.create_item(project, "todo", {"title": "once"}, idempotency_key=key)
    assert again == first
    raw = depot.request("POST", f"/v1/projects/{project}/collections/todo/items", json={"title": "once"},
                        idempotency_key=key)  # fmt: skip
    assert (raw.status, raw.json(), raw.headers.get("idempotent-replayed")) == (201, first, "true")
    assert len(depot.list_items(project, "todo")["data"]) == 1
    with pytest.raises(IdempotencyMismatch):
        depot.create_item(project, "todo", {"title": "other"}, idempotency_key=key)


def test_clients_maintenance_and_tokens(depot: Client, depot_url: str) -> None:
    project = fresh_project(depot)
    bot = depot.create_client("e2e bot", [f"project:{project}:read"])
    secret = bot.get("client_secret")
    assert secret
    assert depot.get_client(bot["client_id"])["scopes"] == [f"project:{project}:read"]
    assert not depot.get_client(bot["client_id"]).get("client_secret"), "the secret is shown once"
    with Client(depot_url, client_id=bot["client_id"], client_secret=secret) as reader:
        assert reader.list_items(project, "todo")["data"] == []
        reader.logout()
        assert reader.list_items(project, "todo")["data"] == [], "a new token after logout"
    depot.delete_client(bot["client_id"])
    with Client(depot_url, client_id=bot["client_id"], client_secret=secret) as gone, pytest.raises(Unauthorized):
        gone.list_projects()

    before = depot.get_maintenance()
    assert depot.set_maintenance(True, retry_after=1) == {"enabled": True, "retry_after": 1}
    try:
        quick = depot.with_options(retry_policy=RetryPolicy(base=0.01, cap=0.05, max_retries=1))
        with pytest.raises(DepotError) as caught:
            quick.create_item(project, "todo", {"title": "during maintenance"})
        assert caught.value.status == 503
    finally:
        depot.set_maintenance(before["enabled"])
    assert depot.healthz() == {"status": "ok"}
    assert depot.readyz()["status"] == "ready"
    assert "/v1/projects" in depot.openapi_document()["paths"]


def test_a_503_flood_loses_and_duplicates_nothing(tmp_path: Path) -> None:
    """At one request in flight and no queueing, most of 40 concurrent creates get 503s
    at first; each is retried until it succeeds or its retries run out, and the items
    stored are exactly the successes."""
    with running_depot(tmp_path, "--max-in-flight", "1", "--queue-timeout-ms", "0") as url:
        results, events = asyncio.run(flood(url, 40))
        created = [r for r in results if isinstance(r, dict)]
        failed = [r for r in results if not isinstance(r, dict)]
        assert all(isinstance(f, DepotError) and f.status == 503 for f in failed), failed
        assert created, "nothing got through"
        assert any(e.reason.status == 503 for e in events), "the flood caused no 503"
        with Client(url, client_id=ADMIN_ID, client_secret=ADMIN_SECRET, max_retries=50) as admin:
            stored = list(admin.iter_items("flood", "things", page_size=1000))
    assert sorted(i["id"] for i in stored) == sorted(i["id"] for i in created)
    assert sorted(i["n"] for i in stored) == sorted(i["n"] for i in created), "no duplicates"


async def flood(url: str, n: int) -> tuple[list[Any], list[RetryEvent]]:
    events: list[RetryEvent] = []
    policy = RetryPolicy(base=0.005, cap=0.05, max_retries=100, deadline=60.0)
    async with AsyncClient(
        url,
        client_id=ADMIN_ID,
        client_secret=ADMIN_SECRET,
        retry_policy=policy,
        retry_budget=RetryBudget.unlimited(),
        on_retry=events.append,
    ) as depot:
        await depot.create_project("flood")
        await depot.create_collection("flood", "things")
        calls = [depot.create_item("flood", "things", {"n": i}) for i in range(n)]
        results = await asyncio.gather(*calls, return_exceptions=True)
    return list(results), events


def test_the_quickstart_example_runs(depot_url: str) -> None:
    example = Path(__file__).resolve().parents[1] / "examples" / "quickstart.py"
    env = {**os.environ, "DEPOT_URL": depot_url, "DEPOT_CLIENT_ID": ADMIN_ID, "DEPOT_CLIENT_SECRET": ADMIN_SECRET}
    done = subprocess.run([sys.executable, str(example)], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "stale write refused: 412" in done.stdout
    assert "missing: ['/title']" in done.stdout
