// OAuth clients (admin): list, create (the secret shown once, with a copy button), delete.

import { api, paths, withQuery } from "../api.js";
import { confirmAction, copyText, field, h, notice, pagedTable, replace, when } from "../dom.js";

export async function render(main) {
  const msg = h("div", { class: "messages" });
  const table = pagedTable({
    caption: "OAuth clients",
    load: async (cursor) => (await api("GET", withQuery(paths.clients(), { cursor, limit: 50 }))).body,
    columns: [
      { label: "Client id", cell: (c) => h("code", {}, c.client_id) },
      { label: "Name", cell: (c) => c.name },
      { label: "Scopes", cell: (c) => c.scopes.join(" ") },
      { label: "Created", cell: (c) => when(c.created_at) },
      {
        label: "Actions",
        cell: (c) => h("button", { type: "button", class: "danger small", "aria-label": `Delete client ${c.client_id}`, onclick: () => remove(c) }, "Delete"),
      },
    ],
  });

  const name = h("input", { name: "name", autocomplete: "off", required: true });
  const scopes = h("input", { name: "scopes", autocomplete: "off", required: true, spellcheck: "false", class: "mono", placeholder: "project:demo:write" });
  const out = h("div", { class: "form-error" });
  const create = h("button", { type: "submit" }, "Create client");
  const form = h(
    "form",
    {
      class: "grid-form",
      novalidate: true,
      onsubmit: async (e) => {
        e.preventDefault();
        replace(out);
        create.disabled = true;
        try {
          const list = scopes.value.split(/[\s,]+/).filter(Boolean);
          const { body } = await api("POST", paths.clients(), { body: { name: name.value, scopes: list } });
          name.value = "";
          scopes.value = "";
          showSecret(body);
          await table.reload();
        } catch (err) {
          out.append(notice("error", err.message));
        } finally {
          create.disabled = false;
        }
      },
    },
    field("Name", name, "For people: what the client is for."),
    field("Scopes", scopes, "Space-separated: admin, project:NAME:read or project:NAME:write."),
    h("div", { class: "actions" }, create),
    out,
  );

  function showSecret(c) {
    const secret = h("code", { class: "secret", id: "new-secret" }, c.client_secret);
    const copied = h("span", { class: "muted", role: "status" });
    const box = notice(
      "ok",
      h("p", {}, "Client ", h("code", {}, c.client_id), " created. Its secret is shown this once: depot keeps only a hash of it."),
      h("p", {}, h("span", { class: "label" }, "Client id: "), h("code", { class: "secret" }, c.client_id)),
      h("p", {}, h("span", { class: "label" }, "Client secret: "), secret),
      h(
        "div",
        { class: "actions" },
        h(
          "button",
          {
            type: "button",
            onclick: async () => replace(copied, (await copyText(c.client_secret)) ? "Copied." : "Copying failed: select the secret and copy it."),
          },
          "Copy the secret",
        ),
        h("button", { type: "button", class: "secondary", onclick: () => replace(msg) }, "Done: hide it"),
        copied,
      ),
    );
    replace(msg, box);
    box.querySelector("button").focus();
  }

  async function remove(c) {
    const ok = await confirmAction({ title: `Delete client ${c.client_id}?`, text: "The client can no longer get tokens, and every token it has is revoked at once." });
    if (!ok) return;
    try {
      await api("DELETE", paths.client(c.client_id));
      replace(msg, notice("ok", `Client ${c.client_id} deleted; its tokens are revoked.`));
      await table.reload();
    } catch (e) {
      replace(msg, notice("error", e.message));
    }
  }

  replace(main, h("h1", {}, "Clients"), h("h2", {}, "New client"), form, msg, h("h2", {}, "All clients"), table.el);
  await table.reload();
}
