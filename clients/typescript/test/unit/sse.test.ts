// The SSE parser fed awkward chunks, and a change stream against a tiny fake SSE server
// (node:http) that drops connections, ends streams and refuses a token: the stream must
// resume each time from the right Last-Event-ID, with a fresh token when refused.

import assert from "node:assert/strict";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { test } from "node:test";
import { DepotClient, GoneError, SseParser, type ChangeEvent, type SseEvent } from "../../src/index.js";

function feed(parser: SseParser, chunks: string[]): SseEvent[] {
  return chunks.flatMap((c) => parser.push(c));
}

test("frames split anywhere, with any line end, parse to the same events", () => {
  const text = "retry: 1000\nid: 7.0\n\n: keep-alive\nid: 7.1\nevent: create\ndata: {\"a\":1}\n\nevent: end\ndata: x\ndata: y\n\n";
  const want: SseEvent[] = [
    { event: "create", data: '{"a":1}', id: "7.1" },
    { event: "end", data: "x\ny", id: "7.1" },
  ];
  for (const eol of ["\n", "\r\n", "\r"]) {
    const t = text.replaceAll("\n", eol);
    for (let cut = 0; cut <= t.length; cut++) {
      const parser = new SseParser();
      assert.deepEqual(feed(parser, [t.slice(0, cut), t.slice(cut)]), want, `cut at ${cut} with ${JSON.stringify(eol)}`);
      assert.equal(parser.retryMs, 1000);
    }
    const parser = new SseParser();
    assert.deepEqual(feed(parser, [...t]), want, "one character at a time");
  }
});

test("a bare id frame moves lastEventId without an event; comments and unknown fields are ignored", () => {
  const parser = new SseParser();
  assert.deepEqual(parser.push("\uFEFFid: 3.9\n\n:comment\nfoo: bar\nretry: soon\n"), []);
  assert.equal(parser.lastEventId, "3.9");
  assert.equal(parser.retryMs, undefined);
  assert.deepEqual(parser.push("data\n\n"), [{ event: "message", data: "", id: "3.9" }]);
  assert.deepEqual(parser.push("id\ndata:no space\n\n"), [{ event: "message", data: "no space", id: "" }]);
  assert.deepEqual(parser.push("id: a\0b\ndata: kept\n\n"), [{ event: "message", data: "kept", id: "" }]);
});

interface Seen {
  lastEventId: string | undefined;
  authorization: string | undefined;
  since: string | null;
}

/** A fake depot: `/oauth/token` hands out t1, t2, ...; each stream request runs the next script. */
async function fakeServer(scripts: Array<(res: ServerResponse, req: IncomingMessage) => void>) {
  const seen: Seen[] = [];
  let tokens = 0;
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://x");
    if (url.pathname === "/oauth/token") {
      tokens++;
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ access_token: `t${tokens}`, token_type: "Bearer", expires_in: 3600, scope: "admin" }));
      return;
    }
    seen.push({
      lastEventId: req.headers["last-event-id"] as string | undefined,
      authorization: req.headers.authorization,
      since: url.searchParams.get("since"),
    });
    const script = scripts.shift();
    if (!script) return void res.destroy();
    script(res, req);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    seen,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

const sse = (res: ServerResponse) =>
  res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-store" });
const event = (cursor: string, op = "create") =>
  `id: ${cursor}\nevent: ${op}\ndata: ${JSON.stringify({ cursor, op, collection: "notes", id: `i${cursor}`, version: 1, at: "2026-01-01T00:00:00Z" })}\n\n`;

/** Writes `chunks` one by one, each on its own turn of the event loop. */
function trickle(res: ServerResponse, chunks: string[], then: () => void): void {
  const next = () => {
    const chunk = chunks.shift();
    if (chunk === undefined) return then();
    res.write(chunk);
    setTimeout(next, 5);
  };
  next();
}

test("a stream resumes after a drop, an end event and a refused token, from the right cursor", async () => {
  const ev11 = event("1.1").replaceAll("\n", "\r\n");
  const server = await fakeServer([
    // 1: the open frame, a keep-alive, then the connection drops before any event.
    (res) => {
      sse(res);
      trickle(res, ["retry: 5\r\nid: 1.0\r\n\r\n", ": keep-alive\r\n"], () => res.destroy());
    },
    // 2: one event split mid-line and mid-CRLF, then `event: end` whose cursor is past it.
    (res) => {
      sse(res);
      const end = 'event: end\ndata: {"reason":"token_expired","cursor":"1.2"}\n\n';
      trickle(res, ["id: 1.1\n\n", ev11.slice(0, 9), ev11.slice(9, 40), ev11.slice(40, -1), ev11.slice(-1), end], () =>
        res.end(),
      );
    },
    // 3: the token is refused, so the client fetches a new one and connects again.
    (res) => {
      res.writeHead(401, { "content-type": "application/json", "www-authenticate": 'Bearer realm="depot", error="invalid_token"' });
      res.end(JSON.stringify({ code: 401, message: "the token has expired" }));
    },
    // 4: an event, and the stream stays open.
    (res) => {
      sse(res);
      res.write("id: 1.2\n\n" + event("1.3", "update"));
    },
  ]);
  const delays: number[] = [];
  const depot = new DepotClient({
    baseUrl: server.baseUrl,
    credentials: { clientId: "id", clientSecret: "secret" },
    sleep: async (ms) => void delays.push(ms),
  });
  const reasons: string[] = [];
  const stream = depot.changes.stream("p", { since: "oldest", onReconnect: (r) => reasons.push(r.reason) });
  const got: ChangeEvent[] = [];
  for await (const e of stream) {
    got.push(e);
    if (got.length === 2) break;
  }
  await server.close();

  assert.deepEqual(got.map((e) => [e.cursor, e.op]), [["1.1", "create"], ["1.3", "update"]]);
  assert.equal(stream.lastEventId, "1.3");
  assert.deepEqual(
    server.seen.map((s) => [s.lastEventId, s.since, s.authorization]),
    [
      [undefined, "oldest", "Bearer t1"],
      ["1.0", "1.0", "Bearer t1"],
      ["1.2", "1.2", "Bearer t1"],
      ["1.2", "1.2", "Bearer t2"],
    ],
  );
  assert.equal(reasons.length, 2);
  assert.equal(reasons[1], "end:token_expired");
  assert.ok(delays[0]! >= 5, `the drop waited the server's retry (${delays[0]} ms)`);
  assert.equal(delays.length, 1, "an end event reconnects at once");
});

test("a 503 on connect is retried with backoff; a 410 ends the stream with GoneError", async () => {
  const server = await fakeServer([
    (res) => {
      res.writeHead(503, { "content-type": "application/json", "retry-after": "2" });
      res.end(JSON.stringify({ code: 503, message: "too many streams" }));
    },
    (res) => {
      res.writeHead(410, { "content-type": "application/json" });
      res.end(JSON.stringify({ code: 410, message: "resume from since=oldest or the current end" }));
    },
  ]);
  const delays: number[] = [];
  const depot = new DepotClient({ baseUrl: server.baseUrl, credentials: { token: "tok" }, sleep: async (ms) => void delays.push(ms) });
  const stream = depot.changes.stream("p", { since: "9.9" });
  await assert.rejects(async () => {
    for await (const _ of stream) assert.fail("no event expected");
  }, GoneError);
  await server.close();
  assert.equal(server.seen.length, 2);
  assert.ok(delays[0]! >= 2000, `Retry-After honoured (${delays[0]} ms)`);
});

test("close() ends a waiting stream without an error", async () => {
  const server = await fakeServer([(res) => void sse(res)]);
  const depot = new DepotClient({ baseUrl: server.baseUrl, credentials: { token: "tok" } });
  const stream = depot.changes.stream("p");
  setTimeout(() => stream.close(), 50);
  const got: unknown[] = [];
  for await (const e of stream) got.push(e);
  await server.close();
  assert.deepEqual(got, []);
});

test("eventSourceUrl carries a fresh ticket and the query, never the token", async () => {
  const seen: string[] = [];
  const server = createServer((req, res) => {
    seen.push(`${req.method} ${req.url} ${req.headers.authorization}`);
    res.writeHead(201, { "content-type": "application/json" });
    res.end(JSON.stringify({ ticket: "dpt_abc+/", expires_in: 60 }));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const depot = new DepotClient({ baseUrl: base, credentials: { token: "secret-token" } });
  const url = await depot.changes.eventSourceUrl("my proj", { since: "oldest", collections: ["a", "b"], includeItem: true });
  server.close();
  assert.equal(url, `${base}/v1/projects/my%20proj/changes?since=oldest&collections=a%2Cb&include=item&ticket=dpt_abc%2B%2F`);
  assert.ok(!url.includes("secret-token"));
  assert.deepEqual(seen, ["POST /v1/projects/my%20proj/changes/tickets Bearer secret-token"]);
});
