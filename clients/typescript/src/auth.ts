// Credentials, the access-token cache, and the encodings OAuth needs.
//
// With client credentials the client gets its own bearer token from `POST /oauth/token`
// (RFC 6749 §4.4, the id and secret in HTTP Basic), keeps it until shortly before it
// expires, and fetches a new one once when the server answers 401 to a request made with
// a cached token (it may have been revoked, or the server restarted). Concurrent calls
// that need a token share one fetch instead of each starting their own.

import type { TokenResponse } from "./types.js";

/** How the client authenticates. */
export type Credentials =
  /** A bearer token obtained elsewhere. It is never refreshed: a 401 is thrown. */
  | { token: string }
  /** An OAuth client: tokens are fetched from `/oauth/token`, cached and refreshed. */
  | {
      clientId: string;
      clientSecret: string;
      /** Space-separated scopes to ask for; all the client has if left out. */
      scope?: string;
    };

export function isClientCredentials(
  credentials: Credentials | undefined,
): credentials is Extract<Credentials, { clientId: string }> {
  return credentials !== undefined && "clientId" in credentials;
}

interface Cached {
  token: string;
  refreshAt: number;
}

/** The cached access token of a client-credentials client. */
export class TokenCache {
  #cached: Cached | undefined;
  #inflight: Promise<string> | undefined;

  /**
   * The cached token if it is still fresh, else the one `fetch` gets (then cached).
   * While one fetch runs, every other caller waits for it.
   */
  get(fetch: () => Promise<TokenResponse>, now: () => number): Promise<string> {
    if (this.#cached && now() < this.#cached.refreshAt) {
      return Promise.resolve(this.#cached.token);
    }
    this.#inflight ??= (async () => {
      try {
        const answer = await fetch();
        this.#cached = {
          token: answer.access_token,
          refreshAt: now() + refreshAfterMs(answer.expires_in),
        };
        return answer.access_token;
      } finally {
        this.#inflight = undefined;
      }
    })();
    return this.#inflight;
  }

  /**
   * Forgets `used` after the server refused it. A different cached token was fetched
   * by a concurrent call after `used` and is kept.
   */
  invalidate(used: string): void {
    if (this.#cached?.token === used) this.#cached = undefined;
  }

  /** Empties the cache and hands back what it held. */
  take(): string | undefined {
    const token = this.#cached?.token;
    this.#cached = undefined;
    return token;
  }
}

/**
 * When to fetch a new token: a tenth of its lifetime (at most 30 s) before it expires,
 * so that a request sent just before expiry doesn't arrive just after it.
 */
export function refreshAfterMs(expiresInSeconds: number): number {
  const lifetime = Math.max(0, expiresInSeconds) * 1000;
  return lifetime - Math.min(lifetime / 10, 30_000);
}

/**
 * `application/x-www-form-urlencoded` encoding of one value: everything but the
 * unreserved characters is %-escaped (space as %20). RFC 6749 §2.3.1 has the client id
 * and secret encoded this way before they go into HTTP Basic, and the server decodes
 * them so: a secret with `+` or `%` would break otherwise. Path segments use it too.
 */
export function formEncode(value: string): string {
  return encodeURIComponent(value).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

/** The `Authorization` value for the OAuth endpoints. */
export function basicAuthorization(clientId: string, clientSecret: string): string {
  // The form-encoded text is ASCII, which is what btoa takes.
  return `Basic ${btoa(`${formEncode(clientId)}:${formEncode(clientSecret)}`)}`;
}
