// Removes a build output directory, so a deleted source leaves no stale .js behind.
import { rmSync } from "node:fs";

for (const dir of process.argv.slice(2)) rmSync(dir, { recursive: true, force: true });
