// RetryBudget: a token bucket that caps retries as a share of requests.
//
// Backoff alone does not stop a fleet from amplifying an overload: if each of a thousand
// clients retries five times, a struggling server sees six times the load. The budget
// (after Finagle's RetryBudget, tower's retry::budget and the Rust client) lets retries
// be at most `ratio` of calls plus a small floor of `minPerSecond`:
//
// - every call deposits `ratio` tokens (0.1: one retry per ten calls);
// - the bucket also refills at `minPerSecond` tokens per second, so a client that sends
//   few requests can still retry a few;
// - every retry withdraws one token, and is not made when less than one is left;
// - the bucket holds at most `maxTokens`, so a quiet hour can't bank a retry storm.
//
// JavaScript is single-threaded, so the bucket needs no lock; one instance can be shared
// by any number of clients (pass it as the `retryBudget` option).

export interface RetryBudgetOptions {
  /** Tokens each call earns. Default 0.1. */
  ratio?: number;
  /** Tokens earned per second whatever the traffic. Default 1. */
  minPerSecond?: number;
  /** The most the bucket holds. Default 10. */
  maxTokens?: number;
  /** What the bucket starts with. Default: full (`maxTokens`). */
  initialTokens?: number;
  /** A monotonic clock in ms; default `performance.now`. For tests: a virtual clock. */
  now?: () => number;
}

/** Float rounding forgiveness: ten deposits of 0.1 sum to 0.999...9. */
const EPSILON = 1e-9;

export class RetryBudget {
  readonly ratio: number;
  readonly minPerSecond: number;
  readonly maxTokens: number;
  #tokens: number;
  #refilledAt: number;
  readonly #now: () => number;

  constructor(options: RetryBudgetOptions = {}) {
    // Negative or NaN knobs count as zero.
    const clean = (x: number) => (Number.isNaN(x) ? 0 : Math.max(0, x));
    this.ratio = clean(options.ratio ?? 0.1);
    this.minPerSecond = clean(options.minPerSecond ?? 1);
    this.maxTokens = clean(options.maxTokens ?? 10);
    this.#tokens = Math.min(clean(options.initialTokens ?? this.maxTokens), this.maxTokens);
    this.#now = options.now ?? (() => performance.now());
    this.#refilledAt = this.#now();
  }

  /** A budget that never runs dry: only the policy's own limits apply. */
  static unlimited(): RetryBudget {
    return new RetryBudget({ ratio: 0, minPerSecond: 0, maxTokens: Infinity });
  }

  /** Records a call (its first attempt): earns `ratio` of a retry. */
  deposit(): void {
    this.#refill();
    this.#tokens = Math.min(this.#tokens + this.ratio, this.maxTokens);
  }

  /** Takes one retry; `false` (and nothing taken) when less than one is left. */
  tryWithdraw(): boolean {
    this.#refill();
    if (this.#tokens < 1 - EPSILON) return false;
    this.#tokens = Math.max(this.#tokens - 1, 0);
    return true;
  }

  /** The retries available now (fractional while a token is being earned). */
  available(): number {
    this.#refill();
    return this.#tokens;
  }

  #refill(): void {
    const now = this.#now();
    // A clock that went backwards (an injected one, say) earns nothing, loses nothing.
    const earned = (Math.max(0, now - this.#refilledAt) / 1000) * this.minPerSecond;
    if (earned > 0) this.#tokens = Math.min(this.#tokens + earned, this.maxTokens);
    this.#refilledAt = now;
  }
}
