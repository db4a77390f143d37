// A live view of a project's change feed (docs/contract.md §9): a single-use ticket
// (POST …/changes/tickets, with the bearer token) opens an EventSource, so the token
// never goes into a URL. When the stream ends (token expiry, lagging, shutdown) or the
// browser's own reconnect is refused (the ticket was used), a new ticket reopens it from
// the last event id seen, so nothing is lost or repeated.

import { api, paths, withQuery } from "./api.js";

const OPS = ["create", "update", "delete", "collection_create", "collection_update", "collection_delete"];

/**
 * Follows `project` (only `collections`, matching `filter`), calling `onEvent(event)`
 * for each and `onState(text)` as the connection changes. Answers `{close()}`.
 */
export function follow(project, { collections, filter, onEvent, onState }) {
  let source = null;
  let since = null; // the last cursor seen
  let closed = false;
  let retryTimer = null;
  let failures = 0;

  async function open() {
    if (closed) return;
    onState("connecting");
    try {
      if (since === null) {
        // The feed's current end: only what happens from now on.
        const head = await api("GET", withQuery(paths.changes(project), { limit: 1 }));
        since = head.body.next_cursor;
      }
      const { body } = await api("POST", paths.tickets(project), { body: {} });
      if (closed) return;
      const url = withQuery(paths.changes(project), {
        ticket: body.ticket,
        since,
        collections,
        filter: filter || undefined,
        include: "item",
      });
      source = new EventSource(url);
    } catch (e) {
      reopenLater(`could not open the stream: ${e.message}`);
      return;
    }
    source.addEventListener("open", () => {
      failures = 0;
      onState("live");
    });
    for (const op of OPS) {
      source.addEventListener(op, (e) => {
        since = e.lastEventId || since;
        try {
          onEvent(JSON.parse(e.data));
        } catch {
          /* a malformed event is skipped; the next one carries on */
        }
      });
    }
    source.addEventListener("end", (e) => {
      let reason = "ended";
      try {
        const end = JSON.parse(e.data);
        reason = end.reason;
        if (end.cursor) since = end.cursor;
      } catch {
        /* keep the last id */
      }
      source.close();
      reopenLater(`the stream ended (${reason})`);
    });
    source.addEventListener("error", () => {
      if (source.readyState === EventSource.CLOSED) reopenLater("the connection was refused or lost");
      else onState("reconnecting");
    });
  }

  function reopenLater(why) {
    source?.close();
    source = null;
    if (closed) return;
    failures += 1;
    const delay = Math.min(15_000, 500 * 2 ** Math.min(failures, 5));
    onState(`paused: ${why}; reopening in ${Math.round(delay / 1000)} s`);
    retryTimer = setTimeout(open, delay);
  }

  open();
  return {
    close() {
      closed = true;
      clearTimeout(retryTimer);
      source?.close();
    },
  };
}
