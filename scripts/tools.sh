#!/usr/bin/env bash
# Prints the path of a pinned cargo tool, building it first if needed:
#   scripts/tools.sh cargo-deny  ->  ~/.cache/depot/tools/bin/cargo-deny
# The tools live outside the checkout (DEPOT_TOOLS, default ~/.cache/depot/tools), so a
# fresh clone on the same machine, as CI makes, reuses them instead of compiling them
# again (several minutes each).
set -euo pipefail

declare -A pinned=(
  [cargo-deny]=0.20.2
  [cargo-fuzz]=0.13.2
  [cargo-machete]=0.9.2
)
tool=${1:?usage: scripts/tools.sh TOOL}
version=${pinned[$tool]:?"scripts/tools.sh: $tool is not a pinned tool"}
root=${DEPOT_TOOLS:-$HOME/.cache/depot/tools}
bin=$root/bin/$tool
stamp=$root/$tool.version

if [[ ! -x $bin || $(cat "$stamp" 2>/dev/null) != "$version" ]]; then
  echo "tools.sh: building $tool $version into $root (once)" >&2
  CARGO_TARGET_DIR=$root/target cargo install --quiet --locked --force \
    --root "$root" "$tool@$version" >&2
  echo "$version" >"$stamp"
fi
echo "$bin"
