// One HTTP attempt over `fetch`: the whole body read, a per-attempt timeout, and the
// caller's AbortSignal kept apart from a failure of the network.

import type { Attempt } from "./engine.js";
import { TransportError } from "./errors.js";
import { parseRetryAfter } from "./policy.js";
import { DepotResponse } from "./response.js";

export interface AttemptInit {
  method: string;
  url: string;
  headers: Headers;
  body: string | undefined;
  /** 0: no per-attempt limit. */
  timeoutMs: number;
  signal: AbortSignal | undefined;
  fetch: typeof fetch;
}

/**
 * Sends the request once. Resolves with the answer (any status) or a transport failure;
 * rejects only with the caller's abort reason, which no retry should swallow.
 */
export async function attemptOnce(init: AttemptInit): Promise<Attempt> {
  const { signal, timeoutMs } = init;
  signal?.throwIfAborted();
  const controller = new AbortController();
  const onAbort = () => controller.abort(signal?.reason);
  signal?.addEventListener("abort", onAbort, { once: true });
  let timedOut = false;
  const timer =
    timeoutMs > 0
      ? setTimeout(() => {
          timedOut = true;
          controller.abort();
        }, timeoutMs)
      : undefined;
  try {
    const res = await init.fetch(init.url, {
      method: init.method,
      headers: init.headers,
      body: init.body ?? null,
      signal: controller.signal,
    });
    const body = await res.text();
    // An HTTP-date is the server's wall clock, so it is read against ours, not against
    // the (monotonic, injectable) clock the deadline uses.
    const retryAfter = parseRetryAfter(res.headers.get("retry-after"), Date.now());
    return {
      kind: "response",
      response: new DepotResponse(res.status, res.headers, body, retryAfter),
    };
  } catch (error) {
    if (signal?.aborted) throw signal.reason;
    const message = timedOut ? `no complete answer within ${timeoutMs} ms` : describe(error);
    return { kind: "transport", error: new TransportError(message, { cause: error }) };
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener("abort", onAbort);
  }
}

/**
 * Sends a stream's request once: like `attemptOnce`, but a 2xx answer comes back with
 * its body unread (`body`), the timeout covering only the wait for the headers, and the
 * caller's signal still wired to the body so that aborting it ends the stream. Any
 * other status is read whole, as `attemptOnce` reads it, for the retry engine.
 */
export async function attemptStream(init: AttemptInit): Promise<Attempt> {
  const { signal, timeoutMs } = init;
  signal?.throwIfAborted();
  const controller = new AbortController();
  const onAbort = () => controller.abort(signal?.reason);
  signal?.addEventListener("abort", onAbort, { once: true });
  let timedOut = false;
  const timer =
    timeoutMs > 0
      ? setTimeout(() => {
          timedOut = true;
          controller.abort();
        }, timeoutMs)
      : undefined;
  let streaming = false;
  try {
    const res = await init.fetch(init.url, {
      method: init.method,
      headers: init.headers,
      signal: controller.signal,
    });
    clearTimeout(timer);
    const retryAfter = parseRetryAfter(res.headers.get("retry-after"), Date.now());
    if (res.ok && res.body) {
      streaming = true;
      const body = res.body;
      // The listener goes when the body is done with, whichever way.
      const detach = () => signal?.removeEventListener("abort", onAbort);
      const reader = body.getReader();
      const wrapped = new ReadableStream<Uint8Array>({
        async pull(c) {
          try {
            const { done, value } = await reader.read();
            if (done) {
              detach();
              c.close();
            } else c.enqueue(value);
          } catch (error) {
            detach();
            c.error(error);
          }
        },
        cancel(reason) {
          detach();
          return reader.cancel(reason);
        },
      });
      return { kind: "response", response: new DepotResponse(res.status, res.headers, "", retryAfter), body: wrapped };
    }
    const text = await res.text();
    return { kind: "response", response: new DepotResponse(res.status, res.headers, text, retryAfter) };
  } catch (error) {
    if (signal?.aborted) throw signal.reason;
    const message = timedOut ? `no answer within ${timeoutMs} ms` : describe(error);
    return { kind: "transport", error: new TransportError(message, { cause: error }) };
  } finally {
    clearTimeout(timer);
    if (!streaming) signal?.removeEventListener("abort", onAbort);
  }
}

/**
 * `message: cause: cause...`, skipping a cause whose text is already there. Node's
 * fetch says only "fetch failed" and keeps the useful part ("connect ECONNREFUSED
 * 127.0.0.1:1", "other side closed") in `cause`.
 */
function describe(error: unknown): string {
  const parts: string[] = [];
  let next: unknown = error;
  for (let depth = 0; next !== undefined && next !== null && depth < 5; depth++) {
    const text = next instanceof Error ? next.message : String(next);
    if (text && !parts.some((p) => p.includes(text))) parts.push(text);
    next = next instanceof Error ? next.cause : undefined;
  }
  return parts.join(": ") || "the request failed without an answer";
}
