// Projects (list, create, delete) and a project's collections (list, create, delete).

import { api, isAdmin, paths, withQuery } from "../api.js";
import { confirmAction, crumbs, field, h, notice, pagedTable, replace, route, when } from "../dom.js";

const NAME_RULE = "^[a-z0-9][a-z0-9_-]{0,62}$";
const NAME_HINT = "Lowercase letters, digits, - and _; up to 63 characters, starting with a letter or digit.";

/** A one-field create form that calls `create(name)`; errors are shown under the field. */
function createForm({ label, button, create }) {
  const input = h("input", { name: "name", required: true, pattern: NAME_RULE, autocomplete: "off", spellcheck: "false" });
  const out = h("div", { class: "form-error" });
  const submit = h("button", { type: "submit" }, button);
  const form = h(
    "form",
    {
      class: "inline-form",
      novalidate: true,
      onsubmit: async (e) => {
        e.preventDefault();
        replace(out);
        input.removeAttribute("aria-invalid");
        submit.disabled = true;
        try {
          await create(input.value.trim());
          input.value = "";
        } catch (err) {
          input.setAttribute("aria-invalid", "true");
          out.append(notice("error", err.message));
          input.focus();
        } finally {
          submit.disabled = false;
        }
      },
    },
    field(label, input, NAME_HINT),
    submit,
    out,
  );
  return form;
}

export async function renderProjects(main) {
  const msg = h("div", {});
  const table = pagedTable({
    caption: "Projects",
    empty: "No projects yet (or none this client may see).",
    load: async (cursor) => (await api("GET", withQuery(paths.projects(), { cursor, limit: 50 }))).body,
    columns: [
      { label: "Name", cell: (p) => h("a", { href: route("p", p.name) }, p.name) },
      { label: "Created", cell: (p) => when(p.created_at) },
      {
        label: "Actions",
        cell: (p) =>
          isAdmin()
            ? h("button", { type: "button", class: "danger small", "aria-label": `Delete project ${p.name}`, onclick: () => remove(p.name) }, "Delete")
            : "",
      },
    ],
  });
  async function remove(name) {
    const ok = await confirmAction({ title: `Delete project ${name}?`, text: "Every collection and item in it is deleted too. This can't be undone." });
    if (!ok) return;
    replace(msg);
    try {
      await api("DELETE", paths.project(name));
      msg.append(notice("ok", `Project ${name} deleted.`));
      await table.reload();
    } catch (e) {
      msg.append(notice("error", e.message));
    }
  }
  replace(
    main,
    h("h1", {}, "Projects"),
    isAdmin()
      ? createForm({
          label: "New project name",
          button: "Create project",
          create: async (name) => {
            await api("POST", paths.projects(), { body: { name } });
            replace(msg, notice("ok", "Project ", h("a", { href: route("p", name) }, name), " created."));
            await table.reload();
          },
        })
      : h("p", { class: "muted" }, "Creating projects needs the admin scope."),
    msg,
    table.el,
  );
  await table.reload();
}

export async function renderCollections(main, { project }) {
  const msg = h("div", {});
  const table = pagedTable({
    caption: `Collections of ${project}`,
    empty: "No collections yet.",
    load: async (cursor) => (await api("GET", withQuery(paths.collections(project), { cursor, limit: 50 }))).body,
    columns: [
      { label: "Name", cell: (c) => h("a", { href: route("p", project, "c", c.name) }, c.name) },
      { label: "Schema", cell: (c) => (c.schema === null ? "none" : "yes") },
      { label: "Indexes", cell: (c) => (c.indexes ?? []).join(", ") },
      {
        label: "Actions",
        cell: (c) =>
          h(
            "span",
            { class: "row-actions" },
            h("a", { href: route("p", project, "c", c.name, "schema"), "aria-label": `Schema and indexes of ${c.name}` }, "Schema"),
            h("button", { type: "button", class: "danger small", "aria-label": `Delete collection ${c.name}`, onclick: () => remove(c.name) }, "Delete"),
          ),
      },
    ],
  });
  async function remove(name) {
    const ok = await confirmAction({ title: `Delete collection ${name}?`, text: "Every item in it is deleted too. This can't be undone." });
    if (!ok) return;
    replace(msg);
    try {
      await api("DELETE", paths.collection(project, name));
      msg.append(notice("ok", `Collection ${name} deleted.`));
      await table.reload();
    } catch (e) {
      msg.append(notice("error", e.message));
    }
  }
  replace(
    main,
    crumbs([], project),
    h("h1", {}, `Project ${project}`),
    createForm({
      label: "New collection name",
      button: "Create collection",
      create: async (name) => {
        await api("POST", paths.collections(project), { body: { name, schema: null } });
        replace(msg, notice("ok", "Collection ", h("a", { href: route("p", project, "c", name) }, name), " created. ", h("a", { href: route("p", project, "c", name, "schema") }, "Give it a schema"), "."));
        await table.reload();
      },
    }),
    msg,
    table.el,
  );
  await table.reload();
}
