// A collection's JSON Schema and indexes (PUT replaces both), and deleting it.

import { ApiError, api, paths } from "../api.js";
import { confirmAction, crumbs, field, h, notice, replace, route } from "../dom.js";
import { createJsonEditor } from "../editor.js";
import { pretty } from "../json-source.js";

export async function render(main, { project, collection }) {
  const msg = h("div", { class: "messages" });
  const editor = createJsonEditor({ label: "JSON Schema (draft 2020-12), or null for none", text: "null", rows: 16 });
  const indexes = h("textarea", { rows: 4, class: "code", spellcheck: "false" });
  const save = h("button", { type: "button", onclick: onSave }, "Save schema and indexes");

  replace(
    main,
    crumbs(
      [
        [project, route("p", project)],
        [collection, route("p", project, "c", collection)],
      ],
      "schema",
    ),
    h("h1", {}, `Schema and indexes of ${collection}`),
    h("p", { class: "muted" }, "A new schema applies to writes from now on; existing items are not checked again. A schema's required fields missing from an item are a 406, any other failure a 400."),
    msg,
    editor.el,
    field("Indexes: one path per line (at most 16)", indexes, "Paths such as priority or address.city. Filters and sorts on them are served from an index; sort needs one."),
    h(
      "div",
      { class: "actions" },
      save,
      h("button", { type: "button", class: "secondary", onclick: () => editor.setText(pretty(editor.text())) }, "Format"),
      h("a", { class: "button secondary", href: route("p", project, "c", collection) }, "Back to the items"),
      h("button", { type: "button", class: "danger", onclick: remove }, "Delete collection"),
    ),
  );

  try {
    const { body } = await api("GET", paths.collection(project, collection));
    editor.setText(JSON.stringify(body.schema, null, 2));
    indexes.value = (body.indexes ?? []).join("\n");
  } catch (e) {
    replace(msg, notice("error", e.message));
  }

  async function onSave() {
    const parsed = editor.read();
    if (parsed.error) {
      replace(msg, notice("error", "The schema has a JSON syntax error (marked below); nothing was sent."));
      editor.focus();
      return;
    }
    const list = indexes.value.split(/[\n,]/).map((s) => s.trim()).filter(Boolean);
    editor.setServerMarks([]);
    indexes.removeAttribute("aria-invalid");
    save.disabled = true;
    try {
      const { body } = await api("PUT", paths.collection(project, collection), { body: { schema: parsed.value, indexes: list } });
      editor.setText(JSON.stringify(body.schema, null, 2));
      indexes.value = (body.indexes ?? []).join("\n");
      replace(msg, notice("ok", "Saved."));
    } catch (e) {
      const d = e instanceof ApiError ? e.details : {};
      const where = [];
      if (typeof d.schema_path === "string") {
        // The schema travels as /schema in the body; schema_path points inside it.
        editor.setServerMarks([{ pointer: d.schema_path.replace(/^#/, ""), message: e.message }]);
        where.push(h("p", {}, "In the schema at ", h("code", {}, d.schema_path || "/"), " (marked)."));
      }
      if (typeof d.pointer === "string" && d.pointer.startsWith("/indexes")) {
        indexes.setAttribute("aria-invalid", "true");
        const n = Number(d.pointer.split("/")[2]);
        where.push(h("p", {}, Number.isInteger(n) ? `Index line ${n + 1}: ${list[n] ?? ""}` : "In the indexes."));
      }
      replace(msg, notice("error", h("p", {}, `${e.status ?? ""} ${e.message}`.trim()), where));
    } finally {
      save.disabled = false;
    }
  }

  async function remove() {
    const ok = await confirmAction({ title: `Delete collection ${collection}?`, text: "Every item in it is deleted too. This can't be undone." });
    if (!ok) return;
    try {
      await api("DELETE", paths.collection(project, collection));
      location.hash = route("p", project);
    } catch (e) {
      replace(msg, notice("error", e.message));
    }
  }
}
