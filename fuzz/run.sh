#!/usr/bin/env bash
# Runs every fuzz target for a bounded time and exits non-zero if any of them failed.
# Not part of CI: it needs cargo-fuzz and minutes of CPU. See fuzz/README.md.
#
#   FUZZ_SECONDS=60   seconds per target (libFuzzer's -max_total_time)
#   FUZZ_TARGETS=...  which targets (default: all of fuzz/fuzz_targets/)
#   FUZZ_SANITIZER=none|address   (default none: 4x the runs; depot has no unsafe code,
#                                  so AddressSanitizer only guards the dependencies)
#   FUZZ_MERGE=1      afterwards, merge what was found into fuzz/corpus/ and minimize it
#
# Inputs: fuzz/seeds/<target> (hand-written, named) and fuzz/corpus/<target> (grown by
# fuzzing, minimized). New inputs go to fuzz/target/new-corpus/<target> (ignored by
# git), so a plain run leaves both as they were. Crashes go to fuzz/artifacts/<target>/.
set -uo pipefail

cd "$(dirname "$0")/.."
seconds=${FUZZ_SECONDS:-60}
sanitizer=${FUZZ_SANITIZER:-none}
targets=${FUZZ_TARGETS:-$(cd fuzz/fuzz_targets && ls ./*.rs | sed 's|^\./||; s|\.rs$||')}

# cargo fuzz passes -Z flags (sanitizer, coverage) to rustc: on a stable toolchain
# RUSTC_BOOTSTRAP=1 lets it, so no nightly is needed.
export RUSTC_BOOTSTRAP=1
flags=(--sanitizer "$sanitizer" --debug-assertions)

if ! command -v cargo-fuzz >/dev/null; then
    echo "cargo-fuzz is missing: cargo install cargo-fuzz --locked" >&2
    exit 2
fi
cargo fuzz build "${flags[@]}" || exit 2

dict_for() {
    case $1 in
        json_body | merge_patch) echo fuzz/dicts/json.dict ;;
        schema_validate) echo fuzz/dicts/schema.dict ;;
        query_cursor) echo fuzz/dicts/query.dict ;;
        conditional) echo fuzz/dicts/conditional.dict ;;
    esac
}

stat_of() { sed -n "s/^stat::$1: *//p" "$2" | tail -1; }

failed=()
printf '%-16s %8s %12s %8s %6s  %s\n' target seconds runs exec/s new result
for t in $targets; do
    seeds=fuzz/seeds/$t
    corpus=fuzz/corpus/$t
    found=fuzz/target/new-corpus/$t
    log=fuzz/target/logs/$t.log
    mkdir -p "$seeds" "$corpus" "$found" "$(dirname "$log")" "fuzz/artifacts/$t"
    dict=$(dict_for "$t")
    # The first directory receives new inputs; the committed ones are only read.
    # -timeout: an input that takes 10 s is a finding (a cheap way to burn CPU).
    # The outer timeout is a backstop in case libFuzzer hangs on exit.
    timeout --kill-after=30 $((seconds + 300)) \
        cargo fuzz run "${flags[@]}" "$t" "$found" "$corpus" "$seeds" -- \
        -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=4096 \
        -print_final_stats=1 ${dict:+-dict="$dict"} >"$log" 2>&1
    code=$?
    result=ok
    if [ "$code" -ne 0 ]; then
        result="FAILED (exit $code, see $log and fuzz/artifacts/$t/)"
        failed+=("$t")
    fi
    printf '%-16s %8s %12s %8s %6s  %s\n' "$t" "$seconds" \
        "$(stat_of number_of_executed_units "$log")" \
        "$(stat_of average_exec_per_sec "$log")" \
        "$(stat_of new_units_added "$log")" "$result"
    if [ "${FUZZ_MERGE:-0}" = 1 ] && [ "$code" -eq 0 ]; then
        # Edge coverage only (no hit counts): a few hundred files per target.
        cp -n "$found"/* "$corpus"/ 2>/dev/null
        cargo fuzz cmin "${flags[@]}" "$t" "$corpus" -- -use_counters=0 -use_cmp=0 >>"$log" 2>&1 ||
            failed+=("$t (cmin)")
    fi
done

if [ ${#failed[@]} -ne 0 ]; then
    echo "fuzzing failed: ${failed[*]}" >&2
    exit 1
fi
echo "all fuzz targets ran ${seconds}s without a failure"
