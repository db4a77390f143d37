#!/usr/bin/env bash
# Operations throughput (docs/contract.md §11): `depot import` and `depot export` of
# N items (default 1,000,000 of ~1 KiB) through a running server, on SQLite and on
# PostgreSQL, and an online backup of the resulting SQLite database (about 1.2 GB).
# Not part of CI (a full run takes several minutes); prints a Markdown table and writes
# it to target/bench/results/ops.md.
#
#   bench/ops.sh                 # 1,000,000 items, both backends
#   OPS_ITEMS=100000 bench/ops.sh
#   OPS_BACKENDS=sqlite bench/ops.sh
#
# Uses target/release/depot (built if missing). PostgreSQL at 127.0.0.1:5432 (trust
# auth, as scripts/ensure-postgres.sh sets up); its database is created and dropped.
set -euo pipefail
cd "$(dirname "$0")/.."
ITEMS=${OPS_ITEMS:-1000000}
BACKENDS=${OPS_BACKENDS:-sqlite postgres}
BODY=${OPS_BODY_BYTES:-1000}
DEPOT=target/release/depot
WORK=target/bench/ops
OUT=target/bench/results/ops.md
ADMIN_ID=ops-bench-admin
ADMIN_SECRET=ops-bench-secret-that-is-long-enough-0123456789
PG_ADMIN=${DEPOT_TEST_PG_URL:-postgres://postgres@127.0.0.1:5432/postgres}
PG_DB=depot_ops_bench

[ -x "$DEPOT" ] || cargo build --release -q -p depot-cli
rm -rf "$WORK" && mkdir -p "$WORK" "$(dirname "$OUT")"
log() { echo "[ops $(date -u +%H:%M:%S)] $*" >&2; }
now() { date +%s.%N; }
secs() { python3 -c "print(f'{$2 - $1:.1f}')"; }

log "writing an export of $ITEMS items of ~$BODY bytes"
python3 - "$WORK/in.ndjson" "$ITEMS" "$BODY" <<'PY'
import sys
path, items, body = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
t = "2025-01-02T03:04:05.678Z"
filler = "x" * max(body - 30, 0)
with open(path, "w") as out:
    out.write(f'{{"kind":"header","format":"depot-export","version":1,"exported_at":"{t}"}}\n')
    out.write(f'{{"kind":"project","name":"p","metadata":{{}},"created_at":"{t}","updated_at":"{t}"}}\n')
    out.write(f'{{"kind":"collection","project":"p","name":"c","schema":null,"indexes":[],"created_at":"{t}","updated_at":"{t}"}}\n')
    for n in range(items):
        out.write(f'{{"kind":"item","project":"p","collection":"c","id":"01900000-0000-7000-8000-{n:012x}","version":1,"created_at":"{t}","updated_at":"{t}","body":{{"n":{n},"text":"{filler}"}}}}\n')
PY
MIB=$(python3 -c "import os;print(f'{os.path.getsize(\"$WORK/in.ndjson\")/1048576:.0f}')")

SERVER=
stop() { [ -n "$SERVER" ] && kill "$SERVER" 2>/dev/null && wait "$SERVER" 2>/dev/null; SERVER=; }
trap 'stop; psql -q "$PG_ADMIN" -c "DROP DATABASE IF EXISTS $PG_DB WITH (FORCE)" >/dev/null 2>&1 || true' EXIT
start() { # data dir, extra args...
  local dir=$1; shift
  DEPOT_ADMIN_CLIENT_ID=$ADMIN_ID DEPOT_ADMIN_CLIENT_SECRET=$ADMIN_SECRET DEPOT_LOG=warn \
    "$DEPOT" serve --addr 127.0.0.1:0 --data-dir "$dir" "$@" >"$dir.out" 2>"$dir.err" &
  SERVER=$!
  for _ in $(seq 300); do
    URL=$(sed -n 's/^depot listening on //p' "$dir.out" 2>/dev/null || true)
    [ -n "$URL" ] && return 0
    sleep 0.1
  done
  echo "depot did not start" >&2; cat "$dir.err" >&2; exit 1
}
cli() { DEPOT_ADMIN_CLIENT_ID=$ADMIN_ID DEPOT_ADMIN_CLIENT_SECRET=$ADMIN_SECRET "$DEPOT" "$@"; }

ROWS=()
for backend in $BACKENDS; do
  args=()
  if [ "$backend" = postgres ]; then
    psql -q "$PG_ADMIN" -c "DROP DATABASE IF EXISTS $PG_DB WITH (FORCE)" -c "CREATE DATABASE $PG_DB" >/dev/null
    args=(--database-url "${PG_ADMIN%/*}/$PG_DB")
  fi
  start "$WORK/$backend" "${args[@]}"
  log "$backend: import"
  t0=$(now); cli import "$WORK/in.ndjson" --url "$URL" >/dev/null 2>"$WORK/$backend.import.err"; t1=$(now)
  import_s=$(secs "$t0" "$t1")
  log "$backend: export"
  t0=$(now); cli export --out "$WORK/$backend.out.ndjson" --url "$URL" 2>/dev/null; t1=$(now)
  export_s=$(secs "$t0" "$t1")
  lines=$(wc -l < "$WORK/$backend.out.ndjson")
  backup="–"
  if [ "$backend" = sqlite ]; then
    token=$(curl -sf -u "$ADMIN_ID:$ADMIN_SECRET" -d grant_type=client_credentials "$URL/oauth/token" \
      | python3 -c 'import json,sys;print(json.load(sys.stdin)["access_token"])')
    db_mib=$(python3 -c "import os;print(f'{os.path.getsize(\"$WORK/sqlite/depot.db\")/1048576:.0f}')")
    log "sqlite: backup of a $db_mib MiB database"
    t0=$(now)
    curl -sf -X POST -H "Authorization: Bearer $token" "$URL/v1/admin/backups" >"$WORK/backup.json"
    t1=$(now)
    backup="$(secs "$t0" "$t1") s for $db_mib MiB"
  fi
  stop
  rate() { python3 -c "print(f'{$ITEMS / $1 / 1000:.1f} k items/s, {$MIB / $1:.0f} MiB/s')"; }
  ROWS+=("| $backend | $import_s s ($(rate "$import_s")) | $export_s s ($(rate "$export_s")), $lines lines | $backup |")
done

{
  echo "# Operations throughput"
  echo
  echo "- **Date**: $(date -u +%Y-%m-%dT%H:%MZ); **machine**: $(nproc) CPUs, $(uname -r); load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "- **Command**: \`OPS_ITEMS=$ITEMS bench/ops.sh\` ($ITEMS items of ~$BODY bytes, an export file of $MIB MiB; binary $DEPOT, tree $(git rev-parse --short HEAD))"
  echo
  echo "| backend | depot import | depot export | online backup (POST /v1/admin/backups) |"
  echo "|---|--:|--:|--:|"
  printf '%s\n' "${ROWS[@]}"
} | tee "$OUT"
