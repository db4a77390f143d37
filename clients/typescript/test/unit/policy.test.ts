import assert from "node:assert/strict";
import { test } from "node:test";
import {
  ceilingMs,
  DEFAULT_RETRY_POLICY,
  delayMs,
  parseHttpDate,
  parseRetryAfter,
  retryPolicy,
} from "../../src/index.js";

const policy = retryPolicy();

test("the ceiling doubles from the base up to the cap", () => {
  assert.deepEqual([0, 1, 2, 3].map((n) => ceilingMs(policy, n)), [100, 200, 400, 800]);
  assert.equal(ceilingMs(policy, 7), 12_800);
  assert.equal(ceilingMs(policy, 8), 20_000);
  assert.equal(ceilingMs(policy, 10_000), 20_000);
});

test("delays stay within the jitter bound, from 0 to the ceiling", () => {
  assert.equal(delayMs(policy, 3, undefined, () => 0), 0);
  assert.equal(delayMs(policy, 3, undefined, () => 0.5), 400);
  for (let n = 0; n < 10; n++) {
    for (let i = 0; i < 50; i++) {
      const d = delayMs(policy, n, undefined);
      assert.ok(d >= 0 && d <= ceilingMs(policy, n), `${d} for retry ${n}`);
    }
  }
});

test("retry-after is a floor clamped to the cap", () => {
  // The jitter window (100 ms) is below the floor, so the floor wins every time.
  assert.equal(delayMs(policy, 0, 3000, () => 0.99), 3000);
  assert.equal(delayMs(policy, 7, 3000, () => 0.5), 6400, "jitter above the floor wins");
  assert.equal(delayMs(policy, 0, 3_600_000), 20_000);
});

test("the defaults are the contract's", () => {
  assert.deepEqual(
    { ...DEFAULT_RETRY_POLICY },
    { baseMs: 100, factor: 2, capMs: 20_000, maxRetries: 5, deadlineMs: 120_000 },
  );
});

test("a policy with a negative or fractional knob is refused", () => {
  assert.throws(() => retryPolicy({ maxRetries: -1 }), RangeError);
  assert.throws(() => retryPolicy({ maxRetries: 1.5 }), RangeError);
  assert.throws(() => retryPolicy({ baseMs: Number.NaN }), RangeError);
  assert.throws(() => retryPolicy({ deadlineMs: -5 }), RangeError);
});

test("retry-after parses seconds and http-dates and ignores garbage", () => {
  // 784111777 s is Sun, 06 Nov 1994 08:49:37 GMT, RFC 9110's own example date.
  const now = 784_111_777_000;
  assert.equal(parseRetryAfter("3", now), 3000);
  assert.equal(parseRetryAfter(" 0 ", now), 0);
  assert.equal(parseRetryAfter("Sun, 06 Nov 1994 08:49:47 GMT", now), 10_000);
  assert.equal(parseRetryAfter("Sunday, 06-Nov-94 08:49:47 GMT", now), 10_000);
  assert.equal(parseRetryAfter("Sun Nov  6 08:49:47 1994", now), 10_000);
  assert.equal(parseRetryAfter("Sun, 06 Nov 1994 08:49:07 GMT", now), 0, "a past date is now");
  assert.ok(parseRetryAfter("99999999999999999999999", now)! > 1e20, "huge is valid, for the cap");
  for (const bad of ["", "soon", "-1", "1.5", "3s", "Sun, 06 Nov 1994", "Sun, 31 Feb 1994 08:49:47 GMT", null, undefined]) {
    assert.equal(parseRetryAfter(bad, now), undefined, String(bad));
  }
});

test("an http-date round-trips what Date.toUTCString writes", () => {
  const ms = Date.UTC(2026, 11, 2, 6, 52, 9);
  assert.equal(parseHttpDate(new Date(ms).toUTCString()), ms);
});
