// The client over real HTTP against a scripted server: retries, idempotency keys and
// tokens as they appear on the wire, with a virtual clock so no delay is really slept.

import assert from "node:assert/strict";
import { after, test } from "node:test";
import {
  DepotClient,
  RetryBudget,
  TransportError,
  UnauthorizedError,
  UnavailableError,
  ValidationFailedError,
  type DepotClientOptions,
  type RetryEvent,
} from "../../src/index.js";
import { envelope, ScriptedServer, unavailable, type Scripted } from "../support/scripted.js";
import { virtualTime } from "../support/virtual.js";

const servers: ScriptedServer[] = [];
after(() => Promise.all(servers.map((s) => s.close())));

const project = (name: string) => ({ name, metadata: {}, created_at: "2024-01-01T00:00:00Z", updated_at: "2024-01-01T00:00:00Z" });

async function setup(answers: Scripted[], options: Partial<DepotClientOptions> = {}) {
  const server = await ScriptedServer.start(answers);
  servers.push(server);
  const time = virtualTime();
  const events: RetryEvent[] = [];
  const depot = new DepotClient({
    baseUrl: server.baseUrl,
    sleep: time.sleep,
    now: time.now,
    retryBudget: RetryBudget.unlimited(),
    onRetry: (e) => events.push(e),
    ...options,
  });
  return { server, depot, time, events };
}

test("a post retried through two 503s keeps one idempotency key and one token", async () => {
  const { server, depot, events } = await setup(
    [envelope(503, "overloaded"), unavailable("0"), { status: 201, headers: { location: "/v1/projects/notes" }, json: project("notes") }],
    { credentials: { clientId: "id", clientSecret: "s+cr%t" } },
  );
  const created = await depot.projects.create({ name: "notes" });
  assert.equal(created.name, "notes");

  assert.equal(server.seen.length, 3);
  const key = server.seen[0]!.header("idempotency-key");
  assert.match(key ?? "", /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  for (const s of server.seen) {
    assert.deepEqual([s.method, s.path], ["POST", "/v1/projects"]);
    assert.equal(s.header("idempotency-key"), key, "one key for every attempt");
    assert.equal(s.header("authorization"), "Bearer tok-1");
    assert.equal(s.header("content-type"), "application/json");
    assert.deepEqual(s.json(), { name: "notes" });
  }
  assert.equal(server.tokenRequests.length, 1, "the token is fetched once and cached");
  const tokenRequest = server.tokenRequests[0]!;
  // RFC 6749 §2.3.1: id and secret are form-encoded inside HTTP Basic.
  assert.equal(tokenRequest.header("authorization"), "Basic aWQ6cyUyQmNyJTI1dA==");
  assert.equal(tokenRequest.header("content-type"), "application/x-www-form-urlencoded");
  assert.equal(tokenRequest.body, "grant_type=client_credentials");
  assert.equal(tokenRequest.header("idempotency-key"), undefined);
  assert.deepEqual(events.map((e) => [e.attempt, e.maxRetries, e.reason, e.path]), [
    [1, 5, { type: "status", status: 503 }, "/v1/projects"],
    [2, 5, { type: "status", status: 503 }, "/v1/projects"],
  ]);
});

test("a 401 fetches a new token once and resends with the same key", async () => {
  const { server, depot } = await setup([envelope(401, "token revoked"), { status: 201, json: project("notes") }], {
    credentials: { clientId: "id", clientSecret: "secret", scope: "admin project:x:read" },
  });
  await depot.projects.create({ name: "notes" });
  assert.deepEqual(server.seen.map((s) => s.header("authorization")), ["Bearer tok-1", "Bearer tok-2"]);
  assert.equal(server.seen[0]!.header("idempotency-key"), server.seen[1]!.header("idempotency-key"));
  assert.equal(server.tokenRequests[0]!.body, "grant_type=client_credentials&scope=admin%20project%3Ax%3Aread");
});

test("a second 401 after the refresh is thrown", async () => {
  const { server, depot } = await setup([envelope(401, "no"), envelope(401, "still no")], {
    credentials: { clientId: "id", clientSecret: "secret" },
  });
  await assert.rejects(depot.projects.get("notes"), (e) => e instanceof UnauthorizedError && e.message === "still no");
  assert.deepEqual([server.seen.length, server.tokenRequests.length], [2, 2]);
});

test("concurrent calls share one token fetch", async () => {
  const { server, depot } = await setup([{ status: 200, json: project("p") }], {
    credentials: { clientId: "id", clientSecret: "secret" },
  });
  await Promise.all([depot.projects.get("p"), depot.projects.get("p"), depot.projects.get("p")]);
  assert.equal(server.tokenRequests.length, 1);
});

test("a token is fetched again shortly before it expires", async () => {
  const { server, depot, time } = await setup([{ status: 200, json: project("p") }], {
    credentials: { clientId: "id", clientSecret: "secret" },
  });
  await depot.projects.get("p");
  time.advance(3_569_000);
  await depot.projects.get("p");
  time.advance(1_000);
  await depot.projects.get("p");
  assert.deepEqual(server.seen.map((s) => s.header("authorization")), ["Bearer tok-1", "Bearer tok-1", "Bearer tok-2"]);
});

test("a static token is sent as is and never refreshed", async () => {
  const { server, depot } = await setup([envelope(401, "expired")], { credentials: { token: "abc" } });
  await assert.rejects(depot.projects.list(), UnauthorizedError);
  assert.equal(server.seen.length, 1);
  assert.equal(server.seen[0]!.header("authorization"), "Bearer abc");
  assert.equal(server.tokenRequests.length, 0);
});

test("a 400 is a typed error with the envelope and is never retried", async () => {
  const bad = { ...envelope(400, "bad JSON", { errors: ["/title"] }), headers: { "retry-after": "0", "x-request-id": "req-7" } };
  const { server, depot, events } = await setup([bad], { credentials: { token: "t" } });
  const error = await depot.items("p", "c").create({ a: 1 }).catch((e: unknown) => e);
  assert.ok(error instanceof ValidationFailedError);
  assert.deepEqual([error.status, error.message, error.details, error.requestId, error.errors], [400, "bad JSON", { errors: ["/title"] }, "req-7", ["/title"]]);
  assert.equal(server.seen.length, 1);
  assert.equal(events.length, 0);
});

test("a raw request returns any status and keeps the caller's key", async () => {
  const { server, depot } = await setup([unavailable("0"), envelope(404, "no such thing")], { credentials: { token: "t" } });
  const res = await depot.request("post", "/v1/things?x=1", { json: { x: 1 }, idempotencyKey: "my-key" });
  assert.equal(res.status, 404);
  assert.equal(res.json<{ message: string }>().message, "no such thing");
  assert.deepEqual(server.seen.map((s) => [s.path, s.header("idempotency-key")]), [
    ["/v1/things?x=1", "my-key"],
    ["/v1/things?x=1", "my-key"],
  ]);
});

test("a post with the key switched off carries none and is not retried after a drop", async () => {
  const { server, depot } = await setup([{ drop: true }, { status: 201, json: {} }], { credentials: { token: "t" } });
  await assert.rejects(depot.request("POST", "/v1/projects", { json: {}, idempotencyKey: false }), TransportError);
  assert.equal(server.seen.length, 1);
  assert.equal(server.seen[0]!.header("idempotency-key"), undefined);
});

test("malformed and past retry-after values are ignored", async () => {
  const { depot, time } = await setup([unavailable("soon"), unavailable("Sun, 06 Nov 1994 08:49:37 GMT"), { json: { status: "ok" } }]);
  const res = await depot.request("GET", "/anything");
  assert.equal(res.status, 200);
  assert.equal(time.delays.length, 2);
  assert.ok(time.delays[0]! <= 100 && time.delays[1]! <= 200, String(time.delays));
});

test("clients sharing a budget share its retries", async () => {
  const budget = new RetryBudget({ ratio: 0, minPerSecond: 0, maxTokens: 1 });
  const { server, depot } = await setup([unavailable("0")], { credentials: { token: "t" }, retryBudget: budget });
  const view = depot.withOptions({ retry: { maxRetries: 3 } });
  const error = await depot.projects.get("p").catch((e: unknown) => e);
  assert.ok(error instanceof UnavailableError && error.retryAfterMs === 0);
  assert.equal(server.seen.length, 2, "one retry was in the budget");
  await assert.rejects(view.projects.get("p"), UnavailableError);
  assert.equal(server.seen.length, 3, "the view found the budget empty");
});

test("a refused connection is retried then reported as a transport error", async () => {
  const server = await ScriptedServer.start([]);
  const baseUrl = server.baseUrl;
  await server.close();
  const time = virtualTime();
  const events: RetryEvent[] = [];
  const depot = new DepotClient({ baseUrl, retry: { maxRetries: 2 }, sleep: time.sleep, now: time.now, onRetry: (e) => events.push(e) });
  const error = await depot.projects.list().catch((e: unknown) => e);
  assert.ok(error instanceof TransportError, String(error));
  assert.match(error.message, /ECONNREFUSED/);
  assert.deepEqual(events.map((e) => e.reason.type), ["transport", "transport"]);
});

test("health probes are anonymous and not retried", async () => {
  const { server, depot } = await setup([{ json: { status: "ok" } }, unavailable("0")], {
    credentials: { clientId: "id", clientSecret: "secret" },
  });
  assert.deepEqual(await depot.health.healthz(), { status: "ok" });
  await assert.rejects(depot.health.readyz(), UnavailableError);
  assert.equal(server.seen.length, 2);
  assert.ok(server.seen.every((s) => s.header("authorization") === undefined));
  assert.equal(server.tokenRequests.length, 0);
});

test("an abort before the answer rejects with the signal's reason, not a transport error", async () => {
  const { depot } = await setup([unavailable("0")], { credentials: { token: "t" }, sleep: (_ms, signal) => new Promise((_, reject) => signal?.addEventListener("abort", () => reject(signal.reason))) });
  const controller = new AbortController();
  const reason = new Error("user gave up");
  const call = depot.projects.get("p", { signal: controller.signal });
  setTimeout(() => controller.abort(reason), 50);
  await assert.rejects(call, (e) => e === reason);
});

test("an attempt that outlives its timeout is a transport failure, retried", async () => {
  // A server that never answers: a bare socket listener.
  const { createServer } = await import("node:net");
  const silent = createServer(() => {});
  await new Promise<void>((r) => silent.listen(0, "127.0.0.1", r));
  const port = (silent.address() as { port: number }).port;
  const events: RetryEvent[] = [];
  const time = virtualTime();
  const depot = new DepotClient({ baseUrl: `http://127.0.0.1:${port}`, timeoutMs: 50, retry: { maxRetries: 1 }, sleep: time.sleep, now: time.now, onRetry: (e) => events.push(e) });
  const error = await depot.request("GET", "/").catch((e: unknown) => e);
  silent.close();
  assert.ok(error instanceof TransportError);
  assert.match(error.message, /no complete answer within 50 ms/);
  assert.equal(events.length, 1);
});
