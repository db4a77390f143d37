#!/usr/bin/env python3
"""The change-feed benchmark's client (bench/streams.sh drives it; bench/README.md, "Change feed").

Python 3.11, standard library only: raw HTTP/1.1 over asyncio.open_connection, SSE parsed
here. Every wait is bounded. Times are CLOCK_MONOTONIC (time.monotonic_ns), which is
the same clock in every process of the machine, so the writer (a process of its own) and
the subscribers compare.

  streams.py seed    --port P --auth H --path PATH --count N --ids-out FILE [--status 201]
  streams.py latency --kind depot|pocketbase --port P --auth H --subscribers N
                     [--writes 200] [--interval-ms 20] --out FILE
  streams.py write   --port P --auth H --path PATH --count N --interval-ms MS [--status 201]
  streams.py hold    --kind depot|pocketbase --port P --auth H --n N --pid PID
                     [--ready FILE] [--max-secs 300] --out FILE
  streams.py report  --results FILE --meta FILE --md FILE --json FILE

`latency`: N subscribers open (depot: an SSE stream of /v1/projects/bench/changes;
PocketBase: GET /api/realtime, then POST /api/realtime subscribing its clientId to
`notes`), then a separate writer process POSTs `--writes` items one at a time, each
`--interval-ms` after the previous one was sent (or at once when it is late), and records
when each 201 (PocketBase: 200) was complete. Subscribers record every read of their
socket with its time and nothing else (the frames are decoded afterwards), so that
reading 1,000 sockets costs the client as little as possible. Latency of (write,
subscriber) = the time the read that completed the event's frame returned - the time the
write's answer was complete. It can be negative (the server may send the event before
the answer); it is reported as measured.

`hold`: VmRSS of PID, then N idle streams (depot: project `idle`, which gets no writes;
PocketBase: subscribed to `notes`, which gets none while they are held), VmRSS again
once they are all open and 3 s have passed (each the median of 5 samples over 2 s); writes the result, creates --ready, then holds
them until SIGTERM/SIGINT or --max-secs.
"""

import argparse
import asyncio
import bisect
import json
import os
import re
import signal
import statistics
import sys
import time

BODY = '{"title":"note %04d: lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do","n":%d}'
CONNECT_TIMEOUT = 30.0


def now() -> int:
    return time.monotonic_ns()


def cpu_s(pid: int) -> float:
    """utime + stime of PID, in seconds."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def vmrss_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS")


# ------------------------------------------------------------------ HTTP ------------


def request_bytes(method: str, path: str, port: int, headers: dict, body: bytes = b"") -> bytes:
    lines = [f"{method} {path} HTTP/1.1", f"Host: 127.0.0.1:{port}"]
    for k, v in headers.items():
        lines.append(f"{k}: {v}")
    if body or method in ("POST", "PUT", "PATCH"):
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def parse_head(head: bytes):
    text = head.decode("latin-1")
    status_line, *rest = text.split("\r\n")
    status = int(status_line.split()[1])
    headers = {}
    for line in rest:
        if ":" in line:
            k, v = line.split(":", 1)
            headers[k.strip().lower()] = v.strip()
    return status, headers


async def read_response(reader: asyncio.StreamReader, timeout: float = 10.0):
    """One whole response (Content-Length or chunked): (status, headers, body)."""
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), timeout)
    status, headers = parse_head(head)
    if "content-length" in headers:
        n = int(headers["content-length"])
        body = await asyncio.wait_for(reader.readexactly(n), timeout) if n else b""
    elif headers.get("transfer-encoding", "").lower() == "chunked":
        body = b""
        while True:
            size_line = await asyncio.wait_for(reader.readuntil(b"\r\n"), timeout)
            size = int(size_line.split(b";")[0], 16)
            data = await asyncio.wait_for(reader.readexactly(size + 2), timeout)
            if size == 0:
                break
            body += data[:-2]
    else:
        body = b""
    return status, headers, body


class Conn:
    """One keep-alive HTTP/1.1 connection for plain requests."""

    def __init__(self, port: int, auth: str):
        self.port, self.auth = port, auth
        self.reader = self.writer = None

    async def open(self):
        self.reader, self.writer = await asyncio.wait_for(
            asyncio.open_connection("127.0.0.1", self.port), CONNECT_TIMEOUT)

    async def call(self, method, path, body: bytes = b"", extra=None):
        h = {}
        if self.auth:
            k, v = self.auth.split(":", 1)
            h[k.strip()] = v.strip()
        if body:
            h["Content-Type"] = "application/json"
        h.update(extra or {})
        self.writer.write(request_bytes(method, path, self.port, h, body))
        return await read_response(self.reader)

    def close(self):
        if self.writer:
            self.writer.close()


def auth_headers(auth: str) -> dict:
    if not auth:
        return {}
    k, v = auth.split(":", 1)
    return {k.strip(): v.strip()}


# ------------------------------------------------------------------ SSE -------------


def dechunk(raw: bytes):
    """Decodes a chunked body: (decoded bytes, [(decoded_start, raw_start)] per piece)."""
    out, segs, i = bytearray(), [], 0
    n = len(raw)
    while i < n:
        j = raw.find(b"\r\n", i)
        if j < 0:
            break
        size = int(raw[i:j].split(b";")[0], 16)
        if size == 0:
            break
        start = j + 2
        if start + size > n:  # a piece cut off at the end of what was read
            segs.append((len(out), start))
            out += raw[start:n]
            break
        segs.append((len(out), start))
        out += raw[start:start + size]
        i = start + size + 2
    return bytes(out), segs


def frames_with_times(chunks, chunked: bool):
    """[(recv_ns, bytes)] reads of an SSE body -> [(recv_ns, {field: value})] per frame,
    each timed by the read that brought the frame's last byte."""
    raw = b"".join(c for _, c in chunks)
    ends, acc = [], 0  # raw offset where each read ends (exclusive)
    for _, c in chunks:
        acc += len(c)
        ends.append(acc)
    if chunked:
        body, segs = dechunk(raw)
        seg_starts = [s for s, _ in segs]
    else:
        body, segs, seg_starts = raw, None, None
    text = body.replace(b"\r\n", b"\n") if b"\r\n" in body else body
    if len(text) != len(body):
        raise RuntimeError("CRLF line ends in SSE: not handled")
    out, pos = [], 0
    while True:
        k = text.find(b"\n\n", pos)
        if k < 0:
            break
        last = k + 1  # the frame's last byte (its blank line)
        if chunked:
            si = bisect.bisect_right(seg_starts, last) - 1
            d0, r0 = segs[si]
            rawpos = r0 + (last - d0)
        else:
            rawpos = last
        ci = bisect.bisect_right(ends, rawpos)
        fields = {}
        for line in text[pos:k].split(b"\n"):
            if not line or line.startswith(b":"):
                continue
            name, _, value = line.partition(b":")
            if value.startswith(b" "):
                value = value[1:]
            fields[name.decode()] = fields.get(name.decode(), b"") + value
        if fields:
            out.append((chunks[ci][0], fields))
        pos = k + 2
    return out


ID_RE = re.compile(rb'"id":"([^"]+)"')


class Subscriber:
    """One SSE connection whose reads are recorded raw with their times."""

    def __init__(self, kind, port, auth, project="bench", record=True):
        self.kind, self.port, self.auth, self.project = kind, port, auth, project
        self.record = record
        self.chunks = []  # [(ns, bytes)] after the response head
        self.chunked = False
        self.reader = self.writer = None
        self.task = None
        self.client_id = None
        self.error = None

    async def open(self):
        self.reader, self.writer = await asyncio.wait_for(
            asyncio.open_connection("127.0.0.1", self.port), CONNECT_TIMEOUT)
        if self.kind == "depot":
            h = {"Accept": "text/event-stream", **auth_headers(self.auth)}
            path = f"/v1/projects/{self.project}/changes"
        else:
            h = {"Accept": "text/event-stream"}
            path = "/api/realtime"
        self.writer.write(request_bytes("GET", path, self.port, h))
        head = await asyncio.wait_for(self.reader.readuntil(b"\r\n\r\n"), CONNECT_TIMEOUT)
        status, headers = parse_head(head)
        if status != 200:
            raise RuntimeError(f"{self.kind} stream answered {status}: {head[:300]!r}")
        self.chunked = headers.get("transfer-encoding", "").lower() == "chunked"
        # Until the opening frame: depot's `retry:`/`id:` frame (it follows the feed from
        # then on), PocketBase's PB_CONNECT with the clientId.
        buf = b""
        deadline = time.monotonic() + CONNECT_TIMEOUT
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise RuntimeError(f"{self.kind}: no opening frame")
            data = await asyncio.wait_for(self.reader.read(65536), left)
            if not data:
                raise RuntimeError(f"{self.kind}: stream closed before its opening frame")
            self.chunks.append((now(), data))
            buf += data
            body = dechunk(buf)[0] if self.chunked else buf
            if b"\n\n" in body:
                break
        if self.kind == "pocketbase":
            frames = frames_with_times(self.chunks, self.chunked)
            for _, f in frames:
                if f.get("event") == b"PB_CONNECT":
                    self.client_id = json.loads(f["data"])["clientId"]
            if not self.client_id:
                raise RuntimeError(f"pocketbase: no PB_CONNECT in {body[:300]!r}")
        self.task = asyncio.create_task(self.pump())

    async def pump(self):
        read, chunks, record = self.reader.read, self.chunks, self.record
        try:
            while True:
                data = await read(65536)
                if not data:
                    break
                if record:
                    chunks.append((now(), data))
        except (ConnectionError, asyncio.CancelledError):
            pass
        except Exception as e:  # noqa: BLE001
            self.error = repr(e)

    def close(self):
        if self.task:
            self.task.cancel()
        if self.writer:
            self.writer.close()


async def open_all(kind, port, auth, n, project, record, subscribe_topic="notes"):
    subs = [Subscriber(kind, port, auth, project, record) for _ in range(n)]
    sem = asyncio.Semaphore(50)

    async def one(s):
        async with sem:
            await s.open()

    await asyncio.wait_for(asyncio.gather(*(one(s) for s in subs)), 120)
    if kind == "pocketbase":
        # Subscribe each clientId, over a few keep-alive connections.
        conns = [Conn(port, auth) for _ in range(min(8, n))]
        for c in conns:
            await c.open()

        async def sub_range(c, part):
            for s in part:
                body = json.dumps({"clientId": s.client_id, "subscriptions": [subscribe_topic]}).encode()
                st, _, b = await c.call("POST", "/api/realtime", body)
                if st != 204:
                    raise RuntimeError(f"pocketbase: POST /api/realtime answered {st}: {b[:300]!r}")

        await asyncio.wait_for(asyncio.gather(
            *(sub_range(c, subs[i::len(conns)]) for i, c in enumerate(conns))), 120)
        for c in conns:
            c.close()
    return subs


# ------------------------------------------------------------------ commands --------


async def cmd_write(a):
    """Sequential POSTs; prints [[id, sent_ns, ack_ns], ...] as JSON."""
    c = Conn(a.port, a.auth)
    await c.open()
    out = []
    interval = a.interval_ms * 1_000_000
    t_next = now()
    for i in range(a.count):
        wait = t_next - now()
        if wait > 0:
            await asyncio.sleep(wait / 1e9)
        sent = now()
        st, _, body = await c.call("POST", a.path, (BODY % (i % 10000, i)).encode())
        ack = now()
        if st != a.status:
            raise SystemExit(f"write {i}: {st} {body[:300]!r}")
        out.append([json.loads(body)["id"], sent, ack])
        t_next = sent + interval
    c.close()
    json.dump(out, sys.stdout)


async def cmd_seed(a):
    conns = [Conn(a.port, a.auth) for _ in range(8)]
    for c in conns:
        await c.open()
    ids = [None] * a.count

    async def part(c, idx):
        for i in idx:
            st, _, body = await c.call("POST", a.path, (BODY % (i + 1, i + 1)).encode())
            if st != a.status:
                raise SystemExit(f"seed {i}: {st} {body[:300]!r}")
            ids[i] = json.loads(body)["id"]

    await asyncio.wait_for(asyncio.gather(*(part(c, range(k, a.count, 8)) for k, c in enumerate(conns))), 300)
    with open(a.ids_out, "w") as f:
        f.write("\n".join(ids) + "\n")


def pct(xs, p):
    if not xs:
        return None
    xs = sorted(xs)
    k = min(len(xs) - 1, max(0, int(round(p / 100 * len(xs) + 0.5)) - 1))
    return xs[k]


async def cmd_latency(a):
    path = ("/v1/projects/bench/collections/notes/items" if a.kind == "depot"
            else "/api/collections/notes/records")
    status = 201 if a.kind == "depot" else 200
    topic = a.topic
    t0 = time.monotonic()
    subs = await open_all(a.kind, a.port, a.auth, a.subscribers, "bench", True, topic)
    opened_s = time.monotonic() - t0
    await asyncio.sleep(0.5)
    # The writer: a process of its own (same CPU as this one, see bench/README.md), so
    # that its answer's time isn't taken only when this loop gets round to it.
    cpu0 = time.process_time()
    server0 = cpu_s(a.pid) if a.pid else None
    w0 = time.monotonic()
    proc = await asyncio.create_subprocess_exec(
        sys.executable, os.path.abspath(__file__), "write", "--port", str(a.port), "--auth", a.auth,
        "--path", path, "--count", str(a.writes), "--interval-ms", str(a.interval_ms),
        "--status", str(status), stdout=asyncio.subprocess.PIPE)
    out, _ = await asyncio.wait_for(proc.communicate(), a.writes * (a.interval_ms / 1000 + 1) + 60)
    if proc.returncode != 0:
        raise SystemExit("writer failed")
    writes = json.loads(out)
    # Wait (bounded) until every subscriber has every write, or 10 s of nothing new.
    want = {w[0] for w in writes}
    deadline = time.monotonic() + 30
    last_total, last_change = -1, time.monotonic()
    while time.monotonic() < deadline:
        total = sum(len(s.chunks) for s in subs)
        if total != last_total:
            last_total, last_change = total, time.monotonic()
        elif time.monotonic() - last_change > 2:
            break
        await asyncio.sleep(0.2)
    busy_s = time.process_time() - cpu0
    wall_s = time.monotonic() - w0
    server_s = cpu_s(a.pid) - server0 if a.pid else None
    for s in subs:
        s.close()
    ack = {w[0]: w[2] for w in writes}
    send = {w[0]: w[1] for w in writes}
    lat, from_send, missing, dup, errors, firsts, lasts = [], [], 0, 0, [], {}, {}
    for s in subs:
        if s.error:
            errors.append(s.error)
        seen = set()
        for t, f in frames_with_times(s.chunks, s.chunked):
            if "data" not in f:
                continue
            m = ID_RE.search(f["data"])
            if a.kind == "pocketbase":
                if b'"action":"create"' not in f["data"]:
                    continue
                m = re.search(rb'"record":\{.*?"id":"([^"]+)"', f["data"])
            elif f.get("event") != b"create":
                continue
            if not m:
                continue
            iid = m.group(1).decode()
            if iid not in want:
                continue
            if iid in seen:
                dup += 1
                continue
            seen.add(iid)
            d = (t - ack[iid]) / 1e6
            lat.append(d)
            from_send.append((t - send[iid]) / 1e6)
            firsts[iid] = min(firsts.get(iid, d), d)
            lasts[iid] = max(lasts.get(iid, d), d)
        missing += len(want - seen)
    rtt = [(w[2] - w[1]) / 1e6 for w in writes]
    spread = [lasts[i] - firsts[i] for i in lasts]
    res = {
        "kind": a.kind, "subscribers": a.subscribers, "writes": len(writes),
        "interval_ms": a.interval_ms, "topic": topic if a.kind == "pocketbase" else None,
        "open_s": round(opened_s, 3),
        "events_expected": len(writes) * a.subscribers, "events": len(lat),
        "missing": missing, "duplicates": dup, "errors": errors[:5],
        "latency_ms": {"p50": pct(lat, 50), "p99": pct(lat, 99), "max": max(lat) if lat else None,
                       "min": min(lat) if lat else None,
                       "negative_share": (sum(1 for x in lat if x < 0) / len(lat)) if lat else None},
        "from_send_ms": {"p50": pct(from_send, 50), "p99": pct(from_send, 99)},
        "first_subscriber_ms": {"p50": pct(list(firsts.values()), 50), "p99": pct(list(firsts.values()), 99)},
        "fanout_spread_ms": {"p50": pct(spread, 50), "p99": pct(spread, 99)},
        "write_rtt_ms": {"p50": pct(rtt, 50), "p99": pct(rtt, 99)},
        "client_cpu_share": round(busy_s / wall_s, 3),
        "server_cpu_s": server_s,
        "server_cpu_ms_per_write": server_s * 1000 / len(writes) if server_s is not None else None,
    }
    with open(a.out, "w") as f:
        json.dump(res, f)
    print(json.dumps(res), file=sys.stderr)


async def cmd_hold(a):
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    async def rss():  # the median of 5 samples over 2 s (PocketBase's GC moves it)
        xs = []
        for _ in range(5):
            xs.append(vmrss_kib(a.pid))
            await asyncio.sleep(0.5)
        return int(statistics.median(xs))

    await asyncio.sleep(1)
    rss0 = await rss()
    t0 = time.monotonic()
    subs = await open_all(a.kind, a.port, a.auth, a.n, a.project, False, a.topic)
    open_s = time.monotonic() - t0
    await asyncio.sleep(3)
    alive = sum(1 for s in subs if not s.task.done())
    rss1 = await rss()
    res = {"kind": a.kind, "streams": a.n, "alive": alive, "open_s": round(open_s, 3),
           "rss0_kib": rss0, "rssN_kib": rss1, "per_stream_kib": (rss1 - rss0) / a.n}
    with open(a.out, "w") as f:
        json.dump(res, f)
    print(json.dumps(res), file=sys.stderr)
    if a.ready:
        open(a.ready, "w").close()
    try:
        await asyncio.wait_for(stop.wait(), a.max_secs)
    except asyncio.TimeoutError:
        pass
    dead = sum(1 for s in subs if s.task.done())
    for s in subs:
        s.close()
    if dead:
        print(f"hold: {dead} of {a.n} streams had closed before the end", file=sys.stderr)
        if a.out:
            res["closed_early"] = dead
            with open(a.out, "w") as f:
                json.dump(res, f)


# ------------------------------------------------------------------ report ----------


def fmt(x, nd=1):
    return "–" if x is None else f"{x:.{nd}f}"


def cmd_report(a):
    rows = [json.loads(l) for l in open(a.results) if l.strip()]
    meta = json.load(open(a.meta))
    lat = [r for r in rows if r["test"] == "latency"]
    mem = [r for r in rows if r["test"] == "memory"]
    idle = [r for r in rows if r["test"] == "idle"]
    md = []
    md.append("# Change feed: depot against PocketBase realtime\n")
    md.append(f"`{meta['command']}`, {meta['started']} – {meta['finished']} (UTC). "
              f"{meta['nproc']} CPUs ({meta['cpu']}), {meta['mem_gib']} GiB, kernel {meta['kernel']}; "
              f"servers on CPU {meta['server_cpus']}, clients on CPU {meta['load_cpu']}; "
              f"load average {meta['loadavg'][0]} at the start, {meta['loadavg'][1]} at the end. "
              f"depot: `{meta['depot_bin']}` (built {meta['depot_built']}); bench scripts at {meta['git']}; "
              f"PocketBase {meta['pocketbase']}.\n")
    md.append("## Commit-to-event latency\n")
    md.append(f"One writer POSTs {lat[0]['writes'] if lat else '?'} items one at a time, "
              f"{lat[0]['interval_ms'] if lat else '?'} ms apart; latency = when a subscriber read the event "
              "− when the writer had the create's answer (ms; negative when the event came first). "
              "p50/p99 over every (write, subscriber) pair. *first* = the first subscriber to get "
              "each event; *spread* = last − first subscriber per event; *from send* = the "
              "event's receipt − when the writer sent the POST (unaffected by whether the server "
              "answers or broadcasts first); *server CPU/write* = the server's utime+stime from the "
              "first write until the events stopped, per write (the write and all its "
              "deliveries); *client CPU* = the subscribers' process's CPU time over the same "
              "wall time (at 1.0 the client, not the server, would set the pace).\n")
    md.append("| server | subscribers | p50 | p99 | max | from send p50 / p99 | first p50 | spread p99 | events (missing) | write RTT p50 | server CPU/write | client CPU |")
    md.append("|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|")
    for r in lat:
        L = r["latency_ms"]
        md.append(f"| {r['kind']} | {r['subscribers']:,} | {fmt(L['p50'], 2)} | {fmt(L['p99'], 2)} | "
                  f"{fmt(L['max'], 1)} | {fmt(r['from_send_ms']['p50'], 2)} / {fmt(r['from_send_ms']['p99'], 2)} | "
                  f"{fmt(r['first_subscriber_ms']['p50'], 2)} | "
                  f"{fmt(r['fanout_spread_ms']['p99'], 1)} | {r['events']:,} ({r['missing']}) | "
                  f"{fmt(r['write_rtt_ms']['p50'], 2)} | {fmt(r.get('server_cpu_ms_per_write'), 2)} ms | "
                  f"{r['client_cpu_share']:.2f} |")
    md.append("\n## Memory per idle stream\n")
    md.append("VmRSS of the server with no stream, then with the streams open for 3 s.\n")
    md.append("| server | streams | VmRSS before | VmRSS with streams | per stream |")
    md.append("|---|--:|--:|--:|--:|")
    for r in mem:
        md.append(f"| {r['kind']} | {r['alive']:,} of {r['streams']:,} | {r['rss0_kib'] / 1024:.1f} MiB | "
                  f"{r['rssN_kib'] / 1024:.1f} MiB | {r['per_stream_kib']:.1f} KiB |")
    if idle:
        md.append("\n## Idle streams and normal traffic (depot)\n")
        md.append("`wrk -t1 -c32` (bench/wrk/bench.lua) on project `bench`, without and with idle "
                  "streams open on project `idle` (which gets no events); runs alternate, "
                  "median of the runs; ratio = with / without.\n")
        md.append("*CPU/request* = the server's utime+stime over the run / wrk's requests "
                  "(steadier than req/s on a shared machine).\n")
        md.append("| workload | without (req/s) | with streams (req/s) | ratio | CPU/request without → with | runs without | runs with |")
        md.append("|---|--:|--:|--:|--:|---|---|")
        summary = {}
        for w in ("get", "post"):
            wo = [r["ok_per_s"] for r in idle if r["workload"] == w and r["streams"] == 0]
            wi = [r["ok_per_s"] for r in idle if r["workload"] == w and r["streams"] > 0]
            if not wo or not wi:
                continue
            m0, m1 = statistics.median(wo), statistics.median(wi)
            c0 = statistics.median(r.get("server_cpu_us_per_req", 0) for r in idle if r["workload"] == w and r["streams"] == 0)
            c1 = statistics.median(r.get("server_cpu_us_per_req", 0) for r in idle if r["workload"] == w and r["streams"] > 0)
            summary[w] = {"without": m0, "with": m1, "ratio": m1 / m0, "cpu_us_without": c0, "cpu_us_with": c1}
            md.append(f"| {w.upper()} c32 | {m0:,.0f} | {m1:,.0f} | {m1 / m0:.2f} | {c0:.1f} → {c1:.1f} µs | "
                      f"{', '.join(f'{x / 1000:.1f} k' for x in wo)} | {', '.join(f'{x / 1000:.1f} k' for x in wi)} |")
        meta["idle_summary"] = summary
    with open(a.md, "w") as f:
        f.write("\n".join(md) + "\n")
    with open(a.json, "w") as f:
        json.dump({"meta": meta, "latency": lat, "memory": mem, "idle": idle}, f, indent=1)
    print("\n".join(md))


def cmd_tag(a):
    """One result file -> one line of results.jsonl (with its test), a summary on stderr."""
    r = json.load(open(a.file))
    r["test"] = a.test
    print(json.dumps(r))
    if a.test == "latency":
        L = r["latency_ms"]
        print(f"  {r['kind']} {r['subscribers']} subscribers: p50 {fmt(L['p50'], 2)} ms, p99 {fmt(L['p99'], 2)} ms, "
              f"max {fmt(L['max'])} ms; {r['events']} events, {r['missing']} missing; "
              f"client CPU {r['client_cpu_share']}", file=sys.stderr)
    else:
        print(f"  {r['kind']}: VmRSS {r['rss0_kib']} KiB -> {r['rssN_kib']} KiB with {r['alive']} of "
              f"{r['streams']} streams: {r['per_stream_kib']:.1f} KiB per stream", file=sys.stderr)


def cmd_wrk(a):
    """wrk's BENCH_JSON object on stdin -> "ok/s non-2xx p99_ms server_cpu_us_per_request"."""
    o = json.load(sys.stdin)
    ok = sum(n for st, n in o["status"].items() if 200 <= int(st) < 300)
    bad = sum(n for st, n in o["status"].items() if not 200 <= int(st) < 300)
    bad += sum(o["errors"].values())
    us = a.cpu_ticks / os.sysconf("SC_CLK_TCK") * 1e6 / max(1, o["requests"])
    print(f"{ok / o['duration_s']:.1f} {bad} {o['latency_ms']['all']['p99']} {us:.2f}")


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sp = p.add_subparsers(dest="cmd", required=True)
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--port", type=int, default=0)
    common.add_argument("--auth", default="")
    w = sp.add_parser("write", parents=[common])
    w.add_argument("--path", required=True)
    w.add_argument("--count", type=int, required=True)
    w.add_argument("--interval-ms", type=float, default=20)
    w.add_argument("--status", type=int, default=201)
    s = sp.add_parser("seed", parents=[common])
    s.add_argument("--path", required=True)
    s.add_argument("--count", type=int, required=True)
    s.add_argument("--ids-out", required=True)
    s.add_argument("--status", type=int, default=201)
    l = sp.add_parser("latency", parents=[common])
    l.add_argument("--kind", choices=["depot", "pocketbase"], required=True)
    l.add_argument("--subscribers", type=int, required=True)
    l.add_argument("--writes", type=int, default=200)
    l.add_argument("--interval-ms", type=float, default=20)
    l.add_argument("--topic", default="notes")
    l.add_argument("--pid", type=int, default=0, help="the server's, for its CPU time")
    l.add_argument("--out", required=True)
    h = sp.add_parser("hold", parents=[common])
    h.add_argument("--kind", choices=["depot", "pocketbase"], required=True)
    h.add_argument("--n", type=int, required=True)
    h.add_argument("--pid", type=int, required=True)
    h.add_argument("--project", default="idle")
    h.add_argument("--topic", default="notes")
    h.add_argument("--ready", default="")
    h.add_argument("--max-secs", type=float, default=300)
    h.add_argument("--out", required=True)
    r = sp.add_parser("report")
    r.add_argument("--results", required=True)
    r.add_argument("--meta", required=True)
    r.add_argument("--md", required=True)
    r.add_argument("--json", required=True)
    t = sp.add_parser("tag")
    t.add_argument("--test", required=True)
    t.add_argument("file")
    wk = sp.add_parser("wrk")
    wk.add_argument("--cpu-ticks", type=int, default=0, help="the server's CPU ticks during the run")
    a = p.parse_args()
    if a.cmd == "tag":
        return cmd_tag(a)
    if a.cmd == "wrk":
        return cmd_wrk(a)
    if a.cmd == "report":
        return cmd_report(a)
    fn = {"write": cmd_write, "seed": cmd_seed, "latency": cmd_latency, "hold": cmd_hold}[a.cmd]
    asyncio.run(fn(a))


if __name__ == "__main__":
    main()
