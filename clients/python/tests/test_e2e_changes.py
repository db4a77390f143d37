"""The change feed (§9) against the real server. The feed is being built on another
branch: until the server has it, ``/changes`` answers 404 and these tests skip, loudly."""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator

import httpx
import pytest

from depot_client import ChangeEvent, Client, field

from depot_bin import ADMIN_ID, ADMIN_SECRET, running_depot


@pytest.fixture(scope="module")
def depot(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Client]:
    with running_depot(tmp_path_factory.mktemp("depot-feed")) as url:
        with Client(url, client_id=ADMIN_ID, client_secret=ADMIN_SECRET) as client:
            client.create_project("feed")
            client.create_collection("feed", "notes")
            if client.request("GET", "/v1/projects/feed/changes").status == 404:
                why = "the server answers 404 for /v1/projects/{p}/changes: the change feed is not merged yet"
                print(f"\n*** SKIPPING the change-feed e2e tests: {why} ***", file=sys.stderr)
                pytest.skip(why)
            yield client


def test_a_stream_sees_each_write_once_in_order_and_poll_agrees(depot: Client) -> None:
    start = depot.poll_changes("feed", limit=1)["next_cursor"]
    got: list[ChangeEvent] = []
    stream = depot.stream_changes("feed", since=start, include_item=True)

    def read() -> None:
        for e in stream:
            got.append(e)
            if len(got) == 4:
                return

    reader = threading.Thread(target=read)
    reader.start()
    a = depot.create_item("feed", "notes", {"title": "a"})
    b = depot.create_item("feed", "notes", {"title": "b"})
    depot.patch_item("feed", "notes", a["id"], {"title": "a2"})
    depot.delete_item("feed", "notes", b["id"])
    reader.join(30)
    stream.close()
    assert [(e["op"], e.get("id")) for e in got] == [
        ("create", a["id"]),
        ("create", b["id"]),
        ("update", a["id"]),
        ("delete", b["id"]),
    ]
    assert got[2]["item"]["title"] == "a2"
    page = depot.poll_changes("feed", since=start, filter=field("title").eq("a2"), include_item=True)
    assert [e["op"] for e in page["data"]] == ["update"]
    everything = depot.poll_changes("feed", since=start, collections=["notes"])
    assert [e["cursor"] for e in everything["data"]] == [e["cursor"] for e in got]


def test_a_ticket_opens_one_stream_without_a_token_once(depot: Client) -> None:
    url = depot.event_source_url("feed", since="oldest")
    headers = {"Accept": "text/event-stream"}
    with httpx.stream("GET", url, headers=headers) as first:
        assert first.status_code == 200
        assert first.headers["content-type"].startswith("text/event-stream")
    assert httpx.get(url, headers=headers).status_code == 401
