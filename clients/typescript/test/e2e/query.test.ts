// Queries (§8) against the real server: every operator gives the items an evaluator in
// this test picks by the contract's rules; escaping survives the trip; sorted paging
// has no duplicates; count and fields. The server runs with --max-scan 2, so filtered
// pages come back short (even empty) and the iterator must follow next_cursor.

import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { DepotClient, and, asc, desc, field, not, or, type Filter, type Item, type Scalar } from "../../src/index.js";
import { ADMIN, skipReason, startDepot, type RunningDepot } from "../support/depot.js";

type Doc = Record<string, unknown>;

const DOCS: Doc[] = [
  { n: 1, title: 'say "hi"', tags: ["a", "b"], done: true, address: { city: "Lyon" } },
  { n: 2, title: "back\\slash", tags: ["b"], done: false, address: { city: "Paris" } },
  { n: 2.0, title: "crème 🍰", tags: [], done: true },
  { n: -3.5, title: "日本語", tags: ["c", 1, null], address: "not an object" },
  { n: 10, title: "Zebra", done: null },
  { title: "zebra" },
  { n: "7", title: "\u0001ctl\n\ttab", tags: [true] },
  { n: 100, title: "\uffff bmp", address: { city: null } },
  { n: 1e3, title: "\u{1F600} astral", done: false },
  { n: null, title: "", tags: [[1]] },
  { n: 5, title: "a/b?c&d=e#f%20", done: true, address: { city: "Lyon", zip: "69001" } },
];

// --- the contract's semantics, as the reference --------------------------------------

const MISSING = Symbol("missing");
function get(item: Doc, path: string): unknown {
  let v: unknown = item;
  for (const name of path.split(".")) {
    if (typeof v !== "object" || v === null || Array.isArray(v) || !(name in (v as Doc))) return MISSING;
    v = (v as Doc)[name];
  }
  return v;
}
function codePoints(s: string): number[] {
  return Array.from(s, (c) => c.codePointAt(0)!);
}
function cmpStrings(a: string, b: string): number {
  const [x, y] = [codePoints(a), codePoints(b)];
  for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i]! - y[i]!;
  return x.length - y.length;
}
function equal(v: unknown, lit: Scalar): boolean {
  if (v === MISSING) return lit === null;
  if (lit === null) return v === null;
  return typeof v === typeof lit && v === lit;
}
function holds(v: unknown, op: string, lit: Scalar): boolean {
  switch (op) {
    case "=":
      return equal(v, lit);
    case "!=":
      return !equal(v, lit);
    case "~":
      return typeof v === "string" && typeof lit === "string" && v.includes(lit);
    case "!~":
      return !holds(v, "~", lit);
    case "?=":
      return Array.isArray(v) && v.some((e) => e !== undefined && equal(e, lit));
  }
  let c: number;
  if (typeof v === "number" && typeof lit === "number") c = v - lit;
  else if (typeof v === "string" && typeof lit === "string") c = cmpStrings(v, lit);
  else return false;
  return op === "<" ? c < 0 : op === "<=" ? c <= 0 : op === ">" ? c > 0 : c >= 0;
}

const CASES: Array<[string, string, Scalar]> = [
  ["n", "=", 2],
  ["n", "=", null],
  ["n", "!=", 2],
  ["n", "<", 5],
  ["n", "<=", 5],
  ["n", ">", 1.5],
  ["n", ">=", 100],
  ["n", "=", "7"],
  ["n", ">", "5"],
  ["title", "<", "Zebra"],
  ["title", ">=", "zebra"],
  ["title", ">", "\uffff"],
  ["title", "~", "e"],
  ["title", "~", '"'],
  ["title", "~", "\\"],
  ["title", "!~", "e"],
  ["title", "=", 'say "hi"'],
  ["title", "=", "back\\slash"],
  ["title", "=", "crème 🍰"],
  ["title", "=", "\u0001ctl\n\ttab"],
  ["title", "=", "a/b?c&d=e#f%20"],
  ["title", "=", ""],
  ["tags", "?=", "b"],
  ["tags", "?=", 1],
  ["tags", "?=", null],
  ["tags", "?=", true],
  ["tags", "=", null],
  ["done", "=", true],
  ["done", "!=", false],
  ["done", "=", null],
  ["address.city", "=", "Lyon"],
  ["address.city", "=", null],
  ["address.zip", "~", "69"],
];

const skip = skipReason();

describe("queries against depot serve", { skip }, () => {
  let server: RunningDepot;
  let depot: DepotClient;
  const byId = new Map<string, Doc>();
  const items = () => depot.items("q", "docs");

  before(async () => {
    server = await startDepot(["--max-scan", "2"]);
    depot = new DepotClient({ baseUrl: server.baseUrl, credentials: ADMIN });
    await depot.projects.create({ name: "q" });
    await depot.collections.create("q", { name: "docs", indexes: ["n", "title"] });
    for (const doc of DOCS) {
      const created = await items().create(doc);
      byId.set(created.id, doc);
    }
  });
  after(() => server?.stop());

  const matching = (pred: (d: Doc) => boolean) =>
    [...byId].filter(([, d]) => pred(d)).map(([id]) => id).sort();
  const fetched = async (filter: Filter) => {
    const ids: string[] = [];
    for await (const item of items().iterate({ filter, limit: 3 })) ids.push(item.id);
    return ids;
  };

  test("every operator selects what the contract says", async () => {
    for (const [path, op, lit] of CASES) {
      const filter = field(path).compare(op as "=", lit);
      const want = matching((d) => holds(get(d, path), op, lit));
      assert.deepEqual(await fetched(filter), want, filter.toString());
      assert.deepEqual(await fetched(not(filter)), matching((d) => !holds(get(d, path), op, lit)), `!(${filter})`);
    }
  });

  test("and, or and not combine as they read", async () => {
    const f = or(and(field("n").gt(1), field("done").eq(true)), not(field("title").contains("e")));
    const want = matching(
      (d) => (holds(get(d, "n"), ">", 1) && holds(get(d, "done"), "=", true)) || !holds(get(d, "title"), "~", "e"),
    );
    assert.deepEqual(await fetched(f), want, f.toString());
  });

  test("a filtered list pages through short and empty pages to the end", async () => {
    // Not an indexed path: the server scans, and stops after 2 items that don't match.
    const filter = field("address.zip").eq("69001");
    const first = await items().list({ filter, limit: 5 });
    assert.equal(first.data.length, 0, "with --max-scan 2 the first page ends before the match");
    assert.notEqual(first.next_cursor, null);
    assert.equal((await fetched(filter)).length, 1);
  });

  test("sorted paging gives every item once, in the contract's order", async () => {
    const rank = (v: unknown): number =>
      v === MISSING || v === null ? 0 : v === false ? 1 : v === true ? 2 : typeof v === "number" ? 3 : typeof v === "string" ? 4 : 5;
    const cmpValue = (a: unknown, b: unknown): number => {
      const r = rank(a) - rank(b);
      if (r !== 0) return r;
      if (typeof a === "number") return a - (b as number);
      if (typeof a === "string") return cmpStrings(a, b as string);
      return 0;
    };
    const ids = [...byId.keys()];
    const want = ids.sort((x, y) => {
      const [a, b] = [byId.get(x)!, byId.get(y)!];
      return -cmpValue(get(a, "n"), get(b, "n")) || cmpValue(get(a, "title"), get(b, "title")) || (x < y ? -1 : 1);
    });
    const got: string[] = [];
    for await (const item of items().iterate({ sort: [desc("n"), asc("title")], limit: 2 })) got.push(item.id);
    assert.equal(new Set(got).size, got.length, "no duplicates");
    assert.deepEqual(got, want);
    const filtered: string[] = [];
    for await (const item of items().iterate({ sort: "-title", filter: field("n").gte(1), limit: 1 })) filtered.push(item.id);
    const wantFiltered = [...byId]
      .filter(([, d]) => holds(get(d, "n"), ">=", 1))
      .sort(([x, a], [y, b]) => -cmpValue(get(a, "title"), get(b, "title")) || (x < y ? -1 : 1))
      .map(([id]) => id);
    assert.deepEqual(filtered, wantFiltered);
  });

  test("count matches the items a filter selects", async () => {
    assert.deepEqual(await items().count(), { count: DOCS.length, exact: true });
    for (const [path, op, lit] of CASES.slice(0, 8)) {
      const filter = field(path).compare(op as "=", lit);
      const want = matching((d) => holds(get(d, path), op, lit)).length;
      assert.deepEqual(await items().count({ filter }), { count: want, exact: true }, filter.toString());
    }
  });

  test("fields keeps only the members named, plus id", async () => {
    const page = await items().list({ fields: ["title", "tags"], limit: 100 });
    assert.equal(page.data.length, DOCS.length);
    for (const item of page.data as Array<Item<Doc>>) {
      const doc = byId.get(item.id)!;
      const want = Object.keys(doc).filter((k) => k === "title" || k === "tags");
      assert.deepEqual(Object.keys(item).sort(), ["id", ...want].sort());
    }
    const id = page.data[0]!.id;
    assert.deepEqual(Object.keys(await items().get(id, { fields: ["n"] })).sort(), ["id", "n"]);
  });
});
