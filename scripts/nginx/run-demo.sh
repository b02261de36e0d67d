#!/usr/bin/env bash
# Demo: nginx + the misp-guard module (TLS, HTTP/2) in front of a stand-in MISP server.
#
#   scripts/nginx/run-demo.sh          install what is missing, build, start, print curls
#   scripts/nginx/run-demo.sh --stop   stop the demo
#
# On a fresh Debian machine it installs the build dependencies (apt) and Rust (rustup)
# when missing, builds nginx from the source vendored by the `ngx` crate plus the module,
# generates a self-signed certificate, starts the demo MISP (scripts/nginx/demo_upstream.py)
# on 127.0.0.1:$DEMO_UPSTREAM_PORT and nginx on 127.0.0.1:$DEMO_PORT with the rules in
# nginx-module/examples/config.json, then prints curl commands to paste.
#
# Env: DEMO_PORT (8443), DEMO_UPSTREAM_PORT (8080), DEMO_DIR (nginx-module/target/demo).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

PORT=${DEMO_PORT:-8443}
UP_PORT=${DEMO_UPSTREAM_PORT:-8080}
DIR=${DEMO_DIR:-$ROOT/nginx-module/target/demo}

stop_demo() {
    local f pid
    for f in "$DIR/logs/nginx.pid" "$DIR/upstream.pid"; do
        if [ -f "$f" ]; then
            pid=$(cat "$f")
            kill "$pid" 2>/dev/null && log "stopped $(basename "$f" .pid) ($pid)" || true
            rm -f "$f"
        fi
    done
}

if [ "${1:-}" = --stop ]; then
    stop_demo
    exit 0
fi

ensure_deps
build_module release
stop_demo
mkdir -p "$DIR/logs" "$DIR/tmp"

log "certificate for misp-remote.example and misp-local.example"
openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj /CN=misp-remote.example \
    -addext "subjectAltName=DNS:misp-remote.example,DNS:misp-local.example" \
    -keyout "$DIR/key.pem" -out "$DIR/cert.pem" 2>/dev/null

# The rules name the instances' port: use the demo's.
sed "s/\"port\": 8443/\"port\": $PORT/" "$ROOT/nginx-module/examples/config.json" > "$DIR/rules.json"

cat > "$DIR/nginx.conf" <<CONF
load_module $MODULE_SO;
error_log $DIR/logs/error.log info;
pid $DIR/logs/nginx.pid;
events { worker_connections 256; }
http {
    access_log $DIR/logs/access.log;
    client_body_temp_path $DIR/tmp/client_body;
    proxy_temp_path $DIR/tmp/proxy;
    fastcgi_temp_path $DIR/tmp/fastcgi;
    uwsgi_temp_path $DIR/tmp/uwsgi;
    scgi_temp_path $DIR/tmp/scgi;

    # The misp-guard rules, compiled when nginx (re)loads its configuration.
    misp_guard_config $DIR/rules.json;
    client_max_body_size 64m;

    # Pushes (egress) to the remote instance. Source: \$remote_addr; destination: this
    # server's name and port (never the client's Host header).
    server {
        listen 127.0.0.1:$PORT ssl;
        http2 on;
        server_name misp-remote.example;
        ssl_certificate $DIR/cert.pem;
        ssl_certificate_key $DIR/key.pem;

        location / {
            misp_guard on;
            proxy_pass http://127.0.0.1:$UP_PORT;
            proxy_set_header Host misp-remote.example;
            proxy_ignore_headers X-Accel-Redirect;
        }
    }

    # Pulls (ingress) from our instance.
    server {
        listen 127.0.0.1:$PORT ssl;
        http2 on;
        server_name misp-local.example;
        ssl_certificate $DIR/cert.pem;
        ssl_certificate_key $DIR/key.pem;

        location / {
            misp_guard on;
            proxy_pass http://127.0.0.1:$UP_PORT;
            proxy_set_header Host misp-local.example;
            proxy_ignore_headers X-Accel-Redirect;
        }
    }
}
CONF

log "starting the demo MISP on 127.0.0.1:$UP_PORT"
python3 "$ROOT/scripts/nginx/demo_upstream.py" "$UP_PORT" > "$DIR/logs/upstream.log" 2>&1 &
echo $! > "$DIR/upstream.pid"
for _ in $(seq 100); do
    curl -s -o /dev/null "http://127.0.0.1:$UP_PORT/servers/getVersion" && break
    sleep 0.1
done

log "starting nginx on 127.0.0.1:$PORT"
"$NGINX_BIN" -t -q -p "$DIR" -c "$DIR/nginx.conf"
"$NGINX_BIN" -p "$DIR" -c "$DIR/nginx.conf"
for _ in $(seq 100); do
    curl -s -o /dev/null --cacert "$DIR/cert.pem" \
        --resolve "misp-local.example:$PORT:127.0.0.1" \
        "https://misp-local.example:$PORT/servers/getVersion" && break
    sleep 0.1
done

# Two events for the pushes: one shareable, one tagged tlp:red.
event() {
    cat <<JSON
{"Event": {"uuid": "$1", "info": "$2", "date": "2026-01-01", "published": true,
  "distribution": "1", "sharing_group_id": "0",
  "Tag": [{"name": "$3"}],
  "Attribute": [{"type": "domain", "category": "Network activity", "value": "example.org",
                 "distribution": "5", "sharing_group_id": "0", "Tag": []}],
  "Object": []}}
JSON
}
event 6f1e8a52-0000-4000-8000-000000000001 "pushed, shareable" tlp:green > "$DIR/push-allowed.json"
event 6f1e8a52-0000-4000-8000-000000000002 "pushed, must stay" tlp:red > "$DIR/push-blocked.json"

R="--resolve misp-remote.example:$PORT:127.0.0.1"
L="--resolve misp-local.example:$PORT:127.0.0.1"
CA="--cacert $DIR/cert.pem"
ALLOWED="curl $CA $R -H 'Content-Type: application/json' --data-binary @$DIR/push-allowed.json https://misp-remote.example:$PORT/events/add"
BLOCKED="curl $CA $R -H 'Content-Type: application/json' --data-binary @$DIR/push-blocked.json https://misp-remote.example:$PORT/events/add"
VERSION="curl $CA $L https://misp-local.example:$PORT/servers/getVersion"
PULL_OK="curl $CA $L https://misp-local.example:$PORT/events/view/5d2b3c6e-0000-4000-8000-00000000a11d"
PULL_RED="curl $CA $L https://misp-local.example:$PORT/events/view/5d2b3c6e-0000-4000-8000-0000000000ed"

# Self-check before printing.
code() { eval "$1 -s -o /dev/null -w '%{http_code}'"; }
a=$(code "$ALLOWED"); b=$(code "$BLOCKED"); c=$(code "$PULL_OK"); d=$(code "$PULL_RED")
if [ "$a" != 200 ] || [ "$b" != 403 ] || [ "$c" != 200 ] || [ "$d" != 403 ]; then
    echo "demo self-check failed: allowed push -> $a, blocked push -> $b," \
        "allowed pull -> $c, blocked pull -> $d" >&2
    tail -n 20 "$DIR/logs/error.log" >&2
    exit 1
fi

cat <<MSG

misp-guard demo is running: nginx (TLS, HTTP/2) on 127.0.0.1:$PORT in front of a demo MISP.
Rules: $DIR/rules.json   Log: $DIR/logs/error.log

Allowed push (tlp:green) -> 200, forwarded to the MISP:
  $ALLOWED

Blocked push (tlp:red) -> 403 Forbidden, never reaches the MISP:
  $BLOCKED

Pulls (the response is judged before any byte is released):
  $VERSION
  $PULL_OK
  $PULL_RED

Decisions:  tail -f $DIR/logs/error.log
Stop:       $0 --stop
MSG
