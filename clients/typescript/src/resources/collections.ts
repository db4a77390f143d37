// Collections: `/v1/projects/{project}/collections[/{collection}]`.

import type { DepotClient, RequestOptions } from "../client.js";
import type { Collection, JsonSchema, NewCollection, Page } from "../types.js";
import { call, callVoid, listPage, paginate, seg, type ListOptions } from "./common.js";

const collectionsPath = (project: string) => `/v1/projects/${seg(project)}/collections`;
const collectionPath = (project: string, name: string) =>
  `${collectionsPath(project)}/${seg(name)}`;

export class CollectionsApi {
  readonly #client: DepotClient;

  constructor(client: DepotClient) {
    this.#client = client;
  }

  /** One page of the project's collections, sorted by name. */
  list(project: string, options?: ListOptions): Promise<Page<Collection>> {
    return listPage(this.#client, collectionsPath(project), options);
  }

  /** Every collection of the project, page after page. */
  iterate(project: string, options?: ListOptions): AsyncGenerator<Collection, void, undefined> {
    return paginate(this.#client, collectionsPath(project), options);
  }

  /**
   * Creates a collection; `schema` is a JSON Schema (draft 2020-12) every item must
   * satisfy, or null/left out for none. A 409 ConflictError when the name is taken.
   */
  create(project: string, collection: NewCollection, options?: RequestOptions): Promise<Collection> {
    const body = {
      name: collection.name,
      schema: collection.schema ?? null,
      ...(collection.indexes === undefined ? {} : { indexes: collection.indexes }),
    };
    return call(this.#client, "POST", collectionsPath(project), { ...options, json: body });
  }

  get(project: string, name: string, options?: RequestOptions): Promise<Collection> {
    return call(this.#client, "GET", collectionPath(project, name), options);
  }

  /** Replaces the schema (null removes it); existing items are not re-checked. */
  updateSchema(
    project: string,
    name: string,
    schema: JsonSchema | null,
    options?: RequestOptions,
  ): Promise<Collection> {
    return call(this.#client, "PUT", collectionPath(project, name), {
      ...options,
      json: { schema },
    });
  }

  /** Deletes the collection with its items. */
  delete(project: string, name: string, options?: RequestOptions): Promise<void> {
    return callVoid(this.#client, "DELETE", collectionPath(project, name), options);
  }
}
