#!/usr/bin/env bash
# End-to-end cost of the nginx module: the same nginx build twice in front of the same
# stub upstream on 127.0.0.1 — plain `proxy_pass`, and with `misp_guard on` — then
#   * wrk for DURATION on small sync calls: GET /servers/getVersion and
#     POST /events/index {"minimal":1,"published":1};
#   * a loop of PUSHES pushes of a generated 10 MiB event (POST /events/add) and of
#     PUSHES pulls of the same event (GET /events/view/UUID, response held back);
# and prints req/s with and without the module, the ratio, and the added latency
# per 10 MiB push/pull (median, p99). Plain and guarded runs alternate. Not a test: a
# measurement script.
#
#   benches/e2e/run.sh
#   DURATION=30s CONNS=32 PUSHES=100 benches/e2e/run.sh
#
# Environment:
#   NGINX_BIN       nginx binary (default: the vendored build of nginx-module, built here)
#   MODULE      libngx_http_misp_guard.so (default: built here, release)
#   NGX_TARGET  cargo target dir for nginx-module (default nginx-module/target)
#   CARGO_TARGET_DIR  target dir for the benches crate (generator)
#   DURATION (10s), CONNS (16), THREADS (1), ROUNDS (3), PUSHES (30), PORT_BASE (18080)
# Needs: wrk (Debian package `wrk`), curl, python3.
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
DURATION=${DURATION:-10s}
CONNS=${CONNS:-16}
THREADS=${THREADS:-1}
PUSHES=${PUSHES:-30}
ROUNDS=${ROUNDS:-3}
PORT_BASE=${PORT_BASE:-18080}
ngx_target=${NGX_TARGET:-$root/nginx-module/target}
bench_target=${CARGO_TARGET_DIR:-$root/target}

command -v wrk >/dev/null || { echo "wrk not found (apt-get install wrk)" >&2; exit 2; }

if [[ -z "${MODULE:-}" || -z "${NGINX_BIN:-}" ]]; then
    echo "building nginx-module (release, vendored nginx)..." >&2
    CARGO_TARGET_DIR=$ngx_target cargo build --release \
        --manifest-path nginx-module/Cargo.toml >&2
fi
MODULE=${MODULE:-$ngx_target/release/libngx_http_misp_guard.so}
if [[ -z "${NGINX_BIN:-}" ]]; then
    NGINX_BIN=$(ls -t "$ngx_target"/release/build/nginx-sys-*/out/objs/nginx 2>/dev/null | head -1)
fi
[[ -x "$NGINX_BIN" ]] || { echo "nginx binary not found (set NGINX_BIN=)" >&2; exit 2; }
[[ -f "$MODULE" ]] || { echo "module not found (set MODULE=)" >&2; exit 2; }

echo "building the body generator..." >&2
CARGO_TARGET_DIR=$bench_target cargo build --profile bench -p misp-guard-benches \
    --example rss >&2
gen="$bench_target/release/examples/rss"

work=$(mktemp -d "${TMPDIR:-/tmp}/misp-guard-e2e.XXXXXX")
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

"$gen" gen "$work/event10.json" 10 >/dev/null
"$gen" gen "$work/event10-blocked.json" 10 blocked >/dev/null
"$gen" config "$work/rules.json" 127.0.0.1 >/dev/null
# A `minimal` index answer as MISP gives it (3 events).
index='[{"id":"1","timestamp":"1730278463","sighting_timestamp":"0","published":true,"uuid":"385283a1-b5e0-4e10-a532-dce11c365a56"},{"id":"2","timestamp":"1730278466","sighting_timestamp":"0","published":true,"uuid":"bba62eca-8f51-45c9-ad90-5abaca45d6cd"},{"id":"3","timestamp":"1730278469","sighting_timestamp":"0","published":true,"uuid":"e37a6c99-c7dc-4e41-8c79-25e35c39df0a"}]'
uuid=385283a1-b5e0-4e10-a532-dce11c365a56

up=$PORT_BASE
plain=$((PORT_BASE + 1))
guarded=$((PORT_BASE + 2))

common() { # $1 = prefix dir
    cat <<EOF
worker_processes 1;
daemon off;
master_process off;
error_log $1/error.log warn;
pid $1/nginx.pid;
events { worker_connections 1024; }
EOF
}

http_common() {
    cat <<EOF
    access_log off;
    client_max_body_size 200m;
    client_body_buffer_size 16m;
    client_body_temp_path $1/body;
    proxy_temp_path $1/proxy;
    fastcgi_temp_path $1/fcgi;
    uwsgi_temp_path $1/uwsgi;
    scgi_temp_path $1/scgi;
    keepalive_timeout 60;
    keepalive_requests 1000000;
EOF
}

mkdir -p "$work"/{up,plain,guarded}/logs
{
    common "$work/up"
    echo "http {"
    http_common "$work/up"
    cat <<EOF
    server {
        listen 127.0.0.1:$up;
        default_type application/json;
        location = /servers/getVersion { return 200 '{"version":"2.5.0","perm_sync":true}'; }
        location = /events/index { return 200 '$index'; }
        location /events/add { return 200 '{"saved":true}'; }
        location /events/view/ { root $work; try_files /event10.json =404; }
    }
}
EOF
} >"$work/up/nginx.conf"

front() { # $1 = dir, $2 = port, $3 = guarded (0/1)
    [[ $3 == 1 ]] && echo "load_module $MODULE;"
    common "$1"
    echo "http {"
    http_common "$1"
    echo "    upstream stub { server 127.0.0.1:$up; keepalive 32; }"
    [[ $3 == 1 ]] && echo "    misp_guard_config $work/rules.json;"
    cat <<EOF
    server {
        listen 127.0.0.1:$2;
        location / {
            proxy_pass http://stub;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_buffering on;
            proxy_buffers 64 256k;
            proxy_max_temp_file_size 0;
EOF
    if [[ $3 == 1 ]]; then
        echo "            misp_guard on;"
        echo "            misp_guard_destination https://misp-b.example:443;"
    fi
    echo "        }"
    echo "    }"
    echo "}"
}
front "$work/plain" "$plain" 0 >"$work/plain/nginx.conf"
front "$work/guarded" "$guarded" 1 >"$work/guarded/nginx.conf"

for d in up plain guarded; do
    "$NGINX_BIN" -t -p "$work/$d" -c "$work/$d/nginx.conf" 2>"$work/$d/t.log" || {
        cat "$work/$d/t.log" >&2
        exit 1
    }
    "$NGINX_BIN" -p "$work/$d" -c "$work/$d/nginx.conf" &
    pids+=($!)
done
for port in $up $plain $guarded; do
    for _ in $(seq 50); do
        curl -fs -o /dev/null "http://127.0.0.1:$port/servers/getVersion" && break
        sleep 0.1
    done
done

# Sanity: the module decides (allowed passes, blocked is refused and logged), plain
# nginx passes both. A refusal counts when nginx logged it and nothing was forwarded;
# the status line is reported as seen.
status() { curl -s -m 20 -H 'Expect:' -o /dev/null -w '%{http_code}' "$@" || true; }
push() { status -X POST --data-binary @"$2" -H 'Content-Type: application/json' \
    "http://127.0.0.1:$1/events/add"; }
ok=$(push $guarded "$work/event10.json")
bad=$(push $guarded "$work/event10-blocked.json")
plain_bad=$(push $plain "$work/event10-blocked.json")
logged=$(grep -c 'request blocked: \[POST\]/events/add - attribute with a blocked tag: tlp:red' \
    "$work/guarded/error.log" || true)
echo "sanity: guarded allowed push -> $ok; guarded blocked push -> $bad (logged: $logged);" \
    "plain blocked push -> $plain_bad"
if [[ $ok != 200 || $plain_bad != 200 || $logged != 1 || $bad == 200 ]]; then
    echo "sanity check failed; guarded error.log:" >&2
    tail -20 "$work/guarded/error.log" >&2
    exit 1
fi
[[ $bad == 403 ]] || echo "warning: a blocked push was answered '$bad', not 403" >&2

cat >"$work/index.lua" <<'EOF'
wrk.method = "POST"
wrk.body = '{"minimal":1,"published":1}'
wrk.headers["Content-Type"] = "application/json"
EOF

rps() { # $1 port, $2 path, [$3 script]
    local script=()
    [[ -n "${3:-}" ]] && script=(-s "$3")
    wrk -t"$THREADS" -c"$CONNS" -d"$DURATION" "${script[@]}" "http://127.0.0.1:$1$2" \
        | awk '/Requests\/sec/ {print $2} /Non-2xx/ {print "non2xx", $NF > "/dev/stderr"}'
}

one() { # $1 port, $2 method, $3 path, [$4 body file] -> "status seconds"
    if [[ -n "${4:-}" ]]; then
        curl -s -m 60 -o /dev/null -w '%{http_code} %{time_total}\n' -X "$2" \
            --data-binary @"$4" -H 'Content-Type: application/json' -H 'Expect:' \
            "http://127.0.0.1:$1$3" || echo "000 0"
    else
        curl -s -m 60 -o /dev/null -w '%{http_code} %{time_total}\n' \
            "http://127.0.0.1:$1$3" || echo "000 0"
    fi
}

echo "measuring (wrk -t$THREADS -c$CONNS -d$DURATION x $ROUNDS rounds; $PUSHES x 10 MiB)..." >&2
# Alternate plain and guarded, ROUNDS times, and keep the median of each: on a shared
# machine this cancels most of the drift between two back-to-back runs.
median() { sort -n | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}'; }
: >"$work/v_plain"; : >"$work/v_guard"; : >"$work/i_plain"; : >"$work/i_guard"
for _ in $(seq "$ROUNDS"); do
    rps $plain /servers/getVersion >>"$work/v_plain"
    rps $guarded /servers/getVersion >>"$work/v_guard"
    rps $plain /events/index "$work/index.lua" >>"$work/i_plain"
    rps $guarded /events/index "$work/index.lua" >>"$work/i_guard"
done
v_plain=$(median <"$work/v_plain")
v_guard=$(median <"$work/v_guard")
i_plain=$(median <"$work/i_plain")
i_guard=$(median <"$work/i_guard")
: >"$work/push_plain"; : >"$work/push_guard"; : >"$work/pull_plain"; : >"$work/pull_guard"
for _ in $(seq "$PUSHES"); do
    one $plain POST /events/add "$work/event10.json" >>"$work/push_plain"
    one $guarded POST /events/add "$work/event10.json" >>"$work/push_guard"
    one $plain GET "/events/view/$uuid" >>"$work/pull_plain"
    one $guarded GET "/events/view/$uuid" >>"$work/pull_guard"
done

python3 - "$work" "$v_plain" "$v_guard" "$i_plain" "$i_guard" <<'EOF'
import sys, statistics
work, vp, vg, ip, ig = sys.argv[1], *map(float, sys.argv[2:6])

def load(name):
    codes, secs = [], []
    for line in open(f"{work}/{name}"):
        c, t = line.split()
        codes.append(c)
        if c == "200":
            secs.append(float(t) * 1000)
    bad = [c for c in codes if c != "200"]
    if bad:
        print(f"warning: {name}: {len(bad)} non-200 answers", file=sys.stderr)
    return sorted(secs)

def pct(xs, p):
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))]

print()
print("| small sync call | plain nginx req/s | with misp_guard req/s | ratio |")
print("|---|---|---|---|")
print(f"| GET /servers/getVersion | {vp:.0f} | {vg:.0f} | {vg / vp * 100:.1f} % |")
print(f"| POST /events/index (minimal, published) | {ip:.0f} | {ig:.0f} | {ig / ip * 100:.1f} % |")
print()
print("| 10 MiB event | plain median ms | plain p99 ms | guarded median ms | guarded p99 ms | added median ms | added p99 ms |")
print("|---|---|---|---|---|---|---|")
for what, a, b in [("push POST /events/add", "push_plain", "push_guard"),
                   ("pull GET /events/view (response held back)", "pull_plain", "pull_guard")]:
    p, g = load(a), load(b)
    pm, pp, gm, gp = statistics.median(p), pct(p, 99), statistics.median(g), pct(g, 99)
    print(f"| {what} | {pm:.1f} | {pp:.1f} | {gm:.1f} | {gp:.1f} | {gm - pm:.1f} | {gp - pp:.1f} |")
EOF
grep -E '\[(alert|emerg|crit)\]' "$work"/*/error.log >&2 && echo "worker errors above" >&2 || true
