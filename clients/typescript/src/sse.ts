// A Server-Sent Events parser (the WHATWG HTML "event stream interpretation"), fed text
// in chunks of any size: a chunk may end in the middle of a line, or between the `\r`
// and `\n` of one line end.

/** One dispatched event. */
export interface SseEvent {
  /** The event's type: its `event:` field, or "message". */
  event: string;
  /** The `data:` lines joined with "\n". */
  data: string;
  /** The last event id after this event (its own `id:`, or one seen before). */
  id: string;
}

export class SseParser {
  /** The last `id:` seen, also from a frame that carried no data (which dispatches nothing). */
  lastEventId = "";
  /** The last valid `retry:` in ms, if the stream sent one. */
  retryMs: number | undefined;
  #buffer = "";
  /** The previous chunk ended in `\r`: a `\n` starting the next one belongs to it. */
  #afterCR = false;
  #started = false;
  #data: string[] = [];
  #event = "";
  #idBuffer = "";

  constructor(lastEventId = "") {
    this.lastEventId = lastEventId;
    this.#idBuffer = lastEventId;
  }

  /** Feeds decoded text; returns the events it completed. */
  push(text: string): SseEvent[] {
    if (!this.#started && text.length > 0) {
      this.#started = true;
      if (text.startsWith("\uFEFF")) text = text.slice(1);
    }
    if (this.#afterCR && text.length > 0) {
      if (text.startsWith("\n")) text = text.slice(1);
      this.#afterCR = false;
    }
    this.#buffer += text;
    const out: SseEvent[] = [];
    let start = 0;
    for (;;) {
      const cr = this.#buffer.indexOf("\r", start);
      const lf = this.#buffer.indexOf("\n", start);
      if (cr < 0 && lf < 0) break;
      let end: number;
      let next: number;
      if (cr >= 0 && (lf < 0 || cr < lf)) {
        end = cr;
        if (cr + 1 === this.#buffer.length) {
          // `\r` at the very end: a line end, and a `\n` may follow in the next chunk.
          this.#afterCR = true;
          next = cr + 1;
        } else next = this.#buffer[cr + 1] === "\n" ? cr + 2 : cr + 1;
      } else {
        end = lf;
        next = lf + 1;
      }
      const event = this.#line(this.#buffer.slice(start, end));
      if (event) out.push(event);
      start = next;
    }
    this.#buffer = this.#buffer.slice(start);
    return out;
  }

  #line(line: string): SseEvent | undefined {
    if (line === "") return this.#dispatch();
    if (line.startsWith(":")) return undefined; // a comment (a keep-alive)
    const colon = line.indexOf(":");
    const name = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    switch (name) {
      case "event":
        this.#event = value;
        break;
      case "data":
        this.#data.push(value);
        break;
      case "id":
        if (!value.includes("\0")) this.#idBuffer = value;
        break;
      case "retry":
        if (/^[0-9]+$/.test(value)) this.retryMs = Number(value);
        break;
      default: // ignored, as the spec says
    }
    return undefined;
  }

  #dispatch(): SseEvent | undefined {
    this.lastEventId = this.#idBuffer;
    const data = this.#data;
    const event = this.#event;
    this.#data = [];
    this.#event = "";
    if (data.length === 0) return undefined; // `id:` alone moves lastEventId only
    return { event: event || "message", data: data.join("\n"), id: this.lastEventId };
  }
}
