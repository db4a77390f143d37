// The change feed (contract §9): `GET /v1/projects/{p}/changes` as pages (`poll`), as a
// live stream of Server-Sent Events that resumes by itself (`stream`), and tickets that
// let a browser's EventSource open a stream without a token in the URL.
//
// A stream remembers the last event id it saw (each event's cursor, and the bare `id:`
// frame the server sends on open), and reconnects with `Last-Event-ID` when the
// connection drops, when the server ends it (`event: end`: token expiry, lagging,
// shutdown) or when the token is refused (a fresh one is fetched, as for any call).
// Connecting retries a 503 or 429 with the client's backoff; any other error (a 410
// for a cursor past retention, a 403, a 404) ends the stream with that error.

import type { DepotClient, RequestOptions } from "./client.js";
import { delayMs } from "./policy.js";
import type { Filter } from "./query.js";
import { seg } from "./resources/common.js";
import { SseParser, type SseEvent } from "./sse.js";
import type { Item, JsonObject } from "./types.js";
import { DecodeError } from "./errors.js";

/** What happened. Collection events carry no `id`, `version` or `item`. */
export type ChangeOp =
  | "create"
  | "update"
  | "delete"
  | "expire"
  | "collection_create"
  | "collection_update"
  | "collection_delete";

/** One event of the feed. */
export interface ChangeEvent<T extends object = JsonObject> {
  /** Where the feed continues after this event (opaque). */
  cursor: string;
  op: ChangeOp;
  collection: string;
  /** The item's id (item events). */
  id?: string;
  /** The item's version after the change (item events). */
  version?: number;
  /** When it was committed, RFC 3339. */
  at: string;
  /** The item as a GET shows it: creates and updates, with `includeItem`. */
  item?: Item<T>;
}

/** A page of the feed: `next_cursor` is never null, it is where to continue. */
export interface ChangesPage<T extends object = JsonObject> {
  data: ChangeEvent<T>[];
  next_cursor: string;
}

/** What part of the feed to read. */
export interface ChangesQuery {
  /**
   * Where to start: a cursor this feed issued, `"oldest"` (the oldest retained event),
   * or left out: the feed's current end (only what happens next).
   */
  since?: string | undefined;
  /** Only events of these collections (at most 100). */
  collections?: readonly string[] | undefined;
  /** Only item events whose item matches (collection events are then dropped). */
  filter?: Filter | undefined;
  /** Creates and updates carry `item`. */
  includeItem?: boolean | undefined;
}

export interface PollOptions extends ChangesQuery, RequestOptions {
  /** Events per page, 1 to 1000 (default 100). */
  limit?: number | undefined;
}

export interface StreamOptions extends ChangesQuery {
  /** Closes the stream (the loop then ends without an error). */
  signal?: AbortSignal | undefined;
  /** Called before each reconnect, with why and the cursor it resumes from. */
  onReconnect?: ((info: ReconnectInfo) => void) | undefined;
  /** Extra headers for every connection. */
  headers?: HeadersInit | undefined;
}

export interface ReconnectInfo {
  /** `"end:<reason>"` for an `event: end`, or the transport failure's message. */
  reason: string;
  /** The cursor the stream resumes from (`Last-Event-ID`). */
  cursor: string | undefined;
  delayMs: number;
}

/** A ticket for one stream, for a browser's EventSource: single use, valid 60 s. */
export interface ChangesTicket {
  ticket: string;
  expires_in: number;
}

/** The reason and cursor of an `event: end` frame. */
interface EndFrame {
  reason?: string;
  cursor?: string;
}

function query(q: ChangesQuery, extra: Record<string, string | number | undefined> = {}) {
  if (q.collections !== undefined && q.collections.length === 0) {
    throw new TypeError("collections names at least one collection (leave it out for all)");
  }
  return {
    since: q.since,
    collections: q.collections?.join(","),
    filter: q.filter?.toString(),
    include: q.includeItem ? "item" : undefined,
    ...extra,
  };
}

export class ChangesApi {
  readonly #client: DepotClient;

  constructor(client: DepotClient) {
    this.#client = client;
  }

  /** One page of the feed. Continue with `since: page.next_cursor`. */
  async poll<T extends object = JsonObject>(project: string, options: PollOptions = {}): Promise<ChangesPage<T>> {
    const { since, collections, filter, includeItem, limit, ...init } = options;
    const res = await this.#client.request("GET", changesPath(project), {
      ...init,
      query: query({ since, collections, filter, includeItem }, { limit }),
    });
    if (!res.ok) throw res.toError();
    return res.json<ChangesPage<T>>();
  }

  /**
   * The feed as it happens: `for await (const event of depot.changes.stream("p"))`.
   * Resumes by itself across disconnects and `event: end`; `lastEventId` says where it
   * is, to resume later with `since`.
   */
  stream<T extends object = JsonObject>(project: string, options: StreamOptions = {}): ChangeStream<T> {
    return new ChangeStream<T>(this.#client, project, options);
  }

  /** A single-use ticket (60 s) that opens one stream of `project` without a token. */
  async ticket(project: string, options?: RequestOptions): Promise<ChangesTicket> {
    const res = await this.#client.request("POST", `${changesPath(project)}/tickets`, { ...options, json: {} });
    if (!res.ok) throw res.toError();
    return res.json<ChangesTicket>();
  }

  /**
   * For a browser: a URL an `EventSource` opens without any header, carrying a fresh
   * ticket instead of the token. `new EventSource(await depot.changes.eventSourceUrl("p"))`.
   * The ticket works once: for a reconnect, ask for a new URL (with `since`, the
   * EventSource's last event id).
   */
  async eventSourceUrl(project: string, options: ChangesQuery & RequestOptions = {}): Promise<string> {
    const { since, collections, filter, includeItem, ...init } = options;
    const { ticket } = await this.ticket(project, init);
    const params = Object.entries(query({ since, collections, filter, includeItem }, { ticket }))
      .filter((e): e is [string, string] => e[1] !== undefined)
      .map(([k, v]) => `${seg(k)}=${seg(v)}`);
    return `${this.#client.baseUrl}${changesPath(project)}?${params.join("&")}`;
  }
}

function changesPath(project: string): string {
  return `/v1/projects/${seg(project)}/changes`;
}

/** A live, self-resuming stream of change events. */
export class ChangeStream<T extends object = JsonObject> implements AsyncIterable<ChangeEvent<T>> {
  readonly #client: DepotClient;
  readonly #project: string;
  readonly #options: StreamOptions;
  readonly #stop = new AbortController();
  #lastEventId: string | undefined;
  #started = false;

  constructor(client: DepotClient, project: string, options: StreamOptions) {
    this.#client = client;
    this.#project = project;
    this.#options = options;
    this.#lastEventId = undefined;
    const outer = options.signal;
    if (outer) {
      if (outer.aborted) this.#stop.abort(outer.reason);
      else outer.addEventListener("abort", () => this.#stop.abort(outer.reason), { once: true });
    }
  }

  /** The cursor of the last event seen (or of the start position): where a reconnect resumes. */
  get lastEventId(): string | undefined {
    return this.#lastEventId;
  }

  /** Ends the stream; a pending `next()` resolves as done. */
  close(): void {
    this.#stop.abort();
  }

  [Symbol.asyncIterator](): AsyncGenerator<ChangeEvent<T>, void, undefined> {
    if (this.#started) throw new TypeError("a ChangeStream is iterated once");
    this.#started = true;
    return this.#run();
  }

  async *#run(): AsyncGenerator<ChangeEvent<T>, void, undefined> {
    const { sleep, random, policy } = this.#client.timing;
    const signal = this.#stop.signal;
    let barren = 0; // connections in a row that brought no event
    let retryMs = 1000;
    try {
      for (;;) {
        const outcome = yield* this.#connection(signal);
        if (signal.aborted) return;
        if (outcome.retryMs !== undefined) retryMs = outcome.retryMs;
        barren = outcome.events > 0 ? 0 : barren + 1;
        // `event: end` asks for a reconnect now; a drop waits the server's `retry`. Either
        // grows with the client's backoff while connections keep ending without an event.
        const delay =
          outcome.ended && barren <= 1 ? 0 : delayMs(policy, Math.min(Math.max(0, barren - 1), 30), retryMs, random);
        this.#options.onReconnect?.({ reason: outcome.reason, cursor: this.#lastEventId, delayMs: delay });
        if (delay > 0) await sleep(delay, signal);
      }
    } catch (error) {
      if (signal.aborted) return;
      throw error;
    } finally {
      this.#stop.abort();
    }
  }

  /** One connection: its events, then why it ended. */
  async *#connection(
    signal: AbortSignal,
  ): AsyncGenerator<ChangeEvent<T>, { ended: boolean; reason: string; events: number; retryMs?: number }, undefined> {
    const headers = new Headers(this.#options.headers);
    headers.set("accept", "text/event-stream");
    const resumeFrom = this.#lastEventId;
    if (resumeFrom !== undefined) headers.set("last-event-id", resumeFrom);
    const opened = await this.#client.openStream(changesPath(this.#project), {
      headers,
      signal,
      // The header wins on the server; `since` is there for proxies that drop it.
      query: query({ ...this.#options, since: resumeFrom ?? this.#options.since }),
      timeoutMs: 30_000,
    });
    if (!opened.response.ok) throw opened.response.toError();
    if (!opened.body) return { ended: false, reason: "the stream had no body", events: 0 };
    const parser = new SseParser(resumeFrom ?? "");
    const decoder = new TextDecoder();
    const reader = opened.body.getReader();
    let events = 0;
    let reason = "the connection closed";
    try {
      for (;;) {
        let chunk: ReadableStreamReadResult<Uint8Array>;
        try {
          chunk = await reader.read();
        } catch (error) {
          if (signal.aborted) throw error;
          reason = error instanceof Error ? error.message : String(error);
          break;
        }
        const text = chunk.done ? decoder.decode() : decoder.decode(chunk.value, { stream: true });
        for (const frame of parser.push(text)) {
          if (frame.id) this.#lastEventId = frame.id;
          if (frame.event === "end") {
            const end = parseEnd(frame);
            if (end.cursor) this.#lastEventId = end.cursor;
            return { ended: true, reason: `end:${end.reason ?? "unknown"}`, events, ...retry(parser) };
          }
          events++;
          yield decodeEvent<T>(frame);
        }
        if (parser.lastEventId) this.#lastEventId = parser.lastEventId;
        if (chunk.done) break;
      }
    } finally {
      reader.cancel().catch(() => {});
    }
    return { ended: false, reason, events, ...retry(parser) };
  }
}

function retry(parser: SseParser): { retryMs?: number } {
  return parser.retryMs === undefined ? {} : { retryMs: parser.retryMs };
}

function parseEnd(frame: SseEvent): EndFrame {
  try {
    const value = JSON.parse(frame.data) as unknown;
    return typeof value === "object" && value !== null ? (value as EndFrame) : {};
  } catch {
    return {};
  }
}

function decodeEvent<T extends object>(frame: SseEvent): ChangeEvent<T> {
  try {
    return JSON.parse(frame.data) as ChangeEvent<T>;
  } catch (cause) {
    throw new DecodeError(`a change event (id ${frame.id}) is not JSON: ${frame.data.slice(0, 100)}`, 200, { cause });
  }
}
