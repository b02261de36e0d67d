#!/usr/bin/env bash
# Builds the misp-guard module for the nginx installed on this machine (a module loads
# only into the nginx version and configure options it was built against).
#
#   scripts/nginx/build-for-system.sh [--nginx BIN] [--source DIR] [--out DIR]
#
#   --nginx BIN   the nginx to build for (default: `nginx` on PATH, else /usr/sbin/nginx)
#   --source DIR  that nginx's source tree (nginx-VERSION from nginx.org, or the
#                 distribution's). Default: Debian/Ubuntu's `nginx-dev` tree,
#                 /usr/share/nginx/src, with its `conf_flags`.
#   --out DIR     where to put ngx_http_misp_guard_module.so (default:
#                 nginx-module/target/system)
#
# How: copy the source tree, `./configure` it with the installed nginx's options (the
# `nginx-dev` package's conf_flags, or `nginx -V`), then build the crate without the
# vendored nginx (`--no-default-features --features export-modules`) against that tree
# (NGINX_SOURCE_DIR / NGINX_BUILD_DIR). Nothing of nginx is compiled, only configured.
#
# Prints `module: PATH`, `nginx: BIN`, `version: X.Y.Z` and, for the tests,
# `build_dir: DIR` (NGINX_BUILD_DIR).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

nginx_bin= source_dir= out_dir=
while [ $# -gt 0 ]; do
    case "$1" in
        --nginx) nginx_bin=$2; shift 2 ;;
        --source) source_dir=$2; shift 2 ;;
        --out) out_dir=$2; shift 2 ;;
        *) echo "usage: $0 [--nginx BIN] [--source DIR] [--out DIR]" >&2; exit 2 ;;
    esac
done

if [ -z "$nginx_bin" ]; then
    nginx_bin=$(command -v nginx || true)
    [ -n "$nginx_bin" ] || nginx_bin=/usr/sbin/nginx
fi
[ -x "$nginx_bin" ] || { echo "no nginx at $nginx_bin (use --nginx BIN)" >&2; exit 1; }
version=$("$nginx_bin" -v 2>&1 | sed -n 's|.*nginx/\([0-9.]*\).*|\1|p')
[ -n "$version" ] || { echo "cannot read the version of $nginx_bin (nginx -v)" >&2; exit 1; }
log "building the module for $nginx_bin (nginx $version)"

# The configure options of the installed nginx.
flags=()
debian_src=/usr/share/nginx/src
if [ -z "$source_dir" ] && [ -f "$debian_src/conf_flags" ] && [ -x "$debian_src/configure" ]; then
    source_dir=$debian_src
    # conf_flags is a bash array assignment: NGX_CONF_FLAGS=( … )
    # shellcheck disable=SC1091
    . "$debian_src/conf_flags"
    flags=("${NGX_CONF_FLAGS[@]}")
    log "source: $debian_src (nginx-dev), options: its conf_flags"
else
    if [ -z "$source_dir" ]; then
        cat >&2 <<EOF
No nginx source tree. Either install the distribution's development package
(Debian/Ubuntu: apt-get install nginx-dev) or download nginx-$version
(https://nginx.org/download/nginx-$version.tar.gz), unpack it and pass --source DIR.
EOF
        exit 1
    fi
    # `nginx -V` prints the options as typed (quotes included): let bash split them.
    args=$("$nginx_bin" -V 2>&1 | sed -n 's/^configure arguments: //p')
    eval "set -- $args"
    for a in "$@"; do
        case "$a" in
            # other dynamic modules are not needed to build ours
            --add-dynamic-module=*) ;;
            *) flags+=("$a") ;;
        esac
    done
    log "source: $source_dir, options: nginx -V"
fi
[ -f "$source_dir/src/core/nginx.h" ] || { echo "$source_dir is not an nginx source tree" >&2; exit 1; }
src_version=$(sed -n 's/^#define NGINX_VERSION *"\(.*\)"/\1/p' "$source_dir/src/core/nginx.h")
if [ "$src_version" != "$version" ]; then
    echo "source tree is nginx $src_version, the installed nginx is $version" >&2
    exit 1
fi
case " ${flags[*]} " in
    *" --with-compat "*) ;;
    *) log "warning: $nginx_bin was not configured --with-compat; the module loads only if every other option matches" ;;
esac

work=${CARGO_TARGET_DIR_SYSTEM:-$ROOT/nginx-module/target/system}
out_dir=${out_dir:-$work}
tree="$work/nginx-$version"
if [ ! -f "$tree/objs/ngx_auto_config.h" ] || [ "$(cat "$tree/.flags" 2>/dev/null)" != "${flags[*]}" ]; then
    log "configuring a copy of the source tree ($tree)"
    rm -rf "$tree"
    mkdir -p "$work"
    cp -a "$source_dir" "$tree"
    (cd "$tree" && ./configure "${flags[@]}" >"$work/configure.log" 2>&1) || {
        tail -n 30 "$work/configure.log" >&2
        echo "configure failed (log: $work/configure.log)" >&2
        exit 1
    }
    printf '%s' "${flags[*]}" >"$tree/.flags"
fi

log "cargo build --release --no-default-features --features export-modules"
(
    cd "$ROOT/nginx-module"
    NGINX_SOURCE_DIR="$tree" NGINX_BUILD_DIR="$tree/objs" CARGO_TARGET_DIR="$work/cargo" \
        cargo build --release --no-default-features --features export-modules
)
mkdir -p "$out_dir"
install -m 0644 "$work/cargo/release/libngx_http_misp_guard.so" "$out_dir/ngx_http_misp_guard_module.so"
echo "module: $out_dir/ngx_http_misp_guard_module.so"
echo "nginx: $nginx_bin"
echo "version: $version"
echo "build_dir: $tree/objs"
