// One item: view, create, edit (the JSON editor) and delete. The editor's text is sent
// as typed (numbers keep their digits); the contract's answers become messages here and
// marks in the editor: 406 `missing`, 400 `errors`/`pointer`/`line`, 412 with "reload"
// or "overwrite", and (after the retries api.js makes and announces) 503 and 429.

import { ApiError, api, paths } from "../api.js";
import { confirmAction, crumbs, h, notice, replace, route } from "../dom.js";
import { createJsonEditor } from "../editor.js";
import { pretty } from "../json-source.js";

/** A message to show on the next screen (after a create or a delete navigates). */
let flash = null;

const versionOf = (etag) => (etag ? Number(etag.replace(/^W\//, "").replaceAll('"', "")) : null);

export async function render(main, { project, collection, id }) {
  const isNew = id === undefined;
  const itemPath = isNew ? null : paths.item(project, collection, id);
  let version = null;

  const msg = h("div", { class: "messages" });
  const editor = createJsonEditor({
    label: isNew ? "The new item (a JSON object)" : "The item (JSON; id, created_at, updated_at and version are the server's)",
    text: "{\n  \n}",
    rows: 18,
  });
  const saveButton = h("button", { type: "button", onclick: () => save() }, isNew ? "Create item" : "Save");
  const versionText = h("span", { class: "muted", "aria-live": "polite" });

  replace(
    main,
    crumbs(
      [
        [project, route("p", project)],
        [collection, route("p", project, "c", collection)],
      ],
      isNew ? "new item" : id,
    ),
    h("h1", {}, isNew ? `New item in ${collection}` : "Item"),
    isNew ? null : h("p", { class: "mono wrap" }, id),
    msg,
    editor.el,
    h(
      "div",
      { class: "actions" },
      saveButton,
      h("button", { type: "button", class: "secondary", onclick: () => editor.setText(pretty(editor.text())) }, "Format"),
      isNew ? null : h("button", { type: "button", class: "danger", onclick: remove }, "Delete item"),
      h("a", { class: "button secondary", href: route("p", project, "c", collection) }, "Back to the list"),
      versionText,
    ),
    h("p", { class: "hint" }, "Ctrl+S (⌘S) saves. Tab leaves the editor."),
  );
  editor.textarea.addEventListener("keydown", (e) => {
    if ((e.ctrlKey || e.metaKey) && e.key.toLowerCase() === "s") {
      e.preventDefault();
      save();
    }
  });
  if (flash) {
    msg.append(notice(flash.kind, flash.text));
    flash = null;
  }

  function say(kind, ...children) {
    replace(msg, notice(kind, ...children));
  }

  function showVersion() {
    replace(versionText, version ? `Version ${version}` : "");
  }

  async function loadCurrent() {
    const r = await api("GET", itemPath, { text: true });
    version = versionOf(r.etag);
    showVersion();
    return pretty(r.body);
  }

  if (!isNew) {
    try {
      editor.setText(await loadCurrent());
    } catch (e) {
      say("error", e.status === 404 ? "This item does not exist (it may have been deleted)." : e.message);
      saveButton.disabled = true;
    }
  }

  async function save(overwrite = false) {
    const parsed = editor.read();
    if (parsed.error) {
      say("error", "The JSON has a syntax error (marked in the editor); nothing was sent.");
      editor.focus();
      return;
    }
    if (typeof parsed.value !== "object" || parsed.value === null || Array.isArray(parsed.value)) {
      say("error", "An item is a JSON object: { … }. Nothing was sent.");
      return;
    }
    editor.setServerMarks([]);
    replace(msg, notice("info", "Saving…"));
    saveButton.disabled = true;
    try {
      if (isNew) {
        const r = await api("POST", paths.items(project, collection), { body: editor.text(), text: true });
        const created = JSON.parse(r.body);
        flash = { kind: "ok", text: `Item created (version ${created.version}).` };
        location.hash = route("p", project, "c", collection, "i", created.id);
        return;
      }
      const headers = overwrite ? {} : { "if-match": `"${version}"` };
      const r = await api("PUT", itemPath, { body: editor.text(), headers, text: true });
      version = versionOf(r.etag);
      showVersion();
      editor.setText(pretty(r.body));
      say("ok", `Saved: version ${version}.`);
    } catch (e) {
      explain(e);
    } finally {
      saveButton.disabled = false;
    }
  }

  /** The contract's answer, said precisely and marked in the editor. */
  function explain(e) {
    if (!(e instanceof ApiError)) {
      say("error", `The server could not be reached: ${e.message}. Nothing was saved.`);
      return;
    }
    const d = e.details;
    if (e.status === 406 && Array.isArray(d.missing)) {
      editor.setServerMarks(d.missing.map((pointer) => ({ pointer, message: "required, but missing", kind: "missing" })));
      say(
        "error",
        h("p", {}, `406: the collection's schema requires ${d.missing.length === 1 ? "a field that is" : "fields that are"} missing:`),
        h("ul", {}, d.missing.map((p) => h("li", {}, h("code", {}, p)))),
        h("p", {}, "Their places are marked in the editor. Nothing was saved."),
      );
      return;
    }
    if (e.status === 400) {
      const marks = [];
      if (Array.isArray(d.errors)) for (const x of d.errors) marks.push({ pointer: x.pointer ?? "", message: x.message });
      else if (typeof d.pointer === "string") marks.push({ pointer: d.pointer, message: e.message });
      else if (typeof d.line === "number") marks.push({ line: d.line, column: d.column, message: e.message });
      editor.setServerMarks(marks);
      say(
        "error",
        h("p", {}, `400: ${e.message}`),
        marks.length ? h("p", {}, `${marks.length === 1 ? "The place is" : `${marks.length} places are`} marked in the editor${d.truncated ? " (the server listed only the first ones)" : ""}. Nothing was saved.`) : null,
      );
      return;
    }
    if (e.status === 412) {
      say(
        "warn",
        h("p", {}, `412: this item changed since you loaded it (you edited version ${version}). Nothing was saved.`),
        h(
          "div",
          { class: "actions" },
          h("button", { type: "button", onclick: reloadCurrent }, "Reload the current version"),
          h("button", { type: "button", class: "danger", onclick: () => save(true) }, "Overwrite with my version"),
        ),
      );
      return;
    }
    if (e.status === 404) {
      say("error", "404: this item (or its collection) no longer exists. Nothing was saved.");
      return;
    }
    if (e.status === 503 || e.status === 429) {
      say("error", `${e.status}: ${e.message}. Retried with backoff and still refused; nothing was saved (a ${e.status} never has an effect), so saving again is safe.`);
      return;
    }
    say("error", `${e.status}: ${e.message}`);
  }

  async function reloadCurrent() {
    const mine = editor.text();
    try {
      editor.setText(await loadCurrent());
      say(
        "info",
        h("p", {}, `Reloaded version ${version}. Your edits were replaced; here they are to copy from:`),
        h("details", {}, h("summary", {}, "Your edits"), h("pre", { class: "code-block" }, mine)),
      );
    } catch (e) {
      explain(e);
    }
  }

  async function remove() {
    const ok = await confirmAction({ title: "Delete this item?", text: `Item ${id} will be deleted. This can't be undone.` });
    if (!ok) return;
    try {
      await api("DELETE", itemPath, { headers: version ? { "if-match": `"${version}"` } : {} });
      location.hash = route("p", project, "c", collection);
    } catch (e) {
      explain(e);
    }
  }
}
