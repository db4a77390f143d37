// Item queries (contract §8): a filter builder that can only produce filters the server
// parses, sort keys, and `fields` projections.
//
//   field("priority").gte(3).and(field("title").contains("milk"))
//   → `priority >= 3 && title ~ "milk"`
//
// Paths are checked against the grammar (`name { "." name }`, name =
// [A-Za-z_][A-Za-z0-9_]*) when they are made; literals are JSON (strings escaped by
// JSON.stringify, so quotes, backslashes, control characters and any Unicode go through
// as the server decodes them); the server's bounds (4096 bytes, 32 comparisons, 16
// levels of `(` and `!`) are checked when a filter is rendered, so an oversized filter
// fails here, with a sentence, instead of as a 400.

/** A literal a comparison can take: what §8 calls a JSON string, number, bool or null. */
export type Scalar = string | number | boolean | null;

/** The comparison operators of §8. */
export type FilterOp = "=" | "!=" | "<" | "<=" | ">" | ">=" | "~" | "!~" | "?=";

/** The server's bounds on a filter (§8). */
export const FILTER_LIMITS = { bytes: 4096, comparisons: 32, nesting: 16 } as const;

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Thrown when a filter, sort or fields list could not be sent as asked. */
export class QueryError extends TypeError {
  override name = "QueryError";
}

type Node =
  | { kind: "cmp"; path: string; op: FilterOp; value: Scalar }
  | { kind: "and" | "or"; parts: Node[] }
  | { kind: "not"; inner: Node };

/** Checks a path (`a.b.c`) and returns it. */
export function checkPath(path: string): string {
  if (typeof path !== "string" || !path.split(".").every((name) => NAME.test(name))) {
    throw new QueryError(`${JSON.stringify(path)} is not a path (names [A-Za-z_][A-Za-z0-9_]* joined by ".")`);
  }
  return path;
}

/** A literal as the filter grammar writes it. */
function literal(value: Scalar): string {
  if (value === null || typeof value === "boolean") return String(value);
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new QueryError(`${value} is not a JSON number`);
    return JSON.stringify(value);
  }
  if (typeof value === "string") {
    // A lone surrogate would become a `\ud800` escape, which is not a string the
    // server (or any UTF-8 text) can hold.
    if (LONE_SURROGATE.test(value)) throw new QueryError("a string literal holds a lone surrogate");
    return JSON.stringify(value);
  }
  throw new QueryError(`${typeof value} is not a filter literal (string, number, boolean or null)`);
}

/** A filter expression; immutable. Its text is `toString()`. */
export class Filter {
  /** @internal */
  readonly node: Node;

  /** @internal Use `field(...)`, `and`, `or`, `not`. */
  constructor(node: Node) {
    this.node = node;
  }

  /** Both this and every one of `others`. */
  and(...others: Filter[]): Filter {
    return and(this, ...others);
  }

  /** This or any of `others`. */
  or(...others: Filter[]): Filter {
    return or(this, ...others);
  }

  /** The opposite of this. */
  not(): Filter {
    return not(this);
  }

  /** The text sent as `filter=`, checked against the server's bounds. */
  toString(): string {
    const state = { comparisons: 0, deepest: 0 };
    const text = render(this.node, 0, state);
    if (state.comparisons > FILTER_LIMITS.comparisons) {
      throw new QueryError(`a filter holds at most ${FILTER_LIMITS.comparisons} comparisons (this one ${state.comparisons})`);
    }
    if (state.deepest > FILTER_LIMITS.nesting) {
      throw new QueryError(`a filter nests at most ${FILTER_LIMITS.nesting} levels of ( and ! (this one ${state.deepest})`);
    }
    const bytes = new TextEncoder().encode(text).length;
    if (bytes > FILTER_LIMITS.bytes) {
      throw new QueryError(`a filter is at most ${FILTER_LIMITS.bytes} bytes (this one ${bytes})`);
    }
    return text;
  }

  toJSON(): string {
    return this.toString();
  }
}

/** `depth` is the number of `(` and `!` around the node. */
function render(node: Node, depth: number, state: { comparisons: number; deepest: number }): string {
  state.deepest = Math.max(state.deepest, depth);
  switch (node.kind) {
    case "cmp":
      state.comparisons++;
      return `${node.path} ${node.op} ${literal(node.value)}`;
    case "or":
      // `&&` binds tighter than `||`, and `!` and comparisons are unary: no parentheses.
      return node.parts.map((p) => render(p, depth, state)).join(" || ");
    case "and":
      return node.parts
        .map((p) => (p.kind === "or" ? `(${render(p, depth + 1, state)})` : render(p, depth, state)))
        .join(" && ");
    case "not":
      // `!` takes a unary: a comparison as it is, anything else in parentheses.
      return node.inner.kind === "cmp" || node.inner.kind === "not"
        ? `!${render(node.inner, depth + 1, state)}`
        : `!(${render(node.inner, depth + 2, state)})`;
  }
}

function combine(kind: "and" | "or", filters: Filter[]): Filter {
  if (filters.length === 0) throw new QueryError(`${kind}() needs at least one filter`);
  for (const f of filters) {
    if (!(f instanceof Filter)) throw new QueryError(`${kind}() takes filters, not ${typeof f}`);
  }
  if (filters.length === 1) return filters[0]!;
  // (a && b) && c is a && b && c: flattened, so nesting stays where the caller put it.
  const parts = filters.flatMap((f) => (f.node.kind === kind ? f.node.parts : [f.node]));
  return new Filter({ kind, parts });
}

/** All of `filters` hold. */
export function and(...filters: Filter[]): Filter {
  return combine("and", filters);
}

/** Any of `filters` holds. */
export function or(...filters: Filter[]): Filter {
  return combine("or", filters);
}

/** `filter` does not hold. */
export function not(filter: Filter): Filter {
  if (!(filter instanceof Filter)) throw new QueryError("not() takes a filter");
  return new Filter({ kind: "not", inner: filter.node });
}

/** A path in an item, to compare: `field("address.city").eq("Lyon")`. */
export class Field {
  readonly path: string;

  constructor(path: string) {
    this.path = checkPath(path);
  }

  #cmp(op: FilterOp, value: Scalar): Filter {
    literal(value); // refuse a bad literal now, where the caller wrote it
    return new Filter({ kind: "cmp", path: this.path, op, value });
  }

  /** Equal as JSON (numbers numerically); `eq(null)` also holds when the path is missing. */
  eq(value: Scalar): Filter {
    return this.#cmp("=", value);
  }
  /** Exactly `not(eq(value))`. */
  ne(value: Scalar): Filter {
    return this.#cmp("!=", value);
  }
  /** Both numbers or both strings (code-point order), and less. */
  lt(value: number | string): Filter {
    return this.#cmp("<", value);
  }
  lte(value: number | string): Filter {
    return this.#cmp("<=", value);
  }
  gt(value: number | string): Filter {
    return this.#cmp(">", value);
  }
  gte(value: number | string): Filter {
    return this.#cmp(">=", value);
  }
  /** A string that contains `value` (case matters). */
  contains(value: string): Filter {
    return this.#cmp("~", value);
  }
  /** Exactly `not(contains(value))`. */
  notContains(value: string): Filter {
    return this.#cmp("!~", value);
  }
  /** An array with an element equal to `value`. */
  has(value: Scalar): Filter {
    return this.#cmp("?=", value);
  }
  /** Any operator by its symbol. */
  compare(op: FilterOp, value: Scalar): Filter {
    if (!OPS.has(op)) throw new QueryError(`${JSON.stringify(op)} is not a filter operator`);
    return this.#cmp(op, value);
  }
}

const OPS: ReadonlySet<string> = new Set(["=", "!=", "<", "<=", ">", ">=", "~", "!~", "?="]);

/** A path to compare: `field("priority").gte(3)`. */
export function field(path: string): Field {
  return new Field(path);
}

/** One sort key: a path, ascending unless `descending`. */
export interface SortKey {
  path: string;
  descending: boolean;
}

export function asc(path: string): SortKey {
  return { path: checkPath(path), descending: false };
}

export function desc(path: string): SortKey {
  return { path: checkPath(path), descending: true };
}

/** A sort as given to a list: keys, or path strings with an optional leading `-`. */
export type SortSpec = SortKey | string | ReadonlyArray<SortKey | string>;

/** The `sort=` text: at most 3 keys (the server's bound). */
export function sortParam(sort: SortSpec): string {
  const keys = (Array.isArray(sort) ? sort : [sort]) as ReadonlyArray<SortKey | string>;
  if (keys.length === 0 || keys.length > 3) throw new QueryError("a sort has 1 to 3 keys");
  return keys
    .map((k) => {
      if (typeof k === "string") return k.startsWith("-") ? `-${checkPath(k.slice(1))}` : checkPath(k);
      return `${k.descending ? "-" : ""}${checkPath(k.path)}`;
    })
    .join(",");
}

/** The `fields=` text: top-level member names, none empty, none twice, at most 64. */
export function fieldsParam(fields: readonly string[]): string {
  if (fields.length === 0 || fields.length > 64) throw new QueryError("fields names 1 to 64 members");
  const seen = new Set<string>();
  for (const name of fields) {
    if (typeof name !== "string" || name === "" || name.includes(",")) {
      throw new QueryError(`${JSON.stringify(name)} can't be named in fields (empty, or has a comma)`);
    }
    if (seen.has(name)) throw new QueryError(`fields names ${JSON.stringify(name)} twice`);
    seen.add(name);
  }
  return fields.join(",");
}
