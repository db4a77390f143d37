// What a reader who runs openapi-typescript (default options) on the document writes:
// it must type-check without a cast. scripts/openapi-lint.sh generates ./openapi.d.ts
// beside a copy of this file and runs tsc on both. Before the document declared
// `additionalProperties` on free-form objects, each assignment below was TS2322
// (`Record<string, never>`).

import type { components, operations } from "./openapi";

type Schemas = components["schemas"];

export const project: Schemas["NewProject"] = { name: "demo", metadata: { owner: "ops", tier: 2 } };
export const update: Schemas["ProjectUpdate"] = { name: "demo", metadata: {} };
export const collection: Schemas["NewCollection"] = {
  name: "notes",
  schema: { type: "object", required: ["title"], properties: { title: { type: "string" } } },
  indexes: ["priority", "address.city"],
};
export const noSchema: Schemas["CollectionUpdate"] = { schema: null, name: "notes", project: "demo" };
export const item: Schemas["ItemBody"] = { title: "buy milk", done: false, tags: ["home"] };
export const patch: Schemas["ItemPatch"] = { done: true, note: null };
export const client: Schemas["NewClient"] = { name: "app", scopes: ["project:demo:write"] };

// Answers: free-form members can be read, pages hold their resource's type and always
// have next_cursor, a DELETE answers its own schema.
export function read(
  stored: Schemas["Item"],
  page: Schemas["ItemPage"],
  clients: Schemas["OAuthClientPage"],
  error: Schemas["ErrorBody"],
  deleted: Schemas["Deleted"],
): unknown[] {
  const title: unknown = stored["title"];
  const cursor: string | null = page.next_cursor;
  const first: Schemas["Item"] | undefined = page.data[0];
  const owner: Schemas["OAuthClient"] | undefined = clients.data[0];
  const missing: unknown = error.details?.["missing"];
  const code: 200 = deleted.code;
  return [title, cursor, first, owner, missing, code];
}

type Json<R> = R extends { content: { "application/json": infer T } } ? T : never;
export type Health = Json<operations["healthz"]["responses"][200]>;
export const healthy: Health = { status: "ok" };
