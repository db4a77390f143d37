// DepotClient: options, and the one request path every typed method goes through.
//
// One call is: add an `Idempotency-Key` to a POST that has none, get a bearer token
// (cached, or fetched), run the attempts through the retry engine, and if the server
// answers 401 to a cached client-credentials token, fetch a new token and run once more
// (with the same key, so the server replays rather than repeats).

import {
  basicAuthorization,
  formEncode,
  isClientCredentials,
  TokenCache,
  type Credentials,
} from "./auth.js";
import { RetryBudget } from "./budget.js";
import { realSleep, runWithRetries, type Attempt, type RetryEvent, type Sleep } from "./engine.js";
import { retryPolicy, type RetryPolicy } from "./policy.js";
import { CollectionsApi } from "./resources/collections.js";
import { HealthApi, MaintenanceApi, OAuthApi, OAuthClientsApi } from "./resources/admin.js";
import { ItemsApi } from "./resources/items.js";
import { ProjectsApi } from "./resources/projects.js";
import { DepotResponse } from "./response.js";
import { ChangesApi } from "./changes.js";
import { attemptOnce, attemptStream } from "./transport.js";
import type { TokenResponse } from "./types.js";
import { newIdempotencyKey, raceAbort } from "./util.js";

export interface DepotClientOptions {
  /** The server, e.g. `http://127.0.0.1:8080` (http or https, no query). */
  baseUrl: string | URL;
  /** A static token, or an OAuth client's id and secret. None: only health answers. */
  credentials?: Credentials | undefined;
  /** Overrides of the retry policy's defaults (100 ms, ×2, 20 s cap, 5 retries, 120 s). */
  retry?: Partial<RetryPolicy> | undefined;
  /**
   * The retry budget. Default: a new `RetryBudget()` per client (10 % of calls plus one
   * retry per second); pass one instance to several clients to share it.
   */
  retryBudget?: RetryBudget | undefined;
  /** Called before every retry's delay. */
  onRetry?: ((event: RetryEvent) => void) | undefined;
  /** The limit on one attempt, from sending to the last byte of the body. Default 30 000. */
  timeoutMs?: number | undefined;
  /** Headers sent with every request (after the client's own, before the call's). */
  headers?: HeadersInit | undefined;
  /** The fetch to use; default `globalThis.fetch`. */
  fetch?: typeof fetch | undefined;
  /** For tests: replaces the sleep between retries (gets the delay in ms). */
  sleep?: Sleep | undefined;
  /**
   * For tests: a monotonic clock in ms (default `performance.now`), read for the
   * deadline, the retry budget's refill and token expiry. An HTTP-date `Retry-After` is
   * read against the wall clock (`Date.now`), like the server's date it is.
   */
  now?: (() => number) | undefined;
  /** For tests: the jitter's random source, in [0, 1). */
  random?: (() => number) | undefined;
}

/** Per-call options, accepted by every method. */
export interface RequestOptions {
  /** Aborts the call, including a retry's delay; it rejects with the signal's reason. */
  signal?: AbortSignal | undefined;
  /** Extra headers for this call. */
  headers?: HeadersInit | undefined;
  /**
   * POST only. The key the call's attempts carry; default: a new random UUID per call.
   * `false` sends none, and then a lost connection is not retried (the server could
   * not tell a retry from a second request).
   */
  idempotencyKey?: string | false | undefined;
  /** Overrides of the client's retry policy for this call. */
  retry?: Partial<RetryPolicy> | undefined;
  /** Overrides the client's per-attempt timeout for this call. */
  timeoutMs?: number | undefined;
}

/** How a request authenticates. */
export type AuthMode =
  /** The client's bearer token, if it has credentials (the default). */
  | "bearer"
  /** The OAuth client's id and secret in HTTP Basic (the OAuth endpoints). */
  | "basic"
  /** Nothing (health endpoints). */
  | "none";

/** A raw request: any method and path, any status back. */
export interface RawRequest extends RequestOptions {
  /** Query parameters; undefined ones are left out. */
  query?: Record<string, string | number | boolean | undefined> | undefined;
  /** A body sent as `application/json`. */
  json?: unknown;
  /** A body sent as is (with `contentType`), instead of `json`. */
  body?: string | undefined;
  contentType?: string | undefined;
  auth?: AuthMode | undefined;
}

/** One request as every attempt of it is sent. */
interface Prepared {
  method: string;
  url: string;
  headers: Headers;
  body: string | undefined;
  auth: AuthMode;
  /** The bearer token, when `auth` is "bearer" and the client has credentials. */
  token: string | undefined;
}

/** What all the views of one client (`withOptions`) share. */
interface Shared {
  base: string;
  credentials: Credentials | undefined;
  tokens: TokenCache;
  budget: RetryBudget;
  onRetry: ((event: RetryEvent) => void) | undefined;
  headers: Headers;
  fetch: typeof fetch;
  sleep: Sleep;
  now: () => number;
  random: () => number;
}

/**
 * Set by `withOptions` for the one constructor call it makes, so that the view shares
 * the token cache and budget without the constructor's public signature taking the
 * internal `Shared` (JavaScript has no friend or package-private constructors).
 */
let inherited: Shared | undefined;

const IDEMPOTENT = new Set(["GET", "HEAD", "OPTIONS", "PUT", "PATCH", "DELETE"]);

export class DepotClient {
  readonly projects: ProjectsApi;
  readonly collections: CollectionsApi;
  /** OAuth clients (`/v1/clients`, admin). */
  readonly clients: OAuthClientsApi;
  readonly maintenance: MaintenanceApi;
  readonly oauth: OAuthApi;
  readonly health: HealthApi;
  /** The change feed (§9): pages, live streams, and tickets for a browser's EventSource. */
  readonly changes: ChangesApi;
  readonly #shared: Shared;
  readonly #policy: RetryPolicy;
  readonly #timeoutMs: number;

  constructor(options: DepotClientOptions) {
    this.#shared = inherited ?? sharedFrom(options);
    inherited = undefined;
    this.#policy = retryPolicy(options.retry);
    this.#timeoutMs = options.timeoutMs ?? 30_000;
    this.projects = new ProjectsApi(this);
    this.collections = new CollectionsApi(this);
    this.clients = new OAuthClientsApi(this);
    this.maintenance = new MaintenanceApi(this);
    this.oauth = new OAuthApi(this);
    this.health = new HealthApi(this);
    this.changes = new ChangesApi(this);
  }

  /** The base URL, without a trailing slash. */
  get baseUrl(): string {
    return this.#shared.base;
  }

  /** The retry policy calls use unless they override it. */
  get retryPolicy(): RetryPolicy {
    return { ...this.#policy };
  }

  /**
   * A client with another retry policy or timeout that shares everything else with this
   * one: credentials, the token cache and the retry budget.
   */
  withOptions(options: { retry?: Partial<RetryPolicy>; timeoutMs?: number }): DepotClient {
    inherited = this.#shared;
    try {
      return new DepotClient({
        baseUrl: this.#shared.base,
        retry: { ...this.#policy, ...options.retry },
        timeoutMs: options.timeoutMs ?? this.#timeoutMs,
      });
    } finally {
      inherited = undefined;
    }
  }

  /** The items of one collection; `T` types the members you store. */
  items<T extends object = Record<string, unknown>>(project: string, collection: string): ItemsApi<T> {
    return new ItemsApi<T>(this, project, collection);
  }

  /** The bearer token requests are sent with now, fetching one if needed. */
  async accessToken(signal?: AbortSignal): Promise<string | undefined> {
    return this.#bearer("bearer", signal);
  }

  /** @internal Forgets the cached token and hands it back (for `oauth.logout`). */
  forgetToken(): string | undefined {
    return this.#shared.tokens.take();
  }

  /** @internal Whether the client authenticates as an OAuth client. */
  get hasClientCredentials(): boolean {
    return isClientCredentials(this.#shared.credentials);
  }

  /**
   * `method path`, authenticated and retried; any status comes back as a DepotResponse
   * (a TransportError when there was no answer at all). `path` starts with `/`.
   */
  async request(method: string, path: string, init: RawRequest = {}): Promise<DepotResponse> {
    method = method.toUpperCase();
    const auth = init.auth ?? "bearer";
    const url = this.#url(path, init.query);
    const headers = this.#headers(method, auth, init);
    const body = init.body ?? (init.json === undefined ? undefined : JSON.stringify(init.json));
    const token = await this.#bearer(auth, init.signal);
    const send = (token: string | undefined) =>
      this.#send({ method, url, headers, body, auth, token }, init);
    const first = await send(token);
    if (first.status === 401 && token !== undefined && this.hasClientCredentials) {
      // The token may have been revoked or the server restarted: one fresh try.
      this.#shared.tokens.invalidate(token);
      return send(await this.#bearer(auth, init.signal));
    }
    return first;
  }

  /**
   * @internal `GET path` for a stream: authenticated and retried like `request` (503,
   * 429, a lost connection; one fresh token after a 401), but a 2xx answer comes back
   * with its body unread, as `body`. Any other status comes back read, without `body`.
   */
  async openStream(
    path: string,
    init: RawRequest = {},
  ): Promise<{ response: DepotResponse; body: ReadableStream<Uint8Array> | undefined }> {
    const url = this.#url(path, init.query);
    const headers = this.#headers("GET", "bearer", init);
    const token = await this.#bearer("bearer", init.signal);
    const send = (token: string | undefined) =>
      this.#attempts({ method: "GET", url, headers, body: undefined, auth: "bearer", token }, init, attemptStream);
    let outcome = await send(token);
    if (outcome.response.status === 401 && token !== undefined && this.hasClientCredentials) {
      this.#shared.tokens.invalidate(token);
      outcome = await send(await this.#bearer("bearer", init.signal));
    }
    return { response: outcome.response, body: outcome.body };
  }

  /** @internal The retry policy's sleep and randomness, for a stream's reconnects. */
  get timing(): { sleep: Sleep; random: () => number; policy: RetryPolicy } {
    return { sleep: this.#shared.sleep, random: this.#shared.random, policy: this.#policy };
  }

  #url(path: string, query: RawRequest["query"]): string {
    if (!path.startsWith("/")) throw new TypeError(`path ${JSON.stringify(path)} must start with /`);
    const params = Object.entries(query ?? {})
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => `${formEncode(k)}=${formEncode(String(v))}`);
    const sep = path.includes("?") ? "&" : "?";
    return `${this.#shared.base}${path}${params.length ? sep + params.join("&") : ""}`;
  }

  /** Builds (and so validates, before any attempt) the headers of every attempt. */
  #headers(method: string, auth: AuthMode, init: RawRequest): Headers {
    const headers = new Headers({ accept: "application/json" });
    new Headers(this.#shared.headers).forEach((v, k) => headers.set(k, v));
    new Headers(init.headers).forEach((v, k) => headers.set(k, v));
    if (init.body !== undefined && init.contentType) headers.set("content-type", init.contentType);
    else if (init.json !== undefined) headers.set("content-type", "application/json");
    if (method === "POST" && auth === "bearer") {
      // One key per call, kept on every retry and on the resend after a token refresh.
      if (init.idempotencyKey === false) headers.delete("idempotency-key");
      else if (init.idempotencyKey !== undefined) headers.set("idempotency-key", init.idempotencyKey);
      else if (!headers.has("idempotency-key")) headers.set("idempotency-key", newIdempotencyKey());
    }
    if (auth === "basic") {
      const credentials = this.#shared.credentials;
      if (!isClientCredentials(credentials)) {
        throw new TypeError("the OAuth endpoints need client credentials (clientId, clientSecret)");
      }
      headers.set("authorization", basicAuthorization(credentials.clientId, credentials.clientSecret));
    }
    return headers;
  }

  async #bearer(auth: AuthMode, signal: AbortSignal | undefined): Promise<string | undefined> {
    const credentials = this.#shared.credentials;
    if (auth !== "bearer" || credentials === undefined) return undefined;
    if (!isClientCredentials(credentials)) return credentials.token;
    // The fetch is shared by concurrent calls: one caller's abort must not cancel it.
    const fetching = this.#shared.tokens.get(() => this.#fetchToken(), this.#shared.now);
    return raceAbort(fetching, signal);
  }

  async #fetchToken(): Promise<TokenResponse> {
    const credentials = this.#shared.credentials;
    const scope = isClientCredentials(credentials) ? credentials.scope : undefined;
    let form = "grant_type=client_credentials";
    if (scope !== undefined) form += `&scope=${formEncode(scope)}`;
    const res = await this.request("POST", "/oauth/token", {
      auth: "basic",
      body: form,
      contentType: "application/x-www-form-urlencoded",
    });
    if (!res.ok) throw res.toError();
    return res.json<TokenResponse>();
  }

  /** All the attempts of one request under the policy, without token refresh. */
  async #send(req: Prepared, init: RequestOptions): Promise<DepotResponse> {
    return (await this.#attempts(req, init, attemptOnce)).response;
  }

  async #attempts(
    req: Prepared,
    init: RequestOptions,
    attempt: typeof attemptOnce,
  ): Promise<Extract<Attempt, { kind: "response" }>> {
    const shared = this.#shared;
    const headers = new Headers(req.headers);
    if (req.token !== undefined) headers.set("authorization", `Bearer ${req.token}`);
    const retryTransport =
      IDEMPOTENT.has(req.method) || req.auth === "basic" || headers.has("idempotency-key");
    const outcome = await runWithRetries(
      {
        policy: init.retry ? retryPolicy({ ...this.#policy, ...init.retry }) : this.#policy,
        budget: shared.budget,
        method: req.method,
        path: req.url.slice(shared.base.length),
        retryTransport,
        onRetry: shared.onRetry,
        sleep: shared.sleep,
        now: shared.now,
        random: shared.random,
        signal: init.signal,
      },
      () =>
        attempt({
          method: req.method,
          url: req.url,
          headers,
          body: req.body,
          timeoutMs: init.timeoutMs ?? this.#timeoutMs,
          signal: init.signal,
          fetch: shared.fetch,
        }),
    );
    if (outcome.kind === "transport") throw outcome.error;
    return outcome;
  }
}

/** Not `Date.now`: a deadline must not stretch or shrink when the wall clock is set. */
const monotonicNow = (): number => performance.now();

function sharedFrom(options: DepotClientOptions): Shared {
  const base = String(options.baseUrl).replace(/\/+$/, "");
  const parsed = new URL(base);
  if (!["http:", "https:"].includes(parsed.protocol) || parsed.search || parsed.hash) {
    throw new TypeError(`base URL ${JSON.stringify(base)} must be http(s) without a query`);
  }
  const now = options.now ?? monotonicNow;
  const fetchFn = options.fetch ?? globalThis.fetch;
  return {
    base,
    credentials: options.credentials,
    tokens: new TokenCache(),
    budget: options.retryBudget ?? new RetryBudget({ now }),
    onRetry: options.onRetry,
    headers: new Headers(options.headers),
    // Bound: a browser's fetch throws "Illegal invocation" when called as a method.
    fetch: fetchFn.bind(globalThis),
    sleep: options.sleep ?? realSleep,
    now,
    random: options.random ?? Math.random,
  };
}
