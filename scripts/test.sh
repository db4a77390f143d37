#!/usr/bin/env bash
# The project's test command (README "Run the tests"). It makes sure what the tests need
# is there on a fresh Debian machine (scripts/ensure-packages.sh; a PostgreSQL server on
# 127.0.0.1:5432 that user postgres reaches without a password, scripts/ensure-postgres.sh),
# then runs every test:
#
# 1. the Rust workspace, PostgreSQL tests included (DEPOT_TEST_POSTGRES makes a missing
#    server a failure rather than a skip);
# 2. the in-process HTTP suite again, each test on a fresh PostgreSQL database;
# 3. README's walk-through, as written, against the binary;
# 4. the TypeScript and Python clients: their own tests, the shared retry scenarios,
#    and their end-to-end tests against the binary;
# 5. the change feed in a real browser (tests/browser/): Debian's chromium, driven by
#    playwright-core (scripts/ensure-browser.sh installs both when missing), against the
#    binary, with the TypeScript client's build from step 4;
# 6. the admin console (/console) in the same browser, every screen checked by axe-core
#    at 1280×800 and 390×844; screenshots in target/console-screenshots/.
#
# Arguments go to both `cargo test` runs (a test name filter, say).
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v cargo >/dev/null 2>&1; then
  echo "scripts/test.sh: cargo is required (https://rustup.rs)" >&2
  exit 1
fi
scripts/ensure-packages.sh
export DEPOT_TEST_PG_URL="${DEPOT_TEST_PG_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
scripts/ensure-postgres.sh
export DEPOT_TEST_POSTGRES=1

step() { echo "== test.sh: $*" >&2; }

step "cargo test (workspace)"
cargo test --workspace --all-targets "$@"
# `--workspace` again, so that dependencies resolve their features as above and nothing
# is compiled a second time; `--test http` is the in-process HTTP suite.
step "the HTTP suite on PostgreSQL"
DEPOT_TEST_BACKEND=postgres cargo test --workspace --test http "$@"

export DEPOT_BIN="$PWD/target/debug/depot"
step "README's walk-through"
scripts/walkthrough.sh
step "the TypeScript client"
DEPOT_E2E_REQUIRED=1 clients/typescript/scripts/test.sh
step "the Python client"
clients/python/scripts/test.sh
step "the change feed in a real browser"
scripts/ensure-browser.sh
DEPOT_BROWSER_REQUIRED=1 node --test tests/browser/feed.test.mjs
step "the console in a real browser"
DEPOT_BROWSER_REQUIRED=1 node --test tests/browser/console.test.mjs
