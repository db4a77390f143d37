// The page under test (tests/browser/feed.test.mjs drives it through `window.feedTest`).
// It uses the TypeScript client's build, unbundled (clients/typescript/dist, served at
// /client/), exactly as a browser application would, and subscribes to one project's
// change feed twice:
//
// 1. `EventSource` on a ticket URL (`depot.changes.eventSourceUrl`: a single-use ticket
//    from `POST /v1/projects/{p}/changes/tickets`, in the URL instead of the token).
//    EventSource retries by itself after a dropped connection, with `Last-Event-ID`,
//    but to the same URL, whose ticket is used: the server answers that retry with a
//    401 and the browser then gives up (readyState CLOSED). So on CLOSED this page asks
//    for a new ticket and opens a new EventSource with `since` = the last event id it
//    saw. It does not close the source on `event: end` itself, so that the browser's own
//    retry is exercised (and seen refused) rather than assumed.
// 2. The client's fetch-based stream (`depot.changes.stream`), which sends the bearer
//    token in a header and resumes by itself with `Last-Event-ID`.
//
// Everything observed is kept in `window.feedTest.state`, plain data for page.evaluate.

import { DepotClient } from "/client/index.js";

const OPS = ["create", "update", "delete", "expire", "collection_create", "collection_update", "collection_delete"];

const state = {
  sse: { events: [], opens: 0, tickets: 0, ends: [], errors: [], urls: [], reopenErrors: [] },
  fetch: { events: [], reconnects: [], error: null, done: false },
};

let depot;
let project;
let source;
let lastSseId;
let stream;

function log(line) {
  const el = document.getElementById("log");
  if (el) el.textContent += `${new Date().toISOString()} ${line}\n`;
  console.log(`[page] ${line}`);
}

function record(list, cursor, event) {
  list.push({ cursor, op: event.op, collection: event.collection, id: event.id, version: event.version, title: event.item?.title });
}

/** Opens an EventSource on a fresh ticket URL, from `since` (the last id seen, if any). */
async function openSource(since) {
  const url = await depot.changes.eventSourceUrl(project, { since, includeItem: true });
  state.sse.tickets++;
  state.sse.urls.push(url);
  const es = new EventSource(url);
  source = es;
  es.addEventListener("open", () => {
    state.sse.opens++;
    log(`EventSource open (ticket ${state.sse.tickets}, since ${since})`);
  });
  for (const op of OPS) {
    es.addEventListener(op, (e) => {
      lastSseId = e.lastEventId;
      record(state.sse.events, e.lastEventId, JSON.parse(e.data));
    });
  }
  es.addEventListener("end", (e) => {
    const end = JSON.parse(e.data);
    state.sse.ends.push(end);
    if (end.cursor) lastSseId = end.cursor;
    log(`EventSource end: ${e.data} (left open: the browser retries by itself)`);
  });
  es.addEventListener("error", () => {
    // CONNECTING: the browser retries by itself (server gone, or it closed the stream).
    // CLOSED: the browser gave up: here, its retry was refused (the ticket was used).
    const closed = es.readyState === EventSource.CLOSED;
    state.sse.errors.push({ readyState: closed ? "closed" : "connecting", at: Date.now() });
    log(`EventSource error, readyState ${closed ? "CLOSED" : "CONNECTING"}`);
    if (closed && es === source) reopen();
  });
}

/** A new ticket and a new EventSource from the last id seen; retried while depot is away. */
async function reopen() {
  // An EventSource that saw nothing since its open frame still has the open frame's id:
  // `e.lastEventId` is only on events, so keep the id we knew.
  const since = lastSseId ?? state.sse.startedFrom;
  for (let attempt = 1; attempt <= 100; attempt++) {
    try {
      await openSource(since);
      return;
    } catch (error) {
      state.sse.reopenErrors.push(String(error));
      log(`new ticket failed (${error}), again in 200 ms`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

async function runFetchStream(since) {
  stream = depot.changes.stream(project, {
    since,
    includeItem: true,
    onReconnect: (r) => {
      state.fetch.reconnects.push({ reason: r.reason, cursor: r.cursor });
      log(`fetch stream reconnecting (${r.reason}) from ${r.cursor}`);
    },
  });
  try {
    for await (const event of stream) record(state.fetch.events, event.cursor, event);
  } catch (error) {
    state.fetch.error = `${error?.name}: ${error?.message}`;
    log(`fetch stream failed: ${state.fetch.error}`);
  } finally {
    state.fetch.done = true;
  }
}

window.feedTest = {
  state,

  /** Subscribes twice from `since`, with a bearer token the test fetched. */
  async start({ baseUrl, token, project: p, since }) {
    project = p;
    // Retries patient enough for a server restart (a few seconds), bounded all the same.
    depot = new DepotClient({
      baseUrl,
      credentials: { token },
      retry: { baseMs: 100, factor: 2, capMs: 500, maxRetries: 40, deadlineMs: 20_000 },
    });
    state.sse.startedFrom = since;
    await openSource(since);
    void runFetchStream(since);
  },

  /** Whether both subscriptions are connected (the fetch stream has seen its open frame). */
  connected() {
    return source?.readyState === EventSource.OPEN && stream?.lastEventId !== undefined;
  },

  /** What a second use of the first ticket gets, from this page (a cross-origin fetch). */
  async reuseFirstTicket() {
    const res = await fetch(state.sse.urls[0], { headers: { accept: "text/event-stream" } });
    const answer = { status: res.status, wwwAuthenticate: res.headers.get("www-authenticate"), body: null };
    try {
      answer.body = await res.json();
    } catch {
      /* not JSON: the assertion on the status says enough */
    }
    return answer;
  },

  stop() {
    source?.close();
    stream?.close();
  },
};
log("page ready");
