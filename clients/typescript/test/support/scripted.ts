// A scripted HTTP server on 127.0.0.1:0: it serves a list of answers in order to the
// API requests it gets, answers `/oauth/token` itself with tokens tok-1, tok-2, ..., and
// records everything it was sent.

import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface Answer {
  status?: number;
  headers?: Record<string, string>;
  json?: unknown;
  /** A raw body instead of `json`. */
  body?: string;
  /** Close the connection without answering (a transport failure). */
  drop?: boolean;
}

/** An answer, or a function making one when the request arrives (an HTTP-date, say). */
export type Scripted = Answer | (() => Answer);

export interface Seen {
  method: string;
  /** Path and query. */
  path: string;
  headers: IncomingMessage["headers"];
  body: string;
  header(name: string): string | undefined;
  json(): unknown;
}

export interface ScriptOptions {
  /** The last answer repeats forever ("always 503" is one answer). Default true. */
  repeatLast?: boolean;
  /** The `expires_in` of the tokens issued. Default 3600. */
  tokenExpiresIn?: number;
}

export class ScriptedServer {
  readonly seen: Seen[] = [];
  readonly tokenRequests: Seen[] = [];
  readonly #server: Server;
  readonly #answers: Scripted[];
  readonly #options: ScriptOptions;

  private constructor(server: Server, answers: Scripted[], options: ScriptOptions) {
    this.#server = server;
    this.#answers = [...answers];
    this.#options = options;
  }

  static async start(answers: Scripted[], options: ScriptOptions = {}): Promise<ScriptedServer> {
    const server = createServer();
    const scripted = new ScriptedServer(server, answers, options);
    server.on("request", (req, res) => void scripted.#handle(req, res));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    return scripted;
  }

  get baseUrl(): string {
    const { port } = this.#server.address() as AddressInfo;
    return `http://127.0.0.1:${port}`;
  }

  async close(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const seen = record(req, Buffer.concat(chunks).toString("utf8"));
    if (seen.path === "/oauth/token") {
      this.tokenRequests.push(seen);
      const n = this.tokenRequests.length;
      const token = { access_token: `tok-${n}`, token_type: "Bearer", expires_in: this.#options.tokenExpiresIn ?? 3600, scope: "admin" };
      return send(res, { status: 200, json: token });
    }
    this.seen.push(seen);
    const repeatLast = this.#options.repeatLast ?? true;
    const next = this.#answers.length > 1 || !repeatLast ? this.#answers.shift() : this.#answers[0];
    if (next === undefined) {
      return send(res, { status: 599, json: { code: 599, message: "the script ran out" } });
    }
    const answer = typeof next === "function" ? next() : next;
    if (answer.drop) {
      req.socket.destroy();
      return;
    }
    send(res, answer);
  }
}

function record(req: IncomingMessage, body: string): Seen {
  const headers = req.headers;
  return {
    method: req.method ?? "",
    path: req.url ?? "",
    headers,
    body,
    header(name) {
      const value = headers[name.toLowerCase()];
      return Array.isArray(value) ? value.join(", ") : value;
    },
    json() {
      return JSON.parse(body);
    },
  };
}

function send(res: ServerResponse, answer: Answer): void {
  const status = answer.status ?? 200;
  const body = answer.body ?? (answer.json === undefined ? "" : JSON.stringify(answer.json));
  const headers: Record<string, string> = { ...answer.headers };
  if (answer.json !== undefined && !hasHeader(headers, "content-type")) {
    headers["content-type"] = "application/json";
  }
  res.writeHead(status, headers);
  res.end(body);
}

function hasHeader(headers: Record<string, string>, name: string): boolean {
  return Object.keys(headers).some((k) => k.toLowerCase() === name);
}

/** The error envelope, as depot sends it. */
export function envelope(status: number, message: string, details?: unknown): Answer {
  return { status, json: details === undefined ? { code: status, message } : { code: status, message, details } };
}

/** A 503 with `Retry-After`. */
export function unavailable(retryAfter: string): Answer {
  return { ...envelope(503, "overloaded"), headers: { "retry-after": retryAfter } };
}
