import assert from "node:assert/strict";
import { test } from "node:test";
import {
  ConflictError,
  DepotError,
  errorFromResponse,
  ForbiddenError,
  GoneError,
  IdempotencyKeyReusedError,
  InternalServerError,
  MethodNotAllowedError,
  MissingFieldsError,
  NotFoundError,
  PayloadTooLargeError,
  PreconditionFailedError,
  RateLimitedError,
  UnauthorizedError,
  UnavailableError,
  UnsupportedMediaTypeError,
  ValidationFailedError,
} from "../../src/index.js";

const json = (status: number, extra: object = {}) => JSON.stringify({ code: status, message: `status ${status}`, ...extra });

test("every status the contract names has its own error class", () => {
  const table = [
    [400, ValidationFailedError],
    [401, UnauthorizedError],
    [403, ForbiddenError],
    [404, NotFoundError],
    [405, MethodNotAllowedError],
    [406, MissingFieldsError],
    [409, ConflictError],
    [410, GoneError],
    [412, PreconditionFailedError],
    [413, PayloadTooLargeError],
    [415, UnsupportedMediaTypeError],
    [422, IdempotencyKeyReusedError],
    [429, RateLimitedError],
    [500, InternalServerError],
    [503, UnavailableError],
  ] as const;
  for (const [status, Class] of table) {
    const error = errorFromResponse(status, new Headers(), json(status));
    assert.ok(error instanceof Class, `${status} is ${Class.name}`);
    assert.ok(error instanceof DepotError && error instanceof Error);
    assert.deepEqual([error.status, error.message, error.name], [status, `status ${status}`, Class.name]);
  }
  const teapot = errorFromResponse(418, new Headers(), json(418));
  assert.equal(teapot.constructor, DepotError);
});

test("a 406 lists the missing members as json pointers", () => {
  const error = errorFromResponse(406, new Headers(), json(406, { details: { missing: ["/title", "/due"] } }));
  assert.ok(error instanceof MissingFieldsError);
  assert.deepEqual(error.missing, ["/title", "/due"]);
  assert.deepEqual(error.details, { missing: ["/title", "/due"] });
});

test("request id, allow, retry-after and the oauth error code are kept", () => {
  const headers = new Headers({ "x-request-id": "r-1", allow: "GET, HEAD, POST" });
  const e405 = errorFromResponse(405, headers, json(405));
  assert.ok(e405 instanceof MethodNotAllowedError);
  assert.deepEqual([e405.requestId, e405.allow], ["r-1", ["GET", "HEAD", "POST"]]);
  const e503 = errorFromResponse(503, new Headers(), json(503), 30_000);
  assert.ok(e503 instanceof UnavailableError && e503.retryAfterMs === 30_000);
  const oauth = errorFromResponse(401, new Headers(), json(401, { error: "invalid_client", error_description: "x" }));
  assert.equal(oauth.oauthError, "invalid_client");
});

test("a body that is not the envelope still gives the status and a clue", () => {
  const e502 = errorFromResponse(502, new Headers(), "<html>Bad Gateway</html>");
  assert.deepEqual([e502.status, e502.message, e502.details], [502, "<html>Bad Gateway</html>", undefined]);
  assert.equal(errorFromResponse(503, new Headers(), "").message, "the server answered 503 without a body");
  const details = errorFromResponse(400, new Headers(), JSON.stringify({ code: 400, message: "m", details: [1] }));
  assert.equal(details.details, undefined, "details that are not an object are dropped");
});
