"""The filter builder renders only what the §8 grammar parses: paths checked, literals
as JSON, parentheses only where precedence needs them, the server's bounds enforced."""

from __future__ import annotations

import pytest

from depot_client import QueryError, and_, asc, desc, field, not_, or_
from depot_client.query import fields_param, sort_param


def test_each_operator_renders_as_the_grammar_writes_it() -> None:
    f = field("a.b_2")
    assert str(f.eq("x")) == 'a.b_2 = "x"'
    assert str(f.ne(None)) == "a.b_2 != null"
    assert str(f.lt(1.5)) == "a.b_2 < 1.5"
    assert str(f.lte(-2)) == "a.b_2 <= -2"
    assert str(f.gt("m")) == 'a.b_2 > "m"'
    assert str(f.gte(1e21)) == "a.b_2 >= 1e+21"
    assert str(f.contains("ab")) == 'a.b_2 ~ "ab"'
    assert str(f.not_contains("ab")) == 'a.b_2 !~ "ab"'
    assert str(f.has(True)) == "a.b_2 ?= true"
    assert str(f.compare("?=", False)) == "a.b_2 ?= false"
    assert str(f.eq(10**30)) == "a.b_2 = 1000000000000000000000000000000"


def test_strings_are_escaped_as_json() -> None:
    assert str(field("t").eq('say "hi" \\ now')) == r't = "say \"hi\" \\ now"'
    assert str(field("t").eq("line\nbreak\x01")) == r't = "line\nbreak\u0001"'
    assert str(field("t").eq("crème 🍰")) == 't = "crème 🍰"'
    with pytest.raises(QueryError, match="surrogate"):
        field("t").eq("\ud800")


def test_and_or_not_nest_with_the_fewest_parentheses_that_keep_the_meaning() -> None:
    a, b, c = field("a").eq(1), field("b").eq(2), field("c").eq(3)
    assert str(and_(a, or_(b, c))) == "a = 1 && (b = 2 || c = 3)"
    assert str(a & b | c) == "a = 1 && b = 2 || c = 3"
    assert str(a & b & c) == "a = 1 && b = 2 && c = 3"
    assert str(~a) == "!a = 1"
    assert str(not_(a & b)) == "!(a = 1 && b = 2)"
    assert str(~~(a | b)) == "!!(a = 1 || b = 2)"
    assert and_(a) == a


@pytest.mark.parametrize("bad", ["", "1a", "a..b", "a.", "a-b", "a b", 'a"'])
def test_a_path_outside_the_grammar_is_refused(bad: str) -> None:
    with pytest.raises(QueryError):
        field(bad)


def test_what_the_server_would_refuse_is_refused_here() -> None:
    for bad in (float("nan"), float("inf")):
        with pytest.raises(QueryError):
            field("n").eq(bad)
    with pytest.raises(QueryError):
        field("n").eq([1])  # type: ignore[arg-type]
    with pytest.raises(QueryError):
        and_()
    many = [field("n").eq(i) for i in range(33)]
    with pytest.raises(QueryError, match="at most 32 comparisons"):
        str(or_(*many))
    str(or_(*many[:32]))
    deep = field("n").eq(1)
    for _ in range(17):
        deep = ~deep
    with pytest.raises(QueryError, match="at most 16 levels"):
        str(deep)
    with pytest.raises(QueryError, match="at most 4096 bytes"):
        str(field("s").eq("x" * 5000))


def test_sort_and_fields_render_and_check_their_lists() -> None:
    assert sort_param([desc("priority"), asc("title"), "-created_at"]) == "-priority,title,-created_at"
    assert sort_param("id") == "id"
    for bad_sort in (["a", "b", "c", "d"], "-a.-b", []):
        with pytest.raises(QueryError):
            sort_param(bad_sort)
    assert fields_param(["title", "done"]) == "title,done"
    for bad_fields in (["a", "a"], ["a,b"], [], "title"):
        with pytest.raises(QueryError):
            fields_param(bad_fields)
