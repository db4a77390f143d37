// The console's shell: sign-in, the section links, the retry status line, the dialogs,
// and a hash router that renders one screen at a time into <main>. Screens live in
// views/*.js; each is `render(main, params)` and may answer a cleanup function.

import { ApiError, canRevoke, session, setHooks, signIn, signOut } from "./api.js";
import { field, focusHeading, h, notice, replace } from "./dom.js";
import * as admin from "./views/admin.js";
import * as clients from "./views/clients.js";
import * as health from "./views/health.js";
import * as item from "./views/item.js";
import * as items from "./views/items.js";
import * as projects from "./views/projects.js";
import * as schema from "./views/schema.js";

const main = document.getElementById("main");
const nav = document.getElementById("nav");
const who = document.getElementById("who");
const statusLine = document.getElementById("status");
const signinDialog = document.getElementById("signin-dialog");
const confirmDialog = document.getElementById("confirm-dialog");

/** Routes: `#/…` segments → a screen and its parameters. */
const ROUTES = [
  [[], projects.renderProjects, "projects"],
  [["clients"], clients.render, "clients"],
  [["admin"], admin.render, "admin"],
  [["health"], health.render, "health"],
  [["p", ":project"], projects.renderCollections, "projects"],
  [["p", ":project", "c", ":collection"], items.render, "projects"],
  [["p", ":project", "c", ":collection", "schema"], schema.render, "projects"],
  [["p", ":project", "c", ":collection", "new"], item.render, "projects"],
  [["p", ":project", "c", ":collection", "i", ":id"], item.render, "projects"],
];

function match(hash) {
  const [path, query = ""] = hash.replace(/^#\/?/, "").split("?");
  const segs = path ? path.split("/").map(decodeURIComponent) : [];
  for (const [pattern, view, section] of ROUTES) {
    if (pattern.length !== segs.length) continue;
    const params = {};
    if (pattern.every((p, i) => (p.startsWith(":") ? ((params[p.slice(1)] = segs[i]), true) : p === segs[i]))) {
      return { view, section, params: { ...params, query: new URLSearchParams(query) } };
    }
  }
  return null;
}

let cleanup = null;

async function show() {
  if (typeof cleanup === "function") cleanup();
  cleanup = null;
  const hash = location.hash || "#/";
  if (!hash.startsWith("#/")) return; // e.g. the skip link: not a route
  if (!session()) {
    nav.hidden = true;
    replace(who);
    renderSignIn();
    return;
  }
  nav.hidden = false;
  renderWho();
  const found = match(hash);
  for (const a of nav.querySelectorAll("a")) {
    if (found && a.dataset.section === found.section) a.setAttribute("aria-current", "page");
    else a.removeAttribute("aria-current");
  }
  replace(main);
  if (!found) {
    replace(main, h("h1", {}, "Not found"), h("p", {}, "There is no such screen. "), h("a", { href: "#/" }, "Back to projects"));
    return;
  }
  try {
    cleanup = await found.view(main, found.params);
  } catch (e) {
    main.append(notice("error", `This screen could not load: ${e.message}`));
  }
  focusHeading(main);
}

function renderWho() {
  const s = session();
  replace(
    who,
    h("span", { class: "muted" }, "Signed in as "),
    h("strong", {}, s.clientId),
    " ",
    h("button", { type: "button", class: "secondary", onclick: onSignOut }, "Sign out"),
  );
}

/** The sign-in form: a screen of its own, or the body of the dialog over a screen. */
function signInForm({ prefillId = "", reason, onDone, onCancel }) {
  const id = h("input", { name: "client_id", autocomplete: "username", required: true, value: prefillId, spellcheck: "false" });
  const secret = h("input", { name: "client_secret", type: "password", autocomplete: "current-password", required: true });
  const error = h("div", { class: "form-error" });
  const submit = h("button", { type: "submit" }, "Sign in");
  const form = h(
    "form",
    {
      class: "signin",
      novalidate: true,
      onsubmit: async (e) => {
        e.preventDefault();
        replace(error);
        if (!id.value.trim() || !secret.value) {
          error.append(notice("error", "Enter the client id and its secret."));
          (id.value.trim() ? secret : id).focus();
          return;
        }
        submit.disabled = true;
        try {
          await signIn(id.value.trim(), secret.value);
          secret.value = "";
          onDone();
        } catch (err) {
          const msg = err instanceof ApiError ? (err.status === 401 ? "Unknown client id or wrong secret." : err.message) : `The server could not be reached: ${err.message}`;
          error.append(notice("error", msg));
          secret.focus();
        } finally {
          submit.disabled = false;
        }
      },
    },
    reason ? notice("warn", reason) : null,
    field("Client id", id),
    field("Client secret", secret, "Shown once when the client was created. The console keeps it in this tab's memory only, to revoke the token when you sign out."),
    error,
    h("div", { class: "actions" }, submit, onCancel ? h("button", { type: "button", class: "secondary", onclick: onCancel }, "Cancel") : null),
  );
  return { form, focus: () => (prefillId ? secret : id).focus() };
}

function renderSignIn() {
  const { form, focus } = signInForm({ onDone: () => show() });
  replace(
    main,
    h(
      "section",
      { class: "card narrow" },
      h("h1", {}, "Sign in to depot"),
      h("p", { class: "muted" }, "Use an OAuth client's id and secret (the admin client's are in ", h("code", {}, "admin-credentials.json"), " in the data directory). Every call is made with a bearer token, kept only in this browser tab."),
      form,
    ),
  );
  focus();
}

/** On a 401 for an expired or revoked token: a dialog over the current screen. */
let pendingReauth = null;
function reauthenticate(why) {
  if (pendingReauth) return pendingReauth;
  const previous = session();
  pendingReauth = new Promise((resolve, reject) => {
    const opener = document.activeElement;
    const close = () => {
      signinDialog.close();
      pendingReauth = null;
      opener?.focus?.();
    };
    const { form, focus } = signInForm({
      prefillId: previous?.clientId ?? "",
      reason: `Your session has ended (${why}). Sign in again to go on; what you were editing is kept.`,
      onDone: () => {
        close();
        renderWho();
        resolve();
      },
      onCancel: () => {
        close();
        reject(new ApiError(401, { code: 401, message: "not signed in" }));
      },
    });
    replace(signinDialog, h("h2", { id: "signin-dialog-title" }, "Sign in again"), form);
    signinDialog.showModal();
    focus();
  });
  return pendingReauth;
}
signinDialog.addEventListener("cancel", (e) => e.preventDefault());

async function onSignOut() {
  let secretIfForgotten;
  if (!canRevoke()) {
    // The page was reloaded since sign-in: the secret is gone from memory.
    secretIfForgotten = await askSecretForRevoke();
    if (secretIfForgotten === undefined) return;
  }
  const revoked = await signOut(secretIfForgotten || undefined);
  // Back to the start without a hashchange (which would render a second time).
  history.replaceState(null, "", "#/");
  await show();
  main.prepend(notice(revoked ? "ok" : "warn", revoked ? "Signed out: the token is revoked." : "Signed out here; the token was not revoked and stays valid until it expires."));
}

function askSecretForRevoke() {
  return new Promise((resolve) => {
    const secret = h("input", { type: "password", autocomplete: "current-password" });
    const done = (v) => {
      confirmDialog.onclose = null;
      confirmDialog.close();
      resolve(v);
    };
    replace(
      confirmDialog,
      h("h2", { id: "confirm-dialog-title" }, "Revoke the token?"),
      h("p", {}, "To revoke the token the server needs this client's secret again (this page was reloaded since you signed in)."),
      field("Client secret", secret),
      h(
        "div",
        { class: "actions" },
        h("button", { type: "button", onclick: () => done(secret.value) }, "Revoke and sign out"),
        h("button", { type: "button", class: "secondary", onclick: () => done("") }, "Sign out without revoking"),
        h("button", { type: "button", class: "secondary", onclick: () => done(undefined) }, "Cancel"),
      ),
    );
    confirmDialog.onclose = () => resolve(undefined);
    confirmDialog.showModal();
    secret.focus();
  });
}

function showStatus(s) {
  if (!s) {
    replace(statusLine);
    statusLine.classList.remove("active");
    return;
  }
  statusLine.classList.add("active");
  replace(statusLine, h("span", {}, s.message), s.cancel ? h("button", { type: "button", class: "secondary small", onclick: s.cancel }, "Stop retrying") : null);
}

setHooks({ reauthenticate, status: showStatus, changed: () => {} });

document.querySelector(".skip").addEventListener("click", (e) => {
  e.preventDefault();
  main.focus();
});
window.addEventListener("hashchange", show);
show();
