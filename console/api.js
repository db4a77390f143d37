// depot's public API, as the console calls it: a bearer token from the client
// credentials grant, kept in sessionStorage (never in local storage, never in a cookie), the
// client's secret only in this module's memory (so sign-out can revoke the token, as
// RFC 7009 wants the client to authenticate). 503 and 429 are retried with backoff that
// honours Retry-After, and every retry is announced; a 401 for a token that expired or
// was revoked asks the person to sign in again (over whatever they were doing) and then
// repeats the request.

const TOKEN_KEY = "depot.console.session";

/** Retry knobs (docs/contract.md §6): full jitter, never less than Retry-After. */
export const RETRY = { base: 250, cap: 20_000, max: 5 };

/** An answer that was not a success; `body` is the contract's envelope when there is one. */
export class ApiError extends Error {
  constructor(status, body, headers) {
    super(body?.message ?? `HTTP ${status}`);
    this.status = status;
    this.body = body ?? {};
    this.headers = headers;
  }
  get details() {
    return this.body?.details ?? {};
  }
}

let secret = null; // the client secret, in memory only
const hooks = {
  /** Asks for credentials again; resolves once signed in, rejects if the person gives up. */
  reauthenticate: null,
  /** Shows or clears the retry status: `{message, cancel}` or null. */
  status: () => {},
  /** Called after sign-in and sign-out. */
  changed: () => {},
};

export function setHooks(h) {
  Object.assign(hooks, h);
}

/** The current session `{token, clientId, scope, expiresAt}` or null. */
export function session() {
  try {
    const s = JSON.parse(sessionStorage.getItem(TOKEN_KEY) ?? "null");
    return s && typeof s.token === "string" ? s : null;
  } catch {
    return null;
  }
}

/** Whether the session holds the admin scope (the admin screens need it). */
export function isAdmin() {
  return (session()?.scope ?? "").split(" ").includes("admin");
}

/**
 * POSTs an OAuth form to the token or revocation endpoint: never cached, and without
 * credentials, so a 401's Basic challenge can't open the browser's own password prompt.
 */
function postForm(path, fields) {
  return fetch(path, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", accept: "application/json" },
    body: new URLSearchParams(fields),
    cache: "no-store",
    credentials: "omit",
  });
}

/** Trades a client id and secret for a token (RFC 6749 client credentials). */
export async function signIn(clientId, clientSecret) {
  const res = await postForm("/oauth/token", {
    grant_type: "client_credentials",
    client_id: clientId,
    client_secret: clientSecret,
  });
  const body = await readBody(res);
  if (!res.ok) throw new ApiError(res.status, body, res.headers);
  secret = clientSecret;
  sessionStorage.setItem(
    TOKEN_KEY,
    JSON.stringify({
      token: body.access_token,
      clientId,
      scope: body.scope ?? "",
      expiresAt: Date.now() + (body.expires_in ?? 3600) * 1000,
    }),
  );
  hooks.changed();
  return session();
}

/** Whether sign-out can revoke the token (the secret is known to this page). */
export function canRevoke() {
  return secret !== null && session() !== null;
}

/**
 * Revokes the token (RFC 7009, with the client's credentials; `secretIfForgotten` when
 * the page was reloaded since sign-in) and forgets the session. Answers whether the
 * server confirmed the revocation.
 */
export async function signOut(secretIfForgotten) {
  const s = session();
  const useSecret = secret ?? secretIfForgotten ?? null;
  let revoked = false;
  if (s && useSecret) {
    try {
      const res = await postForm("/oauth/revoke", {
        token: s.token,
        token_type_hint: "access_token",
        client_id: s.clientId,
        client_secret: useSecret,
      });
      revoked = res.ok;
    } catch {
      revoked = false;
    }
  }
  secret = null;
  sessionStorage.removeItem(TOKEN_KEY);
  hooks.changed();
  return revoked;
}

async function readBody(res) {
  const text = await res.text();
  if (!text) return undefined;
  const type = res.headers.get("content-type") ?? "";
  if (type.includes("json")) {
    try {
      return JSON.parse(text);
    } catch {
      return { message: text };
    }
  }
  return text;
}

const sleep = (ms, signal) =>
  new Promise((resolve, reject) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener("abort", () => {
      clearTimeout(t);
      reject(new DOMException("stopped", "AbortError"));
    });
  });

/** Seconds from a Retry-After header (delta-seconds or an HTTP date), or 0. */
export function retryAfterMs(headers) {
  const v = headers?.get("retry-after");
  if (!v) return 0;
  if (/^\d+$/.test(v.trim())) return Number(v) * 1000;
  const at = Date.parse(v);
  return Number.isNaN(at) ? 0 : Math.max(0, at - Date.now());
}

/** The delay before retry `n` (from 0): full jitter, never below Retry-After. */
export function backoff(n, retryAfter) {
  const ceiling = Math.min(RETRY.cap, RETRY.base * 2 ** n);
  return Math.max(Math.random() * ceiling, Math.min(retryAfter, RETRY.cap));
}

function why(status, body) {
  if (status === 429) return "429: this client is over its rate limit";
  const msg = body?.message ? `: ${body.message}` : "";
  return `${status}${msg}`;
}

/**
 * One API call. `body` is sent as JSON (a string is sent as it is, so an editor's text
 * keeps its exact numbers); answers `{status, headers, body, etag}` for a 2xx or 304 (`body`
 * as text with `text: true`, a Blob with `raw: true`) and
 * throws an {@link ApiError} otherwise, after the retries and the sign-in described above.
 */
export async function api(method, path, { body, headers = {}, contentType = "application/json", raw = false, text = false } = {}) {
  let reauthed = false;
  for (let attempt = 0; ; attempt++) {
    const s = session();
    const h = { accept: "application/json", ...headers };
    if (s) h.authorization = `Bearer ${s.token}`;
    let payload;
    if (body !== undefined) {
      h["content-type"] = contentType;
      payload = typeof body === "string" ? body : JSON.stringify(body);
    }
    // credentials "omit": no cookie is ever needed, and a 401 with a Basic challenge
    // (the OAuth endpoints send one) must not open the browser's own password prompt.
    const res = await fetch(path, { method, headers: h, body: payload, cache: "no-store", credentials: "omit" });
    if (res.ok || res.status === 304) {
      if (attempt > 0) hooks.status(null);
      const out = raw ? await res.blob() : text ? await res.text() : await readBody(res);
      return { status: res.status, headers: res.headers, body: out, etag: res.headers.get("etag") };
    }
    const errBody = await readBody(res);
    if ((res.status === 503 || res.status === 429) && attempt < RETRY.max) {
      const delay = backoff(attempt, retryAfterMs(res.headers));
      await waitAnnounced(delay, `${why(res.status, errBody)}. Retrying`, attempt + 1, res, errBody);
      continue;
    }
    hooks.status(null);
    const expired = res.status === 401 && s && /invalid_token/.test(res.headers.get("www-authenticate") ?? "");
    if (expired && !reauthed && hooks.reauthenticate) {
      reauthed = true;
      attempt = -1;
      await hooks.reauthenticate(errBody?.message ?? "your token is no longer valid");
      continue;
    }
    throw new ApiError(res.status, typeof errBody === "object" ? errBody : { message: String(errBody ?? "") }, res.headers);
  }
}

/** Waits `delay` ms, showing a countdown that the person may cut short ("Stop"). */
async function waitAnnounced(delay, message, n, res, errBody) {
  const stop = new AbortController();
  const until = Date.now() + delay;
  const show = () => {
    const secs = Math.max(0, Math.ceil((until - Date.now()) / 1000));
    hooks.status({ message: `${message} in ${secs} s (retry ${n} of ${RETRY.max})…`, cancel: () => stop.abort() });
  };
  show();
  const tick = setInterval(show, 500);
  try {
    await sleep(delay, stop.signal);
  } catch {
    hooks.status(null);
    throw new ApiError(res.status, errBody, res.headers);
  } finally {
    clearInterval(tick);
  }
  hooks.status({ message: `${message} now (retry ${n} of ${RETRY.max})…` });
}

/** Paths, with every segment encoded. */
export const paths = {
  projects: () => "/v1/projects",
  project: (p) => `/v1/projects/${enc(p)}`,
  collections: (p) => `/v1/projects/${enc(p)}/collections`,
  collection: (p, c) => `/v1/projects/${enc(p)}/collections/${enc(c)}`,
  items: (p, c) => `/v1/projects/${enc(p)}/collections/${enc(c)}/items`,
  count: (p, c) => `/v1/projects/${enc(p)}/collections/${enc(c)}/count`,
  item: (p, c, id) => `/v1/projects/${enc(p)}/collections/${enc(c)}/items/${enc(id)}`,
  changes: (p) => `/v1/projects/${enc(p)}/changes`,
  tickets: (p) => `/v1/projects/${enc(p)}/changes/tickets`,
  clients: () => "/v1/clients",
  client: (id) => `/v1/clients/${enc(id)}`,
  maintenance: () => "/v1/admin/maintenance",
  backups: () => "/v1/admin/backups",
  backup: (name) => `/v1/admin/backups/${enc(name)}`,
};

function enc(s) {
  return encodeURIComponent(s);
}

/** `path?k=v&…`, leaving out empty values. */
export function withQuery(path, params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== "") q.set(k, v);
  const s = q.toString();
  return s ? `${path}?${s}` : path;
}
