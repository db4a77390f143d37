// Every typed method sends the method, path, headers and body the contract names, and
// decodes the answer.

import assert from "node:assert/strict";
import { after, test } from "node:test";
import { DepotClient, NotFoundError, PreconditionFailedError, etagOf } from "../../src/index.js";
import { envelope, ScriptedServer, type Scripted } from "../support/scripted.js";

const servers: ScriptedServer[] = [];
after(() => Promise.all(servers.map((s) => s.close())));

async function setup(answers: Scripted[], credentials: ConstructorParameters<typeof DepotClient>[0]["credentials"] = { token: "t" }) {
  const server = await ScriptedServer.start(answers, { repeatLast: false });
  servers.push(server);
  return { server, depot: new DepotClient({ baseUrl: `${server.baseUrl}/`, credentials }) };
}

const ok = (json: unknown = {}): Scripted => ({ status: 200, json });
const deleted = ok({ code: 200, message: "deleted" });
const item = { id: "0190a0a0-0000-7000-8000-000000000001", created_at: "t", updated_at: "t", version: 3, title: "x" };

test("project routes", async () => {
  const { server, depot } = await setup([ok({ data: [], next_cursor: null }), { status: 201, json: {} }, ok(), ok(), deleted]);
  assert.deepEqual(await depot.projects.list({ limit: 5, cursor: "a b+" }), { data: [], next_cursor: null });
  await depot.projects.create({ name: "notes", metadata: { owner: "ops" } });
  await depot.projects.get("notes");
  await depot.projects.update("notes", { tier: 2 });
  assert.equal(await depot.projects.delete("notes"), undefined);
  assert.deepEqual(server.seen.map((s) => [s.method, s.path, s.body]), [
    ["GET", "/v1/projects?limit=5&cursor=a%20b%2B", ""],
    ["POST", "/v1/projects", '{"name":"notes","metadata":{"owner":"ops"}}'],
    ["GET", "/v1/projects/notes", ""],
    ["PUT", "/v1/projects/notes", '{"metadata":{"tier":2}}'],
    ["DELETE", "/v1/projects/notes", ""],
  ]);
  assert.ok(server.seen.every((s) => s.header("accept") === "application/json"));
});

test("collection routes", async () => {
  const { server, depot } = await setup([ok({ data: [], next_cursor: null }), { status: 201, json: {} }, ok(), ok(), deleted]);
  await depot.collections.list("p");
  await depot.collections.create("p", { name: "todo" });
  await depot.collections.get("p", "todo");
  await depot.collections.updateSchema("p", "todo", { type: "object", required: ["title"] });
  await depot.collections.delete("p", "todo");
  assert.deepEqual(server.seen.map((s) => [s.method, s.path, s.body]), [
    ["GET", "/v1/projects/p/collections", ""],
    ["POST", "/v1/projects/p/collections", '{"name":"todo","schema":null}'],
    ["GET", "/v1/projects/p/collections/todo", ""],
    ["PUT", "/v1/projects/p/collections/todo", '{"schema":{"type":"object","required":["title"]}}'],
    ["DELETE", "/v1/projects/p/collections/todo", ""],
  ]);
});

test("item routes with conditional headers and a merge patch", async () => {
  const { server, depot } = await setup([{ status: 201, json: item }, ok(item), { status: 304, headers: { etag: '"3"' } }, ok(item), ok(item), ok(item), deleted]);
  const todos = depot.items<{ title: string; done?: boolean }>("p", "c/d");
  const created = await todos.create({ title: "x" });
  assert.equal(created.version, 3);
  assert.equal((await todos.get(item.id)).title, "x");
  assert.equal(await todos.getIfChanged(item.id, created), undefined, "304: the copy is current");
  assert.deepEqual(await todos.getIfChanged(item.id, '"2"'), item);
  await todos.replace(item.id, { title: "y" }, { ifMatch: created });
  await todos.patch(item.id, { done: null }, { ifMatch: '"3"' });
  await todos.delete(item.id, { ifMatch: "*" });
  const base = "/v1/projects/p/collections/c%2Fd/items";
  const one = `${base}/${item.id}`;
  assert.deepEqual(server.seen.map((s) => [s.method, s.path, s.header("if-match") ?? s.header("if-none-match") ?? null]), [
    ["POST", base, null],
    ["GET", one, null],
    ["GET", one, '"3"'],
    ["GET", one, '"2"'],
    ["PUT", one, '"3"'],
    ["PATCH", one, '"3"'],
    ["DELETE", one, "*"],
  ]);
  assert.equal(server.seen[5]!.header("content-type"), "application/merge-patch+json");
  assert.equal(server.seen[5]!.body, '{"done":null}');
  assert.equal(etagOf({ version: 12 }), '"12"');
});

test("a 412 on a stale if-match is a precondition error", async () => {
  const { depot } = await setup([envelope(412, "the item changed")]);
  await assert.rejects(depot.items("p", "c").replace(item.id, {}, { ifMatch: '"1"' }), PreconditionFailedError);
});

test("iterate walks every page with the cursor it was given", async () => {
  const { server, depot } = await setup([
    ok({ data: [item], next_cursor: "c1" }),
    ok({ data: [item, item], next_cursor: "c 2" }),
    ok({ data: [], next_cursor: null }),
  ]);
  const ids: string[] = [];
  for await (const it of depot.items("p", "c").iterate({ limit: 2 })) ids.push(it.id);
  assert.equal(ids.length, 3);
  assert.deepEqual(server.seen.map((s) => s.path.split("?")[1]), ["limit=2", "limit=2&cursor=c1", "limit=2&cursor=c%202"]);
});

test("oauth client, maintenance and revoke routes", async () => {
  const { server, depot } = await setup(
    [ok({ data: [], next_cursor: null }), { status: 201, json: { client_id: "c", client_secret: "s" } }, ok(), deleted, ok(), ok(), ok()],
    { clientId: "id", clientSecret: "secret" },
  );
  await depot.clients.list();
  const created = await depot.clients.create({ name: "app", scopes: ["project:demo:write"] });
  assert.equal(created.client_secret, "s");
  await depot.clients.get("dpc_1");
  await depot.clients.delete("dpc_1");
  await depot.maintenance.get();
  await depot.maintenance.set({ enabled: true, retry_after: 30 });
  await depot.oauth.logout();
  assert.deepEqual(server.seen.map((s) => [s.method, s.path, s.body]), [
    ["GET", "/v1/clients", ""],
    ["POST", "/v1/clients", '{"name":"app","scopes":["project:demo:write"]}'],
    ["GET", "/v1/clients/dpc_1", ""],
    ["DELETE", "/v1/clients/dpc_1", ""],
    ["GET", "/v1/admin/maintenance", ""],
    ["PUT", "/v1/admin/maintenance", '{"enabled":true,"retry_after":30}'],
    ["POST", "/oauth/revoke", "token=tok-1"],
  ]);
  const revoke = server.seen[6]!;
  assert.equal(revoke.header("authorization"), "Basic aWQ6c2VjcmV0");
  assert.equal(revoke.header("idempotency-key"), undefined, "the OAuth endpoints take no key");
  await depot.oauth.logout();
  assert.equal(server.seen.length, 7, "nothing cached, nothing to revoke");
});

test("path segments are encoded so an odd name reaches the server intact", async () => {
  const { server, depot } = await setup([envelope(404, "no such project")]);
  await assert.rejects(depot.projects.get("../admin?x#y"), NotFoundError);
  assert.equal(server.seen[0]!.path, "/v1/projects/..%2Fadmin%3Fx%23y");
});

test("the oauth endpoints refuse to run without client credentials", async () => {
  const { server, depot } = await setup([ok()]);
  await assert.rejects(depot.oauth.revoke("x"), TypeError);
  assert.equal(server.seen.length, 0);
});

test("a base url with a query or another scheme is refused", () => {
  assert.throws(() => new DepotClient({ baseUrl: "http://h/?x=1" }), TypeError);
  assert.throws(() => new DepotClient({ baseUrl: "ftp://h" }), TypeError);
  assert.throws(() => new DepotClient({ baseUrl: "not a url" }), TypeError);
});
