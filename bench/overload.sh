#!/usr/bin/env bash
# The overload experiment (bench/overload): builds in release and runs it, writing
# bench/results/overload.md and overload.svg. Arguments pass through, e.g. `--quick`
# for a ~30 s smoke run; `--help` lists the knobs. The full run takes about 2 minutes
# and only ever talks to 127.0.0.1.
set -euo pipefail
cd "$(dirname "$0")/.."
export OVERLOAD_COMMAND="bench/overload.sh${*:+ $*}"
cargo run --release -p depot-bench-overload -- "$@"
