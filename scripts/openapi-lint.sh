#!/usr/bin/env bash
# Lints the OpenAPI document with tools the team didn't write, against the committed
# snapshot (crates/server/tests/snapshots/openapi.json, which a test keeps equal to what
# the server serves), so no server is needed:
#
# 1. redocly lint: the recommended rules with every warning an error
#    (scripts/openapi-lint/redocly.yaml; the few true exceptions, with their reasons, in
#    scripts/openapi-lint/.redocly.lint-ignore.yaml);
# 2. openapi-spec-validator: the document against the OpenAPI 3.1 schema, `$ref`s
#    resolved;
# 3. openapi-typescript with its default options, then tsc on what a reader of the
#    document writes with those types (scripts/openapi-lint/generated-types.ts): every
#    free-form object takes a value without a cast;
# 4. tsc on the TypeScript client's README examples, each a module of its own, against
#    the client's sources (scripts/openapi-lint/readme-globals.d.ts names what the
#    examples take from their context).
#
# The tools are pinned (scripts/openapi-lint/package-lock.json, requirements.txt) and
# installed once into scripts/openapi-lint/node_modules and .venv (ignored), again only
# when the pins change. Set OPENAPI_DOCUMENT to lint another document (steps 1 to 3).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/ensure-packages.sh # Node.js with npm, Python's venv

DIR=scripts/openapi-lint
DOC=${OPENAPI_DOCUMENT:-crates/server/tests/snapshots/openapi.json}
README=clients/typescript/README.md
failed=0
step() { echo "== openapi-lint: $*" >&2; }

# npm: installed when node_modules lacks the stamp of the current lock file.
want=$(sha256sum "$DIR/package-lock.json" | cut -d' ' -f1)
if [[ $(cat "$DIR/node_modules/.stamp" 2>/dev/null) != "$want" ]]; then
  step "installing the npm tools (once)"
  (cd "$DIR" && npm ci --no-audit --no-fund --loglevel=error >&2)
  echo "$want" >"$DIR/node_modules/.stamp"
fi
# Python: the venv is rebuilt when requirements.txt changes.
want=$(sha256sum "$DIR/requirements.txt" | cut -d' ' -f1)
if [[ $(cat "$DIR/.venv/.stamp" 2>/dev/null) != "$want" ]]; then
  step "installing openapi-spec-validator (once)"
  rm -rf "$DIR/.venv"
  python3 -m venv "$DIR/.venv"
  "$DIR/.venv/bin/pip" install --quiet --disable-pip-version-check -r "$DIR/requirements.txt"
  echo "$want" >"$DIR/.venv/.stamp"
fi
bin=$DIR/node_modules/.bin

step "redocly lint $DOC"
# redocly prints a boxed notice on Node 20 (supported, but near its end); the box is
# dropped, everything else is kept.
if ! out=$(REDOCLY_SUPPRESS_UPDATE_NOTICE=true REDOCLY_TELEMETRY=off \
  "$bin/redocly" lint --config "$DIR/redocly.yaml" --format=stylish "$DOC" 2>&1); then
  failed=1
fi
grep -vE '^\s*[╔║╚]|^\s*$' <<<"$out" >&2 || true

step "openapi-spec-validator $DOC"
"$DIR/.venv/bin/openapi-spec-validator" "$DOC" >&2 || failed=1

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

step "openapi-typescript (default options), then tsc on $DIR/generated-types.ts"
mkdir "$tmp/generated"
out=$("$bin/openapi-typescript" "$DOC" --output "$tmp/generated/openapi.d.ts" 2>&1) ||
  { echo "$out" >&2; exit 1; }
cp "$DIR/generated-types.ts" "$tmp/generated/"
"$bin/tsc" --noEmit --strict --exactOptionalPropertyTypes --noUncheckedIndexedAccess \
  --target es2022 --module esnext --moduleResolution bundler \
  "$tmp/generated/generated-types.ts" >&2 || failed=1

step "tsc on the TypeScript examples of $README"
mkdir "$tmp/readme"
# Each ```ts block becomes a module (so that top-level await is allowed).
awk -v out="$tmp/readme" -v readme="$README" '
  /^```ts$/ {
    n++; file = sprintf("%s/example-%d.ts", out, n); inside = 1
    printf "// %s, the example that starts at line %d\n", readme, NR + 1 > file
    next
  }
  /^```/ && inside { print "export {};" >> file; close(file); inside = 0; next }
  inside { print >> file }
' "$README"
ls "$tmp"/readme/example-*.ts >/dev/null 2>&1 || { echo "no TypeScript example in $README" >&2; exit 1; }
cp "$DIR/readme-globals.d.ts" "$tmp/readme/"
cat >"$tmp/readme/tsconfig.json" <<EOF
{
  "compilerOptions": {
    "target": "ES2022",
    "lib": ["ES2022", "DOM", "DOM.Iterable"],
    "module": "ESNext",
    "moduleResolution": "Bundler",
    "strict": true,
    "exactOptionalPropertyTypes": true,
    "noUncheckedIndexedAccess": true,
    "skipLibCheck": true,
    "types": [],
    "noEmit": true,
    "paths": { "@depot/client": ["$PWD/clients/typescript/src/index.ts"] }
  },
  "include": ["*.ts"]
}
EOF
"$bin/tsc" -p "$tmp/readme/tsconfig.json" >&2 || failed=1

if ((failed)); then
  echo "openapi-lint: FAILED" >&2
  exit 1
fi
echo "openapi-lint: the document and the examples pass" >&2
