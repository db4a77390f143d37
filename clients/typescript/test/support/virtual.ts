// A virtual clock and sleep: every sleep returns at once, advancing the clock by the
// delay it was asked for, and is recorded. So a test sees exactly what delays the
// library chose, and a deadline of minutes takes no real time.

import type { Sleep } from "../../src/index.js";

export interface VirtualTime {
  now: () => number;
  sleep: Sleep;
  /** Every delay slept, in order, in ms. */
  delays: number[];
  advance(ms: number): void;
}

export function virtualTime(startMs: number = Date.now()): VirtualTime {
  let now = startMs;
  const delays: number[] = [];
  return {
    now: () => now,
    sleep: async (ms, signal) => {
      signal?.throwIfAborted();
      delays.push(ms);
      now += ms;
    },
    delays,
    advance(ms) {
      now += ms;
    },
  };
}
