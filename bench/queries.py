#!/usr/bin/env python3
"""bench/queries.sh's helper (Python 3 standard library only). Subcommands:

  gen DIR N          the N items, the same for every server: DIR/depot.ndjson (a `depot
                     import` file: header, project, collection with its indexes, items),
                     DIR/depot.ids and DIR/pb.ids (ids in item order), DIR/items.ndjson
                     (each item as depot's GET answers it: the raw JSON the file size is
                     compared with), DIR/gen.json (counts and byte sizes)
  pb-insert DB N     the same N items as rows of PocketBase's `notes` table in its
                     data.db (PocketBase stopped), in one transaction
  walk URL PATH N    follows next_cursor from PATH (depot) N-1 times; prints the path of
                     page N (its cursor URL-encoded)
  probe URL PATH     one GET: status, bytes, items in the page, next_cursor, the answer's
                     count members; as JSON
  sizes DB           page counts of depot's SQLite file by table and index (dbstat), as JSON
  report ...         the tables and targets (bench/results/queries.{md,json})

Deterministic: the items come from fixed seeds, so depot and PocketBase hold the same
data and a rerun makes the same files.
"""

import http.client
import json
import os
import random
import sqlite3
import statistics
import sys
import textwrap
import urllib.parse
from collections import defaultdict

PROJECT, COLLECTION = "bench", "big"
INDEXES = ["status", "user", "n"]
SCHEMA = {
    "type": "object",
    "required": ["title"],
    "properties": {
        "title": {"type": "string"},
        "n": {"type": "number"},
        "user": {"type": "number"},
        "status": {"type": "string"},
        "tag": {"type": "string"},
    },
}
DAY = "2025-01-01"
PB_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789"


def items(n):
    """(k, depot id, PocketBase id, depot timestamp, PocketBase timestamp, body) per item.

    body: user = k % 1000 (1,000 users), status one of s0..s9 at random (each ~10 %),
    n a random int in [0, 1,000,000), tag one of t0..t999 at random (each ~0.1 %), title
    a short text: ~100 bytes of JSON, as bench/run.sh's items.
    """
    rng = random.Random(16)
    pb = random.Random(1616)
    seen = set()
    for k in range(n):
        body = {
            "user": k % 1000,
            "status": f"s{rng.randrange(10)}",
            "n": rng.randrange(1_000_000),
            "tag": f"t{rng.randrange(1000)}",
            "title": f"note {k}: lorem ipsum dolor sit amet, consectetur",
        }
        while True:
            pid = "".join(pb.choices(PB_ALPHABET, k=15))
            if pid not in seen:
                seen.add(pid)
                break
        # created_at = 2025-01-01 + k ms (k < 86,400,000: within the day)
        s, msec = divmod(k, 1000)
        m, s = divmod(s, 60)
        h, m = divmod(m, 60)
        ts = f"{h:02d}:{m:02d}:{s:02d}.{msec:03d}Z"
        yield k, f"01900000-0000-7000-8000-{k:012x}", pid, f"{DAY}T{ts}", f"{DAY} {ts}", body


def dumps(v):
    return json.dumps(v, separators=(",", ":"))


def gen(out_dir, n):
    n = int(n)
    os.makedirs(out_dir, exist_ok=True)
    t = "2025-01-01T00:00:00.000Z"
    body_bytes = item_bytes = 0
    status_counts = defaultdict(int)
    tag7 = 0
    with open(f"{out_dir}/depot.ndjson", "w") as imp, open(f"{out_dir}/depot.ids", "w") as dids, \
            open(f"{out_dir}/pb.ids", "w") as pids, open(f"{out_dir}/items.ndjson", "w") as raw:
        imp.write(dumps({"kind": "header", "format": "depot-export", "version": 1, "exported_at": t}) + "\n")
        imp.write(dumps({"kind": "project", "name": PROJECT, "metadata": {}, "created_at": t, "updated_at": t}) + "\n")
        imp.write(dumps({"kind": "collection", "project": PROJECT, "name": COLLECTION, "schema": SCHEMA,
                         "indexes": INDEXES, "created_at": t, "updated_at": t}) + "\n")
        for k, did, pid, ts, _, body in items(n):
            data = dumps(body)
            body_bytes += len(data)
            status_counts[body["status"]] += 1
            tag7 += body["tag"] == "t7"
            imp.write(f'{{"kind":"item","project":"{PROJECT}","collection":"{COLLECTION}","id":"{did}",'
                      f'"version":1,"created_at":"{ts}","updated_at":"{ts}","body":{data}}}\n')
            # As GET answers it: the server-owned members first, then the body's.
            line = f'{{"id":"{did}","created_at":"{ts}","updated_at":"{ts}","version":1,{data[1:]}\n'
            item_bytes += len(line) - 1
            raw.write(line)
            dids.write(did + "\n")
            pids.write(pid + "\n")
    info = {
        "items": n,
        "body_bytes": body_bytes,
        "item_bytes": item_bytes,
        "import_file_bytes": os.path.getsize(f"{out_dir}/depot.ndjson"),
        "status_s3": status_counts["s3"],
        "tag_t7": tag7,
    }
    json.dump(info, open(f"{out_dir}/gen.json", "w"))
    print(dumps(info))


def pb_insert(db, n):
    """Rows as PocketBase writes them: its 15-char id, the fields, created/updated as
    "2025-01-01 00:00:00.000Z" (its autodate format)."""
    n = int(n)
    conn = sqlite3.connect(db)
    cols = [r[1] for r in conn.execute("PRAGMA table_info(notes)")]
    want = ["id", "title", "n", "user", "status", "tag", "created", "updated"]
    missing = [c for c in want if c not in cols]
    if missing:
        sys.exit(f"pb-insert: notes has no column(s) {missing}; it has {cols}")

    def rows():
        for _, _, pid, _, pts, b in items(n):
            yield pid, b["title"], b["n"], b["user"], b["status"], b["tag"], pts, pts

    with conn:
        conn.executemany(
            "INSERT INTO notes (id, title, n, user, status, tag, created, updated) VALUES (?,?,?,?,?,?,?,?)",
            rows(),
        )
    got = conn.execute("SELECT count(*) FROM notes").fetchone()[0]
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    if got != n:
        sys.exit(f"pb-insert: notes holds {got} rows, not {n}")
    print(dumps({"rows": got}))


def get(conn, path, auth):
    headers = {"Authorization": auth} if auth else {}
    conn.request("GET", path, headers=headers)
    r = conn.getresponse()
    return r.status, r.read()


def connect(url):
    u = urllib.parse.urlsplit(url)
    return http.client.HTTPConnection(u.hostname, u.port, timeout=60)


def walk(url, path, pages):
    """Path of page `pages` of a depot listing: follow next_cursor from `path`."""
    auth = os.environ.get("QAUTH", "")
    conn = connect(url)
    p = path
    for page in range(1, int(pages)):
        status, body = get(conn, p, auth)
        if status != 200:
            sys.exit(f"walk: page {page} answered {status}: {body[:200]!r}")
        doc = json.loads(body)
        if len(doc["data"]) == 0 or not doc["next_cursor"]:
            sys.exit(f"walk: page {page} has {len(doc['data'])} items, next_cursor {doc['next_cursor']!r}")
        p = f"{path}&cursor={urllib.parse.quote(doc['next_cursor'], safe='')}"
    print(p)


def probe(url, path):
    auth = os.environ.get("QAUTH", "")
    conn = connect(url)
    status, body = get(conn, path, auth)
    out = {"status": status, "bytes": len(body)}
    try:
        doc = json.loads(body)
    except ValueError:
        doc = None
    if isinstance(doc, dict):
        for key in ("data", "items"):
            if isinstance(doc.get(key), list):
                out["page_items"] = len(doc[key])
        if "next_cursor" in doc:
            out["next_cursor"] = doc["next_cursor"] is not None
        for key in ("count", "exact", "totalItems", "page", "perPage"):
            if key in doc:
                out[key] = doc[key]
    print(dumps(out))


def sizes(db):
    """Bytes of depot's file by table and index, from dbstat."""
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    page = conn.execute("PRAGMA page_size").fetchone()[0]
    total = conn.execute("PRAGMA page_count").fetchone()[0] * page
    free = conn.execute("PRAGMA freelist_count").fetchone()[0] * page
    by = {}
    for name, ty, tbl, nbytes in conn.execute(
        "SELECT s.name, m.type, m.tbl_name, sum(s.pgsize) FROM dbstat s "
        "LEFT JOIN sqlite_master m ON m.name = s.name GROUP BY s.name"
    ):
        by[name] = {"type": ty or "internal", "table": tbl, "bytes": nbytes}
    items_table = by.get("items", {}).get("bytes", 0)
    item_indexes = {k: v["bytes"] for k, v in by.items() if k.startswith("items_ix_")}
    print(dumps({
        "page_size": page, "file_bytes": total, "freelist_bytes": free,
        "items_table_bytes": items_table, "item_index_bytes": item_indexes,
        "other_bytes": total - items_table - sum(item_indexes.values()),
        "objects": by,
    }))


# ------------------------------------------------------------------ report ---------

SERVERS = ["ceiling", "depot", "depot-pg", "pocketbase"]
NAMES = {"ceiling": "ceiling (bare axum)", "depot": "**depot**", "depot-pg": "depot on PostgreSQL",
         "pocketbase": "PocketBase"}
WORKLOADS = {
    "q-eq": "indexed equality, a page of 20",
    "q-range-sort": "indexed range, sorted by the same path, a page of 20",
    "q-unindexed": "unindexed equality matching ~0.1 %, a page (bounded by --max-scan)",
    "q-count": "count of an indexed equality matching ~10 %",
    "get-big": "GET one item, a random one of all the ids",
    "list-big": "the first page of 20, no filter",
    "sort-p1": "sorted by an indexed path, page 1 of 20",
    "sort-p5000": "sorted by an indexed path, page 5,000 of 20",
}


def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def cell(rows):
    ok_rps, p50, p99, mx = [], [], [], []
    statuses = defaultdict(int)
    errors = defaultdict(int)
    for row in rows:
        r = row["result"]
        d = r["duration_s"]
        ok_rps.append(sum(n for s, n in r["status"].items() if 200 <= int(s) < 300) / d)
        lat = r["latency_ms"]["all"]
        p50.append(lat["p50"])
        p99.append(lat["p99"])
        mx.append(lat["max"])
        for s, n in r["status"].items():
            statuses[s] += n
        for k, n in r["errors"].items():
            errors[k] += n
    return {
        "reps": len(rows),
        "ok_rps": median(ok_rps),
        "p50_ms": median(p50),
        "p99_ms": median(p99),
        "max_ms": max(mx),
        "peak_rss_mib": max(row["peak_rss_kib"] for row in rows) / 1024,
        "status": dict(sorted(statuses.items())),
        "errors": {k: v for k, v in errors.items() if v},
        "runs": [{"ok_rps": o, "p50_ms": a, "p99_ms": b} for o, a, b in zip(ok_rps, p50, p99)],
    }


def fmt_rps(v):
    if v is None:
        return "–"
    return f"{v / 1000:.1f} k" if v >= 1000 else f"{v:.0f}"


def fmt_ms(v):
    if v is None:
        return "–"
    if v >= 1000:
        return f"{v / 1000:.2f} s"
    return f"{v:.2f} ms" if v < 10 else f"{v:.1f} ms"


def fmt_mib(v):
    return f"{v / 1024:.2f} GiB" if v >= 1024 else f"{v:.1f} MiB"


def fmt_bytes(b):
    return fmt_mib(b / 1048576)


def ratio(a, b, pct=False):
    if a is None or not b:
        return "–"
    if pct:
        share = 100 * a / b
        if share < 0.1:
            return "< 0.1 %"
        return f"{share:.1f} %" if share < 10 else f"{share:.0f} %"
    return f"{a / b:.2f}×" if a / b < 100 else f"{a / b:.0f}×"


def answer_text(p):
    """What one request's answer held (from the probe before the runs)."""
    if not p:
        return "–"
    parts = []
    if "page_items" in p:
        parts.append(f"{p['page_items']} items")
    if "next_cursor" in p:
        parts.append("next_cursor" if p["next_cursor"] else "no next_cursor")
    if "count" in p:
        parts.append(f"count {p['count']}, exact {str(p.get('exact')).lower()}")
    if "totalItems" in p:
        parts.append(f"totalItems {p['totalItems']}")
    parts.append(f"{p['bytes']:,} B")
    return ", ".join(parts)


def workload_tables(cells, probes, paths, workloads, servers):
    out = []
    for w in workloads:
        if not any((s, w) in cells for s in servers):
            continue
        out.append(f"#### {w}: {WORKLOADS[w]}\n")
        for s in servers:
            if (s, w) in paths:
                out.append(f"- {NAMES[s].strip('*')}: `GET {paths[(s, w)]}`")
        out.append("")
        out.append("| server | 2xx/s | p50 | p99 | non-2xx (all runs) | peak RSS | vs ceiling | vs PocketBase "
                   "| one answer |")
        out.append("|---|--:|--:|--:|--:|--:|--:|--:|---|")
        base = {s: cells[(s, w)]["ok_rps"] for s in servers if (s, w) in cells}
        for s in servers:
            c = cells.get((s, w))
            if c is None:
                continue
            r = c["ok_rps"]
            vs_c = "100 %" if s == "ceiling" else ratio(r, base.get("ceiling"), pct=True)
            vs_p = "1×" if s == "pocketbase" else ratio(r, base.get("pocketbase"))
            bad = {k: v for k, v in c["status"].items() if not (200 <= int(k) < 300)}
            other = ", ".join(f"{v:,} × {k}" for k, v in bad.items()) or "–"
            out.append(f"| {NAMES[s]} | {fmt_rps(r)} | {fmt_ms(c['p50_ms'])} | {fmt_ms(c['p99_ms'])} "
                       f"| {other} | {fmt_mib(c['peak_rss_mib'])} | {vs_c} | {vs_p} "
                       f"| {answer_text(probes.get((s, w)))} |")
        out.append("")
    return out


def targets(cells, seed, sizes_, gen_, deep):
    rows = []
    d = lambda w: cells.get(("depot", w))  # noqa: E731
    c = lambda w: cells.get(("ceiling", w))  # noqa: E731
    p = lambda w: cells.get(("pocketbase", w))  # noqa: E731
    if d("q-eq") and c("q-eq"):
        share = 100 * d("q-eq")["ok_rps"] / c("q-eq")["ok_rps"]
        rows.append(("q-eq (indexed filter page): ≥ 30 % of the ceiling at c32",
                     f"{share:.0f} % ({fmt_rps(d('q-eq')['ok_rps'])} vs {fmt_rps(c('q-eq')['ok_rps'])} req/s)",
                     share >= 30))
    if d("q-eq") and p("q-eq"):
        f = d("q-eq")["ok_rps"] / p("q-eq")["ok_rps"]
        rows.append(("q-eq: ≥ 10× PocketBase's filtered list (index on the same field, same data)",
                     f"{f:.1f}× ({fmt_rps(d('q-eq')['ok_rps'])} vs {fmt_rps(p('q-eq')['ok_rps'])} req/s)",
                     f >= 10))
    if d("sort-p1") and d("sort-p5000"):
        a, b = d("sort-p1"), d("sort-p5000")
        fr = max(a["ok_rps"], b["ok_rps"]) / min(a["ok_rps"], b["ok_rps"])
        fl = max(a["p50_ms"], b["p50_ms"]) / min(a["p50_ms"], b["p50_ms"])
        rows.append((f"sorted listing: page 1 and page {deep:,} within 1.5× of each other",
                     f"{a['ok_rps']:,.0f} vs {b['ok_rps']:,.0f} req/s ({fr:.3f}×); p50 "
                     f"{fmt_ms(a['p50_ms'])} vs {fmt_ms(b['p50_ms'])} ({fl:.3f}×)",
                     fr <= 1.5 and fl <= 1.5))
    dp = [(w, cl["p99_ms"]) for (s, w), cl in cells.items() if s == "depot"]
    if dp:
        over = sorted([x for x in dp if x[1] > 50], key=lambda x: -x[1])
        worst = max(dp, key=lambda x: x[1])
        text = f"max {fmt_ms(worst[1])} ({worst[0]})"
        if over:
            text += "; above 50 ms: " + ", ".join(f"{w} {fmt_ms(v)}" for w, v in over)
        rows.append(("no workload's p99 above 50 ms at c32", text, not over))
    rss = [(w, cl["peak_rss_mib"]) for (s, w), cl in cells.items() if s == "depot"]
    if seed.get("depot_seed_rss_kib"):
        rss.append(("seeding (import)", seed["depot_seed_rss_kib"] / 1024))
    if rss:
        worst = max(rss, key=lambda x: x[1])
        rows.append(("peak RSS < 64 MiB throughout (SQLite)", f"{fmt_mib(worst[1])} (max, {worst[0]})",
                     worst[1] < 64))
    if sizes_ and gen_:
        f = sizes_["file_bytes"] + seed.get("depot_wal_bytes", 0)
        raw = gen_["item_bytes"]
        idx = sum(sizes_["item_index_bytes"].values())
        body = gen_["body_bytes"]
        met = f <= 2 * raw
        rows.append(("SQLite file ≤ 2× the raw JSON of the items (file includes the indexes)",
                     f"{fmt_bytes(f)} = {f / raw:.2f}× the {fmt_bytes(raw)} of the items as GET answers them "
                     f"(with `id`, `created_at`, `updated_at`, `version`); {f / body:.2f}× the "
                     f"{fmt_bytes(body)} of the bodies alone. Items table {fmt_bytes(sizes_['items_table_bytes'])}, "
                     f"the 3 indexes {fmt_bytes(idx)}",
                     met if met == (f <= 2 * body) else
                     ("yes, counting the items as answered; **no** counting the bodies alone" if met else
                      "**no** counting the items as answered; yes counting the bodies alone")))
    return rows


def report(args):
    import argparse
    ap = argparse.ArgumentParser(prog="queries.py report")
    ap.add_argument("--run", required=True, help="the run dir (results.jsonl, probes.jsonl, meta.json, ...)")
    ap.add_argument("--md", required=True)
    ap.add_argument("--json", required=True)
    ap.add_argument("--readme", help="bench/README.md: replace between queries:begin/end")
    ap.add_argument("--main-readme", help="README.md: replace between queries-summary:begin/end")
    a = ap.parse_args(args)
    run = a.run
    meta = json.load(open(f"{run}/meta.json"))
    deep = meta.get("deep_page", 5000)
    if deep != 5000:
        WORKLOADS["sort-p5000"] = f"sorted by an indexed path, page {deep:,} of 20 (page 5,000 at 1,000,000 items)"
    seed = json.load(open(f"{run}/seed.json"))
    gen_ = json.load(open(f"{run}/data/gen.json"))
    sizes_ = json.load(open(f"{run}/sizes.json")) if os.path.exists(f"{run}/sizes.json") else None
    rows = [json.loads(line) for line in open(f"{run}/results.jsonl") if line.strip()]
    probes, paths = {}, {}
    for line in open(f"{run}/probes.jsonl"):
        if line.strip():
            pr = json.loads(line)
            probes[(pr["server"], pr["workload"])] = pr["answer"]
            paths[(pr["server"], pr["workload"])] = pr["path"]
    groups = defaultdict(list)
    for row in rows:
        groups[(row["server"], row["workload"])].append(row)
    cells = {k: cell(v) for k, v in groups.items()}
    servers = [s for s in SERVERS if any(k[0] == s for k in cells)]
    workloads = [w for w in WORKLOADS if any(k[1] == w for k in cells)]
    problems = []
    for (s, w), cl in cells.items():
        # A non-2xx answer is a measurement (shown in the tables); only a cell without
        # any success, or connection errors, means the harness is broken.
        if not cl["ok_rps"]:
            problems.append(f"{s}/{w}: no successful request")
        errs = {k: v for k, v in cl["errors"].items() if k != "status"}
        if errs:
            problems.append(f"{s}/{w}: errors {errs}")
    trows = targets(cells, seed, sizes_, gen_, deep)

    n = meta["items"]
    head = [
        f"- **Date**: {meta['started']} – {meta['finished']} (UTC)",
        f"- **Machine**: {meta['nproc']} × {meta['cpu']}, {meta['mem_gib']} GiB RAM, Linux {meta['kernel']}, "
        f"shared with other work (load average at the start {meta['loadavg'][0]}, at the end "
        f"{meta['loadavg'][1]}); servers on CPU {meta['server_cpus']}, wrk pinned to CPU {meta['load_cpu']}",
        f"- **Command**: `{meta['command'].strip()}` (work tree {meta['git']}; depot binary {meta['depot_bin']}, "
        f"built {meta['depot_built']}); PocketBase {meta['pocketbase']}, wrk {meta['wrk']}",
        f"- **Settings**: {n:,} items; `wrk -t1 -c32`, median of {meta['reps']} runs of {meta['duration']} per "
        f"cell after a {meta['warmup']} warm-up, the runs going round the servers; a fresh server process "
        "per workload (peak RSS = VmHWM is the workload's own); depot with its default "
        "`--max-scan` (10,000) and `--max-count-scan` (1,000,000). 2xx/s: successful answers per "
        "second; p50 and p99 are wrk's, over all answers (2xx or not)",
    ]
    seed_lines = [
        f"- **Data**: {n:,} items of {gen_['body_bytes'] / n:.0f} bytes of JSON on average "
        f"(`{{\"user\": k % 1000, \"status\": \"s0\"…\"s9\", \"n\": 0…999999, \"tag\": \"t0\"…\"t999\", "
        f"\"title\": \"note k: …\"}}`, fixed seeds); `status = \"s3\"` matches {gen_['status_s3']:,}, "
        f"`tag = \"t7\"` {gen_['tag_t7']:,}. Indexes on `status`, `user`, `n` in both servers.",
        f"- **depot seeding**: `depot import` of a {fmt_bytes(gen_['import_file_bytes'])} NDJSON export file "
        f"(project, collection with its schema and `indexes`, then the items with their ids and timestamps) "
        f"through the running server: {seed['depot_import_s']:.1f} s "
        f"({n / seed['depot_import_s'] / 1000:.1f} k items/s); the server's peak RSS meanwhile "
        f"{seed['depot_seed_rss_kib'] / 1024:.1f} MiB.",
        f"- **PocketBase seeding**: the collection (fields, and the 3 indexes as `CREATE INDEX` on "
        f"`status`, `user`, `n`) created through its API as superuser; PocketBase stopped; the "
        f"rows inserted straight into `pb_data/data.db` (table `notes`: its 15-character ids, "
        f"`created`/`updated` in its format) with Python's sqlite3 in one transaction: "
        f"{seed['pb_insert_s']:.1f} s; then started again.",
    ]
    if sizes_:
        f = sizes_["file_bytes"] + seed.get("depot_wal_bytes", 0)
        idx = sizes_["item_index_bytes"]
        seed_lines.append(
            f"- **depot's SQLite file** after the import (server stopped, WAL checkpointed: "
            f"{seed.get('depot_wal_bytes', 0):,} B of WAL left): {fmt_bytes(f)}: items table "
            f"{fmt_bytes(sizes_['items_table_bytes'])}, indexes "
            + ", ".join(f"{fmt_bytes(v)}" for v in idx.values())
            + f" (one per declared path), the rest {fmt_bytes(sizes_['other_bytes'])}. The items as GET "
            f"answers them (NDJSON, one a line) are {fmt_bytes(gen_['item_bytes'])}; their bodies alone "
            f"{fmt_bytes(gen_['body_bytes'])}. PocketBase's data.db: {fmt_bytes(seed.get('pb_db_bytes', 0))}."
        )
    tgt = ["| target | measured | met |", "|---|---|---|"] + [
        f"| {name} | {val} | {ok if isinstance(ok, str) else 'yes' if ok else '**no**'} |" for name, val, ok in trows]
    wrap = lambda lines: [textwrap.fill(x, 88, subsequent_indent="  " if x.startswith("- ") else "",  # noqa: E731
                                        break_on_hyphens=False, break_long_words=False) for x in lines]
    body = wrap(head + seed_lines) + [""] + tgt + [""] + workload_tables(cells, probes, paths, workloads, servers)
    if problems:
        body += ["### Harness problems", ""] + [f"- {x}" for x in problems] + [""]
    md = "\n".join(["# Queries at a million items" if n >= 1_000_000 else f"# Queries at {n:,} items", ""] + body)
    open(a.md, "w").write(md)
    with open(a.json, "w") as f:
        json.dump({"meta": meta, "seed": seed, "data": gen_, "sizes": sizes_,
                   "cells": {f"{s}/{w}": cl for (s, w), cl in sorted(cells.items())},
                   "probes": {f"{s}/{w}": v for (s, w), v in sorted(probes.items())},
                   "paths": {f"{s}/{w}": v for (s, w), v in sorted(paths.items())},
                   "targets": [{"target": x, "measured": m, "met": ok} for x, m, ok in trows],
                   "problems": problems}, f, indent=2)
        f.write("\n")
    print(md)

    def splice(path, begin, end, text):
        doc = open(path).read()
        if begin not in doc or end not in doc:
            sys.exit(f"{path}: no {begin} … {end} markers")
        h, rest = doc.split(begin, 1)
        _, t = rest.split(end, 1)
        open(path, "w").write(h + begin + "\n" + text + "\n" + end + t)

    if a.readme:
        splice(a.readme, "<!-- queries:begin -->", "<!-- queries:end -->",
               "\n".join(["### The last run (details: [`results/queries.md`](results/queries.md),"
                          " [`results/queries.json`](results/queries.json))", ""] + body).rstrip("\n"))
    if a.main_readme:
        summary = [
            "| workload (c32) | depot req/s | p99 | vs ceiling | vs PocketBase |",
            "|---|--:|--:|--:|--:|",
        ]
        for w in workloads:
            cl = cells.get(("depot", w))
            if not cl:
                continue
            ce, pb = cells.get(("ceiling", w)), cells.get(("pocketbase", w))
            summary.append(f"| {w}: {WORKLOADS[w]} | {fmt_rps(cl['ok_rps'])} | {fmt_ms(cl['p99_ms'])} "
                           f"| {ratio(cl['ok_rps'], ce and ce['ok_rps'], pct=True)} "
                           f"| {ratio(cl['ok_rps'], pb and pb['ok_rps'])} |")
        intro = wrap([f"Measured {meta['started'][:10]} with `{meta['command'].strip()}` on {n:,} items "
                      f"(medians of {meta['reps']} runs of {meta['duration']}; shared 2-core machine, see "
                      "[`bench/results/queries.md`](bench/results/queries.md) for the answers, paths "
                      "and sizes)."])
        splice(a.main_readme, "<!-- queries-summary:begin -->", "<!-- queries-summary:end -->",
               "\n".join(intro + [""] + summary + ["", "Targets:", ""] + tgt))
    if problems:
        for x in problems:
            print(f"queries: harness problem: {x}", file=sys.stderr)
        sys.exit(1)


def main():
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "gen":
        gen(*args)
    elif cmd == "pb-insert":
        pb_insert(*args)
    elif cmd == "walk":
        walk(*args)
    elif cmd == "probe":
        probe(*args)
    elif cmd == "sizes":
        sizes(*args)
    elif cmd == "report":
        report(args)
    else:
        sys.exit(f"unknown subcommand {cmd}")


if __name__ == "__main__":
    main()
