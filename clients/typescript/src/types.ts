// The public resource types: thin names over the types generated from the server's
// OpenAPI document (src/generated/openapi.ts).
//
// They are reached through *operations* (getProject's 200 body), not through schema
// names, because operation ids are the stable part of the document: schema names change
// when the document is tidied (`Client` became `OAuthClient`, `Page_Project` became
// `ProjectPage`, the DELETE body got its own `Deleted`) while what a route answers does
// not. Where the generated type is awkward for a caller (a JSON Schema typed as a
// record) the type here says what the contract promises, and
// test/unit/types.test.ts fails to compile when the two drift apart.

import type { operations } from "./generated/openapi.js";

/** Any JSON value. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/**
 * A JSON object. Members are `unknown` rather than JsonValue so that a caller's own
 * interfaces (which have no index signature) are accepted where an object is.
 */
export type JsonObject = { [key: string]: unknown };

/** A JSON Schema (draft 2020-12): an object or a boolean. */
export type JsonSchema = JsonObject | boolean;

type JsonContent<R> = R extends { content: { "application/json": infer T } } ? T : never;

/** The JSON body of an operation's answer with status S. */
export type ResponseBody<
  Op extends keyof operations,
  S extends keyof operations[Op]["responses"],
> = JsonContent<operations[Op]["responses"][S]>;

/** The JSON request body of an operation. */
export type RequestBody<Op extends keyof operations> = JsonContent<
  NonNullable<operations[Op]["requestBody"]>
>;

/** The server reads these members of a create/update body and ignores them. */
type Ignored = "created_at" | "updated_at";

/** A project: `name`, free-form `metadata`, timestamps. */
export type Project = ResponseBody<"getProject", 200>;
/** The body of `POST /v1/projects`. */
export type NewProject = Omit<RequestBody<"createProject">, Ignored>;

/** A collection: its project, name, JSON Schema (or null) and timestamps. */
export type Collection = Omit<ResponseBody<"getCollection", 200>, "schema"> & {
  schema: JsonSchema | null;
};
/**
 * The body of `POST /v1/projects/{project}/collections`. `indexes`: paths a list may
 * sort on, and whose comparisons are served from an index (at most 16).
 */
export type NewCollection = { name: string; schema?: JsonSchema | null; indexes?: string[] };

/** The answer of a count: `exact` is false when counting stopped at the server's budget. */
export type ItemCount = ResponseBody<"countItems", 200>;

/**
 * The members the server owns and adds to every item it returns. (From a create's
 * answer, which is always a whole item; a read with `fields`, which this client does not
 * send yet, may answer part of one.)
 */
export type ItemMeta = Pick<
  ResponseBody<"createItem", 201>,
  "id" | "created_at" | "updated_at" | "version"
>;

/**
 * A stored item: the caller's members `T` plus the server-owned ones. `T` defaults to
 * any JSON object; give your own interface for typed items: `depot.items<Todo>(...)`.
 */
export type Item<T extends object = JsonObject> = T & ItemMeta;

/** A list page. `next_cursor` is null on the last page; pass it as `cursor` otherwise. */
export interface Page<T> {
  data: T[];
  next_cursor: string | null;
}

/** An OAuth client as `/v1/clients` shows it (its secret only when just created). */
export type OAuthClient = ResponseBody<"getClient", 200>;
/** The answer to creating an OAuth client: the only one that shows `client_secret`. */
export type CreatedOAuthClient = OAuthClient & { client_secret: string };
/** The body of `POST /v1/clients`. */
export type NewOAuthClient = RequestBody<"createClient">;
/**
 * A client's own rate limit (`rate_limit` on an OAuth client; null for none, when the
 * server's `--client-rate` applies): `per_second` requests a second, `burst` at once.
 * On create `burst` may be left out (twice the rate).
 */
export type RateLimit = NonNullable<OAuthClient["rate_limit"]>;

/** The maintenance switch. */
export type Maintenance = ResponseBody<"getMaintenance", 200>;
/** The body of `PUT /v1/admin/maintenance`; `retry_after` unchanged if left out. */
export type MaintenanceUpdate = RequestBody<"setMaintenance">;

/** An RFC 6749 §5.1 access token response. */
export type TokenResponse = ResponseBody<"issueToken", 200>;

/** The error envelope every non-2xx answer carries. */
export interface ErrorBody {
  code: number;
  message: string;
  details?: JsonObject | null;
}
