#!/usr/bin/env bash
# Every test of the project, as CI runs it (README: "Test"). Each stage prints its
# own `N passed, M failed` lines; the script stops at the first failing stage.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR=never
export MISP_GUARD_CONFORMANCE="${MISP_GUARD_CONFORMANCE:-$(cd .. && pwd)/shared/conformance}"

stage() { printf '\n==== %s ====\n' "$*"; }

stage "dependencies"
scripts/deps.sh

stage "format"
cargo fmt --all -- --check

stage "workspace: unit and integration tests"
# the test profile: release builds use fat LTO, too slow to link every test binary
cargo test --workspace --exclude misp-guard-ffi  # ffi: scripts/ffi-test.sh
cargo build --release -p misp-guard-cli

stage "core with the portable scanners (SIMD disabled)"
RUSTFLAGS="--cfg misp_guard_disable_simd" CARGO_TARGET_DIR=target/portable \
  cargo test -p misp-guard-core --lib --test corpus --test strict --test simd --test prop

stage "core without an OS (no_std, no alloc)"
cargo build -p misp-guard-core --no-default-features --target thumbv7em-none-eabihf
# and its header checks, run: a workspace of its own, where core's dev-dependencies
# cannot switch the default features back on
CARGO_TARGET_DIR=target/nodefault cargo test --manifest-path core/nodefault/Cargo.toml

stage "conformance corpus through the CLI"
target/release/misp-guard conformance "$MISP_GUARD_CONFORMANCE"

if [ -x scripts/ffi-test.sh ]; then
  stage "C ABI: header drift, C under sanitizers, Go"
  scripts/ffi-test.sh
fi

if [ -x scripts/nginx/test.sh ]; then
  stage "nginx module in a real nginx"
  scripts/nginx/test.sh
fi

if [ -x scripts/nginx/test-system.sh ]; then
  stage "nginx module in Debian's nginx (.deb, stock layout, TLS)"
  scripts/nginx/test-system.sh
fi

if [ -x scripts/fuzz-smoke.sh ]; then
  stage "fuzz smoke and resource bounds"
  scripts/fuzz-smoke.sh
fi

stage "benches compile and assert their verdicts"
cargo test -p misp-guard-benches --benches

stage "all stages passed"
