#!/usr/bin/env bash
# Builds nginx (from the source vendored by the `ngx` crate) and the misp-guard module.
#
#   scripts/nginx/build.sh [--release] [--no-deps]
#
# Prints the nginx binary and the module file; use them together (same ABI):
#   load_module /path/to/libngx_http_misp_guard.so;
set -euo pipefail
. "$(dirname "$0")/lib.sh"

profile=debug deps=1
for a in "$@"; do
    case "$a" in
        --release) profile=release ;;
        --no-deps) deps=0 ;;
        *) echo "usage: $0 [--release] [--no-deps]" >&2; exit 2 ;;
    esac
done
[ "$deps" -eq 1 ] && ensure_deps
build_module "$profile"
echo "nginx:  $NGINX_BIN"
echo "module: $MODULE_SO"
