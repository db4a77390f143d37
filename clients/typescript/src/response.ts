// DepotResponse: an answer of any status, fully read.

import { DecodeError, errorFromResponse, type DepotError } from "./errors.js";

/**
 * What the server answered, whatever the status. The body is read completely before
 * the retry engine sees the answer, so a connection dropped mid-body counts as a
 * transport failure (and is retried like one) rather than surfacing later.
 */
export class DepotResponse {
  readonly status: number;
  readonly headers: Headers;
  /** The body as text ("" when there was none). */
  readonly body: string;
  /** The `Retry-After` header as ms from the answer's arrival, if well-formed. */
  readonly retryAfterMs: number | undefined;

  constructor(status: number, headers: Headers, body: string, retryAfterMs?: number) {
    this.status = status;
    this.headers = headers;
    this.body = body;
    this.retryAfterMs = retryAfterMs;
  }

  /** 2xx. */
  get ok(): boolean {
    return this.status >= 200 && this.status < 300;
  }

  /** The `X-Request-Id` every depot answer carries. */
  get requestId(): string | undefined {
    return this.headers.get("x-request-id") ?? undefined;
  }

  /** The body parsed as JSON; a DecodeError if it is not JSON. */
  json<T = unknown>(): T {
    try {
      return JSON.parse(this.body) as T;
    } catch (cause) {
      const excerpt = this.body.slice(0, 100);
      throw new DecodeError(`the answer (${this.status}) is not JSON: ${excerpt}`, this.status, {
        cause,
      });
    }
  }

  /** The typed DepotError this answer stands for (meaningful when not `ok`). */
  toError(): DepotError {
    return errorFromResponse(this.status, this.headers, this.body, this.retryAfterMs);
  }
}
