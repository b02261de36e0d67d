#!/usr/bin/env bash
# Builds nginx and the module the nginx way: ./configure --add-dynamic-module (the
# module's `config`, `config.make` and ngx-rust's `auto/rust`), from the nginx source
# vendored by the `ngx` crate, in $CARGO_TARGET_DIR/configure-build.
#
#   scripts/nginx/configure-build.sh [--no-deps]
#
# Prints NGINX_BIN=… and MISP_GUARD_MODULE=… (the pair the tests accept as overrides).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
[ "${1:-}" = --no-deps ] || ensure_deps

manifest=$(cd "$ROOT/nginx-module" && cargo metadata --format-version 1 \
    | python3 -c 'import json,sys
m=json.load(sys.stdin)
print(next(p["manifest_path"] for p in m["packages"] if p["name"]=="nginx-src"))')
src=$(dirname "$manifest")/nginx
out=$CARGO_TARGET_DIR/configure-build
log "nginx source: $src"
rm -rf "$out" && mkdir -p "$out" && cp -r "$src" "$out/nginx"
cd "$out/nginx"
log "configure --add-dynamic-module=$ROOT/nginx-module"
./auto/configure --with-compat --with-threads --with-http_realip_module \
    --with-http_ssl_module --with-http_v2_module \
    --add-dynamic-module="$ROOT/nginx-module" > "$out/configure.log"
log "make (nginx + module)"
make -j"$(nproc)" > "$out/make.log" 2>&1 || { tail -n 40 "$out/make.log" >&2; exit 1; }
echo "NGINX_BIN=$out/nginx/objs/nginx"
echo "MISP_GUARD_MODULE=$out/nginx/objs/ngx_http_misp_guard_module.so"
