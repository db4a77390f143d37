// What every resource API shares: typed calls over `DepotClient.request`, path
// segments, and list pages.

import { formEncode } from "../auth.js";
import type { DepotClient, RawRequest, RequestOptions } from "../client.js";
import type { Page } from "../types.js";

/** Options of a list call. */
export interface ListOptions extends RequestOptions {
  /** Entries per page, 1 to 1000 (the server's default: 50). */
  limit?: number | undefined;
  /** The `next_cursor` of the previous page of the same list. */
  cursor?: string | null | undefined;
}

/**
 * A path segment, %-encoded, so a name the server would refuse reaches it intact and
 * gets the server's 404 instead of addressing some other route.
 */
export const seg = formEncode;

/** `method path`, whose 2xx body is a `T`; any other status throws its DepotError. */
export async function call<T>(
  client: DepotClient,
  method: string,
  path: string,
  init?: RawRequest,
): Promise<T> {
  const res = await client.request(method, path, init);
  if (!res.ok) throw res.toError();
  return res.json<T>();
}

/** For DELETE and revoke, whose body (`{"code": 200, "message"}`) says nothing more. */
export async function callVoid(
  client: DepotClient,
  method: string,
  path: string,
  init?: RawRequest,
): Promise<void> {
  const res = await client.request(method, path, init);
  if (!res.ok) throw res.toError();
}

/** Query parameters of a list beyond `limit` and `cursor` (an item list's filter...). */
export type ExtraQuery = Record<string, string | undefined>;

/** One page of a list. */
export function listPage<T>(
  client: DepotClient,
  path: string,
  options: ListOptions = {},
  extra: ExtraQuery = {},
): Promise<Page<T>> {
  const { limit, cursor, ...init } = options;
  return call<Page<T>>(client, "GET", path, {
    ...init,
    query: { ...extra, limit, cursor: cursor ?? undefined },
  });
}

/**
 * Every entry of a list, page after page, fetched as the loop asks for them:
 * `for await (const p of depot.projects.iterate()) ...`. `limit` is the page size.
 * A page may be short, even empty (a filtered list stops at its scan budget): only a
 * null `next_cursor` ends the list.
 */
export async function* paginate<T>(
  client: DepotClient,
  path: string,
  options: ListOptions = {},
  extra: ExtraQuery = {},
): AsyncGenerator<T, void, undefined> {
  let cursor = options.cursor ?? undefined;
  do {
    const page = await listPage<T>(client, path, { ...options, cursor }, extra);
    yield* page.data;
    cursor = page.next_cursor ?? undefined;
  } while (cursor !== undefined);
}
