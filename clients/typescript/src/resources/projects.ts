// Projects: `/v1/projects` and `/v1/projects/{project}`.

import type { DepotClient, RequestOptions } from "../client.js";
import type { JsonObject, NewProject, Page, Project } from "../types.js";
import { call, callVoid, listPage, paginate, seg, type ListOptions } from "./common.js";

export class ProjectsApi {
  readonly #client: DepotClient;

  constructor(client: DepotClient) {
    this.#client = client;
  }

  /** One page of the projects the token may see, sorted by name. */
  list(options?: ListOptions): Promise<Page<Project>> {
    return listPage(this.#client, "/v1/projects", options);
  }

  /** Every project the token may see, page after page. */
  iterate(options?: ListOptions): AsyncGenerator<Project, void, undefined> {
    return paginate(this.#client, "/v1/projects", options);
  }

  /** Creates a project (admin). A 409 ConflictError when the name is taken. */
  create(project: NewProject, options?: RequestOptions): Promise<Project> {
    return call(this.#client, "POST", "/v1/projects", { ...options, json: project });
  }

  get(name: string, options?: RequestOptions): Promise<Project> {
    return call(this.#client, "GET", `/v1/projects/${seg(name)}`, options);
  }

  /** Replaces the project's metadata. */
  update(name: string, metadata: JsonObject, options?: RequestOptions): Promise<Project> {
    return call(this.#client, "PUT", `/v1/projects/${seg(name)}`, {
      ...options,
      json: { metadata },
    });
  }

  /** Deletes the project with its collections and items (admin). */
  delete(name: string, options?: RequestOptions): Promise<void> {
    return callVoid(this.#client, "DELETE", `/v1/projects/${seg(name)}`, options);
  }
}
