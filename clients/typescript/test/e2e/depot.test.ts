// The client against the real server: proof that client and server agree on the wire.

import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import {
  DepotClient,
  IdempotencyKeyReusedError,
  MissingFieldsError,
  NotFoundError,
  PreconditionFailedError,
  RetryBudget,
  UnavailableError,
  ValidationFailedError,
  type RetryEvent,
} from "../../src/index.js";
import { ADMIN, skipReason, startDepot, type RunningDepot } from "../support/depot.js";

interface Todo {
  title: string;
  done?: boolean;
}

const todoSchema = {
  type: "object",
  required: ["title"],
  properties: { title: { type: "string" }, done: { type: "boolean" } },
};

const skip = skipReason();

describe("against depot serve", { skip }, () => {
  let server: RunningDepot;
  let depot: DepotClient;

  before(async () => {
    server = await startDepot();
    depot = new DepotClient({ baseUrl: server.baseUrl, credentials: ADMIN });
    await depot.projects.create({ name: "e2e", metadata: { owner: "ts" } });
    await depot.collections.create("e2e", { name: "todos", schema: todoSchema });
  });
  after(() => server?.stop());

  test("an item is created, read, updated with if-match, and a stale if-match is a 412", async () => {
    const todos = depot.items<Todo>("e2e", "todos");
    const created = await todos.create({ title: "buy milk", done: false });
    assert.equal(created.version, 1);
    assert.match(created.id, /^[0-9a-f-]{36}$/);
    const read = await todos.get(created.id);
    assert.deepEqual(read, created);

    const updated = await todos.replace(created.id, { title: "buy oat milk", done: false }, { ifMatch: read });
    assert.deepEqual([updated.version, updated.title], [2, "buy oat milk"]);
    const stale = await todos.replace(created.id, { title: "lost update" }, { ifMatch: read }).catch((e: unknown) => e);
    assert.ok(stale instanceof PreconditionFailedError, String(stale));
    assert.equal(stale.status, 412);
    assert.ok(stale.requestId, "every answer carries X-Request-Id");

    const patched = await todos.patch(created.id, { done: true }, { ifMatch: updated });
    assert.deepEqual([patched.version, patched.done, patched.title], [3, true, "buy oat milk"]);
    assert.equal(await todos.getIfChanged(created.id, patched), undefined, "304 for a current copy");
    assert.equal((await todos.getIfChanged(created.id, updated))?.version, 3);

    await todos.delete(created.id, { ifMatch: patched });
    await assert.rejects(todos.get(created.id), NotFoundError);
  });

  test("a missing required member is a 406 naming it, a wrong type a 400", async () => {
    const todos = depot.items("e2e", "todos");
    const missing = await todos.create({ done: true }).catch((e: unknown) => e);
    assert.ok(missing instanceof MissingFieldsError, String(missing));
    assert.deepEqual(missing.missing, ["/title"]);
    assert.deepEqual(missing.details?.["missing"], ["/title"]);
    await assert.rejects(todos.create({ title: 42 }), ValidationFailedError);
  });

  test("a post replayed with its idempotency key creates one item and answers the same", async () => {
    const replays = await depot.collections.create("e2e", { name: "replays" });
    assert.equal(replays.schema, null);
    const items = depot.items("e2e", "replays");
    const first = await items.create({ n: 1 }, { idempotencyKey: "e2e-key-1" });
    const again = await depot.request("POST", "/v1/projects/e2e/collections/replays/items", {
      json: { n: 1 },
      idempotencyKey: "e2e-key-1",
    });
    assert.equal(again.status, 201);
    assert.equal(again.headers.get("idempotent-replayed"), "true");
    assert.deepEqual(again.json(), first);
    await assert.rejects(items.create({ n: 2 }, { idempotencyKey: "e2e-key-1" }), IdempotencyKeyReusedError);
    const page = await items.list();
    assert.deepEqual(page.data.map((i) => i.id), [first.id]);
    assert.equal(page.next_cursor, null);
  });

  test("an oauth client gets its own tokens, and a revoked one is replaced on the 401", async () => {
    const created = await depot.clients.create({ name: "writer", scopes: ["project:e2e:write"] });
    const writer = new DepotClient({
      baseUrl: server.baseUrl,
      credentials: { clientId: created.client_id, clientSecret: created.client_secret },
    });
    await writer.items("e2e", "todos").create({ title: "from the writer" });
    const token = await writer.accessToken();
    assert.ok(token);
    await writer.oauth.revoke(token);
    // The cached token is now refused: the client fetches a new one and goes on.
    const page = await writer.items("e2e", "todos").list({ limit: 1 });
    assert.equal(page.data.length, 1);
    assert.notEqual(await writer.accessToken(), token);
    await assert.rejects(writer.projects.create({ name: "nope" }), (e: unknown) => (e as { status?: number }).status === 403);
    await depot.clients.delete(created.client_id);
    await assert.rejects(depot.clients.get(created.client_id), NotFoundError);
  });

  test("maintenance mode makes writes 503 with its retry-after, reads go on", async () => {
    await depot.maintenance.set({ enabled: true, retry_after: 7 });
    try {
      const once = depot.withOptions({ retry: { maxRetries: 0 } });
      const error = await once.items("e2e", "todos").create({ title: "x" }).catch((e: unknown) => e);
      assert.ok(error instanceof UnavailableError, String(error));
      assert.equal(error.retryAfterMs, 7000);
      assert.ok((await depot.projects.get("e2e")).name === "e2e");
    } finally {
      await depot.maintenance.set({ enabled: false });
    }
    assert.equal((await depot.maintenance.get()).enabled, false);
    assert.deepEqual(await depot.health.healthz(), { status: "ok" });
  });
});

describe("against depot serve shedding load", { skip }, () => {
  let server: RunningDepot;

  before(async () => {
    server = await startDepot(["--max-in-flight", "1", "--queue-timeout-ms", "0"]);
  });
  after(() => server?.stop());

  test("under a 503 flood the items stored are exactly the successful creates", async (t) => {
    const events: RetryEvent[] = [];
    const depot = new DepotClient({
      baseUrl: server.baseUrl,
      credentials: ADMIN,
      // A small cap clamps the server's Retry-After: 1 so the test takes about a second.
      retry: { maxRetries: 4, capMs: 250 },
      retryBudget: RetryBudget.unlimited(),
      onRetry: (e) => events.push(e),
    });
    const setup = depot.withOptions({ retry: { maxRetries: 20, capMs: 100 } });
    await setup.projects.create({ name: "flood" });
    await setup.collections.create("flood", { name: "items" });
    await depot.accessToken();
    events.length = 0;

    const items = depot.items("flood", "items");
    const outcomes = await Promise.allSettled(Array.from({ length: 60 }, (_, n) => items.create({ n })));
    const created = outcomes.flatMap((o) => (o.status === "fulfilled" ? [o.value] : []));
    const failures = outcomes.flatMap((o) => (o.status === "rejected" ? [o.reason as unknown] : []));
    for (const failure of failures) assert.ok(failure instanceof UnavailableError, String(failure));
    assert.ok(events.some((e) => e.reason.type === "status" && e.reason.status === 503), "the flood was shed");
    assert.ok(created.length > 0, "some creates got through");
    t.diagnostic(`${created.length} created, ${failures.length} still 503 after 4 retries, ${events.length} retries`);

    const stored = [];
    for await (const item of setup.items("flood", "items").iterate({ limit: 1000 })) stored.push(item);
    const storedIds = stored.map((i) => i.id).sort();
    assert.deepEqual(storedIds, created.map((i) => i.id).sort(), "stored = successes");
    assert.equal(new Set(stored.map((i) => i["n"])).size, stored.length, "no create was stored twice");
  });
});
