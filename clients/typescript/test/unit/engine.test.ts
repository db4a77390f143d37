// The retry loop against a scripted attempt function, on a virtual clock.

import assert from "node:assert/strict";
import { test } from "node:test";
import { RetryBudget, TransportError, describeRetry, retryPolicy, type RetryEvent, type RetryPolicy } from "../../src/index.js";
import { runWithRetries, type Attempt } from "../../src/engine.js";
import { DepotResponse } from "../../src/response.js";
import { virtualTime } from "../support/virtual.js";

/** One scripted outcome: a status with an optional Retry-After (ms), or no answer. */
type Step = { status: number; retryAfterMs?: number } | "drop";

interface Run {
  last: Attempt;
  attempts: number;
  delays: number[];
  events: RetryEvent[];
  elapsed: number;
}

async function run(
  steps: Step[],
  options: { policy?: Partial<RetryPolicy>; budget?: RetryBudget; method?: string; retryTransport?: boolean } = {},
): Promise<Run> {
  const time = virtualTime();
  const events: RetryEvent[] = [];
  const script = [...steps];
  let attempts = 0;
  const started = time.now();
  const last = await runWithRetries(
    {
      policy: retryPolicy(options.policy),
      budget: options.budget ?? RetryBudget.unlimited(),
      method: options.method ?? "GET",
      path: "/v1/projects",
      retryTransport: options.retryTransport ?? true,
      onRetry: (e) => events.push(e),
      sleep: time.sleep,
      now: time.now,
      random: Math.random,
    },
    async (n) => {
      assert.equal(n, attempts, "attempts are numbered from 0");
      attempts++;
      // The last step repeats: "always 503" is a one-step script.
      const step = script.length > 1 ? script.shift()! : script[0]!;
      if (step === "drop") return { kind: "transport", error: new TransportError("connection reset by peer") };
      const response = new DepotResponse(step.status, new Headers(), "", step.retryAfterMs);
      return { kind: "response", response };
    },
  );
  return { last, attempts, delays: time.delays, events, elapsed: time.now() - started };
}

const statusOf = (a: Attempt) => (a.kind === "response" ? a.response.status : "transport");

test("two 503s then a 200 succeed after at least the retry-after", async () => {
  const r = await run([{ status: 503 }, { status: 503, retryAfterMs: 3000 }, { status: 200 }]);
  assert.equal(statusOf(r.last), 200);
  assert.equal(r.attempts, 3);
  assert.ok(r.delays[0]! <= 100, `first delay ${r.delays[0]} is jitter within the base`);
  assert.equal(r.delays[1], 3000, "the floor is above the 200 ms jitter bound");
  assert.deepEqual(
    r.events.map((e) => [e.attempt, e.maxRetries, e.reason, e.method, e.path, e.delayMs]),
    [
      [1, 5, { type: "status", status: 503 }, "GET", "/v1/projects", r.delays[0]],
      [2, 5, { type: "status", status: 503 }, "GET", "/v1/projects", 3000],
    ],
  );
});

test("a 429 is retried like a 503", async () => {
  const r = await run([{ status: 429, retryAfterMs: 2000 }, { status: 201 }], { method: "POST", retryTransport: false });
  assert.equal(statusOf(r.last), 201);
  assert.deepEqual(r.delays, [2000]);
});

test("a retry-after beyond the cap is clamped to it", async () => {
  const r = await run([{ status: 503, retryAfterMs: 3_600_000 }, { status: 200 }], { policy: { capMs: 20_000 } });
  assert.deepEqual(r.delays, [20_000]);
});

test("no other 4xx is ever retried, nor a 500", async () => {
  for (const status of [400, 401, 403, 404, 405, 406, 409, 410, 412, 413, 415, 422, 500, 502]) {
    const r = await run([{ status, retryAfterMs: 1000 }, { status: 200 }]);
    assert.deepEqual([r.attempts, statusOf(r.last), r.events.length], [1, status, 0], String(status));
  }
});

test("max retries is respected and the last 503 is returned", async () => {
  const r = await run([{ status: 503 }], { policy: { maxRetries: 3 }, method: "DELETE" });
  assert.deepEqual([r.attempts, statusOf(r.last)], [4, 503]);
  assert.deepEqual(r.events.map((e) => e.attempt), [1, 2, 3]);
  r.delays.forEach((d, n) => assert.ok(d <= 100 * 2 ** n, `${d} before retry ${n}`));
});

test("zero max retries makes one attempt", async () => {
  const r = await run([{ status: 503 }], { policy: { maxRetries: 0 } });
  assert.equal(r.attempts, 1);
});

test("no retry starts that would pass the overall deadline", async () => {
  const r = await run([{ status: 503, retryAfterMs: 10_000 }], { policy: { maxRetries: 10, deadlineMs: 25_000 } });
  // Retries at 10 s and 20 s; a third would end at 30 s, past the 25 s deadline.
  assert.deepEqual([r.attempts, statusOf(r.last), r.elapsed], [3, 503, 20_000]);
});

test("a null deadline leaves only max retries", async () => {
  const r = await run([{ status: 503, retryAfterMs: 20_000 }], { policy: { maxRetries: 10, deadlineMs: null } });
  assert.equal(r.attempts, 11);
});

test("transport failures are retried when the request is safe to repeat", async () => {
  const r = await run(["drop", "drop", { status: 200 }]);
  assert.deepEqual([r.attempts, statusOf(r.last)], [3, 200]);
  assert.deepEqual(r.events[0]!.reason, { type: "transport", message: "connection reset by peer" });
  assert.match(describeRetry(r.events[0]!), /^connection reset by peer, retrying in 0\.\d s \(1\/5\)$/);
});

test("a transport failure of an unsafe request is returned at once", async () => {
  const r = await run(["drop", { status: 200 }], { method: "POST", retryTransport: false });
  assert.deepEqual([r.attempts, statusOf(r.last)], [1, "transport"]);
});

test("an empty budget stops retrying and returns the 503", async () => {
  // Two retries banked, nothing earned per call or per second.
  const budget = new RetryBudget({ ratio: 0, minPerSecond: 0, maxTokens: 2 });
  const first = await run([{ status: 503 }], { budget });
  assert.deepEqual([first.attempts, first.events.length], [3, 2]);
  const second = await run([{ status: 503 }], { budget });
  assert.deepEqual([second.attempts, statusOf(second.last), second.events.length], [1, 503, 0]);
});

test("a retry event reads as the cli prints it", () => {
  const event: RetryEvent = { attempt: 2, maxRetries: 5, delayMs: 1290, reason: { type: "status", status: 503 }, method: "GET", path: "/" };
  assert.equal(describeRetry(event), "503, retrying in 1.3 s (2/5)");
});

test("an abort during the delay rejects with the signal's reason and stops", async () => {
  const controller = new AbortController();
  let attempts = 0;
  const reason = new Error("stop");
  const promise = runWithRetries(
    {
      policy: retryPolicy(),
      budget: RetryBudget.unlimited(),
      method: "GET",
      path: "/",
      retryTransport: true,
      sleep: async (_ms, signal) => {
        controller.abort(reason);
        signal?.throwIfAborted();
      },
      now: () => 0,
      random: () => 0,
      signal: controller.signal,
    },
    async () => {
      attempts++;
      return { kind: "response", response: new DepotResponse(503, new Headers(), "") };
    },
  );
  await assert.rejects(promise, (e) => e === reason);
  assert.equal(attempts, 1);
});
