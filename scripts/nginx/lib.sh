# Shared helpers for scripts/nginx/*.sh (sourced, not run).
#
#   ensure_deps          install what a fresh Debian machine lacks (apt + rustup)
#   build_module [release]
#                        build nginx-module (vendored nginx + the module); sets
#                        NGINX_BIN (the vendored nginx the module's ABI matches) and
#                        MODULE_SO (libngx_http_misp_guard.so)

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/nginx-module/target}

# Debian packages: compiler + make for nginx, libclang for bindgen, nginx's libraries,
# and the tools the demo and the tests use.
DEB_PACKAGES=(build-essential pkg-config libclang-dev libssl-dev libpcre2-dev zlib1g-dev
              openssl curl python3 ca-certificates valgrind)
# ngx 0.5.1 needs Rust >= 1.81.
MIN_RUST_MINOR=81

log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

rust_ok() {
    command -v cargo >/dev/null 2>&1 || return 1
    local minor
    minor=$(rustc --version 2>/dev/null | sed -n 's/^rustc 1\.\([0-9]*\).*/\1/p')
    [ -n "$minor" ] && [ "$minor" -ge "$MIN_RUST_MINOR" ]
}

ensure_deps() {
    if command -v dpkg >/dev/null 2>&1; then
        local missing=() p
        for p in "${DEB_PACKAGES[@]}"; do
            dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
        done
        if [ "${#missing[@]}" -gt 0 ]; then
            log "installing: ${missing[*]}"
            as_root apt-get update
            as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"
        fi
    else
        log "not a Debian system: make sure these are installed: ${DEB_PACKAGES[*]}"
    fi
    if ! rust_ok && [ -f "$HOME/.cargo/env" ]; then
        # shellcheck disable=SC1091
        . "$HOME/.cargo/env"
    fi
    if ! rust_ok; then
        log "installing Rust (rustup, minimal profile)"
        curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh -s -- -y --profile minimal
        # shellcheck disable=SC1091
        . "$HOME/.cargo/env"
    fi
}

build_module() {
    local profile=debug flags=()
    if [ "${1:-}" = release ]; then profile=release; flags=(--release); fi
    local json out pid start next what="nginx compiles inside the nginx-sys step"
    if compgen -G "$CARGO_TARGET_DIR/$profile/build/nginx-sys-*/out/objs/nginx" >/dev/null; then
        log "building the module ($profile; nginx is already built under $CARGO_TARGET_DIR)"
        what="compiling the module"
    else
        log "building nginx from the source the ngx crate vendors, then the module ($profile)"
        log "the first build takes a few minutes (nginx's C sources, then Rust crates); later ones reuse it"
    fi
    # cargo in the background, a progress line every 15 s: nginx's own build runs
    # inside one cargo step (the nginx-sys build script) that prints nothing until done.
    out=$(mktemp)
    (cd "$ROOT/nginx-module" && exec cargo build "${flags[@]}" --message-format=json-render-diagnostics >"$out") &
    pid=$! start=$SECONDS next=15
    while kill -0 "$pid" 2>/dev/null; do
        sleep 1
        if [ $((SECONDS - start)) -ge "$next" ]; then
            log "  still building ($((SECONDS - start)) s, $(grep -c '"reason":"compiler-artifact"' "$out") crates done; $what)"
            next=$((next + 15))
        fi
    done
    if ! wait "$pid"; then
        rm -f "$out"
        return 1
    fi
    json=$(cat "$out")
    rm -f "$out"
    log "built in $((SECONDS - start)) s"
    # Our build script passes the nginx build directory on (cargo:rustc-env).
    local build_dir
    build_dir=$(printf '%s\n' "$json" | grep '"reason":"build-script-executed"' \
        | sed -n 's/.*\["DEP_NGINX_BUILD_DIR","\([^"]*\)"\].*/\1/p' | tail -n1)
    NGINX_BIN="$build_dir/nginx"
    MODULE_SO="$CARGO_TARGET_DIR/$profile/libngx_http_misp_guard.so"
    [ -x "$NGINX_BIN" ] || { echo "vendored nginx not found (looked at $NGINX_BIN)" >&2; return 1; }
    [ -f "$MODULE_SO" ] || { echo "module not found at $MODULE_SO" >&2; return 1; }
    export NGINX_BIN MODULE_SO
}
