// The errors a call can end with.
//
// - DepotError: the server answered with a non-2xx status. One subclass per status the
//   contract gives a meaning to (§3), so callers can `instanceof` the case they handle;
//   any other status is a plain DepotError. The status is chosen in one place:
//   `errorFromResponse` and its table.
// - TransportError: no answer at all (connection refused or reset, DNS, a timeout).
// - DecodeError: a 2xx answer whose body is not what the route promises.
//
// There is deliberately no "retries exhausted" error: when the retry engine gives up
// (max retries, deadline, or an empty budget) the caller gets the last outcome it saw
// (the 503 as UnavailableError, the lost connection as TransportError), because that is
// what says what went wrong. How many retries were made is in the `onRetry` events.
// An aborted call rejects with the AbortSignal's reason, untouched.

import type { JsonObject } from "./types.js";

export interface DepotErrorInit {
  status: number;
  message: string;
  details?: JsonObject | undefined;
  requestId?: string | undefined;
  headers?: Headers | undefined;
  /** RFC 6749's `error` code, on answers from the OAuth endpoints. */
  oauthError?: string | undefined;
  /** The parsed `Retry-After` (kept by RateLimitedError and UnavailableError). */
  retryAfterMs?: number | undefined;
}

/** The server answered with a non-2xx status and (usually) the error envelope. */
export class DepotError extends Error {
  /** The HTTP status; always equal to the envelope's `code`. */
  readonly status: number;
  /** The envelope's `details`: machine-readable specifics, or undefined. */
  readonly details: JsonObject | undefined;
  /** The `X-Request-Id` of the answer: quote it when reporting a 500. */
  readonly requestId: string | undefined;
  /** All the headers of the answer. */
  readonly headers: Headers;
  /** On the OAuth endpoints: RFC 6749's `error` (`invalid_client`, ...). */
  readonly oauthError: string | undefined;

  constructor(init: DepotErrorInit) {
    super(init.message);
    this.name = new.target.name;
    this.status = init.status;
    this.details = init.details;
    this.requestId = init.requestId;
    this.headers = init.headers ?? new Headers();
    this.oauthError = init.oauthError;
  }
}

/** 400: the body is not JSON, has wrong types or breaks the collection's schema. */
export class ValidationFailedError extends DepotError {
  /** `details.errors`: the JSON pointers that failed the schema, when given. */
  get errors(): string[] {
    return stringList(this.details?.["errors"]);
  }
}
/** 401: the token is missing, unknown, expired or revoked (or the client's secret is wrong). */
export class UnauthorizedError extends DepotError {}
/** 403: the token is valid but lacks the scope. */
export class ForbiddenError extends DepotError {}
/** 404: no such resource, or a project the token may not see. */
export class NotFoundError extends DepotError {}
/** 405: the route exists but not for this method. */
export class MethodNotAllowedError extends DepotError {
  /** The `Allow` header: the methods the route takes. */
  get allow(): string[] {
    return (this.headers.get("allow") ?? "").split(",").map((m) => m.trim()).filter(Boolean);
  }
}
/** 406: required members are missing. */
export class MissingFieldsError extends DepotError {
  /** `details.missing`: the missing members as JSON pointers (`/title`). */
  get missing(): string[] {
    return stringList(this.details?.["missing"]);
  }
}
/** 409: the name is taken, the idempotency key is in flight, or the write conflicts. */
export class ConflictError extends DepotError {}
/** 410: a change-feed cursor older than the feed's retention. */
export class GoneError extends DepotError {}
/** 412: `If-Match` did not match the item's current ETag. */
export class PreconditionFailedError extends DepotError {}
/** 413: the body is over the server's limit. */
export class PayloadTooLargeError extends DepotError {}
/** 415: the body's Content-Type is not JSON. */
export class UnsupportedMediaTypeError extends DepotError {}
/** 422: the `Idempotency-Key` was used before with a different request. */
export class IdempotencyKeyReusedError extends DepotError {}

/** 429 and 503: answers that carry a `Retry-After`, and that the client retries itself. */
export class RetryLaterError extends DepotError {
  /** The `Retry-After` header, as ms from when the answer arrived; undefined if absent. */
  readonly retryAfterMs: number | undefined;
  constructor(init: DepotErrorInit) {
    super(init);
    this.retryAfterMs = init.retryAfterMs;
  }
}
/** 429: this client is over its rate limit (after the client's own retries). */
export class RateLimitedError extends RetryLaterError {}
/** 503: the server could not serve now and did nothing (after the client's own retries). */
export class UnavailableError extends RetryLaterError {}
/** 500: a server bug; `requestId` finds it in the server's log. */
export class InternalServerError extends DepotError {}

type ErrorClass = new (init: DepotErrorInit) => DepotError;

/** The one table from a status to its error class. */
const BY_STATUS: ReadonlyMap<number, ErrorClass> = new Map<number, ErrorClass>([
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
]);

/**
 * The typed error for a non-2xx answer. A body that is not the envelope (a proxy's HTML
 * page, say) still gives the right class, with a short excerpt of the body as message
 * so the person reading it has a clue.
 */
export function errorFromResponse(
  status: number,
  headers: Headers,
  body: string,
  retryAfterMs?: number,
): DepotError {
  const envelope = parseEnvelope(body);
  const excerpt = body.trim().slice(0, 200);
  const message =
    envelope?.message ?? (excerpt || `the server answered ${status} without a body`);
  const Class = BY_STATUS.get(status) ?? DepotError;
  return new Class({
    status,
    message,
    details: envelope?.details,
    requestId: headers.get("x-request-id") ?? undefined,
    headers,
    oauthError: envelope?.error,
    retryAfterMs,
  });
}

interface Envelope {
  message: string;
  details: JsonObject | undefined;
  error: string | undefined;
}

function parseEnvelope(body: string): Envelope | undefined {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    return undefined;
  }
  if (!isObject(value) || typeof value["message"] !== "string") return undefined;
  return {
    message: value["message"],
    details: isObject(value["details"]) ? value["details"] : undefined,
    error: typeof value["error"] === "string" ? value["error"] : undefined,
  };
}

/** No answer: the connection failed, was dropped, or the attempt timed out. */
export class TransportError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "TransportError";
  }
}

/** A 2xx answer whose body is not what the route promises (not JSON, say). */
export class DecodeError extends Error {
  /** The status of the answer that could not be decoded. */
  readonly status: number;
  constructor(message: string, status: number, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "DecodeError";
    this.status = status;
  }
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function stringList(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === "string") : [];
}
