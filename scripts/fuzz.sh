#!/usr/bin/env bash
# Fuzz certready's library entry points with cargo-fuzz (libFuzzer), one target after another.
#
# Usage:
#   scripts/fuzz.sh [-t SECONDS] [TARGET...]
#     -t SECONDS  how long to fuzz each target (default 600, or $FUZZ_SECONDS)
#     TARGET      any of: fuzz_reply fuzz_issue_value fuzz_name fuzz_zone_line fuzz_input_line
#                 fuzz_bundle fuzz_served_chain
#                 (default: all of them, in that order)
#   Exits 0 if no target crashed, 1 if any did (after running the rest), 2 on bad usage.
#
# Needs: a nightly toolchain (`rustup toolchain install nightly`) and cargo-fuzz
# (`cargo install cargo-fuzz`). Not part of `cargo test`: fuzz/ is a crate of its own.
#
# Each target runs on its corpus, fuzz/corpus/<target>/ (committed seeds; libFuzzer adds what
# it finds there), with a -max_len that fits its input (see MAX_LEN below). Builds and fuzzers
# run under `nice -n 19`, one fuzzer at a time. Debug assertions and overflow checks are on.
# No sanitizer by default (FUZZ_SANITIZER=address to add ASan): certready has no `unsafe`, the
# targets look for panics and broken round trips, and ASan made the zone-line target about 18
# times slower on 65,535-octet records (allocation-heavy escaping). A final line per target
# gives its executions, exec/s and corpus size; the full libFuzzer log is in
# fuzz/artifacts/<target>/fuzz.log.
#
# A crash leaves its input in fuzz/artifacts/<target>/crash-<sha1> (or oom-/timeout-/leak-).
# To reproduce, minimise and keep one:
#   cargo +nightly fuzz run -a -s none <target> fuzz/artifacts/<target>/crash-<sha1>
#   cargo +nightly fuzz tmin -a -s none <target> fuzz/artifacts/<target>/crash-<sha1>
#   mkdir -p fuzz/regressions/<target> && cp <minimised input> fuzz/regressions/<target>/<name>
# Every input kept in fuzz/regressions/<target>/ can be replayed the same way (`fuzz run`
# with the file as argument runs it once). To shrink a corpus after long runs (the committed
# ones hold about 200 files at most):
#   cargo +nightly fuzz cmin -a -s none <target> -- -max_len=<same as below>
#   python3 fuzz/select_corpus.py fuzz/target/*/release/<target> fuzz/corpus/<target> OUT <max_len>
# then replace fuzz/corpus/<target> with OUT (seed-* files are always kept; make_seeds.py
# rewrites them).
set -euo pipefail
cd "$(dirname "$0")/.."

ALL_TARGETS=(fuzz_reply fuzz_issue_value fuzz_name fuzz_zone_line fuzz_input_line fuzz_bundle
    fuzz_served_chain)
declare -A MAX_LEN=(
    [fuzz_reply]=4096        # a pick byte and a reply: UDP replies are at most 1232 octets
    [fuzz_issue_value]=1024  # a CAA value; real ones are far shorter
    [fuzz_name]=1024         # an --input line holds at most 1024 octets, a name 253
    [fuzz_zone_line]=4096    # one zone line; the structured part reaches 65,535 by cycling
    [fuzz_input_line]=1024   # input::MAX_LINE: longer lines never reach parse_line
    [fuzz_bundle]=16384      # a full chain and its key, with room to damage them
    [fuzz_served_chain]=8192 # a few certificates
)

seconds="${FUZZ_SECONDS:-600}"
sanitizer="${FUZZ_SANITIZER:-none}"
while getopts "t:h" option; do
    case "$option" in
        t) seconds="$OPTARG" ;;
        h) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *) exit 2 ;;
    esac
done
shift $((OPTIND - 1))
if ! [[ "$seconds" =~ ^[1-9][0-9]*$ ]]; then
    echo "fuzz.sh: -t needs a whole number of seconds, not '$seconds'" >&2
    exit 2
fi
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=("${ALL_TARGETS[@]}")
for target in "${targets[@]}"; do
    if [ -z "${MAX_LEN[$target]:-}" ]; then
        echo "fuzz.sh: unknown target '$target' (known: ${ALL_TARGETS[*]})" >&2
        exit 2
    fi
done

if ! cargo +nightly fuzz --version >/dev/null 2>&1; then
    echo "fuzz.sh: needs nightly Rust and cargo-fuzz (cargo install cargo-fuzz)" >&2
    exit 2
fi

# Debug assertions (and so overflow checks) on, as `cargo fuzz run` does by default.
build_flags=(--debug-assertions --sanitizer "$sanitizer")
nice -n 19 cargo +nightly fuzz build "${build_flags[@]}"

crashed=()
summary=()
for target in "${targets[@]}"; do
    corpus="fuzz/corpus/$target"
    artifacts="fuzz/artifacts/$target"
    mkdir -p "$corpus" "$artifacts"
    log="$artifacts/fuzz.log"
    echo "== $target: ${seconds}s, -max_len=${MAX_LEN[$target]}, log in $log"
    status=0
    nice -n 19 cargo +nightly fuzz run "${build_flags[@]}" "$target" "$corpus" -- \
        -max_total_time="$seconds" -max_len="${MAX_LEN[$target]}" -print_final_stats=1 \
        >"$log" 2>&1 || status=$?
    executions=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
    speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
    files=$(find "$corpus" -type f | wc -l)
    if [ "$status" -ne 0 ]; then
        crashed+=("$target")
        line="$target: CRASHED (exit $status) after ${executions:-?} executions; input in $artifacts/"
        grep -m 1 -E "panicked at|ERROR: libFuzzer|ERROR: AddressSanitizer" "$log" >&2 || true
    else
        line="$target: ${executions:-?} executions, ${speed:-?} exec/s, corpus $files files, no crash"
    fi
    echo "$line"
    summary+=("$line")
done

echo "== summary"
printf '%s\n' "${summary[@]}"
if [ ${#crashed[@]} -ne 0 ]; then
    echo "crashed: ${crashed[*]}" >&2
    exit 1
fi
