#!/usr/bin/env bash
# Hostile clients, before and after hardening (issue 15; docs/contract.md §10): replays
# each attack of the second hardening round against two depot builds while a victim in
# another project makes normal requests, and reports the victim's success rate and
# p50/p99, the server's peak RSS and what the attack got. See bench/README.md, "Hostile
# clients: before and after hardening". Client: bench/attack/attack.py (Python 3,
# standard library only).
#
#   bench/attack.sh --before BIN --after BIN [--duration 12] [--baseline 3] [attack...]
#
# Attacks (default: all): schema-chain huge-enum slow-bodies argon2 log-flood
# log-flood-30k error-amplification patch-growth large-delete large-delete-1k
# two-servers.
# Either binary may be left out (then only the other one's column is filled).
# Every server runs on 127.0.0.1 with a fresh data dir under target/bench/attack/ (data
# dirs are removed after each case, big logs cut); each attack is bounded in time (its
# window, default 12 s; large-delete 25 s) and a server past 4 GiB RSS is killed. A full
# run takes about 10 minutes. Writes bench/results/attack.{md,json}; a partial run
# (some attacks only) writes target/bench/results/attack-partial.{md,json} unless
# --publish is given. Other options pass through to attack.py (--help lists them).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
command_line="bench/attack.sh$(printf ' %q' "$@")"
before="" after="" publish=0 pass=() attacks=()
while (($#)); do
  case $1 in
    --before) before=$2; shift ;;
    --after) after=$2; shift ;;
    --publish) publish=1 ;;
    -h|--help) sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    --keep) pass+=("$1") ;;
    --*) pass+=("$1" "$2"); shift ;;
    *) attacks+=("$1") ;;
  esac
  shift
done
[[ -n $before || -n $after ]] || { echo "bench/attack.sh: give --before BIN and/or --after BIN" >&2; exit 2; }
for b in "$before" "$after"; do
  [[ -z $b || -x $b ]] || { echo "bench/attack.sh: $b is not an executable" >&2; exit 2; }
done

# What each binary is, for the report: its version line and when it was built.
note() { [[ -n $1 ]] && printf '%s, built %s' "$("$1" --version 2>/dev/null | head -n1)" "$(date -u -r "$1" +%Y-%m-%dT%H:%MZ)"; }

out=bench/results name=attack
if ((${#attacks[@]})) && ((!publish)); then
  out=target/bench/results name=attack-partial
fi
exec python3 bench/attack/attack.py \
  ${before:+--before "$before" --before-note "$(note "$before")"} \
  ${after:+--after "$after" --after-note "$(note "$after")"} \
  --work target/bench/attack --out "$out" --name "$name" --command "$command_line" \
  "${pass[@]}" "${attacks[@]}"
