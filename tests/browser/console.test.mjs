// The admin console (/console) end to end: Debian's chromium, headless, driven by the
// pinned playwright-core, against the real `depot serve` binary. A person's session:
// sign in (a wrong secret first), create a project, a collection with a schema and an
// index, items; filter and sort (and a bad filter's 400 position under the box); choose
// columns; edit with a syntax error as typed, a 406, a schema 400 and two 412s (overwrite,
// reload); a 503 retried with backoff while maintenance mode is on; a live update from a
// write by another client; create (secret shown once, and it works) and delete a client;
// take and download a backup; the health charts; an expired session re-prompting over
// the editor without losing it; sign-out revoking the token. Then the same screens on a
// 390-pixel-wide phone, signed in with the keyboard alone; focus order and the skip link;
// and 429s from a depot with a per-client rate limit, retried visibly.
//
// On every screen, at both sizes, axe-core (pinned in package-lock.json) must find no
// serious or critical violation. axe's source is evaluated through the DevTools protocol
// (Runtime.evaluate), which the page's Content-Security-Policy does not govern: the CSP
// stays in force for the whole test (no bypassCSP anywhere), and any CSP violation the
// browser reports fails the test. Screenshots go to target/console-screenshots/.
//
// Needs target/debug/depot (or $DEPOT_BIN), /usr/bin/chromium and tests/browser/
// node_modules (scripts/ensure-browser.sh); without them it skips loudly, and
// DEPOT_BROWSER_REQUIRED=1 (scripts/test.sh, CI) makes that a failure.

import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { after, test } from "node:test";
import { fileURLToPath } from "node:url";

const here = fileURLToPath(new URL(".", import.meta.url));
const root = resolve(here, "../..");
const depotBin = resolve(root, process.env.DEPOT_BIN ?? "target/debug/depot");
const chromiumPath = process.env.DEPOT_BROWSER_CHROMIUM ?? "/usr/bin/chromium";
const REQUIRED = process.env.DEPOT_BROWSER_REQUIRED === "1";
const SHOTS = join(root, "target/console-screenshots");
const ADMIN = { id: "console-admin", secret: "console-test-s3cret-s3cret" };
const requireHere = createRequire(join(here, "package.json"));

function skipOrFail(t, why) {
  if (REQUIRED) throw new Error(`${why}, and DEPOT_BROWSER_REQUIRED=1`);
  process.stderr.write(`\n*** SKIPPING the browser test of the console: ${why} ***\n\n`);
  t.skip(why);
}

// ------------------------------------------------------------ pure modules, in Node

/** A console module without imports, loaded as an ES module. */
async function consoleModule(name) {
  const src = await readFile(join(root, "console", name), "utf8");
  return import(`data:text/javascript;base64,${Buffer.from(src).toString("base64")}`);
}

test("the editor's JSON reader maps pointers to places and finds the first syntax error", async () => {
  const { read, resolve: at, pretty, lineColumn } = await consoleModule("json-source.js");
  const text = '{\n  "title": "x",\n  "owner": {"name": "a/b", "tags": [1, 2.50]},\n  "a/b~c": null\n}';
  const r = read(text);
  assert.equal(r.error, null);
  const span = (p) => text.slice(r.spans.get(p).start, r.spans.get(p).end);
  assert.equal(span("/title"), '"x"');
  assert.equal(span("/owner/tags/1"), "2.50");
  assert.equal(span("/a~1b~0c"), "null");
  // A missing member resolves to its closest existing ancestor's first character.
  assert.deepEqual(at(r.spans, "/owner/due"), { start: text.indexOf('{"name"'), end: text.indexOf('{"name"') + 1, missing: true });
  assert.equal(at(r.spans, "/nope/deeper").start, 0);
  for (const [bad, offset] of [
    ['{"a": 1,}', 8],
    ['{"a": 1 "b": 2}', 8],
    ['{"a": 01}', 7],
    ['{"a": 1, "a": 2}', 9],
    ["[1, 2", 5],
    ['{"a": "x\ny"}', 8],
    ["{} x", 3],
  ]) {
    assert.equal(read(bad).error?.offset, offset, bad);
  }
  assert.deepEqual(lineColumn("a\nbc", 3), { line: 2, column: 2 });
  assert.equal(pretty('{"n":12345678901234567890,"a":[],"o":{"x":[1.0]}}'), '{\n  "n": 12345678901234567890,\n  "a": [],\n  "o": {\n    "x": [\n      1.0\n    ]\n  }\n}');
});

test("the health screen's numbers come from /metrics: rates, 5xx, 503 and p99", async () => {
  const { sample, between } = await consoleModule("metrics.js");
  const text = (n, slow) => `# HELP depot_requests Answered requests.
# TYPE depot_requests counter
depot_requests_total{method="GET",route="/v1/projects",status="200"} ${n}
depot_requests_total{method="POST",route="/v1/projects",status="503"} ${slow}
depot_requests_total{method="POST",route="/v1/projects",status="500"} 1
depot_request_duration_seconds_bucket{route="/v1/projects",le="0.001"} ${n}
depot_request_duration_seconds_bucket{route="/v1/projects",le="0.002"} ${n + slow}
depot_request_duration_seconds_bucket{route="/v1/projects",le="+Inf"} ${n + slow + 1}
depot_in_flight 3
# EOF`;
  const a = sample(text(100, 0), 0);
  const b = sample(text(198, 2), 2000);
  const d = between(a, b);
  assert.equal(d.rate, 50);
  assert.equal(d.errors5xx, 2);
  assert.equal(d.status503, 2);
  assert.equal(d.inFlight, 3);
  // 100 new requests: 98 under 1 ms, 2 between 1 and 2 ms: the 99th is at 1.5 ms.
  assert.ok(Math.abs(d.p99 - 0.0015) < 1e-9, String(d.p99));
});

test("retries wait with full jitter, never less than Retry-After", async () => {
  const { backoff, retryAfterMs, RETRY } = await consoleModule("api.js");
  for (let n = 0; n < 8; n++) {
    const d = backoff(n, 0);
    assert.ok(d >= 0 && d <= Math.min(RETRY.cap, RETRY.base * 2 ** n), `${n}: ${d}`);
    assert.ok(backoff(n, 3000) >= 3000, "never before Retry-After");
  }
  assert.equal(backoff(0, 10 * 60_000), RETRY.cap, "a huge Retry-After is capped");
  assert.equal(retryAfterMs(new Headers({ "retry-after": "2" })), 2000);
  const later = retryAfterMs(new Headers({ "retry-after": new Date(Date.now() + 5000).toUTCString() }));
  assert.ok(later > 3000 && later <= 5000, String(later));
  assert.equal(retryAfterMs(new Headers()), 0);
});

// ------------------------------------------------------------------------ depot

async function startDepot(dataDir, extra = []) {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("DEPOT_")));
  const child = spawn(depotBin, ["serve", "--addr", "127.0.0.1:0", "--data-dir", dataDir, ...extra], {
    env: { ...env, DEPOT_ADMIN_CLIENT_ID: ADMIN.id, DEPOT_ADMIN_CLIENT_SECRET: ADMIN.secret, DEPOT_LOG: "warn" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr.on("data", (c) => (stderr = (stderr + c).slice(-4000)));
  const exited = new Promise((r) => child.once("exit", (code, signal) => r({ code, signal })));
  const baseUrl = await new Promise((ok, fail) => {
    const lines = createInterface({ input: child.stdout });
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      fail(new Error(`depot did not listen within 15 s:\n${stderr}`));
    }, 15_000);
    lines.on("line", (line) => {
      const m = /depot listening on (http:\/\/\S+)/.exec(line);
      if (m) {
        clearTimeout(timer);
        lines.removeAllListeners("line");
        ok(m[1]);
      }
    });
    exited.then(({ code }) => fail(new Error(`depot exited with ${code}:\n${stderr}`)));
  });
  return {
    baseUrl,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill("SIGTERM");
        const t = setTimeout(() => child.kill("SIGKILL"), 10_000);
        await exited;
        clearTimeout(t);
      }
    },
  };
}

const basic = (id, secret) => `Basic ${Buffer.from(`${id}:${secret}`).toString("base64")}`;

async function tokenFor(baseUrl, id, secret) {
  const res = await fetch(`${baseUrl}/oauth/token`, {
    method: "POST",
    headers: { authorization: basic(id, secret), "content-type": "application/x-www-form-urlencoded" },
    body: "grant_type=client_credentials",
  });
  return { status: res.status, token: (await res.json()).access_token };
}

async function call(baseUrl, token, method, path, body) {
  const headers = { authorization: `Bearer ${token}`, accept: "application/json" };
  if (body !== undefined) headers["content-type"] = "application/json";
  const res = await fetch(`${baseUrl}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

// ------------------------------------------------------------------------ the test

let depot;
let browser;
let dataDir;
after(async () => {
  await browser?.close().catch(() => {});
  await depot?.stop().catch(() => {});
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

let lastPage = null;
test("the console in a real browser: every screen works, is accessible and keeps its CSP", { timeout: 120_000 }, async (t) => {
  try {
    await session(t);
  } catch (e) {
    // What the page showed when it failed, for the CI artifacts.
    await lastPage?.screenshot({ path: join(SHOTS, "failure.png") }).catch(() => {});
    if (process.env.DEPOT_BROWSER_VERBOSE === "1") {
      process.stderr.write(`${await lastPage?.evaluate(() => document.querySelector("main").outerHTML).catch(() => "")}\n`);
    }
    throw e;
  }
});

async function session(t) {
  if (!existsSync(depotBin)) return skipOrFail(t, `the depot binary is not at ${depotBin} (cargo build -p depot-cli, or set DEPOT_BIN)`);
  if (!existsSync(chromiumPath)) return skipOrFail(t, `no chromium at ${chromiumPath} (scripts/ensure-browser.sh)`);
  let chromium;
  let axeSource;
  try {
    ({ chromium } = requireHere("playwright-core"));
    axeSource = await readFile(requireHere.resolve("axe-core/axe.min.js"), "utf8");
  } catch {
    return skipOrFail(t, "playwright-core or axe-core is not installed in tests/browser/node_modules (scripts/ensure-browser.sh)");
  }
  const started = Date.now();
  const lap = (what) => process.stderr.write(`  [${((Date.now() - started) / 1000).toFixed(1)} s] ${what}\n`);

  dataDir = await mkdtemp(join(tmpdir(), "depot-console-"));
  depot = await startDepot(dataDir);
  const B = depot.baseUrl;
  const admin = (await tokenFor(B, ADMIN.id, ADMIN.secret)).token;
  await mkdir(SHOTS, { recursive: true });
  browser = await chromium.launch({ executablePath: chromiumPath, headless: true, args: ["--no-sandbox"], timeout: 20_000 });
  lap(`depot at ${B}`);

  const axeResults = [];
  const problems = []; // CSP violations and uncaught errors, from every page

  async function newPage(viewport) {
    const context = await browser.newContext({ viewport, deviceScaleFactor: 1, acceptDownloads: true });
    await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: B });
    const page = await context.newPage();
    page.setDefaultTimeout(10_000);
    page.on("pageerror", (e) => {
      problems.push(`page error: ${e}`);
      process.stderr.write(`  page error: ${e}\n`);
    });
    page.on("console", (m) => {
      const text = m.text();
      if (/Content Security Policy|Refused to/i.test(text)) problems.push(`CSP: ${text}`);
      if (process.env.DEPOT_BROWSER_VERBOSE === "1") process.stderr.write(`    ${text}\n`);
    });
    const cdp = await context.newCDPSession(page);
    lastPage = page;
    return { page, cdp, context, size: `${viewport.width}x${viewport.height}` };
  }

  /** axe on the screen as it is now: no serious or critical violation; and a screenshot. */
  async function check(p, screen, { shot = true } = {}) {
    await p.page.waitForTimeout(50);
    const has = await p.page.evaluate(() => typeof window.axe !== "undefined");
    if (!has) {
      const r = await p.cdp.send("Runtime.evaluate", { expression: axeSource });
      assert.equal(r.exceptionDetails, undefined, `axe loads: ${JSON.stringify(r.exceptionDetails)}`);
    }
    const violations = await p.page.evaluate(async () => {
      const r = await window.axe.run(document, { resultTypes: ["violations"] });
      return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, targets: v.nodes.slice(0, 3).map((n) => n.target.join(" ")) }));
    });
    const bad = violations.filter((v) => v.impact === "serious" || v.impact === "critical");
    axeResults.push({ screen, size: p.size, violations: violations.map((v) => `${v.impact}: ${v.id}`), serious: bad.length });
    assert.deepEqual(bad, [], `axe on ${screen} at ${p.size}`);
    if (p.size.startsWith("390")) {
      const overflow = await p.page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert.ok(overflow <= 1, `${screen} at ${p.size} is ${overflow}px wider than the screen`);
    }
    if (shot) await p.page.screenshot({ path: join(SHOTS, `${p.size}-${screen}.png`) });
  }

  const main = (p) => p.page.locator("main");
  const heading = (p, name) => p.page.getByRole("heading", { level: 1, name }).waitFor();

  // ---------------------------------------------------------------- desktop
  const d = await newPage({ width: 1280, height: 800 });
  const { page } = d;

  // The page and its headers.
  const res = await page.goto(`${B}/console`);
  const headers = res.headers();
  assert.match(headers["content-security-policy"], /default-src 'none'; script-src 'self'/);
  assert.match(headers["content-security-policy"], /frame-ancestors 'none'/);
  assert.equal(headers["x-frame-options"], "DENY");
  await heading(d, "Sign in to depot");
  await check(d, "signin");

  // Sign in: a wrong secret, then the right one.
  await page.getByLabel("Client id").fill(ADMIN.id);
  await page.getByLabel("Client secret").fill("wrong");
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByText("Unknown client id or wrong secret.").waitFor();
  await page.getByLabel("Client secret").fill(ADMIN.secret);
  await page.getByLabel("Client secret").press("Enter");
  await heading(d, "Projects");
  const stored = await page.evaluate(() => ({ session: sessionStorage.length, local: localStorage.length, cookie: document.cookie }));
  assert.deepEqual(stored, { session: 1, local: 0, cookie: "" }, "the token is in sessionStorage only");
  lap("signed in");

  // A project and a collection.
  await page.getByLabel("New project name").fill("shop");
  await page.getByRole("button", { name: "Create project" }).click();
  await main(d).getByRole("link", { name: "shop", exact: true }).first().waitFor();
  await check(d, "projects");
  await page.getByRole("cell").getByRole("link", { name: "shop" }).click();
  await heading(d, "Project shop");
  await page.getByLabel("New collection name").fill("Bad Name");
  await page.getByRole("button", { name: "Create collection" }).click();
  await page.locator(".notice.error").waitFor();
  await page.getByLabel("New collection name").fill("notes");
  await page.getByRole("button", { name: "Create collection" }).click();
  await page.getByRole("cell").getByRole("link", { name: "notes", exact: true }).waitFor();
  await check(d, "collections");

  // Its schema and an index.
  await page.getByRole("link", { name: "Schema and indexes of notes" }).click();
  await heading(d, "Schema and indexes of notes");
  const schema = { type: "object", required: ["title"], properties: { title: { type: "string" }, priority: { type: "number" } } };
  await page.locator("textarea.code").first().fill(JSON.stringify(schema, null, 2));
  await page.getByLabel(/^Indexes/).fill("priority");
  await page.getByRole("button", { name: "Save schema and indexes" }).click();
  await page.getByText("Saved.").waitFor();
  await check(d, "schema");
  lap("project, collection, schema and index created");

  // An item from the editor.
  await page.getByRole("link", { name: "Back to the items" }).click();
  await heading(d, "Items of notes");
  await page.getByRole("link", { name: "New item" }).click();
  await heading(d, "New item in notes");
  const editor = page.locator("textarea.code");
  await editor.fill('{\n  "title": "buy milk",\n  "priority": 2\n}');
  await page.getByRole("button", { name: "Create item" }).click();
  await page.getByText("Item created (version 1).").waitFor();
  const itemId = decodeURIComponent(page.url().split("/i/")[1]);
  assert.match(itemId, /^[0-9a-f-]{36}$/);
  const items = "/v1/projects/shop/collections/notes/items";
  for (const [title, priority] of [["write report", 5], ['<img src=x onerror="window.__xss=1">', 1], ["call mom", 3]]) {
    assert.equal((await call(B, admin, "POST", items, { title, priority })).status, 201);
  }
  lap("items created");

  // The list: stored markup is text; filter, sort, a bad filter's position, columns.
  await page.getByRole("link", { name: "Back to the list" }).click();
  await heading(d, "Items of notes");
  await page.getByRole("cell", { name: '<img src=x onerror="window.__xss=1">' }).waitFor();
  assert.equal(await main(d).locator("img").count(), 0, "item content is never HTML");
  assert.equal(await page.evaluate(() => window.__xss), undefined);
  await page.getByLabel("Filter").fill("priority >= 3");
  await page.getByLabel("Sort").fill("-priority");
  await page.getByRole("button", { name: "Apply" }).click();
  await page.getByText("2 items match").waitFor();
  const titles = await page.locator("table.items tbody tr td:nth-child(2)").allTextContents();
  assert.deepEqual(titles, ["write report", "call mom"], "filtered and sorted");
  await check(d, "items-filter");
  await page.getByLabel("Filter").fill("priority >> 3");
  await page.getByRole("button", { name: "Apply" }).click();
  await page.getByText("At byte 10.").waitFor();
  assert.equal(await page.getByLabel("Filter").getAttribute("aria-invalid"), "true");
  assert.match(await page.locator("pre.caret").textContent(), /priority >> 3\n {10}\^/);
  await check(d, "items-filter-error");
  await page.getByRole("button", { name: "Clear" }).click();
  await page.getByText("4 items").waitFor();
  await page.getByRole("button", { name: "Columns" }).click();
  await page.getByRole("checkbox", { name: "updated_at" }).uncheck();
  assert.equal(await page.getByRole("columnheader", { name: "updated_at" }).count(), 0, "a column can be hidden");
  await page.getByRole("checkbox", { name: "created_at" }).check();
  await page.getByRole("columnheader", { name: "created_at" }).waitFor();
  await check(d, "items");
  lap("filter, sort, position of a bad filter, columns");

  // Editing: a syntax error as typed, a 406, a schema 400, then two 412s.
  const itemRoute = `${B}/console#/p/shop/c/notes/i/${itemId}`;
  await page.goto(itemRoute);
  await heading(d, "Item");
  await page.getByText("Version 1").waitFor();
  await editor.fill('{\n  "title": "buy milk",,\n  "priority": 2\n}');
  await page.locator(".problems li", { hasText: "JSON syntax" }).waitFor();
  assert.match(await page.locator(".problems li").first().textContent(), /^Line 2, column 23: JSON syntax/);
  assert.equal(await page.locator(".gutter .ln.bad").count(), 1);
  assert.equal(await editor.getAttribute("aria-invalid"), "true");
  await page.getByRole("button", { name: "Save" }).click();
  await page.getByText("nothing was sent").waitFor();

  await editor.fill('{\n  "priority": 2,\n  "note": "no title"\n}');
  await page.getByRole("button", { name: "Save" }).click();
  await page.getByText("406: the collection's schema requires a field that is missing:").waitFor();
  await page.locator(".problems li.missing", { hasText: "/title: required, but missing" }).waitFor();
  assert.equal(await page.locator(".backdrop mark.missing").count(), 1, "the missing field's object is marked");
  await check(d, "item-406");

  await editor.fill('{\n  "title": "buy milk",\n  "priority": "high"\n}');
  await page.getByRole("button", { name: "Save" }).click();
  await page.locator(".problems li", { hasText: "/priority" }).waitFor();
  assert.match(await page.locator(".problems li").first().textContent(), /^Line 3, column 3: \/priority: /);
  assert.equal(await page.locator(".backdrop mark").first().textContent(), '"priority": "high"');
  await check(d, "item-400");
  lap("syntax error as typed, 406 and 400 marked in the editor");

  // 412: someone else wrote; overwrite.
  assert.equal((await call(B, admin, "PUT", `${items}/${itemId}`, { title: "buy oat milk", priority: 2 })).status, 200);
  await editor.fill('{\n  "title": "buy milk, twice",\n  "priority": 2\n}');
  await page.getByRole("button", { name: "Save" }).click();
  await page.getByText("412: this item changed since you loaded it").waitFor();
  await check(d, "item-412", { shot: true });
  await page.getByRole("button", { name: "Overwrite with my version" }).click();
  await page.getByText("Saved: version 3.").waitFor();
  // 412 again: reload the current version, my edits kept aside.
  assert.equal((await call(B, admin, "PUT", `${items}/${itemId}`, { title: "from elsewhere", priority: 4 })).status, 200);
  await editor.fill('{\n  "title": "mine",\n  "priority": 2\n}');
  await page.getByRole("button", { name: "Save" }).click();
  await page.getByRole("button", { name: "Reload the current version" }).click();
  await page.getByText("Reloaded version 4.").waitFor();
  assert.match(await editor.inputValue(), /"title": "from elsewhere"/);
  assert.match(await page.locator("pre.code-block").textContent(), /"title": "mine"/);
  lap("412: overwrite, and reload");

  // 503: maintenance mode on (from the Admin screen); a save is retried until it's off.
  await page.getByRole("link", { name: "Admin" }).click();
  await heading(d, "Admin");
  await page.getByText("Maintenance mode is off").waitFor();
  await page.getByRole("switch", { name: /Maintenance mode/ }).check();
  await page.getByLabel("Retry-After of its 503s, in seconds").fill("1");
  await page.getByRole("button", { name: "Apply" }).click();
  await page.getByText("Maintenance mode is ON").waitFor();
  await check(d, "admin-maintenance", { shot: false });
  await page.goto(itemRoute);
  await page.getByText("Version 4").waitFor();
  await editor.fill('{\n  "title": "saved through maintenance",\n  "priority": 4\n}');
  await page.getByRole("button", { name: "Save" }).click();
  await page.locator("#status", { hasText: /503: depot is in maintenance mode.*Retrying in \d+ s \(retry 1 of 5\)/ }).waitFor();
  await page.screenshot({ path: join(SHOTS, `${d.size}-item-503-retrying.png`) });
  assert.equal((await call(B, admin, "PUT", "/v1/admin/maintenance", { enabled: false })).status, 200);
  await page.getByText("Saved: version 5.").waitFor({ timeout: 15_000 });
  assert.equal(await page.locator("#status").textContent(), "", "the retry status is cleared");
  lap("503 retried with backoff, visibly, until maintenance ended");

  // Live: a write by another client appears without reloading.
  const writer = await call(B, admin, "POST", "/v1/clients", { name: "writer", scopes: ["project:shop:write"] });
  const writerToken = (await tokenFor(B, writer.body.client_id, writer.body.client_secret)).token;
  await page.goto(`${B}/console#/p/shop/c/notes`);
  await heading(d, "Items of notes");
  await page.getByRole("button", { name: "Watch live" }).click();
  await page.getByText("Live: new and changed items appear here.").waitFor();
  assert.equal((await call(B, writerToken, "POST", items, { title: "written by another client", priority: 9 })).status, 201);
  const row = page.locator("tr.new", { hasText: "written by another client" });
  await row.waitFor();
  assert.equal(await row.locator(".badge").textContent(), "new");
  assert.equal((await call(B, writerToken, "PATCH", `${items}/${itemId}`, { title: "patched elsewhere" })).status, 200);
  await page.locator("tr.changed", { hasText: "patched elsewhere" }).waitFor();
  await check(d, "items-live");
  await page.getByRole("button", { name: "Watch live" }).click();
  lap("live: a create and an update by another client appeared");

  // Clients: create one (the secret once, with a copy button), use it, delete it.
  await page.getByRole("link", { name: "Clients" }).click();
  await heading(d, "Clients");
  await page.getByLabel("Name").fill("reporting");
  await page.getByLabel("Scopes").fill("project:shop:read");
  await page.getByRole("button", { name: "Create client" }).click();
  const secret = await page.locator("#new-secret").textContent();
  assert.match(secret, /^dps_/);
  const newId = await page.locator(".notice.ok code").first().textContent();
  await page.getByRole("button", { name: "Copy the secret" }).click();
  await page.getByText(/^(Copied\.|Copying failed)/).waitFor();
  await check(d, "clients");
  assert.equal((await tokenFor(B, newId, secret)).status, 200, "the secret shown works");
  await page.getByRole("button", { name: `Delete client ${newId}` }).click();
  await page.getByRole("dialog").getByRole("button", { name: "Delete" }).click();
  await page.getByText(`Client ${newId} deleted; its tokens are revoked.`).waitFor();
  assert.equal((await tokenFor(B, newId, secret)).status, 401);
  lap("a client created (secret once), used, deleted");

  // Backups: take one and download it.
  await page.getByRole("link", { name: "Admin" }).click();
  await heading(d, "Admin");
  await page.getByRole("button", { name: "Take a backup now" }).click();
  await page.getByText(/^Backup depot-.*\.db taken/).waitFor();
  const [download] = await Promise.all([page.waitForEvent("download"), page.getByRole("button", { name: /^Download depot-/ }).click()]);
  assert.match(download.suggestedFilename(), /^depot-\d{8}T\d{6}\.\d{3}Z\.db$/);
  const saved = join(dataDir, "downloaded.db");
  await download.saveAs(saved);
  assert.equal((await readFile(saved)).subarray(0, 15).toString(), "SQLite format 3", "the download is the database");
  await check(d, "admin");
  lap("backup taken and downloaded");

  // Health.
  await page.getByRole("link", { name: "Health" }).click();
  await heading(d, "Health");
  await page.getByText("Ready: the store answers.").waitFor();
  // Two samples at least, so each chart has a line to draw.
  await page.waitForFunction(() => document.querySelector("svg.spark path.line")?.getAttribute("d").includes("L"), null, { timeout: 8000 });
  assert.equal(await page.locator("section.metric").count(), 5);
  assert.match(await page.locator("section.metric .big-number").first().textContent(), /^\d+\.\d$/);
  await check(d, "health");
  lap("health charts drawn");

  // An expired session: the dialog over the editor, the edit kept and saved after.
  await page.goto(itemRoute);
  await page.getByText(/^Version \d+$/).waitFor();
  const edited = '{\n  "title": "kept across a new sign-in",\n  "priority": 1\n}';
  await editor.fill(edited);
  const consoleToken = await page.evaluate(() => JSON.parse(sessionStorage.getItem("depot.console.session")).token);
  const revoke = await fetch(`${B}/oauth/revoke`, {
    method: "POST",
    headers: { authorization: basic(ADMIN.id, ADMIN.secret), "content-type": "application/x-www-form-urlencoded" },
    body: `token=${consoleToken}`,
  });
  assert.equal(revoke.status, 200);
  await page.getByRole("button", { name: "Save" }).click();
  const dialog = page.getByRole("dialog", { name: "Sign in again" });
  await dialog.waitFor();
  assert.equal(await editor.inputValue(), edited, "the editor keeps its text under the dialog");
  await check(d, "reauth-dialog");
  await dialog.getByLabel("Client secret").fill(ADMIN.secret);
  await dialog.getByRole("button", { name: "Sign in" }).click();
  await page.getByText(/^Saved: version \d+\.$/).waitFor();
  assert.match(await editor.inputValue(), /kept across a new sign-in/);
  lap("an expired session re-prompted, kept the edit, and saved it after");

  // Sign out: the token is revoked.
  const lastToken = await page.evaluate(() => JSON.parse(sessionStorage.getItem("depot.console.session")).token);
  await page.getByRole("button", { name: "Sign out" }).click();
  await page.getByText("Signed out: the token is revoked.").waitFor();
  await heading(d, "Sign in to depot");
  assert.equal(await page.evaluate(() => sessionStorage.length), 0);
  assert.equal((await call(B, lastToken, "GET", "/v1/projects")).status, 401, "the console's token is revoked");
  lap("signed out, token revoked");

  // ---------------------------------------------------------------- a phone
  const m = await newPage({ width: 390, height: 844 });
  await m.page.goto(`${B}/console`);
  await heading(m, "Sign in to depot");
  await check(m, "signin");
  // Keyboard only: the client id field has focus; type, Tab, type, Enter.
  assert.equal(await m.page.evaluate(() => document.activeElement?.name), "client_id");
  await m.page.keyboard.type(ADMIN.id);
  await m.page.keyboard.press("Tab");
  await m.page.keyboard.type(ADMIN.secret);
  await m.page.keyboard.press("Enter");
  await heading(m, "Projects");
  await check(m, "projects");
  for (const [hash, name, screen] of [
    ["#/p/shop", "Project shop", "collections"],
    ["#/p/shop/c/notes", "Items of notes", "items"],
    [`#/p/shop/c/notes/i/${itemId}`, "Item", "item"],
    ["#/p/shop/c/notes/schema", "Schema and indexes of notes", "schema"],
    ["#/clients", "Clients", "clients"],
    ["#/admin", "Admin", "admin"],
    ["#/health", "Health", "health"],
  ]) {
    await m.page.goto(`${B}/console${hash}`);
    await heading(m, name);
    if (screen === "health") await m.page.locator("svg.spark path.line").first().waitFor({ state: "attached", timeout: 8000 });
    if (screen === "item") await m.page.getByText(/^Version \d+$/).waitFor();
    await check(m, screen);
  }
  lap("the phone screens");

  // Keyboard: a new screen puts focus on its heading; Tab goes on to its first control,
  // with a visible focus ring; Shift+Tab goes back up through the top bar; the skip
  // link shows when focused and moves focus to the content.
  await m.page.goto(`${B}/console#/clients`);
  await heading(m, "Clients");
  assert.equal(await m.page.evaluate(() => document.activeElement?.tagName), "H1");
  const focusNow = () => m.page.evaluate(() => ({ label: document.activeElement?.labels?.[0]?.textContent ?? document.activeElement?.textContent, outline: getComputedStyle(document.activeElement).outlineStyle }));
  await m.page.keyboard.press("Tab");
  assert.deepEqual(await focusNow(), { label: "Name", outline: "solid" });
  await m.page.keyboard.press("Shift+Tab");
  assert.deepEqual(await focusNow(), { label: "Sign out", outline: "solid" });
  await m.page.keyboard.press("Shift+Tab");
  assert.deepEqual(await focusNow(), { label: "Health", outline: "solid" });
  await m.page.locator(".skip").focus();
  const box = await m.page.locator(".skip").boundingBox();
  assert.ok(box && box.x >= 0 && box.y >= 0, "the skip link is on screen when focused");
  await m.page.keyboard.press("Enter");
  assert.equal(await m.page.evaluate(() => document.activeElement?.id), "main");
  lap("keyboard: skip link, visible focus");

  // 429: a depot with a per-client rate limit; the console retries and says so.
  const limitedDir = await mkdtemp(join(tmpdir(), "depot-console-429-"));
  const limited = await startDepot(limitedDir, ["--client-rate", "1", "--client-burst", "1"]);
  try {
    await m.page.goto(`${limited.baseUrl}/console`);
    await m.page.getByLabel("Client id").fill(ADMIN.id);
    await m.page.getByLabel("Client secret").fill(ADMIN.secret);
    await m.page.getByRole("button", { name: "Sign in" }).click();
    await heading(m, "Projects");
    await m.page.goto(`${limited.baseUrl}/console#/clients`);
    await m.page.locator("#status", { hasText: /^429: this client is over its rate limit\. Retrying in \d+ s \(retry \d of 5\)/ }).waitFor();
    await m.page.screenshot({ path: join(SHOTS, `${m.size}-clients-429-retrying.png`) });
    await m.page.getByRole("cell", { name: ADMIN.id, exact: true }).waitFor({ timeout: 15_000 });
    assert.equal(await m.page.locator("#status").textContent(), "");
  } finally {
    await limited.stop();
    await rm(limitedDir, { recursive: true, force: true });
  }
  lap("429 retried with backoff, visibly");

  assert.deepEqual(problems, [], "no CSP violation and no uncaught error in any page");
  await writeFile(join(SHOTS, "axe.json"), `${JSON.stringify(axeResults, null, 2)}\n`);
  for (const r of axeResults) {
    process.stderr.write(`  axe ${r.size.padEnd(8)} ${r.screen.padEnd(20)} serious/critical: ${r.serious}; all: ${r.violations.join(", ") || "none"}\n`);
  }
  for (const f of ["1280x800-signin.png"]) assert.ok((await stat(join(SHOTS, f))).size > 0);
  lap("done");
}
