import assert from "node:assert/strict";
import { test } from "node:test";
import { basicAuthorization, formEncode, refreshAfterMs, TokenCache } from "../../src/auth.js";

test("form encoding escapes everything but unreserved characters", () => {
  assert.equal(formEncode("a-Z_0.~"), "a-Z_0.~");
  assert.equal(formEncode("a+b c%:é"), "a%2Bb%20c%25%3A%C3%A9");
  assert.equal(formEncode("!'()*/?#"), "%21%27%28%29%2A%2F%3F%23");
});

test("basic authorization form-encodes the id and the secret first", () => {
  assert.equal(basicAuthorization("id", "s+cr%t"), "Basic aWQ6cyUyQmNyJTI1dA==");
  assert.equal(atob(basicAuthorization("a:b", "é").slice(6)), "a%3Ab:%C3%A9");
});

test("the refresh margin is a tenth of the lifetime, at most 30 s", () => {
  assert.equal(refreshAfterMs(3600), 3_570_000);
  assert.equal(refreshAfterMs(100), 90_000);
  assert.equal(refreshAfterMs(0), 0);
});

test("invalidate forgets only the refused token", async () => {
  const cache = new TokenCache();
  let n = 0;
  const fetch = async () => ({ access_token: `t${n++}`, token_type: "Bearer", expires_in: 3600, scope: "admin" });
  const now = () => 0;
  assert.equal(await cache.get(fetch, now), "t0");
  cache.invalidate("other");
  assert.equal(await cache.get(fetch, now), "t0");
  cache.invalidate("t0");
  assert.equal(await cache.get(fetch, now), "t1");
});

test("a failed fetch is not cached and the next call tries again", async () => {
  const cache = new TokenCache();
  let calls = 0;
  const failing = async () => {
    calls++;
    throw new Error("down");
  };
  await assert.rejects(cache.get(failing, () => 0), /down/);
  await assert.rejects(cache.get(failing, () => 0), /down/);
  assert.equal(calls, 2);
});
