// Generates src/generated/openapi.ts from the server's committed OpenAPI document, or
// with --check, fails when the committed file is not what the document generates now
// (so CI notices a document change nobody regenerated for).
//
//   node scripts/gen-types.mjs           write src/generated/openapi.ts
//   node scripts/gen-types.mjs --check   compare only; exit 1 on a difference
//
// OPENAPI_DOCUMENT overrides the document's path (relative to this package).

import { readFile, writeFile } from "node:fs/promises";
import { fileURLToPath, pathToFileURL } from "node:url";
import { dirname, resolve } from "node:path";
import openapiTS, { astToString, COMMENT_HEADER } from "openapi-typescript";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const documentPath = resolve(
  root,
  process.env.OPENAPI_DOCUMENT ?? "../../crates/server/tests/snapshots/openapi.json",
);
const outPath = resolve(root, "src/generated/openapi.ts");

const ast = await openapiTS(pathToFileURL(documentPath), {
  // A schema that is `{"type": "object"}` and nothing more (free-form metadata, a JSON
  // Schema) would otherwise become Record<string, never>, which no value satisfies.
  emptyObjectsUnknown: true,
  silent: true,
});
const generated =
  COMMENT_HEADER.replace(
    " */",
    " * Source: crates/server/tests/snapshots/openapi.json (npm run generate:types).\n */",
  ) + astToString(ast);

if (process.argv.includes("--check")) {
  const committed = await readFile(outPath, "utf8").catch(() => "");
  if (committed !== generated) {
    console.error(
      `src/generated/openapi.ts is out of date with ${documentPath}.\n` +
        "Run `npm run generate:types` and commit the result.",
    );
    process.exit(1);
  }
  console.log("src/generated/openapi.ts is up to date.");
} else {
  await writeFile(outPath, generated);
  console.log(`wrote ${outPath}`);
}
