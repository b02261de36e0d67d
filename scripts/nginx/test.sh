#!/usr/bin/env bash
# The nginx test suite, against a real nginx. Used by CI (scripts/test-all.sh).
#
#   scripts/nginx/test.sh [--no-deps] [--quick]
#
# cargo build (release, the profile that ships) of nginx (vendored) + the cdylib, then
# the conformance corpus over HTTP/1.1 and HTTP/2 (`N passed, M failed` per folder)
# and one test per behaviour. (--quick is accepted for compatibility; it changes
# nothing.)
#
# Env: MISP_GUARD_CONFORMANCE (default ../shared/conformance from the repository root),
#      CARGO_TARGET_DIR (default nginx-module/target).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

deps=1 quick=0
for a in "$@"; do
    case "$a" in
        --no-deps) deps=0 ;;
        --quick) quick=1 ;;
        *) echo "usage: $0 [--no-deps] [--quick]" >&2; exit 2 ;;
    esac
done
[ "$deps" -eq 1 ] && ensure_deps

run_suite() {
    (
        cd "$ROOT/nginx-module"
        log "conformance corpus through nginx ($1)"
        cargo test --release --test conformance -- --nocapture
        log "operations: log levels, the audit log variables, request ids ($1)"
        cargo test --release --test operations -- --test-threads=2
        log "behaviour tests ($1)"
        # Each test starts its own nginx (2 workers): keep the machine from thrashing.
        cargo test --release --test behaviour -- --test-threads=2
    )
}

run_suite "cargo cdylib + vendored nginx"

: "$quick"
log "nginx test suite passed"
