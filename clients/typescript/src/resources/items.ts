// Items: `/v1/projects/{project}/collections/{collection}/items[/{id}]`, with
// conditional requests (`If-Match`, `If-None-Match`).

import type { DepotClient, RequestOptions } from "../client.js";
import type { Item, Page } from "../types.js";
import { call, callVoid, listPage, paginate, seg, type ListOptions } from "./common.js";

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

/** Options of an item list. The server's queries (§8) will add filter, sort and fields. */
export type ItemListOptions = ListOptions;

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

  /** One page of items, sorted by id (so by creation time). */
  list(options?: ItemListOptions): Promise<Page<Item<T>>> {
    return listPage(this.#client, this.#path, options);
  }

  /** Every item, page after page (`limit` is the page size). */
  iterate(options?: ItemListOptions): AsyncGenerator<Item<T>, void, undefined> {
    return paginate(this.#client, this.#path, options);
  }

  /**
   * Creates an item; the answer adds the server's `id`, `created_at`, `updated_at` and
   * `version`. Retried safely: every attempt carries the call's `Idempotency-Key`.
   */
  create(item: T, options?: RequestOptions): Promise<Item<T>> {
    return call(this.#client, "POST", this.#path, { ...options, json: item });
  }

  get(id: string, options?: RequestOptions): Promise<Item<T>> {
    return call(this.#client, "GET", this.#itemPath(id), options);
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
