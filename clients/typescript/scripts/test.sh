#!/usr/bin/env bash
# The TypeScript client's whole check, as CI runs it (from any directory):
#   install (npm ci, only when node_modules is missing or package-lock.json changed),
#   typecheck (strict), build, check that the generated OpenAPI types are current,
#   then the unit, shared-scenario and end-to-end tests.
#
# The e2e tests start the depot binary at $DEPOT_BIN (default ../../target/debug/depot,
# relative to clients/typescript); without one they skip with a loud message, unless
# DEPOT_E2E_REQUIRED=1 makes that a failure.
set -euo pipefail
cd "$(dirname "$0")/.."

stamp=node_modules/.package-lock.sha256
want=$(sha256sum package-lock.json | cut -d' ' -f1)
if [[ ! -d node_modules || ! -f $stamp || $(cat "$stamp") != "$want" ]]; then
  echo "== npm ci"
  npm ci --no-audit --no-fund
  echo "$want" > "$stamp"
fi

echo "== typecheck"
npx tsc --noEmit -p tsconfig.json
echo "== build"
npm run --silent build
echo "== check:types"
npm run --silent check:types
echo "== tests (unit, scenarios, e2e)"
npm run --silent test
