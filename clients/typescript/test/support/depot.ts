// Starts the real `depot serve` binary on 127.0.0.1:0 with a fresh data dir, for the
// end-to-end tests. The binary is $DEPOT_BIN, else ../../target/debug/depot (relative
// to this package). When it is missing the e2e tests skip with a loud message, unless
// DEPOT_E2E_REQUIRED=1 (CI), which makes a missing binary a failure.

import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

export const ADMIN = { clientId: "admin", clientSecret: "s3cret-s3cret-s3cret" };

const packageRoot = fileURLToPath(new URL("../../../", import.meta.url));

export const depotBin = resolve(packageRoot, process.env["DEPOT_BIN"] ?? "../../target/debug/depot");

/** Why the e2e tests can't run here, or undefined when they can. */
export function skipReason(): string | undefined {
  if (existsSync(depotBin)) return undefined;
  const why = `the depot binary is not at ${depotBin} (set DEPOT_BIN)`;
  if (process.env["DEPOT_E2E_REQUIRED"] === "1") throw new Error(`${why}, and DEPOT_E2E_REQUIRED=1`);
  process.stderr.write(`\n*** SKIPPING the TypeScript client's e2e tests: ${why} ***\n\n`);
  return why;
}

export interface RunningDepot {
  baseUrl: string;
  stop(): Promise<void>;
}

/** `depot serve --addr 127.0.0.1:0 --data-dir <fresh> ...extraArgs`, once it listens. */
export async function startDepot(extraArgs: string[] = []): Promise<RunningDepot> {
  const dataDir = await mkdtemp(join(tmpdir(), "depot-ts-e2e-"));
  // Only our DEPOT_* settings: a developer's DEPOT_DATABASE_URL must not leak in.
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("DEPOT_")));
  const child = spawn(depotBin, ["serve", "--addr", "127.0.0.1:0", "--data-dir", dataDir, ...extraArgs], {
    env: { ...env, DEPOT_ADMIN_CLIENT_ID: ADMIN.clientId, DEPOT_ADMIN_CLIENT_SECRET: ADMIN.clientSecret, RUST_LOG: "warn" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr!.on("data", (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  try {
    const baseUrl = await listeningAddress(child, () => stderr);
    return {
      baseUrl,
      async stop() {
        await stop(child);
        await rm(dataDir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await stop(child);
    await rm(dataDir, { recursive: true, force: true });
    throw error;
  }
}

/** Reads stdout until `depot listening on http://ADDR`. */
function listeningAddress(child: ChildProcess, stderr: () => string): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    const timer = setTimeout(() => fail("did not say it was listening within 20 s"), 20_000);
    const lines = createInterface({ input: child.stdout! });
    const fail = (why: string) => {
      clearTimeout(timer);
      lines.close();
      reject(new Error(`depot ${why}; its stderr:\n${stderr()}`));
    };
    lines.on("line", (line) => {
      const match = /depot listening on (http:\/\/\S+)/.exec(line);
      if (match) {
        clearTimeout(timer);
        // Keep draining stdout so the server never blocks on a full pipe.
        lines.removeAllListeners("line");
        resolvePromise(match[1]!);
      }
    });
    child.once("exit", (code) => fail(`exited with ${code} before listening`));
  });
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once("exit", r));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
  await exited;
  clearTimeout(timer);
}
