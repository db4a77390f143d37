#!/usr/bin/env bash
# Runs README's walk-through, exactly as written there (the shell block between the
# `walkthrough:begin` and `walkthrough:end` markers), against a fresh server, and checks
# that each step answered what README says it does. So the walk-through can't drift
# from what depot does.
#
#   DEPOT_BIN   the binary to run (default: target/debug/depot, as scripts/test.sh builds)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
bin=${DEPOT_BIN:-$root/target/debug/depot}
[[ -x $bin ]] || { echo "walkthrough: no depot binary at $bin" >&2; exit 2; }
command -v jq >/dev/null || { echo "walkthrough: jq is required" >&2; exit 2; }

work=$(mktemp -d)
server_pid=
cleanup() {
    [[ -n $server_pid ]] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT

# README's block, as it stands.
awk '/<!-- walkthrough:begin -->/{on=1; next} /<!-- walkthrough:end -->/{on=0} on' README.md |
    sed '1{/^```/d}; ${/^```/d}' >"$work/walkthrough.sh"
[[ -s $work/walkthrough.sh ]] || { echo "walkthrough: README has no walk-through block" >&2; exit 2; }

# A fresh server in the work dir, as a reader would start it (data in ./depot-data).
cd "$work"
"$bin" serve --addr 127.0.0.1:0 >server.out 2>server.log &
server_pid=$!
for _ in $(seq 100); do
    grep -q '^depot listening on ' server.out 2>/dev/null && break
    sleep 0.1
done
url=$(sed -n 's/^depot listening on //p' server.out)
[[ -n $url ]] || { echo "walkthrough: the server did not start" >&2; cat server.log >&2; exit 1; }

DEPOT_URL=$url bash -euo pipefail walkthrough.sh >transcript.txt 2>&1 || {
    echo "walkthrough: a step failed" >&2
    cat transcript.txt >&2
    exit 1
}

# What README says each step answers, in order of the steps.
expect=(
    '"name":"demo"'
    '"name":"notes"'
    '"title":"buy milk","done":false'
    '^304$'
    '"version":2'
    '"code":412'
    '"data":\['
    '"code":200,"message":"item deleted"'
    '"code":406,"message":"missing required fields: title","details":{"missing":\["/title"\]}'
    '"scope":"project:demo:read"'
)
status=0
for pattern in "${expect[@]}"; do
    if ! grep -Eq "$pattern" transcript.txt; then
        echo "walkthrough: expected an answer matching $pattern" >&2
        status=1
    fi
done
if ((status)); then
    cat transcript.txt >&2
    exit 1
fi
echo "walkthrough: README's ${#expect[@]} checked answers all came back as written"
