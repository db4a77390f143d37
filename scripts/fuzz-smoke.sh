#!/usr/bin/env bash
# Builds every fuzz target and runs each briefly (FUZZ_SECONDS, default 20) on its
# committed corpus and seeds, so the targets can't rot: a target that no longer
# compiles, or whose oracle disagrees with the server, fails CI. Longer runs, merging
# and minimizing: fuzz/run.sh and fuzz/README.md.
set -euo pipefail
cd "$(dirname "$0")/.."
fuzz=$(scripts/tools.sh cargo-fuzz)
PATH="$(dirname "$fuzz"):$PATH" FUZZ_SECONDS=${FUZZ_SECONDS:-20} fuzz/run.sh
