#!/usr/bin/env bash
# Builds nginx + the module and runs the nginx test suite against a real nginx
# (conformance corpus over HTTP/1.1 and HTTP/2, then one test per behaviour). Used by CI.
#
#   scripts/nginx/test.sh [--no-deps]
#
# Env: MISP_GUARD_CONFORMANCE (default ../shared/conformance from the repository root),
#      CARGO_TARGET_DIR (default nginx-module/target).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

[ "${1:-}" = --no-deps ] || ensure_deps
cd "$ROOT/nginx-module"
log "conformance corpus through nginx"
cargo test --test conformance -- --nocapture
log "behaviour tests"
# Each test starts its own nginx (2 workers); keep the machine from thrashing.
cargo test --test behaviour -- --test-threads=2
log "nginx test suite passed"
