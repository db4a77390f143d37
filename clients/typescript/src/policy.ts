// The retry policy: how long to wait before each retry, and when to stop trying.
//
// Full-jitter exponential backoff (the AWS Architecture Blog's "Exponential Backoff and
// Jitter"): before retry n (0-based) the client sleeps random(0, min(cap, base *
// factor^n)), but never less than the server's Retry-After, itself clamped to the cap so
// a misbehaving server can't park a client for an hour. Full rather than "equal" jitter
// because it spreads a fleet of clients that failed together over the whole window,
// which is what lets an overloaded server recover. Same numbers as the Rust client.

/** The retry knobs; every field is optional where a policy is accepted. */
export interface RetryPolicy {
  /** The ceiling of the first delay, in ms. Default 100. */
  baseMs: number;
  /** How much the ceiling grows per retry. Default 2. */
  factor: number;
  /** No delay, not even one a `Retry-After` asks for, is longer (ms). Default 20 000. */
  capMs: number;
  /** Retries after the first attempt; 0 disables retrying. Default 5. */
  maxRetries: number;
  /**
   * No retry starts if its delay would end later than this many ms after the call
   * began; `null`: only `maxRetries` limits retrying. An attempt in flight is bounded by
   * the per-attempt `timeoutMs`, not by this. Default 120 000.
   */
  deadlineMs: number | null;
}

/** The contract's defaults (§6): 100 ms, ×2, 20 s cap, 5 retries, 120 s deadline. */
export const DEFAULT_RETRY_POLICY: Readonly<RetryPolicy> = Object.freeze({
  baseMs: 100,
  factor: 2,
  capMs: 20_000,
  maxRetries: 5,
  // Long enough for five retries of a maintenance window's Retry-After (which the cap
  // turns into 20 s each), short enough that a script notices.
  deadlineMs: 120_000,
});

/** A complete policy from the defaults and the given overrides, checked. */
export function retryPolicy(overrides: Partial<RetryPolicy> = {}): RetryPolicy {
  const policy = { ...DEFAULT_RETRY_POLICY, ...stripUndefined(overrides) };
  const { baseMs, factor, capMs, maxRetries, deadlineMs } = policy;
  const finite = (x: number) => Number.isFinite(x) && x >= 0;
  if (!finite(baseMs) || !finite(capMs) || !finite(factor)) {
    throw new RangeError("baseMs, capMs and factor must be finite and not negative");
  }
  if (!Number.isInteger(maxRetries) || maxRetries < 0) {
    throw new RangeError("maxRetries must be a whole number, 0 or more");
  }
  if (deadlineMs !== null && !(deadlineMs >= 0)) {
    throw new RangeError("deadlineMs must be null or not negative");
  }
  return policy;
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(
    Object.entries(value).filter(([, v]) => v !== undefined),
  ) as Partial<T>;
}

/**
 * min(cap, base * factor^retry): the upper bound of the jittered delay before retry
 * number `retry` (0-based). A huge exponent saturates at the cap (Infinity >= cap).
 */
export function ceilingMs(policy: RetryPolicy, retry: number): number {
  const ms = policy.baseMs * Math.max(policy.factor, 1) ** retry;
  return Number.isNaN(ms) || ms >= policy.capMs ? policy.capMs : ms;
}

/** The floor a `Retry-After` sets: the server's wish, but never beyond the cap. */
export function floorMs(policy: RetryPolicy, retryAfterMs: number | undefined): number {
  return retryAfterMs === undefined ? 0 : Math.min(retryAfterMs, policy.capMs);
}

/**
 * The delay before retry number `retry` (0-based): uniform in [0, ceiling], raised to
 * the `Retry-After` floor. `random` returns a number in [0, 1), like Math.random.
 */
export function delayMs(
  policy: RetryPolicy,
  retry: number,
  retryAfterMs: number | undefined,
  random: () => number = Math.random,
): number {
  const jittered = random() * ceilingMs(policy, retry);
  return Math.max(jittered, floorMs(policy, retryAfterMs));
}

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const DAY = "(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)";
const LONG_DAY = "(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)";
const MONTH = `(${MONTHS.join("|")})`;
const TIME = "(\\d{2}):(\\d{2}):(\\d{2})";
// RFC 9110 §5.6.7: IMF-fixdate, and the two obsolete forms a recipient must accept.
const IMF_FIXDATE = new RegExp(`^${DAY}, (\\d{2}) ${MONTH} (\\d{4}) ${TIME} GMT$`);
const RFC850_DATE = new RegExp(`^${LONG_DAY}, (\\d{2})-${MONTH}-(\\d{2}) ${TIME} GMT$`);
const ASCTIME_DATE = new RegExp(`^${DAY} ${MONTH} ([ \\d]\\d) ${TIME} (\\d{4})$`);

/** An HTTP-date (RFC 9110 §5.6.7) as ms since the epoch, or undefined. */
export function parseHttpDate(value: string): number | undefined {
  const parts = dateParts(value);
  if (!parts) return undefined;
  const { day, month, year, h, m, s } = parts;
  const ms = Date.UTC(year, month, day, h, m, s);
  // Date.UTC rolls "31 Feb" over into March; a date that rolled over is not a date.
  if (new Date(ms).getUTCDate() !== day || h > 23 || m > 59 || s > 60) return undefined;
  return ms;
}

interface DateParts {
  day: number;
  /** 0-based, as Date.UTC takes it. */
  month: number;
  year: number;
  h: number;
  m: number;
  s: number;
}

function dateParts(value: string): DateParts | undefined {
  const parts = (day: string, month: string, year: number, hms: string[]): DateParts => {
    const [h, m, s] = hms.map(Number) as [number, number, number];
    return { day: Number(day), month: MONTHS.indexOf(month), year, h, m, s };
  };
  let match = IMF_FIXDATE.exec(value);
  if (match) {
    const [, day, month, year, ...hms] = match as unknown as string[];
    return parts(day!, month!, Number(year), hms);
  }
  match = RFC850_DATE.exec(value);
  if (match) {
    const [, day, month, yy, ...hms] = match as unknown as string[];
    // RFC 9110: a two-digit year more than 50 years ahead is in the past century.
    let year = 2000 + Number(yy);
    if (year > new Date().getUTCFullYear() + 50) year -= 100;
    return parts(day!, month!, year, hms);
  }
  match = ASCTIME_DATE.exec(value);
  if (match) {
    const [, month, day, h, m, s, year] = match as unknown as string[];
    return parts(day!.trim(), month!, Number(year), [h!, m!, s!]);
  }
  return undefined;
}

/**
 * A `Retry-After` value (RFC 9110 §10.2.3) as ms to wait: delay-seconds, or an HTTP-date
 * turned into the time left from `nowMs` (0 if already past). Anything else is
 * undefined, so a malformed header is ignored rather than trusted. A seconds value too
 * large to represent is a (huge) valid value, left for the cap to clamp.
 */
export function parseRetryAfter(value: string | null | undefined, nowMs: number): number | undefined {
  if (value === null || value === undefined) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) {
    const ms = Number(trimmed) * 1000;
    return Number.isFinite(ms) ? ms : Number.MAX_VALUE;
  }
  const when = parseHttpDate(trimmed);
  return when === undefined ? undefined : Math.max(0, when - nowMs);
}
