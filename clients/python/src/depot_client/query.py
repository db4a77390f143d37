"""Item queries (contract §8): a filter builder that can only produce filters the server
parses, sort keys, and ``fields`` projections.

    from depot_client.query import field, asc, desc
    f = field("priority").gte(3) & field("title").contains("milk")
    str(f)  # 'priority >= 3 && title ~ "milk"'

Paths are checked against the grammar (``name { "." name }``, name =
``[A-Za-z_][A-Za-z0-9_]*``) when they are made; literals are JSON (strings through
`json.dumps`, so quotes, backslashes, control characters and any Unicode arrive as the
server decodes them); the server's bounds (4096 bytes, 32 comparisons, 16 levels of
``(`` and ``!``) are checked when a filter is rendered, so an oversized filter fails
here with a sentence instead of as a 400. ``&``, ``|`` and ``~`` combine filters, as do
`and_`, `or_` and `not_`.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

__all__ = [
    "FILTER_LIMITS",
    "Field",
    "Filter",
    "FilterOp",
    "QueryError",
    "Scalar",
    "SortKey",
    "and_",
    "asc",
    "desc",
    "field",
    "fields_param",
    "not_",
    "or_",
    "sort_param",
]

#: A literal a comparison takes: a JSON string, number, boolean or null.
Scalar = str | int | float | bool | None
#: The comparison operators of §8.
FilterOp = Literal["=", "!=", "<", "<=", ">", ">=", "~", "!~", "?="]
OPS: frozenset[str] = frozenset({"=", "!=", "<", "<=", ">", ">=", "~", "!~", "?="})

#: The server's bounds on a filter (§8).
FILTER_LIMITS = {"bytes": 4096, "comparisons": 32, "nesting": 16}

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


class QueryError(ValueError):
    """A filter, sort or fields list that can't be sent as asked."""


def check_path(path: str) -> str:
    """``path`` if it is a §8 path (``a.b.c``), else `QueryError`."""
    if not isinstance(path, str) or not all(_NAME.match(name) for name in path.split(".")):
        raise QueryError(f"{path!r} is not a path (names [A-Za-z_][A-Za-z0-9_]* joined by '.')")
    return path


def _literal(value: Scalar) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise QueryError(f"{value} is not a JSON number")
        return json.dumps(value)
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as e:
            raise QueryError("a string literal holds a lone surrogate") from e
        return json.dumps(value, ensure_ascii=False)
    raise QueryError(f"{type(value).__name__} is not a filter literal (str, int, float, bool or None)")


@dataclass(frozen=True)
class _Cmp:
    path: str
    op: str
    value: Scalar


@dataclass(frozen=True)
class _Join:
    kind: Literal["and", "or"]
    parts: tuple[_Node, ...]


@dataclass(frozen=True)
class _Not:
    inner: _Node


_Node = _Cmp | _Join | _Not


class Filter:
    """A filter expression; immutable. ``str(f)`` is the text sent as ``filter=``."""

    __slots__ = ("_node",)

    def __init__(self, node: _Node) -> None:
        self._node = node

    def __and__(self, other: Filter) -> Filter:
        return and_(self, other)

    def __or__(self, other: Filter) -> Filter:
        return or_(self, other)

    def __invert__(self) -> Filter:
        return not_(self)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Filter) and self._node == other._node

    def __hash__(self) -> int:
        return hash(self._node)

    def __repr__(self) -> str:
        return f"Filter({self._render_unchecked()!r})"

    def _render_unchecked(self) -> str:
        return _render(self._node, 0, [0, 0])

    def __str__(self) -> str:
        counts = [0, 0]  # comparisons, deepest nesting
        text = _render(self._node, 0, counts)
        if counts[0] > FILTER_LIMITS["comparisons"]:
            raise QueryError(
                f"a filter holds at most {FILTER_LIMITS['comparisons']} comparisons (this one {counts[0]})"
            )
        if counts[1] > FILTER_LIMITS["nesting"]:
            raise QueryError(
                f"a filter nests at most {FILTER_LIMITS['nesting']} levels of ( and ! (this one {counts[1]})"
            )
        size = len(text.encode("utf-8"))
        if size > FILTER_LIMITS["bytes"]:
            raise QueryError(f"a filter is at most {FILTER_LIMITS['bytes']} bytes (this one {size})")
        return text


def _render(node: _Node, depth: int, counts: list[int]) -> str:
    """``depth`` is the number of ``(`` and ``!`` around the node."""
    counts[1] = max(counts[1], depth)
    if isinstance(node, _Cmp):
        counts[0] += 1
        return f"{node.path} {node.op} {_literal(node.value)}"
    if isinstance(node, _Not):
        # `!` takes a unary: a comparison (or another `!`) as it is, else parenthesized.
        if isinstance(node.inner, (_Cmp, _Not)):
            return "!" + _render(node.inner, depth + 1, counts)
        return f"!({_render(node.inner, depth + 2, counts)})"
    if node.kind == "or":
        # `&&` binds tighter than `||`: an `or` needs no parentheses around its parts.
        return " || ".join(_render(p, depth, counts) for p in node.parts)
    return " && ".join(
        f"({_render(p, depth + 1, counts)})" if isinstance(p, _Join) and p.kind == "or" else _render(p, depth, counts)
        for p in node.parts
    )


def _combine(kind: Literal["and", "or"], filters: Sequence[Filter]) -> Filter:
    if not filters:
        raise QueryError(f"{kind}_() needs at least one filter")
    for f in filters:
        if not isinstance(f, Filter):
            raise QueryError(f"{kind}_() takes filters, not {type(f).__name__}")
    if len(filters) == 1:
        return filters[0]
    parts: list[_Node] = []
    for f in filters:
        node = f._node
        # (a && b) && c is a && b && c: flattened, so nesting stays where it was written.
        if isinstance(node, _Join) and node.kind == kind:
            parts.extend(node.parts)
        else:
            parts.append(node)
    return Filter(_Join(kind, tuple(parts)))


def and_(*filters: Filter) -> Filter:
    """All of ``filters`` hold."""
    return _combine("and", filters)


def or_(*filters: Filter) -> Filter:
    """Any of ``filters`` holds."""
    return _combine("or", filters)


def not_(f: Filter) -> Filter:
    """``f`` does not hold."""
    if not isinstance(f, Filter):
        raise QueryError("not_() takes a filter")
    return Filter(_Not(f._node))


class Field:
    """A path in an item, to compare: ``field("address.city").eq("Lyon")``."""

    __slots__ = ("path",)

    def __init__(self, path: str) -> None:
        self.path = check_path(path)

    def _cmp(self, op: str, value: Scalar) -> Filter:
        _literal(value)  # refuse a bad literal where the caller wrote it
        return Filter(_Cmp(self.path, op, value))

    def eq(self, value: Scalar) -> Filter:
        """Equal as JSON (numbers numerically); ``eq(None)`` also holds when missing."""
        return self._cmp("=", value)

    def ne(self, value: Scalar) -> Filter:
        """Exactly ``not_(eq(value))``."""
        return self._cmp("!=", value)

    def lt(self, value: int | float | str) -> Filter:
        """Both numbers, or both strings (code-point order), and less."""
        return self._cmp("<", value)

    def lte(self, value: int | float | str) -> Filter:
        return self._cmp("<=", value)

    def gt(self, value: int | float | str) -> Filter:
        return self._cmp(">", value)

    def gte(self, value: int | float | str) -> Filter:
        return self._cmp(">=", value)

    def contains(self, value: str) -> Filter:
        """A string that contains ``value`` (case matters)."""
        return self._cmp("~", value)

    def not_contains(self, value: str) -> Filter:
        """Exactly ``not_(contains(value))``."""
        return self._cmp("!~", value)

    def has(self, value: Scalar) -> Filter:
        """An array with an element equal to ``value``."""
        return self._cmp("?=", value)

    def compare(self, op: FilterOp, value: Scalar) -> Filter:
        """Any operator by its symbol."""
        if op not in OPS:
            raise QueryError(f"{op!r} is not a filter operator")
        return self._cmp(op, value)


def field(path: str) -> Field:
    """A path to compare: ``field("priority").gte(3)``."""
    return Field(path)


@dataclass(frozen=True)
class SortKey:
    """One sort key: a path, ascending unless ``descending``."""

    path: str
    descending: bool = False

    def __str__(self) -> str:
        return ("-" if self.descending else "") + check_path(self.path)


def asc(path: str) -> SortKey:
    return SortKey(check_path(path))


def desc(path: str) -> SortKey:
    return SortKey(check_path(path), descending=True)


def sort_param(sort: SortKey | str | Sequence[SortKey | str]) -> str:
    """The ``sort=`` text: 1 to 3 keys, each a `SortKey` or a path with an optional ``-``."""
    keys = [sort] if isinstance(sort, (SortKey, str)) else list(sort)
    if not 1 <= len(keys) <= 3:
        raise QueryError("a sort has 1 to 3 keys")
    out = []
    for key in keys:
        if isinstance(key, SortKey):
            out.append(str(key))
        elif isinstance(key, str):
            out.append("-" + check_path(key[1:]) if key.startswith("-") else check_path(key))
        else:
            raise QueryError(f"{key!r} is not a sort key")
    return ",".join(out)


def fields_param(fields: Sequence[str]) -> str:
    """The ``fields=`` text: 1 to 64 top-level member names, none empty, none twice."""
    if isinstance(fields, str):
        raise QueryError("fields is a list of member names, not one string")
    names = list(fields)
    if not 1 <= len(names) <= 64:
        raise QueryError("fields names 1 to 64 members")
    seen: set[str] = set()
    for name in names:
        if not isinstance(name, str) or not name or "," in name:
            raise QueryError(f"{name!r} can't be named in fields (empty, or has a comma)")
        if name in seen:
            raise QueryError(f"fields names {name!r} twice")
        seen.add(name)
    return ",".join(names)
