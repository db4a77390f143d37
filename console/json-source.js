// A strict JSON reader that remembers where everything is: for each JSON pointer, the
// byte range of its value in the source text (and of its key), so that the server's
// `details.missing` / `details.errors` pointers can be marked on the lines they name.
// It reports the first syntax error with its offset, as the server would refuse it
// (RFC 8259, no duplicate keys), and re-indents text without touching number tokens.

/** `{value, error, spans}`; `error` is `{offset, message}` or null, `spans` a Map. */
export function read(text) {
  const r = new Reader(text);
  try {
    r.ws();
    const value = r.value("");
    r.ws();
    if (r.i < text.length) r.fail("unexpected text after the JSON value");
    return { value, error: null, spans: r.spans };
  } catch (e) {
    if (!(e instanceof SyntaxFailure)) throw e;
    return { value: undefined, error: { offset: e.offset, message: e.message }, spans: r.spans };
  }
}

class SyntaxFailure extends Error {
  constructor(message, offset) {
    super(message);
    this.offset = offset;
  }
}

/** Escapes a member name for a JSON pointer (RFC 6901). */
export function escapePointer(key) {
  return key.replaceAll("~", "~0").replaceAll("/", "~1");
}

class Reader {
  constructor(text) {
    this.s = text;
    this.i = 0;
    this.depth = 0;
    /** pointer → {start, end, keyStart?, keyEnd?} */
    this.spans = new Map();
  }
  fail(message, at = this.i) {
    throw new SyntaxFailure(message, Math.min(at, this.s.length));
  }
  ws() {
    while (this.i < this.s.length && " \t\n\r".includes(this.s[this.i])) this.i++;
  }
  value(pointer) {
    const start = this.i;
    const c = this.s[this.i];
    let v;
    if (c === "{") v = this.object(pointer);
    else if (c === "[") v = this.array(pointer);
    else if (c === '"') v = this.string();
    else if (c === "-" || (c >= "0" && c <= "9")) v = this.number();
    else if (this.s.startsWith("true", this.i)) (this.i += 4), (v = true);
    else if (this.s.startsWith("false", this.i)) (this.i += 5), (v = false);
    else if (this.s.startsWith("null", this.i)) (this.i += 4), (v = null);
    else if (c === undefined) this.fail("the text ends where a value should be");
    else this.fail(`unexpected ${JSON.stringify(c)} where a value should be`);
    const span = this.spans.get(pointer) ?? {};
    this.spans.set(pointer, { ...span, start, end: this.i });
    return v;
  }
  enter() {
    this.depth += 1;
    if (this.depth > 64) this.fail("nested deeper than 64 levels (the server's limit)");
  }
  object(pointer) {
    this.enter();
    this.i++; // {
    const out = {};
    const seen = new Set();
    this.ws();
    if (this.s[this.i] === "}") {
      this.i++;
      this.depth--;
      return out;
    }
    for (;;) {
      this.ws();
      if (this.s[this.i] !== '"') this.fail(this.s[this.i] === "}" ? "a comma before } (trailing commas are not JSON)" : "expected a member name in double quotes");
      const keyStart = this.i;
      const key = this.string();
      const keyEnd = this.i;
      if (seen.has(key)) this.fail(`the member ${JSON.stringify(key)} appears twice`, keyStart);
      seen.add(key);
      this.ws();
      if (this.s[this.i] !== ":") this.fail("expected : after the member name");
      this.i++;
      this.ws();
      const child = `${pointer}/${escapePointer(key)}`;
      this.spans.set(child, { keyStart, keyEnd });
      out[key] = this.value(child);
      this.ws();
      if (this.s[this.i] === ",") {
        this.i++;
        continue;
      }
      if (this.s[this.i] === "}") {
        this.i++;
        this.depth--;
        return out;
      }
      this.fail(this.i >= this.s.length ? "the text ends inside an object (a } is missing)" : "expected , or } after a member");
    }
  }
  array(pointer) {
    this.enter();
    this.i++; // [
    const out = [];
    this.ws();
    if (this.s[this.i] === "]") {
      this.i++;
      this.depth--;
      return out;
    }
    for (;;) {
      this.ws();
      if (this.s[this.i] === "]") this.fail("a comma before ] (trailing commas are not JSON)");
      out.push(this.value(`${pointer}/${out.length}`));
      this.ws();
      if (this.s[this.i] === ",") {
        this.i++;
        continue;
      }
      if (this.s[this.i] === "]") {
        this.i++;
        this.depth--;
        return out;
      }
      this.fail(this.i >= this.s.length ? "the text ends inside an array (a ] is missing)" : "expected , or ] after an element");
    }
  }
  string() {
    const start = this.i;
    this.i++; // "
    for (;;) {
      const c = this.s[this.i];
      if (c === undefined) this.fail("the text ends inside a string (a \" is missing)", start);
      if (c === '"') break;
      if (c < " ") this.fail("a control character inside a string (write \\n, \\t, …)");
      if (c === "\\") {
        const e = this.s[this.i + 1];
        if (e === "u") {
          if (!/^[0-9a-fA-F]{4}$/.test(this.s.slice(this.i + 2, this.i + 6))) this.fail("\\u needs four hex digits");
          this.i += 6;
          continue;
        }
        if (e === undefined || !'"\\/bfnrt'.includes(e)) this.fail("an invalid escape in a string");
        this.i += 2;
        continue;
      }
      this.i++;
    }
    this.i++;
    return JSON.parse(this.s.slice(start, this.i));
  }
  number() {
    const m = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(this.s.slice(this.i, this.i + 400));
    if (!m) this.fail("an invalid number");
    this.i += m[0].length;
    const next = this.s[this.i];
    if (next !== undefined && /[0-9A-Za-z.+-]/.test(next)) this.fail("an invalid number");
    return Number(m[0]);
  }
}

/** 0-based offset → 1-based `{line, column}`. */
export function lineColumn(text, offset) {
  let line = 1;
  let last = -1;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text[i] === "\n") {
      line++;
      last = i;
    }
  }
  return { line, column: offset - last };
}

/** 1-based line and column → 0-based offset (what the server's `details.line/column` say). */
export function offsetOf(text, line, column) {
  let i = 0;
  for (let l = 1; l < line && i < text.length; i++) if (text[i] === "\n") l++;
  return Math.min(text.length, i + Math.max(0, column - 1));
}

/**
 * The range a pointer names: its own value's span, or, for a member that isn't there
 * (a 406's missing field), the span of the closest ancestor that is, with `missing` set.
 */
export function resolve(spans, pointer) {
  let p = pointer;
  for (;;) {
    const span = spans.get(p);
    if (span && span.start !== undefined) {
      if (p === pointer) return { ...span, missing: false };
      // A missing member is marked on its parent's opening line, not the whole object.
      return { start: span.start, end: span.start + 1, missing: true };
    }
    if (p === "") return null;
    p = p.slice(0, p.lastIndexOf("/"));
  }
}

/** The text re-indented by two spaces, tokens (numbers included) kept byte for byte. */
export function pretty(text) {
  if (read(text).error) return text;
  let out = "";
  let indent = 0;
  let i = 0;
  const nl = () => `\n${"  ".repeat(indent)}`;
  while (i < text.length) {
    const c = text[i];
    if (" \t\n\r".includes(c)) {
      i++;
      continue;
    }
    if (c === '"') {
      let j = i + 1;
      while (text[j] !== '"') j += text[j] === "\\" ? 2 : 1;
      out += text.slice(i, j + 1);
      i = j + 1;
      continue;
    }
    if (c === "{" || c === "[") {
      const close = c === "{" ? "}" : "]";
      let j = i + 1;
      while (" \t\n\r".includes(text[j])) j++;
      if (text[j] === close) {
        out += c + close;
        i = j + 1;
        continue;
      }
      indent++;
      out += c + nl();
    } else if (c === "}" || c === "]") {
      indent--;
      out += nl() + c;
    } else if (c === ",") {
      out += `,${nl()}`;
    } else if (c === ":") {
      out += ": ";
    } else {
      out += c;
    }
    i++;
  }
  return out;
}
