// The JSON editor: a plain <textarea> (so every browser's editing, undo and keyboard
// behaviour is the real one, and Tab still moves focus), over a backdrop that marks
// ranges and beside a gutter of line numbers. Syntax errors are marked as you type; the
// server's answers (406 `details.missing`, 400 `details.errors`, `details.pointer`,
// `details.line`/`column`) are marked by their JSON pointers, resolved against the text
// as it is now, so they stay on the right member while the person edits.

import { h, replace, uid } from "./dom.js";
import { lineColumn, offsetOf, read, resolve } from "./json-source.js";

/**
 * `createJsonEditor({label, text, rows})` → `{el, text(), setText(t), read(), setServerMarks(marks), focus()}`.
 * A server mark is `{pointer, message}` (or `{offset, message}` for a syntax position).
 */
export function createJsonEditor({ label, text = "", rows = 18, onInput } = {}) {
  const id = uid("editor");
  const problemsId = `${id}-problems`;
  const textarea = h("textarea", {
    id,
    class: "code",
    rows: Math.min(Math.max(text.split("\n").length + 1, 6), rows),
    spellcheck: "false",
    autocomplete: "off",
    autocapitalize: "off",
    wrap: "off",
    "aria-describedby": problemsId,
  });
  textarea.value = text;
  const backdrop = h("pre", { class: "backdrop", "aria-hidden": "true" });
  const gutter = h("div", { class: "gutter", "aria-hidden": "true" });
  const problems = h("ul", { class: "problems", id: problemsId, "aria-live": "polite" });
  const el = h(
    "div",
    { class: "editor" },
    h("label", { for: id }, label),
    h("div", { class: "editor-frame" }, gutter, h("div", { class: "editor-area" }, backdrop, textarea)),
    problems,
  );

  let serverMarks = [];
  let timer = null;

  textarea.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(render, 60);
    onInput?.();
  });
  textarea.addEventListener("scroll", sync);

  function sync() {
    backdrop.scrollTop = textarea.scrollTop;
    backdrop.scrollLeft = textarea.scrollLeft;
    gutter.scrollTop = textarea.scrollTop;
  }

  /** Every mark on the current text: `{start, end, line, column, message, kind}`. */
  function marks(src, parsed) {
    const out = [];
    if (parsed.error) {
      const start = parsed.error.offset;
      out.push({ start, end: start + 1, message: `JSON syntax: ${parsed.error.message}`, kind: "syntax" });
    }
    for (const m of serverMarks) {
      let range;
      if (m.offset !== undefined) range = { start: m.offset, end: m.offset + 1 };
      else if (m.pointer !== undefined) range = resolve(parsed.spans, m.pointer);
      const where = m.pointer ? `${m.pointer || "(the whole item)"}: ` : "";
      if (!range) {
        out.push({ start: null, end: null, message: `${where}${m.message}`, kind: m.kind ?? "server" });
        continue;
      }
      // A present member: mark its key and value; a missing one: its parent's first line.
      const start = range.keyStart ?? range.start;
      out.push({ start, end: range.end, message: `${where}${m.message}`, kind: m.kind ?? "server" });
    }
    for (const m of out) {
      if (m.start === null) continue;
      m.end = Math.max(m.start + 1, Math.min(m.end, src.length));
      Object.assign(m, lineColumn(src, m.start));
    }
    return out;
  }

  function render() {
    const src = textarea.value;
    const parsed = read(src);
    const all = marks(src, parsed);
    textarea.setAttribute("aria-invalid", all.length ? "true" : "false");
    // The backdrop: the same text, with <mark>s; never markup from the text itself.
    const ranges = all.filter((m) => m.start !== null).sort((a, b) => a.start - b.start);
    const parts = [];
    let at = 0;
    for (const m of ranges) {
      const start = Math.max(m.start, at);
      if (start >= m.end) continue;
      parts.push(src.slice(at, start));
      parts.push(h("mark", { class: m.kind }, src.slice(start, m.end) || " "));
      at = m.end;
    }
    parts.push(src.slice(at), "\n ");
    replace(backdrop, parts);
    // The gutter: a number per line, the marked ones flagged.
    const bad = new Map();
    for (const m of ranges) {
      const last = lineColumn(src, m.end - 1).line;
      for (let l = m.line; l <= last; l++) if (!bad.has(l)) bad.set(l, m.kind);
    }
    const lines = src.split("\n").length;
    const nums = [];
    for (let l = 1; l <= lines; l++) {
      nums.push(h("div", { class: bad.has(l) ? `ln bad ${bad.get(l)}` : "ln" }, String(l)));
    }
    nums.push(h("div", { class: "ln" }, " "));
    replace(gutter, nums);
    // The list of problems, each a button that selects its place.
    replace(
      problems,
      all.map((m) =>
        h(
          "li",
          { class: m.kind },
          m.start === null
            ? m.message
            : h(
                "button",
                { type: "button", class: "link", onclick: () => select(m.start, m.end) },
                `Line ${m.line}, column ${m.column}: ${m.message}`,
              ),
        ),
      ),
    );
    sync();
    return parsed;
  }

  function select(start, end) {
    textarea.focus();
    textarea.setSelectionRange(start, end);
    const line = lineColumn(textarea.value, start).line;
    const lh = parseFloat(getComputedStyle(textarea).lineHeight) || 18;
    textarea.scrollTop = Math.max(0, (line - 3) * lh);
    sync();
  }

  render();
  return {
    el,
    textarea,
    text: () => textarea.value,
    setText(t) {
      textarea.value = t;
      // As tall as the text (within reason), so the buttons below stay in view.
      textarea.rows = Math.min(Math.max(t.split("\n").length + 1, 6), rows);
      serverMarks = [];
      render();
    },
    /** Parses the current text: `{value, error, spans}`. */
    read: () => read(textarea.value),
    /** Marks the server's findings; `[]` clears them. */
    setServerMarks(list) {
      serverMarks = list.map((m) =>
        m.line !== undefined ? { ...m, offset: offsetOf(textarea.value, m.line, m.column ?? 1) } : m,
      );
      render();
    },
    focus: () => textarea.focus(),
    marks: () => marks(textarea.value, read(textarea.value)),
  };
}
