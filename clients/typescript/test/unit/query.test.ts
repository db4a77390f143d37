// The filter builder renders only what the §8 grammar parses: paths checked, literals
// as JSON, parentheses only where precedence needs them, the server's bounds enforced.

import assert from "node:assert/strict";
import { test } from "node:test";
import { QueryError, and, asc, desc, field, fieldsParam, not, or, sortParam } from "../../src/index.js";

test("each operator renders as the grammar writes it", () => {
  const f = field("a.b_2");
  assert.equal(f.eq("x").toString(), 'a.b_2 = "x"');
  assert.equal(f.ne(null).toString(), "a.b_2 != null");
  assert.equal(f.lt(1.5).toString(), "a.b_2 < 1.5");
  assert.equal(f.lte(-2).toString(), "a.b_2 <= -2");
  assert.equal(f.gt("m").toString(), 'a.b_2 > "m"');
  assert.equal(f.gte(1e21).toString(), "a.b_2 >= 1e+21");
  assert.equal(f.contains("ab").toString(), 'a.b_2 ~ "ab"');
  assert.equal(f.notContains("ab").toString(), 'a.b_2 !~ "ab"');
  assert.equal(f.has(true).toString(), "a.b_2 ?= true");
  assert.equal(f.compare("?=", false).toString(), "a.b_2 ?= false");
});

test("strings are escaped as JSON: quotes, backslashes, control characters, unicode", () => {
  assert.equal(field("t").eq('say "hi" \\ now').toString(), String.raw`t = "say \"hi\" \\ now"`);
  assert.equal(field("t").eq("line\nbreak\u0001").toString(), String.raw`t = "line\nbreak\u0001"`);
  assert.equal(field("t").eq("crème 🍰").toString(), 't = "crème 🍰"');
  assert.throws(() => field("t").eq("\ud800"), QueryError);
});

test("and, or and not nest with the fewest parentheses that keep the meaning", () => {
  const [a, b, c] = [field("a").eq(1), field("b").eq(2), field("c").eq(3)];
  assert.equal(and(a, or(b, c)).toString(), "a = 1 && (b = 2 || c = 3)");
  assert.equal(or(and(a, b), c).toString(), "a = 1 && b = 2 || c = 3");
  assert.equal(a.and(b).and(c).toString(), "a = 1 && b = 2 && c = 3");
  assert.equal(not(a).toString(), "!a = 1");
  assert.equal(not(and(a, b)).toString(), "!(a = 1 && b = 2)");
  assert.equal(a.or(b).not().not().toString(), "!!(a = 1 || b = 2)");
  assert.equal(and(a), a);
});

test("what the server would refuse is refused here", () => {
  for (const bad of ["", "1a", "a..b", "a.", "a-b", "a b", 'a"']) {
    assert.throws(() => field(bad), QueryError, bad);
  }
  assert.throws(() => field("n").eq(Number.NaN), QueryError);
  assert.throws(() => field("n").eq(Infinity), QueryError);
  assert.throws(() => and(), QueryError);
  const many = Array.from({ length: 33 }, (_, i) => field("n").eq(i));
  assert.throws(() => or(...many).toString(), /at most 32 comparisons/);
  assert.doesNotThrow(() => or(...many.slice(0, 32)).toString());
  let deep = field("n").eq(1);
  for (let i = 0; i < 17; i++) deep = not(deep);
  assert.throws(() => deep.toString(), /at most 16 levels/);
  assert.throws(() => field("s").eq("x".repeat(5000)).toString(), /at most 4096 bytes/);
});

test("sort and fields render and check their lists", () => {
  assert.equal(sortParam([desc("priority"), asc("title"), "-created_at"]), "-priority,title,-created_at");
  assert.equal(sortParam("id"), "id");
  assert.throws(() => sortParam(["a", "b", "c", "d"]), QueryError);
  assert.throws(() => sortParam("-a.-b"), QueryError);
  assert.equal(fieldsParam(["title", "done"]), "title,done");
  assert.throws(() => fieldsParam(["a", "a"]), QueryError);
  assert.throws(() => fieldsParam(["a,b"]), QueryError);
  assert.throws(() => fieldsParam([]), QueryError);
});
