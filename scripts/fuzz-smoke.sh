#!/usr/bin/env bash
# Short fuzzing smoke + heavy resource-bound tests (CI). Budget: 5 targets × 30 s of
# fuzzing + ~35 s of release tests, plus the builds (one ASan build of the fuzz crate,
# release builds of core's, the CLI's and the C ABI's tests: minutes from cold,
# seconds when cached).
#
#   scripts/fuzz-smoke.sh            # every target: $FUZZ_RUNS (default 10000) inputs
#                                    # from seed $FUZZ_SEED (default 1), at most
#                                    # $FUZZ_SECONDS (default 60) s: reproducible in CI
#   FUZZ_RUNS=-1 FUZZ_SEED=0 FUZZ_SECONDS=600 scripts/fuzz-smoke.sh evaluator
#                                    # one target, longer, random seed
#
# Each target runs with its committed seeds (fuzz/seeds/<target>/) plus, for the
# evaluator, the conformance fixtures as an extra read-only seed directory (read from
# $MISP_GUARD_CONFORMANCE or ../shared/conformance; never copied into the repo). New
# corpus entries go to a scratch directory, not to the repo. A crash leaves its input in
# fuzz/artifacts/<target>/ and fails the script.
# Then the #[ignore]d resource-bound tests run in release mode.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
secs="${FUZZ_SECONDS:-60}"
runs="${FUZZ_RUNS:-10000}"
seed="${FUZZ_SEED:-1}"
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=(evaluator config decode request ffi receiver)
conformance="${MISP_GUARD_CONFORMANCE:-$root/../shared/conformance}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$root/target}"

if ! command -v cargo-fuzz >/dev/null 2>&1; then
    cargo install cargo-fuzz --locked
fi

scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT

cd "$root/fuzz"
# stable toolchain: RUSTC_BOOTSTRAP=1 unlocks the -Z flags cargo-fuzz passes.
# -a: debug assertions and overflow checks on.
RUSTC_BOOTSTRAP=1 cargo fuzz build -O -a
for t in "${targets[@]}"; do
    mkdir -p "$scratch/$t"
    extra=()
    if [ "$t" = evaluator ] && [ -d "$conformance" ]; then
        for d in current legacy; do
            [ -d "$conformance/$d/fixtures" ] && extra+=("$conformance/$d/fixtures")
        done
    fi
    echo "== fuzz $t: $runs runs from seed $seed (at most ${secs}s)"
    mkdir -p "$scratch/art-$t"
    rc=0
    RUSTC_BOOTSTRAP=1 cargo fuzz run -O -a "$t" "$scratch/$t" "seeds/$t" "${extra[@]}" -- \
        -dict=misp.dict -seed="$seed" -runs="$runs" -max_total_time="$secs" -timeout=10 \
        -rss_limit_mb=2048 -max_len=65536 -print_final_stats=1 \
        -artifact_prefix="$scratch/art-$t/" >"$scratch/$t.log" 2>&1 || rc=$?
    grep -E '^(#[0-9]+[[:space:]]+(INITED|DONE)|stat::number_of_executed_units|stat::peak_rss_mb)' \
        "$scratch/$t.log" || true
    if [ "$rc" -ne 0 ] || compgen -G "$scratch/art-$t/*" >/dev/null; then
        mkdir -p "artifacts/$t"
        cp "$scratch/art-$t/"* "artifacts/$t/" 2>/dev/null || true
        tail -n 60 "$scratch/$t.log" >&2
        echo "fuzz $t: FINDING (exit $rc), input kept in fuzz/artifacts/$t/" >&2
        exit 1
    fi
done

echo "== heavy resource-bound tests (release)"
cd "$root"
cargo test -p misp-guard-core --release --test bounds -- --ignored --test-threads=1
# the 256 MiB decoded-size bound through the CLI and the C ABI (issue 11); by name:
# other ignored tests there are open findings, not heavy ones
cargo test -p misp-guard-cli --release --test integration -- --ignored bounds_decode_max_decoded
cargo test -p misp-guard-ffi --release --test bounds -- --ignored bounds_decode_max_decoded
# and the 256 MiB bound on a body as sent (Limits::max_body)
cargo test -p misp-guard-cli --release --test integration -- --ignored bounds_body_max_body
cargo test -p misp-guard-ffi --release --test bounds -- --ignored bounds_body_max_body
