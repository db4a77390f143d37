"""A first session with depot: a project, a collection with a schema, an item, a
conditional update, and what an error looks like.

    DEPOT_URL=http://127.0.0.1:8080 DEPOT_CLIENT_ID=admin DEPOT_CLIENT_SECRET=... \
        python examples/quickstart.py
"""

from __future__ import annotations

import logging
import os
import uuid

from depot_client import Client, MissingFields, PreconditionFailed, RetryEvent, RetryPolicy, etag


def main() -> None:
    # Every retry is logged on the "depot_client" logger ("503, retrying in 1.3 s (2/5)").
    logging.basicConfig(level=logging.INFO, format="%(name)s: %(message)s")
    retries: list[RetryEvent] = []
    with Client(
        os.environ.get("DEPOT_URL", "http://127.0.0.1:8080"),
        client_id=os.environ["DEPOT_CLIENT_ID"],
        client_secret=os.environ["DEPOT_CLIENT_SECRET"],
        retry_policy=RetryPolicy(max_retries=3, deadline=30.0),
        on_retry=retries.append,
    ) as depot:
        project = f"demo-{uuid.uuid4().hex[:8]}"
        depot.create_project(project, metadata={"owner": "quickstart"})
        schema = {"type": "object", "required": ["title"], "properties": {"title": {"type": "string"}}}
        depot.create_collection(project, "todo", schema=schema)

        item = depot.create_item(project, "todo", {"title": "buy milk", "done": False})
        print("created", item["id"], "version", item["version"])

        updated = depot.patch_item(project, "todo", item["id"], {"done": True}, if_match=etag(item))
        print("patched to version", updated["version"])
        try:
            # The ETag we hold is stale now: the server refuses rather than overwrite.
            depot.replace_item(project, "todo", item["id"], {"title": "oops"}, if_match=etag(item))
        except PreconditionFailed as e:
            print("stale write refused:", e)
        try:
            depot.create_item(project, "todo", {"done": True})
        except MissingFields as e:
            print("missing:", e.missing)

        print("items:", [i["title"] for i in depot.iter_items(project, "todo")])
        depot.delete_project(project)
    print(f"{len(retries)} retries")


if __name__ == "__main__":
    main()
