// @depot/client: a typed client for the depot HTTP API, for Node ≥ 20 and browsers,
// with no runtime dependencies (fetch, AbortController, crypto).
//
// - client.ts: DepotClient, its options, and `request` (any method and path, any status
//   back): every call authenticates, adds an Idempotency-Key to POSTs, and retries.
// - resources/: one typed method per route (projects, collections, items, OAuth
//   clients, maintenance, the OAuth endpoints, health), list pages and `iterate()`.
// - auth.ts: credentials (a static token, or client credentials whose tokens are
//   fetched, cached and refreshed), form encoding and HTTP Basic per RFC 6749 §2.3.1.
// - policy.ts: the retry policy (full-jitter exponential backoff) and Retry-After.
// - budget.ts: RetryBudget, the token bucket that keeps retries a share of calls.
// - engine.ts: the retry loop, free of HTTP; RetryEvent for the onRetry hook.
// - transport.ts: one attempt over fetch, with a timeout and the caller's AbortSignal.
// - query.ts: the §8 filter builder (field, and, or, not), sort keys, fields.
// - changes.ts: the change feed (§9): pages, a self-resuming SSE stream, tickets.
// - sse.ts: the Server-Sent Events parser the stream reads with.
// - errors.ts: DepotError and one subclass per status; TransportError; DecodeError.
// - types.ts: the resource types, named over src/generated/openapi.ts (generated from
//   the server's OpenAPI document by `npm run generate:types`).

export { DepotClient } from "./client.js";
export type { AuthMode, DepotClientOptions, RawRequest, RequestOptions } from "./client.js";
export type { Credentials } from "./auth.js";
export { formEncode } from "./auth.js";
export { RetryBudget } from "./budget.js";
export type { RetryBudgetOptions } from "./budget.js";
export { describeRetry } from "./engine.js";
export type { RetryEvent, RetryReason, Sleep } from "./engine.js";
export {
  DEFAULT_RETRY_POLICY,
  ceilingMs,
  delayMs,
  parseHttpDate,
  parseRetryAfter,
  retryPolicy,
} from "./policy.js";
export type { RetryPolicy } from "./policy.js";
export { DepotResponse } from "./response.js";
export {
  ConflictError,
  DecodeError,
  DepotError,
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
  RetryLaterError,
  TransportError,
  UnauthorizedError,
  UnavailableError,
  UnsupportedMediaTypeError,
  ValidationFailedError,
  errorFromResponse,
} from "./errors.js";
export type { DepotErrorInit } from "./errors.js";
export type { ListOptions } from "./resources/common.js";
export { FILTER_LIMITS, Field, Filter, QueryError, and, asc, checkPath, desc, field, fieldsParam, not, or, sortParam } from "./query.js";
export type { FilterOp, Scalar, SortKey, SortSpec } from "./query.js";
export { SseParser } from "./sse.js";
export type { SseEvent } from "./sse.js";
export { ChangeStream } from "./changes.js";
export type {
  ChangeEvent,
  ChangeOp,
  ChangesApi,
  ChangesPage,
  ChangesQuery,
  ChangesTicket,
  PollOptions,
  ReconnectInfo,
  StreamOptions,
} from "./changes.js";
export { etagOf } from "./resources/items.js";
export { itemQueryParams } from "./resources/items.js";
export type {
  CountOptions,
  EtagLike,
  ItemListOptions,
  ItemQuery,
  ItemsApi,
  MergePatch,
  WriteOptions,
} from "./resources/items.js";
export type { ProjectsApi } from "./resources/projects.js";
export type { CollectionsApi } from "./resources/collections.js";
export type { HealthApi, MaintenanceApi, OAuthApi, OAuthClientsApi } from "./resources/admin.js";
export type * from "./types.js";
export type { components, operations, paths } from "./generated/openapi.js";
