#!/usr/bin/env bash
# The module in the distribution's nginx (Debian/Ubuntu), as an operator installs it.
# Used by CI (scripts/test-all.sh), after scripts/nginx/test.sh.
#
#   scripts/nginx/test-system.sh [--no-deps]
#
# 1. apt-get install nginx nginx-dev (services are not started: policy-rc.d);
# 2. scripts/nginx/build-for-system.sh: the module for /usr/sbin/nginx;
# 3. scripts/nginx/build-deb.sh: the libnginx-mod-http-misp-guard package, installed
#    with dpkg into that clean nginx (module in /usr/lib/nginx/modules, its conf in
#    /usr/share/nginx/modules-available, enabled by a /etc/nginx/modules-enabled link);
# 4. Debian's own /etc/nginx/nginx.conf (modules-enabled, conf.d; not sites-enabled,
#    whose default server listens on every address) with a conf.d server guarding
#    pushes over TLS to a stand-in MISP: an allowed push passes, a tlp:red push is
#    refused with a 403 carrying X-Request-ID, and the stock error.log (level `error`)
#    shows the refusal with that id;
# 5. the conformance corpus (nginx-module/tests/conformance.rs) through /usr/sbin/nginx,
#    the module loaded by the package's modules-enabled file, HTTP/1.1 and HTTP/2 over
#    TLS (`N passed, M failed` per folder), and the operator tests
#    (nginx-module/tests/operations.rs: log levels, audit log, request ids, metrics).
#
# Env: MISP_GUARD_CONFORMANCE (default ../shared/conformance), SYSTEM_TEST_PORT (18443),
#      SYSTEM_TEST_UPSTREAM_PORT (18080).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

deps=1
for a in "$@"; do
    case "$a" in
        --no-deps) deps=0 ;;
        *) echo "usage: $0 [--no-deps]" >&2; exit 2 ;;
    esac
done
command -v dpkg >/dev/null || { echo "test-system.sh needs a Debian/Ubuntu system" >&2; exit 1; }
start=$(date +%s)
PORT=${SYSTEM_TEST_PORT:-18443}
UP_PORT=${SYSTEM_TEST_UPSTREAM_PORT:-18080}
export MISP_GUARD_CONFORMANCE=${MISP_GUARD_CONFORMANCE:-$(cd "$ROOT/.." && pwd)/shared/conformance}

[ "$deps" -eq 1 ] && ensure_deps
if ! dpkg -s nginx nginx-dev >/dev/null 2>&1; then
    log "installing Debian's nginx and nginx-dev"
    # Do not start the nginx service while installing (CI containers have no init; a
    # workstation keeps its ports). Keep an existing policy-rc.d as it is.
    created_policy=0
    if [ ! -e /usr/sbin/policy-rc.d ]; then
        printf '#!/bin/sh\nexit 101\n' | as_root tee /usr/sbin/policy-rc.d >/dev/null
        as_root chmod 755 /usr/sbin/policy-rc.d
        created_policy=1
    fi
    as_root apt-get update -q
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
        nginx nginx-dev
    [ "$created_policy" -eq 1 ] && as_root rm -f /usr/sbin/policy-rc.d
fi
NGINX=/usr/sbin/nginx

log "module for $("$NGINX" -v 2>&1)"
out=$("$ROOT/scripts/nginx/build-for-system.sh" --nginx "$NGINX")
printf '%s\n' "$out"
module=$(printf '%s\n' "$out" | sed -n 's/^module: //p')
build_dir=$(printf '%s\n' "$out" | sed -n 's/^build_dir: //p')

deb_out=$("$ROOT/scripts/nginx/build-deb.sh" --module "$module" --nginx "$NGINX")
printf '%s\n' "$deb_out"
deb=$(printf '%s\n' "$deb_out" | sed -n 's/^deb: //p')
log "installing $deb"
as_root dpkg -i "$deb"
load_conf=/etc/nginx/modules-enabled/50-mod-http-misp-guard.conf
[ -L "$load_conf" ] || { echo "the package did not enable the module ($load_conf)" >&2; exit 1; }
doc=/usr/share/doc/libnginx-mod-http-misp-guard

# --- 4. Debian's nginx.conf with a conf.d server --------------------------------------------
DIR=$(mktemp -d /tmp/misp-guard-system.XXXXXX)
cleanup() {
    [ -f "$DIR/nginx.pid" ] && as_root kill "$(cat "$DIR/nginx.pid")" 2>/dev/null || true
    [ -f "$DIR/upstream.pid" ] && kill "$(cat "$DIR/upstream.pid")" 2>/dev/null || true
    as_root rm -f /etc/nginx/conf.d/misp-guard-system-test.conf
}
trap cleanup EXIT
chmod 755 "$DIR"
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=misp-remote.example \
    -keyout "$DIR/key.pem" -out "$DIR/cert.pem" 2>/dev/null
sed "s/\"port\": 8443/\"port\": $PORT/" "$doc/examples/config.json" >"$DIR/rules.json"
chmod 644 "$DIR"/*.pem "$DIR/rules.json"
as_root tee /etc/nginx/conf.d/misp-guard-system-test.conf >/dev/null <<CONF
# misp-guard system test (scripts/nginx/test-system.sh): pushes to misp-remote.example.
misp_guard_config $DIR/rules.json;
server {
    listen 127.0.0.1:$PORT ssl http2;
    server_name misp-remote.example;
    ssl_certificate $DIR/cert.pem;
    ssl_certificate_key $DIR/key.pem;
    location / {
        misp_guard on;
        proxy_pass http://127.0.0.1:$UP_PORT;
        proxy_set_header Host misp-remote.example;
    }
}
CONF
# Debian's nginx.conf as installed, minus sites-enabled; its own pid file.
sed -e '/sites-enabled/d' -e "s|^pid .*|pid $DIR/nginx.pid;|" /etc/nginx/nginx.conf >"$DIR/nginx.conf"
grep -q 'include /etc/nginx/modules-enabled/\*.conf;' "$DIR/nginx.conf"
grep -q 'include /etc/nginx/conf.d/\*.conf;' "$DIR/nginx.conf"

python3 "$ROOT/scripts/nginx/demo_upstream.py" "$UP_PORT" >"$DIR/upstream.log" 2>&1 &
echo $! >"$DIR/upstream.pid"
for _ in $(seq 100); do
    curl -s -o /dev/null "http://127.0.0.1:$UP_PORT/servers/getVersion" && break
    sleep 0.1
done
log "nginx -t and start with Debian's nginx.conf"
as_root "$NGINX" -t -c "$DIR/nginx.conf"
error_log=/var/log/nginx/error.log
log_from=$(stat -c %s "$error_log" 2>/dev/null || echo 0)
as_root "$NGINX" -c "$DIR/nginx.conf"
for _ in $(seq 100); do
    curl -s -o /dev/null --cacert "$DIR/cert.pem" --resolve "misp-remote.example:$PORT:127.0.0.1" \
        "https://misp-remote.example:$PORT/servers/getVersion" && break
    sleep 0.1
done

event() {
    printf '{"Event": {"uuid": "%s", "info": "system test", "date": "2026-01-01",
  "published": true, "distribution": "1", "sharing_group_id": "0", "Tag": [{"name": "%s"}],
  "Attribute": [], "Object": []}}' "$1" "$2"
}
event 6f1e8a52-0000-4000-8000-000000000011 tlp:green >"$DIR/allowed.json"
event 6f1e8a52-0000-4000-8000-000000000012 tlp:red >"$DIR/blocked.json"
push() {
    curl -s --http2 --cacert "$DIR/cert.pem" --resolve "misp-remote.example:$PORT:127.0.0.1" \
        -H 'Content-Type: application/json' --data-binary "@$1" -D "$2" -o /dev/null \
        -w '%{http_code} %{http_version}' "https://misp-remote.example:$PORT/events/add"
}
fail() {
    echo "system test: $*" >&2
    tail -c +"$((log_from + 1))" "$error_log" | tail -n 20 >&2
    exit 1
}
got=$(push "$DIR/allowed.json" "$DIR/allowed.head")
[ "$got" = "200 2" ] || fail "allowed push -> $got (expected 200 over HTTP/2)"
got=$(push "$DIR/blocked.json" "$DIR/blocked.head")
[ "$got" = "403 2" ] || fail "tlp:red push -> $got (expected 403 over HTTP/2)"
rid=$(sed -n 's/^x-request-id: *\([0-9a-f]*\).*/\1/ip' "$DIR/blocked.head")
[ -n "$rid" ] || fail "the 403 has no X-Request-ID"
sleep 0.2
line=$(tail -c +"$((log_from + 1))" "$error_log" | grep -F "request blocked: [POST]/events/add - event has blocked tag: tlp:red" || true)
case "$line" in
    *"[error]"*"(request_id: $rid)"*) log "stock error.log: $line" ;;
    *) fail "no [error] refusal line with request_id $rid in $error_log (got: $line)" ;;
esac
as_root kill -QUIT "$(cat "$DIR/nginx.pid")"
for _ in $(seq 100); do [ -f "$DIR/nginx.pid" ] || break; sleep 0.1; done
log "Debian layout: module loaded from modules-enabled, conf.d server guarded pushes over TLS"

# --- 5. the conformance corpus through /usr/sbin/nginx ------------------------------------
log "conformance corpus and operator tests through $NGINX (module from $load_conf)"
(
    cd "$ROOT/nginx-module"
    NGINX_SOURCE_DIR="$(dirname "$build_dir")" NGINX_BUILD_DIR="$build_dir" \
        CARGO_TARGET_DIR="$ROOT/nginx-module/target/system/cargo" \
        MISP_GUARD_NGINX_BIN="$NGINX" MISP_GUARD_LOAD_CONF="$load_conf" \
        cargo test --release --no-default-features --features export-modules \
        --test conformance --test operations -- --nocapture --test-threads=2
)
log "system nginx stage passed in $(($(date +%s) - start)) s"
