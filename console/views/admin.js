// Admin: the maintenance switch, and online backups (take, list, download, delete).

import { api, paths } from "../api.js";
import { confirmAction, field, h, notice, pagedTable, replace, when } from "../dom.js";

function size(bytes) {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let n = bytes;
  let u = 0;
  while (n >= 1024 && u < units.length - 1) (n /= 1024), u++;
  return `${u ? n.toFixed(1) : n} ${units[u]}`;
}

export async function render(main) {
  // --- maintenance
  const enabled = h("input", { type: "checkbox", id: "maintenance-enabled", role: "switch" });
  const retryAfter = h("input", { type: "number", min: 0, max: 86400, step: 1, inputmode: "numeric" });
  const mMsg = h("div", { class: "messages" });
  const mState = h("p", { class: "state", "aria-live": "polite" });
  const apply = h("button", { type: "submit" }, "Apply");
  function showState(m) {
    enabled.checked = m.enabled;
    retryAfter.value = String(m.retry_after);
    replace(mState, m.enabled ? h("strong", { class: "warn-text" }, "Maintenance mode is ON: every write answers 503.") : "Maintenance mode is off: writes are served.");
  }
  const mForm = h(
    "form",
    {
      class: "grid-form",
      novalidate: true,
      onsubmit: async (e) => {
        e.preventDefault();
        replace(mMsg);
        apply.disabled = true;
        try {
          const { body } = await api("PUT", paths.maintenance(), { body: { enabled: enabled.checked, retry_after: Number(retryAfter.value || 30) } });
          showState(body);
          mMsg.append(notice("ok", body.enabled ? "Maintenance mode switched on." : "Maintenance mode switched off."));
        } catch (err) {
          mMsg.append(notice("error", err.message));
        } finally {
          apply.disabled = false;
        }
      },
    },
    h("div", { class: "check big" }, enabled, h("label", { for: enabled.id }, "Maintenance mode (writes answer 503 with Retry-After)")),
    field("Retry-After of its 503s, in seconds", retryAfter),
    h("div", { class: "actions" }, apply),
  );

  // --- backups
  const bMsg = h("div", { class: "messages" });
  const take = h("button", { type: "button", onclick: takeBackup }, "Take a backup now");
  const table = pagedTable({
    caption: "Backups, oldest first",
    empty: "No backups yet.",
    load: async () => (await api("GET", paths.backups())).body,
    columns: [
      { label: "Name", cell: (b) => h("code", {}, b.name) },
      { label: "Size", cell: (b) => size(b.bytes) },
      { label: "Taken", cell: (b) => when(b.created_at) },
      { label: "SHA-256", cell: (b) => h("code", { class: "hash", title: b.sha256 }, `${b.sha256.slice(0, 12)}…`) },
      {
        label: "Actions",
        cell: (b) =>
          h(
            "span",
            { class: "row-actions" },
            h("button", { type: "button", class: "secondary small", "aria-label": `Download ${b.name}`, onclick: () => download(b) }, "Download"),
            h("button", { type: "button", class: "danger small", "aria-label": `Delete ${b.name}`, onclick: () => remove(b) }, "Delete"),
          ),
      },
    ],
  });

  async function takeBackup() {
    take.disabled = true;
    replace(bMsg, notice("info", "Taking a backup (reads and writes go on meanwhile)…"));
    try {
      const { body } = await api("POST", paths.backups());
      replace(bMsg, notice("ok", `Backup ${body.name} taken: ${size(body.bytes)}.`));
      await table.reload();
    } catch (e) {
      replace(bMsg, notice("error", e.message));
    } finally {
      take.disabled = false;
    }
  }

  async function download(b) {
    try {
      // The file needs the bearer token, so it is fetched, then handed to the browser.
      const { body } = await api("GET", paths.backup(b.name), { raw: true });
      const url = URL.createObjectURL(body);
      const a = h("a", { href: url, download: b.name, class: "hidden" });
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
      replace(bMsg, notice("ok", `Downloading ${b.name} (${size(b.bytes)}). Check it with sha256sum: ${b.sha256}`));
    } catch (e) {
      replace(bMsg, notice("error", e.message));
    }
  }

  async function remove(b) {
    if (!(await confirmAction({ title: `Delete backup ${b.name}?`, text: "The file and its checksum are deleted from the server's disk." }))) return;
    try {
      await api("DELETE", paths.backup(b.name));
      replace(bMsg, notice("ok", `Backup ${b.name} deleted.`));
      await table.reload();
    } catch (e) {
      replace(bMsg, notice("error", e.message));
    }
  }

  replace(
    main,
    h("h1", {}, "Admin"),
    h("section", { class: "card" }, h("h2", {}, "Maintenance mode"), mState, mForm, mMsg),
    h("section", { class: "card" }, h("h2", {}, "Backups"), h("p", { class: "muted" }, "A consistent online snapshot of the SQLite database, kept in the data directory's backups folder. Copy backups elsewhere."), h("div", { class: "actions" }, take), bMsg, table.el),
  );
  try {
    showState((await api("GET", paths.maintenance())).body);
  } catch (e) {
    replace(mMsg, notice("error", e.message));
  }
  await table.reload();
}
