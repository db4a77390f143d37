// The hand-written public types against the ones generated from the OpenAPI document.
// These checks happen at compile time: when the document changes so that a public type
// no longer says what the server sends, `tsc` (and so this suite) fails here, naming the
// type. The runtime test only makes the file visible in the test report.

import assert from "node:assert/strict";
import { test } from "node:test";
import type {
  Collection,
  CreatedOAuthClient,
  Item,
  Maintenance,
  NewCollection,
  NewOAuthClient,
  NewProject,
  OAuthClient,
  Page,
  Project,
  RateLimit,
  RequestBody,
  ResponseBody,
  TokenResponse,
  components,
} from "../../src/index.js";

/** Compiles only when A is assignable to B. */
type Assignable<A, B> = [A] extends [B] ? true : false;
const check = <T extends true>(): T => true as T;

// What the server sends fits the public types...
check<Assignable<ResponseBody<"getProject", 200>, Project>>();
check<Assignable<ResponseBody<"getCollection", 200>, Collection>>();
check<Assignable<ResponseBody<"createItem", 201>, Item>>();
check<Assignable<ResponseBody<"replaceItem", 200>, Item>>();
check<Assignable<ResponseBody<"patchItem", 200>, Item>>();
// (A read answers a whole item unless asked for `fields`, which this client doesn't send.)
check<Assignable<Item, ResponseBody<"getItem", 200>>>();
check<Assignable<ResponseBody<"getClient", 200>, OAuthClient>>();
check<Assignable<ResponseBody<"getMaintenance", 200>, Maintenance>>();
check<Assignable<ResponseBody<"issueToken", 200>, TokenResponse>>();
check<Assignable<ResponseBody<"listProjects", 200>["data"][number], Project>>();
check<Assignable<ResponseBody<"listCollections", 200>["data"][number], Collection>>();
check<Assignable<Item, ResponseBody<"listItems", 200>["data"][number]>>();
check<Assignable<ResponseBody<"listClients", 200>["data"][number], OAuthClient>>();
check<Assignable<ResponseBody<"createClient", 201>, OAuthClient>>();
// ...every page has its cursor, a string or null...
check<Assignable<ResponseBody<"listProjects", 200>["next_cursor"], Page<Project>["next_cursor"]>>();
check<Assignable<ResponseBody<"listCollections", 200>["next_cursor"], Page<Collection>["next_cursor"]>>();
check<Assignable<ResponseBody<"listItems", 200>["next_cursor"], Page<Item>["next_cursor"]>>();
check<Assignable<components["schemas"]["ItemPage"]["data"][number], Item>>();
check<Assignable<ResponseBody<"listClients", 200>["next_cursor"], Page<OAuthClient>["next_cursor"]>>();
// ...and what the client sends fits what the document asks for.
check<Assignable<NewProject, RequestBody<"createProject">>>();
check<Assignable<NewCollection, RequestBody<"createCollection">>>();
check<Assignable<NewOAuthClient, RequestBody<"createClient">>>();
check<Assignable<{ metadata: Project["metadata"] }, RequestBody<"updateProject">>>();
check<Assignable<{ schema: Collection["schema"] }, RequestBody<"updateCollection">>>();
check<Assignable<CreatedOAuthClient, OAuthClient>>();
// A client's rate limit as shown can be sent back on a create.
check<Assignable<RateLimit, NonNullable<RequestBody<"createClient">["rate_limit"]>>>();
check<Assignable<OAuthClient["rate_limit"], RequestBody<"createClient">["rate_limit"]>>();
// A typed item keeps the caller's members and adds the server's.
check<Assignable<Item<{ title: string }>, { title: string; id: string; version: number }>>();

test("the public types match the generated ones (checked by the compiler)", () => {
  assert.equal(check<Assignable<Item<{ n: 1 }>, { n: 1 }>>(), true);
});
