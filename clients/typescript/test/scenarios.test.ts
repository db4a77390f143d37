// The shared retry scenarios (clients/scenarios/retry.json, format 1): each one is
// served from a scripted HTTP server on 127.0.0.1:0 and played through
// `DepotClient.request` with a virtual sleep and clock, then its `expect` is checked.
// The format is described in clients/scenarios/README.md.

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { DepotClient, RetryBudget, TransportError, type DepotResponse, type RetryEvent } from "../src/index.js";
import { ScriptedServer, type Answer, type Scripted } from "./support/scripted.js";
import { virtualTime } from "./support/virtual.js";

interface PolicySpec {
  base_ms: number;
  factor: number;
  cap_ms: number;
  max_retries: number;
  deadline_ms: number | null;
}

type BudgetSpec = "unlimited" | { ratio: number; min_per_second: number; max_tokens: number; initial_tokens: number };

interface AnswerSpec {
  status?: number;
  headers?: Record<string, string>;
  json?: unknown;
  drop?: boolean;
  retry_after_http_date_in_s?: number;
}

interface Scenario {
  name: string;
  request: { method: string; path: string; json?: unknown; idempotency_key?: string | false };
  auth?: "client_credentials";
  policy?: Partial<PolicySpec>;
  budget?: BudgetSpec;
  answers: AnswerSpec[];
  repeat_last?: boolean;
  expect: {
    attempts: number;
    result: { status: number } | { transport_error: true };
    delays_ms: { min: number; max: number }[];
    idempotency_key?: string;
    retry_events: { attempt: number; reason: string }[];
  };
}

interface ScenarioFile {
  format: number;
  defaults: { policy: PolicySpec; budget: BudgetSpec };
  scenarios: Scenario[];
}

const file = JSON.parse(
  readFileSync(new URL("../../../scenarios/retry.json", import.meta.url), "utf8"),
) as ScenarioFile;

test("the scenario file is format 1", () => {
  assert.equal(file.format, 1);
  assert.ok(file.scenarios.length > 0);
});

for (const scenario of file.scenarios) {
  test(scenario.name, () => play(scenario));
}

async function play(scenario: Scenario): Promise<void> {
  const server = await ScriptedServer.start(scenario.answers.map(scripted), {
    repeatLast: scenario.repeat_last ?? false,
  });
  try {
    const time = virtualTime(0);
    const events: RetryEvent[] = [];
    const policy = { ...file.defaults.policy, ...scenario.policy };
    const depot = new DepotClient({
      baseUrl: server.baseUrl,
      credentials:
        scenario.auth === "client_credentials"
          ? { clientId: "scenario-client", clientSecret: "scenario-secret" }
          : { token: "scenario-token" },
      retry: {
        baseMs: policy.base_ms,
        factor: policy.factor,
        capMs: policy.cap_ms,
        maxRetries: policy.max_retries,
        deadlineMs: policy.deadline_ms,
      },
      retryBudget: budget(scenario.budget ?? file.defaults.budget, time.now),
      onRetry: (e) => events.push(e),
      sleep: time.sleep,
      now: time.now,
    });
    const { method, path, json, idempotency_key } = scenario.request;
    const outcome = await depot
      .request(method, path, { json, idempotencyKey: idempotency_key })
      .catch((e: unknown) => e);
    check(scenario, server, outcome, time.delays, events);
  } finally {
    await server.close();
  }
}

function check(
  scenario: Scenario,
  server: ScriptedServer,
  outcome: DepotResponse | unknown,
  delays: number[],
  events: RetryEvent[],
): void {
  const { expect } = scenario;
  assert.equal(server.seen.length, expect.attempts, "attempts");
  if ("status" in expect.result) {
    assert.ok(!(outcome instanceof Error), `expected status ${expect.result.status}, got ${String(outcome)}`);
    assert.equal((outcome as DepotResponse).status, expect.result.status, "result status");
  } else {
    assert.ok(outcome instanceof TransportError, `expected a transport error, got ${String(outcome)}`);
  }
  assert.equal(delays.length, expect.delays_ms.length, `delays ${JSON.stringify(delays)}`);
  expect.delays_ms.forEach(({ min, max }, i) => {
    const d = delays[i]!;
    assert.ok(d >= min && d <= max, `delay ${i} is ${d} ms, not within [${min}, ${max}]`);
  });
  const seen = events.map((e) => ({
    attempt: e.attempt,
    reason: e.reason.type === "status" ? `status:${e.reason.status}` : "transport",
  }));
  assert.deepEqual(seen, expect.retry_events, "retry events");
  if (expect.idempotency_key !== undefined) checkKey(expect.idempotency_key, server);
}

function checkKey(expected: string, server: ScriptedServer): void {
  const keys = server.seen.map((s) => s.header("idempotency-key"));
  if (expected === "absent") {
    assert.deepEqual(keys, keys.map(() => undefined), "no attempt carries a key");
  } else if (expected === "same_on_every_attempt") {
    assert.ok(keys[0], "the first attempt carries a key");
    assert.deepEqual(keys, keys.map(() => keys[0]), "one key on every attempt");
  } else if (expected.startsWith("given:")) {
    const given = expected.slice("given:".length);
    assert.deepEqual(keys, keys.map(() => given), "the caller's key on every attempt");
  } else {
    assert.fail(`unknown idempotency_key expectation ${expected}`);
  }
}

function scripted(spec: AnswerSpec): Scripted {
  const answer: Answer = { ...spec };
  const inSeconds = spec.retry_after_http_date_in_s;
  if (inSeconds === undefined) return answer;
  // The date is made when the request arrives, from the real wall clock.
  return () => ({
    ...answer,
    headers: { ...answer.headers, "Retry-After": new Date(Date.now() + inSeconds * 1000).toUTCString() },
  });
}

function budget(spec: BudgetSpec, now: () => number): RetryBudget {
  if (spec === "unlimited") return RetryBudget.unlimited();
  return new RetryBudget({
    ratio: spec.ratio,
    minPerSecond: spec.min_per_second,
    maxTokens: spec.max_tokens,
    initialTokens: spec.initial_tokens,
    now,
  });
}
