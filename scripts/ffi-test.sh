#!/usr/bin/env bash
# C ABI checks, as CI runs them:
#   1. header drift (include/misp_guard.h vs. the pinned cbindgen), ffi unit tests;
#   2. tests/conformance.c over the whole conformance corpus, built with
#      -Wall -Wextra -Werror, under AddressSanitizer+LeakSanitizer and under valgrind;
#   3. the Go package (ffi/go, cgo over the release static library): go vet, then
#      go test -race over the same corpus.
# Each corpus runner prints "FOLDER: N passed, M failed".
#
# Needs: cargo, a C compiler with ASan, valgrind, Go >= 1.19. On a Debian machine
# running as root, missing valgrind/Go are installed with apt-get (set
# MISP_GUARD_NO_INSTALL=1 to forbid that). The corpus is read from
# ../shared/conformance (or MISP_GUARD_CONFORMANCE).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
target=${CARGO_TARGET_DIR:-$root/target}

need=()
command -v valgrind >/dev/null || need+=(valgrind)
command -v go >/dev/null || need+=(golang-go)
if ((${#need[@]})); then
    if [[ -z ${MISP_GUARD_NO_INSTALL:-} && $(id -u) == 0 ]] && command -v apt-get >/dev/null; then
        echo "== installing ${need[*]}"
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
    else
        echo "missing: ${need[*]} (install them, or run as root on Debian)" >&2
        exit 1
    fi
fi

echo "== header drift, unit tests, C conformance (ASan + valgrind)"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
rc=0
MISP_GUARD_REQUIRE_VALGRIND=1 cargo test -p misp-guard-ffi -- --nocapture >"$log" 2>&1 || rc=$?
grep -E '^(test |test result|[a-z/]+: [0-9]+ passed)' "$log" || true
if ((rc != 0)); then
    tail -80 "$log" >&2
    echo "FAILED: cargo test -p misp-guard-ffi (exit $rc)" >&2
    exit 1
fi

echo "== Go (cgo over $target/release/libmisp_guard.a)"
cargo build -q -p misp-guard-ffi --release
cd ffi/go
export CGO_LDFLAGS="-L$target/release ${CGO_LDFLAGS:-}"
go vet ./...
go test -count=1 -race -v ./... | grep -vE '^(=== RUN|=== PAUSE|=== CONT)'
echo "== ffi: all checks passed"
