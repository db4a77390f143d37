// Health at a glance: /metrics (no token) every 2 s, as small charts of the last
// two minutes, and /readyz.

import { h, replace } from "../dom.js";
import { sparkline } from "../charts.js";
import { between, sample } from "../metrics.js";

const EVERY_MS = 2000;
const KEEP = 60;

const SERIES = [
  { key: "rate", title: "Requests per second", fmt: (v) => v.toFixed(1) },
  { key: "errors5xx", title: "5xx answers per interval", fmt: (v) => String(v) },
  { key: "status503", title: "503 answers per interval", fmt: (v) => String(v) },
  { key: "inFlight", title: "Requests in flight", fmt: (v) => String(v) },
  { key: "p99", title: "p99 latency (ms)", fmt: (v) => (v === null ? "no requests" : (v * 1000).toFixed(1)) },
];

export async function render(main) {
  const points = [];
  let last = null;
  let timer = null;
  let stopped = false;
  const cards = h("div", { class: "cards" });
  const ready = h("p", { class: "state", "aria-live": "polite" });
  const note = h("p", { class: "muted" });
  replace(
    main,
    h("h1", {}, "Health"),
    ready,
    h("p", { class: "muted" }, `From /metrics every ${EVERY_MS / 1000} s; the last ${(KEEP * EVERY_MS) / 60000} minutes. The console's own calls count too.`),
    cards,
    note,
  );

  function draw() {
    const now = points.at(-1);
    replace(
      cards,
      SERIES.map((s) => {
        const values = points.map((p) => p[s.key]);
        const current = now ? s.fmt(now[s.key]) : "…";
        const label = `${s.title}: now ${current}`;
        return h(
          "section",
          { class: "card metric", "aria-label": s.title },
          h("h2", {}, s.title),
          h("p", { class: "big-number" }, current),
          sparkline(values.map((v) => (v === null ? null : s.key === "p99" ? v * 1000 : v)), { label }),
        );
      }),
    );
  }

  async function poll() {
    try {
      const [m, r] = await Promise.all([fetch("/metrics", { cache: "no-store" }), fetch("/readyz", { cache: "no-store" })]);
      const s = sample(await m.text());
      if (last) {
        points.push(between(last, s));
        if (points.length > KEEP) points.shift();
      }
      last = s;
      replace(ready, r.ok ? h("strong", { class: "ok-text" }, "Ready: the store answers.") : h("strong", { class: "warn-text" }, `Not ready (${r.status}): the store is not answering.`));
      replace(note, `Open change streams: ${s.streams}. Shed by admission control since start: ${s.shed}.`);
      draw();
    } catch (e) {
      replace(ready, h("strong", { class: "warn-text" }, `The server could not be reached: ${e.message}`));
    }
    // The first interval is short, so the charts start at once.
    if (!stopped) timer = setTimeout(poll, points.length ? EVERY_MS : 500);
  }
  draw();
  await poll();
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}
