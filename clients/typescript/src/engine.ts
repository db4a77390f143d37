// The retry loop, independent of HTTP so it can be tested with a scripted attempt
// function and a virtual clock.
//
// What is retried (contract §4–§6):
// - a 503 and a 429, for every method: both are answered before any work, so the
//   request had no effect;
// - a transport failure (no answer at all) when the caller says the request is safe to
//   repeat: idempotent methods, and POSTs carrying an `Idempotency-Key`;
// - nothing else: no other 4xx (the request itself is wrong), no 500 (a bug that a
//   retry would only repeat).
//
// It stops at `maxRetries`, when the next delay would end past the deadline, or when
// the retry budget is empty, and then hands back the last outcome unchanged.

import type { RetryBudget } from "./budget.js";
import type { TransportError } from "./errors.js";
import { delayMs, type RetryPolicy } from "./policy.js";
import type { DepotResponse } from "./response.js";

/** What one attempt came to: an answer of any status, or none. */
export type Attempt =
  /** `body` is set only for a stream's 2xx answer, whose body is read by the caller. */
  | { kind: "response"; response: DepotResponse; body?: ReadableStream<Uint8Array> | undefined }
  | { kind: "transport"; error: TransportError };

/** Why a retry is made. */
export type RetryReason =
  | { type: "status"; status: number }
  | { type: "transport"; message: string };

/** One retry about to be made, given to the `onRetry` hook before the delay starts. */
export interface RetryEvent {
  /** Which retry this is: 1 for the first retry (the second attempt). */
  attempt: number;
  maxRetries: number;
  /** How long the client sleeps before making it, in ms. */
  delayMs: number;
  reason: RetryReason;
  method: string;
  /** The request's path and query, without the base URL. */
  path: string;
}

/** `503, retrying in 1.3 s (2/5)`: the line the Rust CLI prints for a retry. */
export function describeRetry(event: RetryEvent): string {
  const why = event.reason.type === "status" ? String(event.reason.status) : event.reason.message;
  const seconds = (event.delayMs / 1000).toFixed(1);
  return `${why}, retrying in ${seconds} s (${event.attempt}/${event.maxRetries})`;
}

/** Sleeps `ms`, or rejects with the signal's reason when it aborts first. */
export type Sleep = (ms: number, signal?: AbortSignal) => Promise<void>;

export const realSleep: Sleep = (ms, signal) =>
  new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });

/** The statuses retried for every method. */
const RETRY_STATUSES: ReadonlySet<number> = new Set([429, 503]);

/** Everything the loop needs besides the attempt itself. */
export interface RetryContext {
  policy: RetryPolicy;
  budget: RetryBudget;
  method: string;
  path: string;
  /** Whether a transport failure may be retried (idempotent, or a keyed POST). */
  retryTransport: boolean;
  onRetry?: ((event: RetryEvent) => void) | undefined;
  sleep: Sleep;
  now: () => number;
  random: () => number;
  signal?: AbortSignal | undefined;
}

/**
 * Runs `attempt` (given the 0-based attempt number) until its outcome is not retryable
 * or a limit is reached, sleeping the policy's delay between attempts, and returns the
 * last outcome. Deposits one call into the budget.
 */
export async function runWithRetries(
  ctx: RetryContext,
  attempt: (n: number) => Promise<Attempt>,
): Promise<Attempt> {
  const started = ctx.now();
  ctx.budget.deposit();
  for (let retries = 0; ; retries++) {
    ctx.signal?.throwIfAborted();
    const outcome = await attempt(retries);
    const reason = retryReason(outcome, ctx.retryTransport);
    if (!reason) return outcome;
    const retryAfter = outcome.kind === "response" ? outcome.response.retryAfterMs : undefined;
    const delay = delayMs(ctx.policy, retries, retryAfter, ctx.random);
    if (mustStop(ctx, retries, ctx.now() - started + delay)) return outcome;
    const event: RetryEvent = {
      attempt: retries + 1,
      maxRetries: ctx.policy.maxRetries,
      delayMs: delay,
      reason,
      method: ctx.method,
      path: ctx.path,
    };
    ctx.onRetry?.(event);
    await ctx.sleep(delay, ctx.signal);
  }
}

function retryReason(outcome: Attempt, retryTransport: boolean): RetryReason | undefined {
  if (outcome.kind === "transport") {
    return retryTransport ? { type: "transport", message: outcome.error.message } : undefined;
  }
  const { status } = outcome.response;
  return RETRY_STATUSES.has(status) ? { type: "status", status } : undefined;
}

/**
 * Whether the loop must stop instead of making retry number `done + 1`, which would
 * start `endsAt` ms after the call began. The budget is asked last, so a token is only
 * taken for a retry that will really be made.
 */
function mustStop(ctx: RetryContext, done: number, endsAt: number): boolean {
  const { maxRetries, deadlineMs } = ctx.policy;
  if (done >= maxRetries) return true;
  if (deadlineMs !== null && endsAt > deadlineMs) return true;
  return !ctx.budget.tryWithdraw();
}
