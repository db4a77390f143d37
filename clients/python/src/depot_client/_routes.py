"""One `Call` builder per route of the OpenAPI document. Pure functions: both clients
run what these build, so a route's method, path, body and decoding are written once.
Query parameters are keyword-only on the public methods so that the §8 query
parameters (``filter``, ``sort``, ``fields``) can join them without breaking a caller.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, cast

from ._http import (
    Call,
    Response,
    decode_nothing,
    expect_object,
    expect_page,
    json_body,
    query,
    seg,
)
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
from .query import Filter, SortKey, fields_param, sort_param

_PROJECT = ("name", "metadata", "created_at", "updated_at")
_COLLECTION = ("project", "name", "schema", "created_at", "updated_at")
_ITEM = ("id", "created_at", "updated_at", "version")
_CLIENT = ("client_id", "name", "scopes", "created_at")

MERGE_PATCH = "application/merge-patch+json"
FORM = "application/x-www-form-urlencoded"


def _json_call(method: str, path: str, body: Any, decode: Any, **kw: Any) -> Call[Any]:
    return Call(method, path, decode, body=json_body(body), content_type="application/json", **kw)


def _project(r: Response) -> Project:
    return cast(Project, expect_object(r, _PROJECT))


def _collection(r: Response) -> Collection:
    return cast(Collection, expect_object(r, _COLLECTION))


def _item(r: Response) -> Item:
    return expect_object(r, _ITEM)


def _client(r: Response) -> OAuthClient:
    return cast(OAuthClient, expect_object(r, _CLIENT))


def _etag(value: str | int) -> str:
    """An ``If-Match`` value: an ETag as the server sent it, or an item's version."""
    return f'"{value}"' if isinstance(value, int) else value


def etag(item: Mapping[str, Any]) -> str:
    """The ETag of an item as read (its ``version``, quoted), for ``if_match``."""
    return _etag(int(item["version"]))


def _if_match(value: str | int | None) -> dict[str, str]:
    return {} if value is None else {"If-Match": _etag(value)}


def projects_path(name: str | None = None) -> str:
    return "/v1/projects" if name is None else f"/v1/projects/{seg(name)}"


def collections_path(project: str, name: str | None = None) -> str:
    base = f"{projects_path(project)}/collections"
    return base if name is None else f"{base}/{seg(name)}"


def items_path(project: str, collection: str, item_id: str | None = None) -> str:
    base = f"{collections_path(project, collection)}/items"
    return base if item_id is None else f"{base}/{seg(item_id)}"


# --- projects ---------------------------------------------------------------------


def list_projects(limit: int | None, cursor: str | None) -> Call[ProjectPage]:
    path = projects_path() + query(limit=limit, cursor=cursor)
    return Call("GET", path, lambda r: cast(ProjectPage, expect_page(r, _PROJECT)))


def create_project(name: str, metadata: Mapping[str, Any] | None, key: str | bool) -> Call[Project]:
    body: dict[str, Any] = {"name": name}
    if metadata is not None:
        body["metadata"] = dict(metadata)
    return _json_call("POST", projects_path(), body, _project, idempotency_key=key)


def get_project(name: str) -> Call[Project]:
    return Call("GET", projects_path(name), _project)


def update_project(name: str, metadata: Mapping[str, Any]) -> Call[Project]:
    return _json_call("PUT", projects_path(name), {"metadata": dict(metadata)}, _project)


def delete_project(name: str) -> Call[None]:
    return Call("DELETE", projects_path(name), decode_nothing)


# --- collections ------------------------------------------------------------------


def list_collections(project: str, limit: int | None, cursor: str | None) -> Call[CollectionPage]:
    path = collections_path(project) + query(limit=limit, cursor=cursor)
    return Call("GET", path, lambda r: cast(CollectionPage, expect_page(r, _COLLECTION)))


def create_collection(
    project: str, name: str, schema: JSONSchema | None, indexes: Sequence[str] | None, key: str | bool
) -> Call[Collection]:
    body: dict[str, Any] = {"name": name, "schema": schema}
    if indexes is not None:
        if isinstance(indexes, str):
            raise TypeError("indexes is a list of paths, not one string")
        body["indexes"] = list(indexes)
    return _json_call("POST", collections_path(project), body, _collection, idempotency_key=key)


def get_collection(project: str, name: str) -> Call[Collection]:
    return Call("GET", collections_path(project, name), _collection)


def update_collection(project: str, name: str, schema: JSONSchema | None) -> Call[Collection]:
    return _json_call("PUT", collections_path(project, name), {"schema": schema}, _collection)


def delete_collection(project: str, name: str) -> Call[None]:
    return Call("DELETE", collections_path(project, name), decode_nothing)


# --- items ------------------------------------------------------------------------


#: A sort as list_items takes it: keys, or paths with an optional leading ``-``.
SortSpec = SortKey | str | Sequence[SortKey | str]


def list_items(
    project: str,
    collection: str,
    limit: int | None,
    cursor: str | None,
    filter: Filter | None = None,
    sort: SortSpec | None = None,
    fields: Sequence[str] | None = None,
) -> Call[ItemPage]:
    q = query(
        filter=_filter(filter),
        sort=None if sort is None else sort_param(sort),
        fields=None if fields is None else fields_param(fields),
        limit=limit,
        cursor=cursor,
    )
    # With `fields`, an item holds only `id` of the server-owned members.
    required = _ITEM if fields is None else ("id",)
    return Call("GET", items_path(project, collection) + q, lambda r: cast(ItemPage, expect_page(r, required)))


def _filter(f: Filter | None) -> str | None:
    if f is None:
        return None
    if not isinstance(f, Filter):
        raise TypeError("filter is a Filter (depot_client.query.field(...)), not text")
    return str(f)


def count_items(project: str, collection: str, filter: Filter | None) -> Call[ItemCount]:
    path = f"{collections_path(project, collection)}/count" + query(filter=_filter(filter))
    return Call("GET", path, lambda r: cast(ItemCount, expect_object(r, ("count", "exact"))))


def create_item(project: str, collection: str, item: Mapping[str, Any], key: str | bool) -> Call[Item]:
    return _json_call("POST", items_path(project, collection), item, _item, idempotency_key=key)


def get_item(project: str, collection: str, item_id: str, fields: Sequence[str] | None = None) -> Call[Item]:
    if fields is None:
        return Call("GET", items_path(project, collection, item_id), _item)
    path = items_path(project, collection, item_id) + query(fields=fields_param(fields))
    return Call("GET", path, lambda r: expect_object(r, ("id",)))


def get_item_if_changed(project: str, collection: str, item_id: str, etags: str | int) -> Call[Item | None]:
    def decode(r: Response) -> Item | None:
        return None if r.status == 304 else _item(r)

    headers = {"If-None-Match": _etag(etags)}
    path = items_path(project, collection, item_id)
    return Call("GET", path, decode, headers=headers, ok_statuses=frozenset({304}))


def replace_item(
    project: str, collection: str, item_id: str, item: Mapping[str, Any], if_match: str | int | None
) -> Call[Item]:
    path = items_path(project, collection, item_id)
    return _json_call("PUT", path, item, _item, headers=_if_match(if_match))


def patch_item(
    project: str, collection: str, item_id: str, patch: Mapping[str, Any], if_match: str | int | None
) -> Call[Item]:
    path = items_path(project, collection, item_id)
    body = json_body(patch)
    return Call("PATCH", path, _item, body=body, content_type=MERGE_PATCH, headers=_if_match(if_match))


def delete_item(project: str, collection: str, item_id: str, if_match: str | int | None) -> Call[None]:
    path = items_path(project, collection, item_id)
    return Call("DELETE", path, decode_nothing, headers=_if_match(if_match))


# --- changes ----------------------------------------------------------------------


def changes_path(project: str) -> str:
    return f"{projects_path(project)}/changes"


def changes_query(
    since: str | None, collections: Sequence[str] | None, filter: Filter | None, include_item: bool, **extra: Any
) -> str:
    if collections is not None:
        if isinstance(collections, str):
            raise TypeError("collections is a list of names, not one string")
        if not collections:
            raise ValueError("collections names at least one collection (None for all)")
    return query(
        since=since,
        collections=None if collections is None else ",".join(collections),
        filter=_filter(filter),
        include="item" if include_item else None,
        **extra,
    )


def poll_changes(
    project: str,
    since: str | None,
    collections: Sequence[str] | None,
    filter: Filter | None,
    include_item: bool,
    limit: int | None,
) -> Call[ChangesPage]:
    path = changes_path(project) + changes_query(since, collections, filter, include_item, limit=limit)
    return Call("GET", path, lambda r: cast(ChangesPage, expect_page(r, ("cursor", "op"))))


def changes_ticket(project: str) -> Call[ChangesTicket]:
    decode = lambda r: cast(ChangesTicket, expect_object(r, ("ticket", "expires_in")))  # noqa: E731
    return _json_call("POST", changes_path(project) + "/tickets", {}, decode)


# --- OAuth clients (admin) --------------------------------------------------------


def list_clients(limit: int | None, cursor: str | None) -> Call[OAuthClientPage]:
    path = "/v1/clients" + query(limit=limit, cursor=cursor)
    return Call("GET", path, lambda r: cast(OAuthClientPage, expect_page(r, _CLIENT)))


def create_client(name: str, scopes: Sequence[str], rate_limit: RateLimit | None, key: str | bool) -> Call[OAuthClient]:
    if isinstance(scopes, str):
        raise TypeError("scopes is a list of scopes, not one string")
    body: dict[str, Any] = {"name": name, "scopes": list(scopes)}
    if rate_limit is not None:
        body["rate_limit"] = dict(rate_limit)
    return _json_call("POST", "/v1/clients", body, _client, idempotency_key=key)


def get_client(client_id: str) -> Call[OAuthClient]:
    return Call("GET", f"/v1/clients/{seg(client_id)}", _client)


def delete_client(client_id: str) -> Call[None]:
    return Call("DELETE", f"/v1/clients/{seg(client_id)}", decode_nothing)


# --- maintenance (admin) ----------------------------------------------------------


def _maintenance(r: Response) -> Maintenance:
    return cast(Maintenance, expect_object(r, ("enabled", "retry_after")))


def get_maintenance() -> Call[Maintenance]:
    return Call("GET", "/v1/admin/maintenance", _maintenance)


def set_maintenance(enabled: bool, retry_after: int | None) -> Call[Maintenance]:
    body: dict[str, Any] = {"enabled": enabled}
    if retry_after is not None:
        body["retry_after"] = retry_after
    return _json_call("PUT", "/v1/admin/maintenance", body, _maintenance)


# --- OAuth ------------------------------------------------------------------------


def issue_token(scope: str | None) -> Call[TokenResponse]:
    """The client-credentials grant; the id and secret go in HTTP Basic (the client
    adds them). A second token is harmless, so a transport failure is retried."""
    form = "grant_type=client_credentials" + ("" if scope is None else f"&scope={seg(scope)}")
    decode = lambda r: cast(TokenResponse, expect_object(r, ("access_token", "expires_in")))  # noqa: E731
    return Call("POST", "/oauth/token", decode, body=form.encode(), content_type=FORM, auth="basic")


def revoke_token(token: str) -> Call[None]:
    body = f"token={seg(token)}".encode()
    return Call("POST", "/oauth/revoke", decode_nothing, body=body, content_type=FORM, auth="basic")


# --- meta -------------------------------------------------------------------------


def probe(path: str) -> Call[Health]:
    """``/healthz`` or ``/readyz``: anonymous, and tried once, since a probe reports
    the present (a 503 from ``/readyz`` is the answer, not a reason to wait)."""
    decode = lambda r: cast(Health, expect_object(r, ("status",)))  # noqa: E731
    return Call("GET", path, decode, auth="none", retries=False)


def openapi_document() -> Call[dict[str, Any]]:
    return Call("GET", "/openapi.json", lambda r: expect_object(r, ("openapi", "paths")), auth="none")


def metrics() -> Call[str]:
    """Prometheus text exposition."""
    return Call("GET", "/metrics", lambda r: r.text, auth="none")
