#!/usr/bin/env bash
# The project's test command (README "Run the tests"). It makes sure what the tests need
# is there on a fresh machine (a Rust toolchain; a PostgreSQL server on 127.0.0.1:5432
# that user postgres reaches without a password, installed from Debian's packages if
# missing), then runs every test of the workspace, and the HTTP suite a second time on
# the PostgreSQL backend.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v cargo >/dev/null 2>&1; then
  echo "scripts/test.sh: cargo is required (https://rustup.rs)" >&2
  exit 1
fi

# The bundled SQLite and jemalloc are C, built by cc and make.
if ! command -v cc >/dev/null 2>&1 || ! command -v make >/dev/null 2>&1; then
  sudo=""
  ((EUID == 0)) || sudo=sudo
  $sudo apt-get update -qq
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq build-essential >/dev/null
fi

export DEPOT_TEST_PG_URL="${DEPOT_TEST_PG_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
scripts/ensure-postgres.sh

cargo test --workspace --all-targets "$@"
# The same in-process HTTP suite, each test on its own fresh PostgreSQL database.
DEPOT_TEST_BACKEND=postgres cargo test -p depot-server --tests "$@"
