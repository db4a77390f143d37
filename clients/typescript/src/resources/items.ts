// Items: `/v1/projects/{project}/collections/{collection}/items[/{id}]`, with
// conditional requests (`If-Match`, `If-None-Match`).

import type { DepotClient, RequestOptions } from "../client.js";
import { fieldsParam, sortParam, type Filter, type SortSpec } from "../query.js";
import type { Item, ItemCount, Page } from "../types.js";
import { call, callVoid, listPage, paginate, seg, type ExtraQuery, type ListOptions } from "./common.js";

/** An ETag as the server sent it (`"3"`), or an item whose current version it names. */
export type EtagLike = string | { version: number };

/**
 * The ETag of an item: its version, quoted (the OpenAPI document's `ETag` header
 * promises this form, so an item read from a list page has one too).
 */
export function etagOf(etag: EtagLike): string {
  return typeof etag === "string" ? etag : `"${etag.version}"`;
}

/** Options of a write that can be made conditional. */
export interface WriteOptions extends RequestOptions {
  /**
   * Only if the item is still at this ETag (or this item's version): otherwise a 412
   * PreconditionFailedError and nothing is written. `"*"`: only if it exists.
   */
  ifMatch?: EtagLike | undefined;
}

/**
 * An RFC 7396 JSON merge patch of a `T`: members set to null are removed, objects are
 * merged member by member, anything else (arrays included) is replaced.
 */
export type MergePatch<T> = {
  [K in keyof T]?:
    | (T[K] extends readonly unknown[] ? T[K] : T[K] extends object ? MergePatch<T[K]> : T[K])
    | null;
};

/** The query of an item list or count (contract §8). */
export interface ItemQuery {
  /** Only items that match: `field("done").eq(false)`. */
  filter?: Filter | undefined;
  /**
   * Up to 3 keys: `[desc("priority"), "title"]` or `"-priority"`. Each a server-owned
   * member or a path in the collection's `indexes`; `id` breaks ties last.
   */
  sort?: SortSpec | undefined;
  /**
   * Only these top-level members (plus `id`) in each item. The items are then typed as
   * `Item<T>` still: read the members you asked for.
   */
  fields?: readonly string[] | undefined;
}

/** Options of an item list: a page, and what to query. */
export interface ItemListOptions extends ListOptions, ItemQuery {}

/** Options of a count. */
export interface CountOptions extends RequestOptions {
  filter?: Filter | undefined;
}

/** The query parameters of an `ItemQuery`, checked (a QueryError if one can't be sent). */
export function itemQueryParams(query: ItemQuery): ExtraQuery {
  return {
    filter: query.filter === undefined ? undefined : query.filter.toString(),
    sort: query.sort === undefined ? undefined : sortParam(query.sort),
    fields: query.fields === undefined ? undefined : fieldsParam(query.fields),
  };
}

export class ItemsApi<T extends object = Record<string, unknown>> {
  readonly project: string;
  readonly collection: string;
  readonly #client: DepotClient;
  readonly #path: string;

  constructor(client: DepotClient, project: string, collection: string) {
    this.#client = client;
    this.project = project;
    this.collection = collection;
    this.#path = `/v1/projects/${seg(project)}/collections/${seg(collection)}/items`;
  }

  /**
   * One page of items, by id (so by creation time) unless sorted. A filtered page may be
   * short or empty with a `next_cursor` (the server's scan budget ran out): go on while
   * `next_cursor` is not null, or use `iterate`.
   */
  async list(options: ItemListOptions = {}): Promise<Page<Item<T>>> {
    const { filter, sort, fields, ...rest } = options;
    return listPage(this.#client, this.#path, rest, itemQueryParams({ filter, sort, fields }));
  }

  /** Every item that matches, page after page (`limit` is the page size). */
  iterate(options: ItemListOptions = {}): AsyncGenerator<Item<T>, void, undefined> {
    const { filter, sort, fields, ...rest } = options;
    // Checked now, so a bad query throws here rather than at the first `next()`.
    const extra = itemQueryParams({ filter, sort, fields });
    return paginate(this.#client, this.#path, rest, extra);
  }

  /**
   * How many items match: `{count, exact}`. `exact` is false when counting stopped at
   * the server's budget (`--max-count-scan`), and `count` is then a lower bound.
   */
  async count(options: CountOptions = {}): Promise<ItemCount> {
    const { filter, ...init } = options;
    const path = this.#path.replace(/\/items$/, "/count");
    return call(this.#client, "GET", path, { ...init, query: { filter: filter?.toString() } });
  }

  /**
   * Creates an item; the answer adds the server's `id`, `created_at`, `updated_at` and
   * `version`. Retried safely: every attempt carries the call's `Idempotency-Key`.
   */
  create(item: T, options?: RequestOptions): Promise<Item<T>> {
    return call(this.#client, "POST", this.#path, { ...options, json: item });
  }

  /** The item; with `fields`, only those top-level members (plus `id`). */
  get(id: string, options?: RequestOptions & { fields?: readonly string[] | undefined }): Promise<Item<T>> {
    const { fields, ...init } = options ?? {};
    const query = { fields: fields === undefined ? undefined : fieldsParam(fields) };
    return call(this.#client, "GET", this.#itemPath(id), { ...init, query });
  }

  /**
   * The item if it changed since `etag` (an ETag, or the copy you hold), else undefined:
   * a conditional GET (`If-None-Match`) that the server answers 304 without a body.
   */
  async getIfChanged(id: string, etag: EtagLike, options?: RequestOptions): Promise<Item<T> | undefined> {
    const headers = new Headers(options?.headers);
    headers.set("if-none-match", etagOf(etag));
    const res = await this.#client.request("GET", this.#itemPath(id), { ...options, headers });
    if (res.status === 304) return undefined;
    if (!res.ok) throw res.toError();
    return res.json<Item<T>>();
  }

  /** Replaces the item's members (the server-owned ones are kept). */
  replace(id: string, item: T, options?: WriteOptions): Promise<Item<T>> {
    return call(this.#client, "PUT", this.#itemPath(id), { ...conditional(options), json: item });
  }

  /** Applies an RFC 7396 JSON merge patch. */
  patch(id: string, patch: MergePatch<T>, options?: WriteOptions): Promise<Item<T>> {
    return call(this.#client, "PATCH", this.#itemPath(id), {
      ...conditional(options),
      body: JSON.stringify(patch),
      contentType: "application/merge-patch+json",
    });
  }

  delete(id: string, options?: WriteOptions): Promise<void> {
    return callVoid(this.#client, "DELETE", this.#itemPath(id), conditional(options));
  }

  #itemPath(id: string): string {
    return `${this.#path}/${seg(id)}`;
  }
}

/** The request options with `ifMatch` turned into its header. */
function conditional(options: WriteOptions = {}): RequestOptions {
  const { ifMatch, ...rest } = options;
  if (ifMatch === undefined) return rest;
  const headers = new Headers(rest.headers);
  headers.set("if-match", etagOf(ifMatch));
  return { ...rest, headers };
}
