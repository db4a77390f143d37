"""Queries (§8) against the real server: every operator gives the items this test's
evaluator picks by the contract's rules; escaping survives the trip; sorted paging has
no duplicates; count and fields. The server runs with ``--max-scan 2``, so filtered pages
come back short (even empty) and the iterator must follow ``next_cursor``."""

from __future__ import annotations

import functools
from collections.abc import Iterator
from typing import Any

import pytest

from depot_client import Client, Filter, and_, asc, desc, field, not_, or_
from depot_client.query import Scalar

from depot_bin import ADMIN_ID, ADMIN_SECRET, running_depot

DOCS: list[dict[str, Any]] = [
    {"n": 1, "title": 'say "hi"', "tags": ["a", "b"], "done": True, "address": {"city": "Lyon"}},
    {"n": 2, "title": "back\\slash", "tags": ["b"], "done": False, "address": {"city": "Paris"}},
    {"n": 2.0, "title": "crème 🍰", "tags": [], "done": True},
    {"n": -3.5, "title": "日本語", "tags": ["c", 1, None], "address": "not an object"},
    {"n": 10, "title": "Zebra", "done": None},
    {"title": "zebra"},
    {"n": "7", "title": "\x01ctl\n\ttab", "tags": [True]},
    {"n": 100, "title": "\uffff bmp", "address": {"city": None}},
    {"n": 1e3, "title": "\U0001f600 astral", "done": False},
    {"n": None, "title": "", "tags": [[1]]},
    {"n": 5, "title": "a/b?c&d=e#f%20", "done": True, "address": {"city": "Lyon", "zip": "69001"}},
]

MISSING = object()


def get(item: dict[str, Any], path: str) -> Any:
    value: Any = item
    for name in path.split("."):
        if not isinstance(value, dict) or name not in value:
            return MISSING
        value = value[name]
    return value


def _number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def equal(v: Any, lit: Scalar) -> bool:
    if v is MISSING:
        return lit is None
    if lit is None or v is None:
        return v is lit
    if isinstance(lit, bool) or isinstance(v, bool):
        return isinstance(v, bool) and isinstance(lit, bool) and v == lit
    if _number(lit):
        return _number(v) and v == lit
    return isinstance(v, str) and v == lit


def holds(v: Any, op: str, lit: Scalar) -> bool:
    if op == "=":
        return equal(v, lit)
    if op == "!=":
        return not equal(v, lit)
    if op == "~":
        return isinstance(v, str) and isinstance(lit, str) and lit in v
    if op == "!~":
        return not holds(v, "~", lit)
    if op == "?=":
        return isinstance(v, list) and any(equal(e, lit) for e in v)
    if (_number(v) and _number(lit)) or (isinstance(v, str) and isinstance(lit, str)):
        # Python compares str by code points, as the contract does.
        return bool({"<": v < lit, "<=": v <= lit, ">": v > lit, ">=": v >= lit}[op])
    return False


CASES: list[tuple[str, str, Scalar]] = [
    ("n", "=", 2),
    ("n", "=", None),
    ("n", "!=", 2),
    ("n", "<", 5),
    ("n", "<=", 5),
    ("n", ">", 1.5),
    ("n", ">=", 100),
    ("n", "=", "7"),
    ("n", ">", "5"),
    ("title", "<", "Zebra"),
    ("title", ">=", "zebra"),
    ("title", ">", "\uffff"),
    ("title", "~", "e"),
    ("title", "~", '"'),
    ("title", "~", "\\"),
    ("title", "!~", "e"),
    ("title", "=", 'say "hi"'),
    ("title", "=", "back\\slash"),
    ("title", "=", "crème 🍰"),
    ("title", "=", "\x01ctl\n\ttab"),
    ("title", "=", "a/b?c&d=e#f%20"),
    ("title", "=", ""),
    ("tags", "?=", "b"),
    ("tags", "?=", 1),
    ("tags", "?=", None),
    ("tags", "?=", True),
    ("tags", "=", None),
    ("done", "=", True),
    ("done", "!=", False),
    ("done", "=", None),
    ("address.city", "=", "Lyon"),
    ("address.city", "=", None),
    ("address.zip", "~", "69"),
]


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Client, dict[str, dict[str, Any]]]]:
    with running_depot(tmp_path_factory.mktemp("depot-query"), "--max-scan", "2") as url:
        with Client(url, client_id=ADMIN_ID, client_secret=ADMIN_SECRET) as client:
            client.create_project("q")
            client.create_collection("q", "docs", indexes=["n", "title"])
            by_id = {client.create_item("q", "docs", doc)["id"]: doc for doc in DOCS}
            yield client, by_id


def fetched(client: Client, f: Filter) -> list[str]:
    return [item["id"] for item in client.iter_items("q", "docs", filter=f, page_size=3)]


def matching(by_id: dict[str, dict[str, Any]], pred: Any) -> list[str]:
    return sorted(i for i, d in by_id.items() if pred(d))


@pytest.mark.parametrize(("path", "op", "lit"), CASES)
def test_every_operator_selects_what_the_contract_says(
    setup: tuple[Client, dict[str, dict[str, Any]]], path: str, op: Any, lit: Scalar
) -> None:
    client, by_id = setup
    f = field(path).compare(op, lit)
    assert fetched(client, f) == matching(by_id, lambda d: holds(get(d, path), op, lit)), str(f)
    assert fetched(client, not_(f)) == matching(by_id, lambda d: not holds(get(d, path), op, lit))
    count = client.count_items("q", "docs", filter=f)
    assert count == {"count": len(matching(by_id, lambda d: holds(get(d, path), op, lit))), "exact": True}


def test_and_or_not_combine_as_they_read(setup: tuple[Client, dict[str, dict[str, Any]]]) -> None:
    client, by_id = setup
    f = or_(and_(field("n").gt(1), field("done").eq(True)), not_(field("title").contains("e")))

    def want(d: dict[str, Any]) -> bool:
        n_done = holds(get(d, "n"), ">", 1) and holds(get(d, "done"), "=", True)
        return n_done or not holds(get(d, "title"), "~", "e")

    assert fetched(client, f) == matching(by_id, want)


def test_a_filtered_list_pages_through_short_and_empty_pages(setup: tuple[Client, dict[str, dict[str, Any]]]) -> None:
    client, _ = setup
    # Not an indexed path: the server scans, and stops after 2 items that don't match.
    f = field("address.zip").eq("69001")
    first = client.list_items("q", "docs", filter=f, limit=5)
    assert first["data"] == []
    assert first["next_cursor"] is not None
    assert len(fetched(client, f)) == 1


def _rank(v: Any) -> int:
    if v is MISSING or v is None:
        return 0
    if isinstance(v, bool):
        return 1 + v
    return 3 if _number(v) else 4 if isinstance(v, str) else 5


def _cmp_value(a: Any, b: Any) -> int:
    ra, rb = _rank(a), _rank(b)
    if ra != rb or ra not in (3, 4):
        return ra - rb
    return (a > b) - (a < b)  # type: ignore[no-any-return]


def test_sorted_paging_gives_every_item_once_in_the_contracts_order(
    setup: tuple[Client, dict[str, dict[str, Any]]],
) -> None:
    client, by_id = setup

    def order(x: str, y: str) -> int:
        a, b = by_id[x], by_id[y]
        return (
            -_cmp_value(get(a, "n"), get(b, "n")) or _cmp_value(get(a, "title"), get(b, "title")) or (x > y) - (x < y)
        )

    got = [i["id"] for i in client.iter_items("q", "docs", sort=[desc("n"), asc("title")], page_size=2)]
    assert len(set(got)) == len(got)
    assert got == sorted(by_id, key=functools.cmp_to_key(order))

    def by_title_desc(x: str, y: str) -> int:
        return -_cmp_value(get(by_id[x], "title"), get(by_id[y], "title")) or (x > y) - (x < y)

    f = field("n").gte(1)
    got = [i["id"] for i in client.iter_items("q", "docs", sort="-title", filter=f, page_size=1)]
    want = [i for i in by_id if holds(get(by_id[i], "n"), ">=", 1)]
    assert got == sorted(want, key=functools.cmp_to_key(by_title_desc))


def test_fields_keeps_only_the_members_named_plus_id(setup: tuple[Client, dict[str, dict[str, Any]]]) -> None:
    client, by_id = setup
    page = client.list_items("q", "docs", fields=["title", "tags"], limit=100)
    assert len(page["data"]) == len(DOCS)
    for item in page["data"]:
        want = {"id"} | ({"title", "tags"} & set(by_id[item["id"]]))
        assert set(item) == want
    one = client.get_item("q", "docs", page["data"][0]["id"], fields=["n"])
    assert set(one) == {"id", "n"}
    assert client.count_items("q", "docs") == {"count": len(DOCS), "exact": True}
