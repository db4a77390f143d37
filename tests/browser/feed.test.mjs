// The change feed (contract §9) in a real browser: Debian's chromium, headless, driven by
// playwright-core (scripts/ensure-browser.sh installs both), against the real
// `depot serve` binary, from a page on another origin (a Node http server on another
// 127.0.0.1 port), so CORS, preflights and EventSource are the browser's own.
//
// The page (page/feed-page.js) subscribes twice: EventSource on a ticket URL, and the
// TypeScript client's fetch-based stream. The test writes over HTTP from Node and checks
// that both saw every write, in order, once; that a used ticket is refused (401) from
// the browser; then it restarts depot on the same data dir and the same port, writes
// more at once (while the page is still disconnected), and checks that nothing was lost
// or repeated across the restart on either subscription. The browser's own EventSource
// retry (same URL, so the used ticket, with Last-Event-ID) must be seen refused with a
// 401; the page then reopens with a new ticket and `since` = the last id it saw.
//
// Needs: target/debug/depot (or $DEPOT_BIN), clients/typescript/dist (the client's
// build: clients/typescript/scripts/test.sh or `npm run build` there), /usr/bin/chromium
// and tests/browser/node_modules/playwright-core. Without one of them, or against a
// depot without the change feed (404 on /changes), the test skips with a loud message;
// DEPOT_BROWSER_REQUIRED=1 (scripts/test.sh, CI) makes that a failure.
//
// Every wait has a timeout; the whole test is bounded well under a minute.

import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { createServer } from "node:http";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { extname, join, normalize, resolve, sep } from "node:path";
import { createInterface } from "node:readline";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";

const here = fileURLToPath(new URL(".", import.meta.url));
const root = resolve(here, "../..");
const depotBin = resolve(root, process.env.DEPOT_BIN ?? "target/debug/depot");
const clientDist = join(root, "clients/typescript/dist");
const chromiumPath = process.env.DEPOT_BROWSER_CHROMIUM ?? "/usr/bin/chromium";
const REQUIRED = process.env.DEPOT_BROWSER_REQUIRED === "1";
const ADMIN = { id: "browser-admin", secret: "browser-test-s3cret-s3cret" };
const PROJECT = "feed";
const COLLECTION = "notes";

/** Skips loudly, or fails when DEPOT_BROWSER_REQUIRED=1. */
function skipOrFail(t, why) {
  if (REQUIRED) throw new Error(`${why}, and DEPOT_BROWSER_REQUIRED=1`);
  process.stderr.write(`\n*** SKIPPING the browser test of the change feed: ${why} ***\n\n`);
  t.skip(why);
}

/** Resolves with `f()` once it is truthy, polling; rejects after `ms` saying `what`. */
async function waitFor(what, f, ms = 10_000, every = 50) {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await f();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, every));
  }
}

// ---------------------------------------------------------------------------- depot

/** `depot serve` on `addr` with `dataDir`, once it says where it listens. */
async function startDepot({ addr, dataDir, corsOrigin }) {
  // Only our DEPOT_* settings: a developer's DEPOT_DATABASE_URL must not leak in.
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("DEPOT_")));
  const child = spawn(
    depotBin,
    ["serve", "--addr", addr, "--data-dir", dataDir, "--cors-origin", corsOrigin],
    {
      env: {
        ...env,
        DEPOT_ADMIN_CLIENT_ID: ADMIN.id,
        DEPOT_ADMIN_CLIENT_SECRET: ADMIN.secret,
        DEPOT_LOG: "warn",
      },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let stderr = "";
  child.stderr.on("data", (chunk) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  const exited = new Promise((r) => child.once("exit", (code, signal) => r({ code, signal })));
  const baseUrl = await new Promise((resolveUrl, reject) => {
    const lines = createInterface({ input: child.stdout });
    const timer = setTimeout(() => fail("did not say it was listening within 15 s"), 15_000);
    const fail = (why) => {
      clearTimeout(timer);
      lines.close();
      child.kill("SIGKILL");
      reject(new Error(`depot ${why}; its stderr:\n${stderr}`));
    };
    lines.on("line", (line) => {
      const match = /depot listening on (http:\/\/\S+)/.exec(line);
      if (match) {
        clearTimeout(timer);
        lines.removeAllListeners("line"); // keeps draining stdout
        resolveUrl(match[1]);
      }
    });
    exited.then(({ code }) => fail(`exited with ${code} before listening`));
  });
  return {
    baseUrl,
    stderr: () => stderr,
    /** SIGTERM (a graceful shutdown: streams get `event: end`), SIGKILL after 10 s. */
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill("SIGTERM");
        const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
        await exited;
        clearTimeout(timer);
      }
      return exited;
    },
  };
}

/** A JSON call from Node; answers `{status, body}`. */
async function call(baseUrl, token, method, path, body) {
  const headers = { authorization: `Bearer ${token}`, accept: "application/json" };
  if (body !== undefined) headers["content-type"] = "application/json";
  const res = await fetch(`${baseUrl}${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(10_000),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

async function adminToken(baseUrl) {
  const res = await fetch(`${baseUrl}/oauth/token`, {
    method: "POST",
    headers: {
      authorization: `Basic ${Buffer.from(`${ADMIN.id}:${ADMIN.secret}`).toString("base64")}`,
      "content-type": "application/x-www-form-urlencoded",
    },
    body: "grant_type=client_credentials",
    signal: AbortSignal.timeout(10_000),
  });
  assert.equal(res.status, 200, "the admin token");
  return (await res.json()).access_token;
}

// ----------------------------------------------------------------------- the page

const TYPES = { ".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8", ".map": "application/json" };

/** Serves page/ at / and the TypeScript client's build at /client/, on 127.0.0.1:0. */
async function startPageServer() {
  const server = createServer(async (req, res) => {
    const path = new URL(req.url, "http://x").pathname;
    const [base, rel] = path.startsWith("/client/")
      ? [clientDist, path.slice("/client/".length)]
      : [join(here, "page"), path === "/" ? "index.html" : path.slice(1)];
    const file = normalize(join(base, rel));
    if (!file.startsWith(base + sep)) {
      res.writeHead(404).end();
      return;
    }
    try {
      const body = await readFile(file);
      res.writeHead(200, { "content-type": TYPES[extname(file)] ?? "application/octet-stream", "cache-control": "no-store" });
      res.end(body);
    } catch {
      res.writeHead(404, { "content-type": "text/plain" }).end("not found");
    }
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  return { origin: `http://127.0.0.1:${server.address().port}`, close: () => new Promise((r) => server.close(r)) };
}

// ------------------------------------------------------------------------ the test

let depot;
let pageServer;
let browser;
let dataDir;

after(async () => {
  await browser?.close().catch(() => {});
  await depot?.stop().catch(() => {});
  await pageServer?.close();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

test("the change feed in a real browser: EventSource on tickets and a fetch stream, across a restart", { timeout: 60_000 }, async (t) => {
  const started = Date.now();
  const lap = (what) => process.stderr.write(`  [${((Date.now() - started) / 1000).toFixed(1)} s] ${what}\n`);

  // What the test needs, or a loud skip.
  if (!existsSync(depotBin)) return skipOrFail(t, `the depot binary is not at ${depotBin} (cargo build -p depot-cli, or set DEPOT_BIN)`);
  if (!existsSync(join(clientDist, "index.js"))) {
    return skipOrFail(t, `the TypeScript client is not built at ${clientDist} (clients/typescript/scripts/test.sh, or npm run build there)`);
  }
  if (!existsSync(chromiumPath)) return skipOrFail(t, `no chromium at ${chromiumPath} (scripts/ensure-browser.sh)`);
  let chromium;
  try {
    ({ chromium } = createRequire(join(here, "package.json"))("playwright-core"));
  } catch {
    return skipOrFail(t, "playwright-core is not installed in tests/browser/node_modules (scripts/ensure-browser.sh)");
  }

  pageServer = await startPageServer();
  dataDir = await mkdtemp(join(tmpdir(), "depot-browser-"));
  depot = await startDepot({ addr: "127.0.0.1:0", dataDir, corsOrigin: pageServer.origin });
  const baseUrl = depot.baseUrl;
  const port = new URL(baseUrl).port;
  lap(`depot at ${baseUrl}, the page at ${pageServer.origin}`);

  const token = await adminToken(baseUrl);
  assert.equal((await call(baseUrl, token, "POST", "/v1/projects", { name: PROJECT })).status, 201);
  assert.equal((await call(baseUrl, token, "POST", `/v1/projects/${PROJECT}/collections`, { name: COLLECTION })).status, 201);
  // The feed's current end: both subscriptions start there. A 404 for a project that
  // exists means this depot has no change feed (yet).
  const head = await call(baseUrl, token, "GET", `/v1/projects/${PROJECT}/changes`);
  if (head.status === 404) return skipOrFail(t, `this depot has no change feed: GET /v1/projects/${PROJECT}/changes answered 404`);
  assert.equal(head.status, 200, JSON.stringify(head.body));
  const since = head.body.next_cursor;

  browser = await chromium.launch({ executablePath: chromiumPath, headless: true, args: ["--no-sandbox"], timeout: 20_000 });
  const page = await browser.newPage();
  page.setDefaultTimeout(10_000);
  const pageErrors = [];
  page.on("pageerror", (e) => pageErrors.push(String(e)));
  page.on("console", (m) => {
    if (process.env.DEPOT_BROWSER_VERBOSE === "1") process.stderr.write(`    ${m.text()}\n`);
  });
  // Every answer the browser got on the stream URL, with the Last-Event-ID it sent.
  const streamAnswers = [];
  page.on("response", async (res) => {
    const url = new URL(res.url());
    if (url.pathname !== `/v1/projects/${PROJECT}/changes` || res.request().method() !== "GET") return;
    const headers = await res.request().allHeaders().catch(() => res.request().headers());
    streamAnswers.push({
      status: res.status(),
      ticket: url.searchParams.get("ticket"),
      lastEventId: headers["last-event-id"],
      type: res.request().resourceType(),
    });
  });

  await page.goto(`${pageServer.origin}/`);
  await page.waitForFunction(() => window.feedTest !== undefined);
  await page.evaluate((args) => window.feedTest.start(args), { baseUrl, token, project: PROJECT, since });
  await waitFor("both subscriptions to be connected", () => page.evaluate(() => window.feedTest.connected()));
  lap("the page is subscribed twice (EventSource on a ticket, fetch stream)");

  // Writes, and the events they must give, in order.
  const expected = [];
  const items = `/v1/projects/${PROJECT}/collections/${COLLECTION}/items`;
  async function create(title) {
    const res = await call(baseUrl, token, "POST", items, { title });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    expected.push({ op: "create", collection: COLLECTION, id: res.body.id, version: 1, title });
    return res.body.id;
  }
  async function rename(id, title) {
    const res = await call(baseUrl, token, "PUT", `${items}/${id}`, { title });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    expected.push({ op: "update", collection: COLLECTION, id, version: res.body.version, title });
  }
  async function remove(id) {
    const res = await call(baseUrl, token, "DELETE", `${items}/${id}`);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    expected.push({ op: "delete", collection: COLLECTION, id, version: expected.findLast((e) => e.id === id).version, title: undefined });
  }

  const seen = () => page.evaluate(() => ({ sse: window.feedTest.state.sse.events, fetch: window.feedTest.state.fetch.events }));
  /** Both saw exactly `expected`, in order, each event once, cursors increasing. */
  async function bothSawAll(when) {
    const got = await waitFor(
      `both subscriptions to see ${expected.length} events (${when})`,
      async () => {
        const s = await seen();
        return s.sse.length >= expected.length && s.fetch.length >= expected.length ? s : undefined;
      },
    );
    // A little longer: a repeated event would arrive right after the others.
    await new Promise((r) => setTimeout(r, 300));
    const final = await seen();
    for (const [name, events] of Object.entries(final)) {
      assert.deepEqual(
        events.map(({ cursor, ...rest }) => rest),
        expected,
        `${name}: every write once, in order (${when})`,
      );
      const cursors = events.map((e) => e.cursor);
      assert.equal(new Set(cursors).size, cursors.length, `${name}: no cursor twice (${when})`);
      for (let i = 1; i < cursors.length; i++) {
        const [a, b] = [cursors[i - 1], cursors[i]].map((c) => c.split(".").map(BigInt));
        assert.ok(a[0] === b[0] && a[1] < b[1], `${name}: cursors increase: ${cursors[i - 1]} then ${cursors[i]}`);
      }
    }
    assert.deepEqual(final.sse.map((e) => e.cursor), final.fetch.map((e) => e.cursor), "both saw the same cursors");
    return got;
  }

  const a = await create("first");
  const b = await create("second");
  await rename(a, "first, renamed");
  await create("third");
  await remove(b);
  await bothSawAll("before the restart");
  lap(`both saw the ${expected.length} writes in order`);

  // A used ticket, from the browser: 401 with WWW-Authenticate (exposed by CORS).
  const reuse = await page.evaluate(() => window.feedTest.reuseFirstTicket());
  assert.equal(reuse.status, 401, `a used ticket is refused: ${JSON.stringify(reuse)}`);
  assert.match(reuse.wwwAuthenticate ?? "", /invalid_token/, "with WWW-Authenticate: Bearer error=\"invalid_token\"");
  assert.equal(reuse.body?.code, 401, "in the error envelope");
  lap("a used ticket is refused from the browser (401)");

  // Restart on the same data dir and the same port (tokio binds with SO_REUSEADDR, so
  // the connections the old server leaves in TIME_WAIT don't keep the port).
  const stopped = await depot.stop();
  assert.equal(stopped.code, 0, `depot stops cleanly on SIGTERM: ${JSON.stringify(stopped)}\n${depot.stderr()}`);
  lap("depot stopped (SIGTERM)");
  depot = await startDepot({ addr: `127.0.0.1:${port}`, dataDir, corsOrigin: pageServer.origin });
  assert.equal(depot.baseUrl, baseUrl, "restarted on the same port");
  lap("depot restarted on the same port and data dir");

  // Written at once, before the page has reconnected: resuming must bring them too.
  const c = expected.find((e) => e.title === "third").id;
  await create("fourth");
  await rename(c, "third, renamed");
  await remove(a);
  await create("fifth");
  await bothSawAll("across the restart");
  lap(`both saw all ${expected.length} writes across the restart, none twice`);

  const state = await page.evaluate(() => window.feedTest.state);
  // EventSource: the server ended the stream on shutdown; the browser retried by itself
  // (same URL: the used ticket, with Last-Event-ID), was refused with a 401 and gave up;
  // the page then opened a new ticket from the last id it saw.
  assert.ok(state.sse.ends.some((e) => e.reason === "shutdown"), `event: end with reason shutdown: ${JSON.stringify(state.sse.ends)}`);
  const firstTicket = new URL(state.sse.urls[0]).searchParams.get("ticket");
  const retried = streamAnswers.filter((r) => r.ticket === firstTicket && r.type === "eventsource");
  assert.equal(retried[0]?.status, 200, `the first ticket opened the stream: ${JSON.stringify(streamAnswers)}`);
  const refusedRetry = retried.slice(1).find((r) => r.status === 401);
  if (process.env.DEPOT_BROWSER_VERBOSE === "1") process.stderr.write(`    stream answers: ${JSON.stringify(streamAnswers)}\n`);
  assert.ok(refusedRetry, `the browser's own retry with the used ticket was refused with 401: ${JSON.stringify(streamAnswers)}`);
  assert.ok(refusedRetry.lastEventId, "the browser's own retry carried Last-Event-ID");
  assert.ok(state.sse.errors.some((e) => e.readyState === "closed"), "after the 401 the EventSource was CLOSED");
  assert.ok(state.sse.tickets >= 2 && state.sse.opens >= 2, `the page reopened on a new ticket: ${JSON.stringify(state.sse)}`);
  // The fetch stream: reconnected by itself with Last-Event-ID.
  assert.ok(state.fetch.reconnects.some((r) => r.reason === "end:shutdown"), `fetch stream reconnects: ${JSON.stringify(state.fetch.reconnects)}`);
  assert.equal(state.fetch.error, null, "the fetch stream never failed");
  assert.deepEqual(pageErrors, [], "no uncaught error in the page");

  await page.evaluate(() => window.feedTest.stop());
  lap("done");
});
