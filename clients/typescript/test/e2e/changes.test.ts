// The change feed (§9) against the real server. The feed is being built on another
// branch: until the server has it, `/changes` answers 404 and these tests skip, loudly.

import assert from "node:assert/strict";
import { after, before, describe, test, type TestContext } from "node:test";
import { DepotClient, field, type ChangeEvent } from "../../src/index.js";
import { ADMIN, skipReason, startDepot, type RunningDepot } from "../support/depot.js";

const skip = skipReason();

describe("the change feed against depot serve", { skip }, () => {
  let server: RunningDepot;
  let depot: DepotClient;
  let missing: string | undefined;

  before(async () => {
    server = await startDepot();
    depot = new DepotClient({ baseUrl: server.baseUrl, credentials: ADMIN });
    await depot.projects.create({ name: "feed" });
    await depot.collections.create("feed", { name: "notes" });
    const probe = await depot.request("GET", "/v1/projects/feed/changes");
    if (probe.status === 404) {
      missing = "the server answers 404 for /v1/projects/{p}/changes: the change feed is not merged yet";
      process.stderr.write(`\n*** SKIPPING the change-feed e2e tests: ${missing} ***\n\n`);
    }
  });
  after(() => server?.stop());

  const skipIfMissing = (t: TestContext) => {
    if (missing) t.skip(missing);
    return missing !== undefined;
  };

  test("a stream sees each write once, in order, and poll pages agree", async (t) => {
    if (skipIfMissing(t)) return;
    const notes = depot.items("feed", "notes");
    const start = (await depot.changes.poll("feed", { limit: 1 })).next_cursor;
    const stream = depot.changes.stream("feed", { since: start, includeItem: true });
    const got: ChangeEvent[] = [];
    const reading = (async () => {
      for await (const e of stream) {
        got.push(e);
        if (got.length === 4) break;
      }
    })();
    const a = await notes.create({ title: "a" });
    const b = await notes.create({ title: "b" });
    await notes.patch(a.id, { title: "a2" });
    await notes.delete(b.id);
    await reading;
    assert.deepEqual(
      got.map((e) => [e.op, e.id]),
      [
        ["create", a.id],
        ["create", b.id],
        ["update", a.id],
        ["delete", b.id],
      ],
    );
    assert.deepEqual(got.slice(0, 3).map((e) => e.version), [1, 1, 2]);
    assert.equal((got[2]!.item as { title?: string }).title, "a2");
    assert.equal(stream.lastEventId, got[3]!.cursor);

    const page = await depot.changes.poll("feed", { since: start, filter: field("title").eq("a2"), includeItem: true });
    assert.deepEqual(page.data.map((e) => e.op), ["update"]);
    const all = await depot.changes.poll("feed", { since: start, collections: ["notes"] });
    assert.deepEqual(all.data.map((e) => e.cursor), got.map((e) => e.cursor));
  });

  test("a ticket opens one stream without a token, once", async (t) => {
    if (skipIfMissing(t)) return;
    const url = await depot.changes.eventSourceUrl("feed", { since: "oldest" });
    const controller = new AbortController();
    const first = await fetch(url, { headers: { accept: "text/event-stream" }, signal: controller.signal });
    assert.equal(first.status, 200);
    assert.match(first.headers.get("content-type") ?? "", /^text\/event-stream/);
    controller.abort();
    const again = await fetch(url, { headers: { accept: "text/event-stream" } });
    assert.equal(again.status, 401);
    await again.text();
  });
});
