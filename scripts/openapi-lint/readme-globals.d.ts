// The names the TypeScript client's README examples take from their context: values
// the reader supplies (baseUrl, credentials, token, month) and what "A first call"
// defines for the examples after it (depot, Todo, todos, todo). scripts/openapi-lint.sh checks
// each example as a module of its own against clients/typescript/src.

import type { Credentials, DepotClient, Item, ItemsApi } from "@depot/client";

declare global {
  interface Todo {
    title: string;
    done?: boolean;
  }
  const baseUrl: string;
  const credentials: Credentials;
  const token: string;
  const month: string;
  const depot: DepotClient;
  const todos: ItemsApi<Todo>;
  const todo: Item<Todo>;
  // Node's, without @types/node: the client itself uses no Node API.
  const process: { env: Record<string, string | undefined> };
}
