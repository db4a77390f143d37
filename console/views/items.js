// A collection's items: pages, a §8 filter and sort (the server's 400 position shown
// under the box it concerns), a choice of columns, and a live view of the change feed.

import { ApiError, api, paths, withQuery } from "../api.js";
import { cellText, crumbs, field, h, notice, replace, route, scroller, uid } from "../dom.js";
import { follow } from "../feed.js";

const SERVER_OWNED = ["id", "created_at", "updated_at", "version"];
/** Columns per collection, for this tab's life; only those a person chose are kept as they are. */
const chosenColumns = new Map();
const customised = new Set();

/** The query text with a caret under byte offset `position` (UTF-8, as the server counts). */
function caret(text, position) {
  const bytes = new TextEncoder().encode(text);
  const before = new TextDecoder().decode(bytes.slice(0, position));
  return `${text}\n${" ".repeat(before.length)}^`;
}

function positionError(err, text, what) {
  const pos = err.details?.position;
  return notice(
    "error",
    h("p", {}, `The server refused this ${what}: ${err.message}`),
    typeof pos === "number" ? h("pre", { class: "caret", "aria-label": `position ${pos}` }, caret(text, pos)) : null,
    typeof pos === "number" ? h("p", { class: "muted" }, `At byte ${pos}.`) : null,
  );
}

export async function render(main, { project, collection, query }) {
  const key = `${project}/${collection}`;
  const state = {
    filter: query.get("filter") ?? "",
    sort: query.get("sort") ?? "",
    cursors: [null],
    page: 0,
    rows: [],
    next: null,
    live: null,
  };

  const filterInput = h("input", { name: "filter", value: state.filter, autocomplete: "off", spellcheck: "false", class: "mono", placeholder: 'done = false && priority > 1' });
  const sortInput = h("input", { name: "sort", value: state.sort, autocomplete: "off", spellcheck: "false", class: "mono", placeholder: "-priority" });
  const filterError = h("div", { id: uid("filter-error"), class: "field-error" });
  const sortError = h("div", { id: uid("sort-error"), class: "field-error" });
  const count = h("p", { class: "muted count", "aria-live": "polite" });
  const tableArea = h("div", {});
  const pager = h("div", { class: "pager" });
  const columnsBox = h("fieldset", { class: "columns", id: uid("columns"), hidden: true });
  const columnsToggle = h(
    "button",
    {
      type: "button",
      class: "secondary",
      "aria-expanded": "false",
      "aria-controls": columnsBox.id,
      onclick: () => {
        columnsBox.hidden = !columnsBox.hidden;
        columnsToggle.setAttribute("aria-expanded", String(!columnsBox.hidden));
      },
    },
    "Columns",
  );
  const liveState = h("span", { class: "live-state", role: "status" });
  const liveButton = h("button", { type: "button", class: "secondary", "aria-pressed": "false", onclick: toggleLive }, "Watch live");

  const filterField = field("Filter", filterInput, h("p", { class: "hint" }, "§8 grammar: ", h("code", {}, 'title ~ "milk" && (done = false || priority >= 2)')));
  filterField.append(filterError);
  const sortField = field("Sort", sortInput, "Up to 3 keys, comma-separated, - for descending: server-owned members or indexes.");
  sortField.append(sortError);

  const form = h(
    "form",
    {
      class: "query",
      novalidate: true,
      onsubmit: (e) => {
        e.preventDefault();
        state.filter = filterInput.value.trim();
        state.sort = sortInput.value.trim();
        state.cursors = [null];
        state.page = 0;
        history.replaceState(null, "", withQuery(route("p", project, "c", collection), { filter: state.filter, sort: state.sort }));
        load();
        if (state.live) restartLive();
      },
    },
    filterField,
    sortField,
    h(
      "div",
      { class: "actions" },
      h("button", { type: "submit" }, "Apply"),
      h(
        "button",
        {
          type: "button",
          class: "secondary",
          onclick: () => {
            filterInput.value = "";
            sortInput.value = "";
            form.requestSubmit();
          },
        },
        "Clear",
      ),
    ),
  );

  replace(
    main,
    crumbs([[project, route("p", project)]], collection),
    h("h1", {}, `Items of ${collection}`),
    h(
      "div",
      { class: "toolbar" },
      h("a", { class: "button", href: route("p", project, "c", collection, "new") }, "New item"),
      h("a", { class: "button secondary", href: route("p", project, "c", collection, "schema") }, "Schema and indexes"),
      liveButton,
      liveState,
    ),
    form,
    h("div", { class: "columns-box" }, columnsToggle, columnsBox),
    count,
    tableArea,
    pager,
  );

  function columnsFor(rows) {
    const seen = [];
    for (const r of rows) for (const k of Object.keys(r)) if (!seen.includes(k)) seen.push(k);
    for (const k of SERVER_OWNED) if (!seen.includes(k)) seen.push(k);
    if (!customised.has(key)) {
      const own = seen.filter((k) => !SERVER_OWNED.includes(k)).slice(0, 4);
      chosenColumns.set(key, ["id", ...own, "updated_at", "version"]);
    }
    return seen;
  }

  function renderColumnsBox(all) {
    const chosen = chosenColumns.get(key);
    replace(
      columnsBox,
      h("legend", {}, "Show these fields as columns"),
      all.map((k) => {
        const box = h("input", {
          type: "checkbox",
          id: uid("col"),
          checked: chosen.includes(k),
          disabled: k === "id",
          onchange: (e) => {
            customised.add(key);
            const now = chosenColumns.get(key).filter((c) => c !== k);
            if (e.target.checked) now.push(k);
            // Keep the order the fields were found in.
            chosenColumns.set(key, all.filter((c) => now.includes(c)));
            renderTable();
          },
        });
        return h("span", { class: "check" }, box, h("label", { for: box.id }, k));
      }),
    );
  }

  function renderTable() {
    const cols = chosenColumns.get(key) ?? ["id"];
    if (!state.rows.length) {
      replace(tableArea, h("p", { class: "muted" }, state.filter ? "No item matches this filter on this page." : "No items here yet."));
      return;
    }
    const table = h(
      "table",
      { class: "items" },
      h("caption", {}, `Items of ${collection}, page ${state.page + 1}`),
      h("thead", {}, h("tr", {}, cols.map((c) => h("th", { scope: "col" }, c)))),
      h(
        "tbody",
        {},
        state.rows.map((row) =>
          h(
            "tr",
            { class: row.__mark ?? "", "data-id": row.id },
            cols.map((c) =>
              h(
                "td",
                {},
                c === "id"
                  ? [
                      h("a", { href: route("p", project, "c", collection, "i", row.id), class: "mono" }, row.id),
                      row.__mark ? h("span", { class: `badge ${row.__mark}` }, row.__mark) : null,
                    ]
                  : cellText(row[c]),
              ),
            ),
          ),
        ),
      ),
    );
    replace(tableArea, scroller(`Items of ${collection}`, table));
  }

  async function load() {
    replace(filterError);
    replace(sortError);
    filterInput.removeAttribute("aria-invalid");
    sortInput.removeAttribute("aria-invalid");
    const params = { limit: 25, cursor: state.cursors[state.page], filter: state.filter, sort: state.sort };
    try {
      const { body } = await api("GET", withQuery(paths.items(project, collection), params));
      state.rows = body.data;
      state.next = body.next_cursor;
      state.cursors[state.page + 1] = body.next_cursor;
    } catch (e) {
      state.rows = [];
      state.next = null;
      if (e instanceof ApiError && e.status === 400 && ["filter", "sort"].includes(e.details.parameter)) {
        const [input, box] = e.details.parameter === "filter" ? [filterInput, filterError] : [sortInput, sortError];
        input.setAttribute("aria-invalid", "true");
        input.setAttribute("aria-describedby", `${box.id} ${input.getAttribute("aria-describedby") ?? ""}`.trim());
        replace(box, positionError(e, input.value, e.details.parameter));
        replace(tableArea);
        replace(pager);
        replace(count);
        return;
      }
      replace(tableArea, notice("error", e.message));
      return;
    }
    renderColumnsBox(columnsFor(state.rows));
    renderTable();
    replace(
      pager,
      h("button", { type: "button", class: "secondary", disabled: state.page === 0, onclick: () => ((state.page -= 1), load()) }, "Previous page"),
      h("span", { class: "muted" }, `Page ${state.page + 1}`),
      h("button", { type: "button", class: "secondary", disabled: !state.next, onclick: () => ((state.page += 1), load()) }, "Next page"),
    );
    api("GET", withQuery(paths.count(project, collection), { filter: state.filter }))
      .then(({ body }) => replace(count, `${body.exact ? "" : "At least "}${body.count} item${body.count === 1 ? "" : "s"}${state.filter ? " match" : ""}`))
      .catch(() => replace(count));
  }

  function onEvent(ev) {
    if (ev.collection !== collection) return;
    const i = state.rows.findIndex((r) => r.id === ev.id);
    if (ev.op === "create" && ev.item && i < 0) {
      state.rows.unshift({ ...ev.item, __mark: "new" });
      columnsFor(state.rows);
    } else if (ev.op === "update" && ev.item && i >= 0) {
      state.rows[i] = { ...ev.item, __mark: "changed" };
    } else if (ev.op === "delete" && i >= 0) {
      state.rows[i] = { ...state.rows[i], __mark: "deleted" };
    } else {
      return;
    }
    renderTable();
  }

  function startLive() {
    state.live = follow(project, {
      collections: collection,
      filter: state.filter,
      onEvent,
      onState: (s) => replace(liveState, s === "live" ? "Live: new and changed items appear here." : `Live: ${s}`),
    });
    liveButton.setAttribute("aria-pressed", "true");
  }
  function stopLive() {
    state.live?.close();
    state.live = null;
    liveButton.setAttribute("aria-pressed", "false");
    replace(liveState);
  }
  function restartLive() {
    stopLive();
    startLive();
  }
  function toggleLive() {
    if (state.live) stopLive();
    else startLive();
  }

  await load();
  return () => stopLive();
}
