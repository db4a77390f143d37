// The administrative and infrastructure routes: OAuth clients (`/v1/clients`), the
// maintenance switch, the OAuth endpoints themselves, and the health probes.

import type { DepotClient, RequestOptions } from "../client.js";
import type {
  CreatedOAuthClient,
  JsonObject,
  Maintenance,
  MaintenanceUpdate,
  NewOAuthClient,
  OAuthClient,
  Page,
  TokenResponse,
} from "../types.js";
import { formEncode } from "../auth.js";
import { call, callVoid, listPage, paginate, seg, type ListOptions } from "./common.js";

/** OAuth clients (admin). */
export class OAuthClientsApi {
  readonly #client: DepotClient;

  constructor(client: DepotClient) {
    this.#client = client;
  }

  list(options?: ListOptions): Promise<Page<OAuthClient>> {
    return listPage(this.#client, "/v1/clients", options);
  }

  iterate(options?: ListOptions): AsyncGenerator<OAuthClient, void, undefined> {
    return paginate(this.#client, "/v1/clients", options);
  }

  /**
   * Creates an OAuth client. Keep `client_secret` from the answer: it is shown only
   * here, and a replay of this call (same `Idempotency-Key`) does not show it again.
   */
  create(client: NewOAuthClient, options?: RequestOptions): Promise<CreatedOAuthClient> {
    return call(this.#client, "POST", "/v1/clients", { ...options, json: client });
  }

  get(clientId: string, options?: RequestOptions): Promise<OAuthClient> {
    return call(this.#client, "GET", `/v1/clients/${seg(clientId)}`, options);
  }

  /** Deletes the client and revokes its tokens. */
  delete(clientId: string, options?: RequestOptions): Promise<void> {
    return callVoid(this.#client, "DELETE", `/v1/clients/${seg(clientId)}`, options);
  }
}

/** The maintenance switch (admin): while on, writes answer 503 with its Retry-After. */
export class MaintenanceApi {
  readonly #client: DepotClient;

  constructor(client: DepotClient) {
    this.#client = client;
  }

  get(options?: RequestOptions): Promise<Maintenance> {
    return call(this.#client, "GET", "/v1/admin/maintenance", options);
  }

  set(update: MaintenanceUpdate, options?: RequestOptions): Promise<Maintenance> {
    return call(this.#client, "PUT", "/v1/admin/maintenance", { ...options, json: update });
  }
}

/** The OAuth endpoints; they need client credentials. */
export class OAuthApi {
  readonly #client: DepotClient;

  constructor(client: DepotClient) {
    this.#client = client;
  }

  /**
   * A new access token, not cached and not used by this client: for handing a
   * narrower token (`scope`) to someone else, such as a browser page.
   */
  issueToken(params: { scope?: string } = {}, options?: RequestOptions): Promise<TokenResponse> {
    let form = "grant_type=client_credentials";
    if (params.scope !== undefined) form += `&scope=${formEncode(params.scope)}`;
    return call(this.#client, "POST", "/oauth/token", {
      ...options,
      auth: "basic",
      body: form,
      contentType: "application/x-www-form-urlencoded",
    });
  }

  /**
   * Revokes one of this client's own tokens (RFC 7009). The server answers 200 for a
   * token that is unknown or not this client's too.
   */
  revoke(token: string, options?: RequestOptions): Promise<void> {
    return callVoid(this.#client, "POST", "/oauth/revoke", {
      ...options,
      auth: "basic",
      body: `token=${formEncode(token)}`,
      contentType: "application/x-www-form-urlencoded",
    });
  }

  /** Revokes the cached token, if any, and forgets it; the next call fetches a new one. */
  async logout(options?: RequestOptions): Promise<void> {
    const token = this.#client.forgetToken();
    if (token !== undefined) await this.revoke(token, options);
  }
}

/** The probes. Anonymous, and never retried: a probe reports the present. */
export class HealthApi {
  readonly #client: DepotClient;

  constructor(client: DepotClient) {
    this.#client = client;
  }

  /** `GET /healthz`: `{"status": "ok"}` while the process serves. */
  healthz(options?: RequestOptions): Promise<JsonObject> {
    return this.#probe("/healthz", options);
  }

  /** `GET /readyz`: `{"status": "ready"}`, or an UnavailableError when the store is not. */
  readyz(options?: RequestOptions): Promise<JsonObject> {
    return this.#probe("/readyz", options);
  }

  #probe(path: string, options?: RequestOptions): Promise<JsonObject> {
    return call(this.#client, "GET", path, { ...options, auth: "none", retry: { maxRetries: 0 } });
  }
}
