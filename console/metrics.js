// Reads depot's Prometheus text (/metrics, no token needed) and turns two samples into
// the numbers the health screen shows: request rate, 5xx and 503 counts in the interval,
// requests in flight, and p99 latency from the duration histogram's buckets.

/** Parses the text format into `[{name, labels, value}]`. */
export function parse(text) {
  const out = [];
  for (const line of text.split("\n")) {
    if (!line || line.startsWith("#")) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)/.exec(line);
    if (!m) continue;
    const labels = {};
    for (const l of (m[3] ?? "").matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]] = l[2];
    out.push({ name: m[1], labels, value: Number(m[4]) });
  }
  return out;
}

/** A sample: the totals at one moment. */
export function sample(text, at = Date.now()) {
  const rows = parse(text);
  const sum = (pred) => rows.filter(pred).reduce((a, r) => a + r.value, 0);
  const buckets = new Map();
  for (const r of rows) {
    if (r.name !== "depot_request_duration_seconds_bucket") continue;
    const le = r.labels.le === "+Inf" ? Infinity : Number(r.labels.le);
    buckets.set(le, (buckets.get(le) ?? 0) + r.value);
  }
  return {
    at,
    requests: sum((r) => r.name === "depot_requests_total"),
    errors5xx: sum((r) => r.name === "depot_requests_total" && /^5/.test(r.labels.status ?? "")),
    status503: sum((r) => r.name === "depot_requests_total" && r.labels.status === "503"),
    shed: sum((r) => r.name === "depot_shed_total"),
    inFlight: sum((r) => r.name === "depot_in_flight"),
    streams: sum((r) => r.name === "depot_streams_open"),
    buckets,
  };
}

/** What happened between two samples. */
export function between(prev, next) {
  const secs = Math.max(0.001, (next.at - prev.at) / 1000);
  const requests = Math.max(0, next.requests - prev.requests);
  return {
    rate: requests / secs,
    errors5xx: Math.max(0, next.errors5xx - prev.errors5xx),
    status503: Math.max(0, next.status503 - prev.status503),
    inFlight: next.inFlight,
    streams: next.streams,
    p99: quantile(prev.buckets, next.buckets, 0.99),
  };
}

/** The q-quantile (seconds) of the requests observed between two cumulative histograms, or null. */
export function quantile(prevBuckets, nextBuckets, q) {
  const les = [...nextBuckets.keys()].sort((a, b) => a - b);
  const counts = les.map((le) => Math.max(0, nextBuckets.get(le) - (prevBuckets.get(le) ?? 0)));
  const total = counts.at(-1) ?? 0;
  if (!total) return null;
  const rank = q * total;
  for (let i = 0; i < les.length; i++) {
    if (counts[i] >= rank) {
      if (les[i] === Infinity) return les[i - 1] ?? null;
      // Linear within the bucket, as Prometheus's histogram_quantile does.
      const lower = i ? les[i - 1] : 0;
      const below = i ? counts[i - 1] : 0;
      const inBucket = counts[i] - below;
      return inBucket ? lower + ((les[i] - lower) * (rank - below)) / inBucket : les[i];
    }
  }
  return null;
}
