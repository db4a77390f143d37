// DOM helpers. Text only ever goes in as text (textContent, createTextNode, attribute
// values): nothing in the console parses strings as HTML, so item content can never become markup.

/**
 * `h("button", {class: "x", onclick: f}, "Save")`: an element with attributes, event
 * handlers (`on…` keys) and children (strings become text nodes; null/false are skipped).
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on") && typeof value === "function") {
      el.addEventListener(key.slice(2), value);
    } else if (key === "class") {
      el.className = value;
    } else if (key === "value") {
      el.value = value;
    } else if (key === "checked" || key === "disabled" || key === "selected") {
      el[key] = Boolean(value);
    } else {
      el.setAttribute(key, value === true ? "" : String(value));
    }
  }
  append(el, children);
  return el;
}

/**
 * The breadcrumb above a screen: "Projects", then each `[text, href]` of `links`, then
 * `current` (this screen, not a link).
 */
export function crumbs(links, current) {
  const parts = [h("a", { href: "#/" }, "Projects")];
  for (const [text, href] of links) parts.push(" / ", h("a", { href }, text));
  parts.push(" / ", h("span", { "aria-current": "page" }, current));
  return h("nav", { class: "crumbs", "aria-label": "Breadcrumb" }, parts);
}

function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** Replaces an element's children. */
export function replace(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

let nextId = 0;
/** A unique id for label/control pairs. */
export function uid(prefix = "c") {
  nextId += 1;
  return `${prefix}-${nextId}`;
}

/** A labelled control: `<div class="field"><label for>text</label>control hint</div>`. */
export function field(labelText, control, hint) {
  if (!control.id) control.id = uid("f");
  const parts = [h("label", { for: control.id }, labelText), control];
  if (hint) {
    const hintEl = hint instanceof Node ? hint : h("p", { class: "hint" }, hint);
    if (!hintEl.id) hintEl.id = uid("hint");
    control.setAttribute("aria-describedby", hintEl.id);
    parts.push(hintEl);
  }
  return h("div", { class: "field" }, parts);
}

/** A message box: kind is "error", "warn", "ok" or "info". Announced to screen readers. */
export function notice(kind, ...children) {
  return h("div", { class: `notice ${kind}`, role: kind === "error" ? "alert" : "status" }, children);
}

/** Formats an RFC 3339 timestamp for people, keeping the original in a title. */
export function when(iso) {
  if (!iso) return "";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  return h("time", { datetime: iso, title: iso }, d.toLocaleString());
}

/** `href` for a console route: `link("p", name)` → `#/p/name`. */
export function route(...parts) {
  return `#/${parts.map((p) => encodeURIComponent(p)).join("/")}`;
}

/** A short rendering of any JSON value for a table cell, as text. */
export function cellText(value) {
  if (value === undefined) return "";
  if (typeof value === "string") return value;
  const text = JSON.stringify(value);
  return text.length > 120 ? `${text.slice(0, 117)}…` : text;
}

/** Copies text to the clipboard; answers whether it worked. */
export async function copyText(text) {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    return false;
  }
}

/** Moves focus to the page's main heading after a screen changes, for keyboard users. */
export function focusHeading(root) {
  const heading = root.querySelector("h1, h2");
  if (heading) {
    heading.setAttribute("tabindex", "-1");
    heading.focus({ preventScroll: false });
  }
}

/** A modal yes/no question; resolves true when confirmed. */
export function confirmAction({ title, text, confirm = "Delete", danger = true }) {
  return new Promise((resolve) => {
    const confirmDialog = document.getElementById("confirm-dialog");
    const done = (answer) => {
      confirmDialog.close();
      resolve(answer);
    };
    const yes = h("button", { type: "button", class: danger ? "danger" : "", onclick: () => done(true) }, confirm);
    const no = h("button", { type: "button", class: "secondary", onclick: () => done(false) }, "Cancel");
    replace(confirmDialog, h("h2", { id: "confirm-dialog-title" }, title), h("p", {}, text), h("div", { class: "actions" }, yes, no));
    confirmDialog.onclose = () => resolve(false);
    confirmDialog.showModal();
    no.focus();
  });
}

/** A horizontally scrollable region (keyboard-scrollable: focusable, named). */
export function scroller(label, child) {
  return h("div", { class: "scroller", role: "region", "aria-label": label, tabindex: "0" }, child);
}

/**
 * A paged table: `load(cursor)` answers a page `{data, next_cursor}`; `columns` are
 * `{label, cell(row) → text or node}`. Answers `{el, reload()}`.
 */
export function pagedTable({ caption, columns, load, empty = "Nothing here yet." }) {
  const body = h("div", {});
  const el = h("div", { class: "paged" }, body);
  const cursors = [null]; // the cursor of each page seen, for "Previous"
  let page = 0;
  async function render() {
    let result;
    try {
      result = await load(cursors[page]);
    } catch (e) {
      replace(body, notice("error", e.message));
      return;
    }
    const rows = result.data ?? [];
    cursors[page + 1] = result.next_cursor ?? undefined;
    const table = h(
      "table",
      {},
      h("caption", {}, caption),
      h("thead", {}, h("tr", {}, columns.map((c) => h("th", { scope: "col" }, c.label)))),
      h("tbody", {}, rows.map((row) => h("tr", {}, columns.map((c) => h("td", {}, c.cell(row)))))),
    );
    const prev = h("button", { type: "button", class: "secondary", disabled: page === 0, onclick: () => ((page -= 1), render()) }, "Previous page");
    const next = h("button", { type: "button", class: "secondary", disabled: !result.next_cursor, onclick: () => ((page += 1), render()) }, "Next page");
    replace(
      body,
      rows.length ? scroller(caption, table) : h("p", { class: "muted" }, empty),
      page > 0 || result.next_cursor ? h("div", { class: "pager" }, prev, h("span", { class: "muted" }, `Page ${page + 1}`), next) : null,
    );
  }
  return {
    el,
    reload: () => {
      page = 0;
      cursors.length = 1;
      return render();
    },
    refresh: render,
  };
}
