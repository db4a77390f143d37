import assert from "node:assert/strict";
import { test } from "node:test";
import { RetryBudget } from "../../src/index.js";
import { virtualTime } from "../support/virtual.js";

test("retries are capped by deposits and the per-second floor", () => {
  const time = virtualTime();
  const budget = new RetryBudget({ ratio: 0.5, minPerSecond: 1, maxTokens: 2, now: time.now });
  assert.ok(budget.tryWithdraw() && budget.tryWithdraw());
  assert.equal(budget.tryWithdraw(), false, "the bucket started with 2");
  budget.deposit();
  assert.equal(budget.tryWithdraw(), false, "half a token is not a retry");
  budget.deposit();
  assert.ok(budget.tryWithdraw(), "two calls at 0.5 earn one retry");
  time.advance(1500);
  assert.ok(budget.tryWithdraw(), "the floor refilled 1.5 tokens");
  assert.equal(budget.tryWithdraw(), false);
});

test("the bucket never holds more than its maximum", () => {
  const time = virtualTime();
  const budget = new RetryBudget({ ratio: 0.1, minPerSecond: 10, maxTokens: 3, now: time.now });
  time.advance(3_600_000);
  for (let i = 0; i < 100; i++) budget.deposit();
  assert.ok(Math.abs(budget.available() - 3) < 1e-9);
});

test("ten deposits of a tenth make one retry despite float rounding", () => {
  const budget = new RetryBudget({ ratio: 0.1, minPerSecond: 0, initialTokens: 0, now: () => 0 });
  for (let i = 0; i < 10; i++) budget.deposit();
  assert.ok(budget.tryWithdraw());
});

test("initial tokens set the start, and are kept within the maximum", () => {
  assert.equal(new RetryBudget({ initialTokens: 0, now: () => 0 }).available(), 0);
  assert.equal(new RetryBudget({ initialTokens: 50, maxTokens: 4, now: () => 0 }).available(), 4);
  assert.equal(new RetryBudget({ now: () => 0 }).available(), 10, "full by default");
});

test("an unlimited budget always allows a retry", () => {
  const budget = RetryBudget.unlimited();
  for (let i = 0; i < 10_000; i++) assert.ok(budget.tryWithdraw());
});
