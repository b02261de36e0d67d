#!/usr/bin/env bash
# Runs the evaluator benches and prints ONE table: throughput of the core and of the
# comparators on the same bodies and rules, the ratios, and the peak RSS of a process
# judging a 100 MiB event.
#
#   benches/report.sh                # quick run (criterion --quick), ~5-10 min on 2 cores
#   FULL=1 benches/report.sh         # criterion's default sampling
#   BIG=1 benches/report.sh          # also the 100 MiB criterion group
#   NO_BENCH=1 benches/report.sh     # only re-print the table from target/criterion
#   NO_RSS=1 benches/report.sh       # skip the 100 MiB peak-RSS probe
#
# Criterion measures wall time: on a shared, loaded machine absolute numbers drop
# (ratios hold better); the RSS probe also prints MB per CPU-second, which does not
# count time spent waiting for a core.
#
# Environment: CARGO_TARGET_DIR (default: the workspace target/), BENCH_RUSTFLAGS
# (default "-C target-cpu=native": sonic-rs needs it for its SIMD paths, and every
# comparator gets the same flags), TMPDIR (the 100 MiB body goes there).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
target=${CARGO_TARGET_DIR:-$root/target}
export RUSTFLAGS=${BENCH_RUSTFLAGS:--C target-cpu=native}

cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')
flags=$(grep -m1 '^flags' /proc/cpuinfo | tr ' ' '\n' | grep -xE 'avx2|avx512f|bmi2' | tr '\n' ' ')
echo "machine: $(nproc) cores, ${cpu}, ${flags}"
echo "rustc:   $(rustc --version), RUSTFLAGS='${RUSTFLAGS}'"
echo "date:    $(date -u +%Y-%m-%dT%H:%MZ), commit $(git rev-parse --short HEAD 2>/dev/null || echo '?')"
echo

if [[ -z "${NO_BENCH:-}" ]]; then
    args=()
    [[ -z "${FULL:-}" ]] && args+=(--quick)
    if [[ -n "${BIG:-}" ]]; then export MISP_GUARD_BENCH_BIG=1; fi
    cargo bench -p misp-guard-benches --bench evaluator -- "${args[@]}" >&2
fi

python3 - "$target/criterion" <<'EOF'
import json, os, sys, glob

base = sys.argv[1]
rows = {}
for bj in glob.glob(os.path.join(base, "*", "*", "new", "benchmark.json")):
    d = os.path.dirname(bj)
    b = json.load(open(bj))
    est = json.load(open(os.path.join(d, "estimates.json")))
    ns = est.get("median", est["mean"])["point_estimate"]
    nbytes = (b.get("throughput") or {}).get("Bytes")
    if not nbytes or not ns:
        continue
    rows.setdefault(b["group_id"], {})[b["function_id"]] = nbytes / ns  # bytes/ns = GB/s

cols = ["core", "core_4k", "core_64k", "core_gzip", "core_br", "reference",
        "serde_typed", "sonic_typed", "limit"]
heads = ["core", "4k", "64k", "gzip", "br", "reference", "serde typed", "sonic typed",
         "limit", "core/ref", "core/sonic", "core/limit"]

def order(g):
    body, _, size = g.rpartition("_")
    unit = 1 << 20 if size.endswith("MiB") else 1 << 10
    try:
        n = int(size[:-3]) * unit
    except ValueError:
        n = 0
    return (0 if body == "event" else 1, body, n)

def fmt(x):
    return "-" if x is None else (f"{x:.3f}" if x < 10 else f"{x:.1f}")

def ratio(a, b):
    if a is None or b is None:
        return "-"
    r = a / b
    return f"{r:.1f}x" if r >= 0.95 else f"{r:.2f}x" if r >= 0.1 else f"{r:.3f}x"

print("Throughput in GB/s (bytes of JSON judged per ns; gzip/br: decoded bytes), median.")
print()
print("| body | " + " | ".join(heads) + " |")
print("|---" * (len(heads) + 1) + "|")
for g in sorted(rows, key=order):
    r = rows[g]
    vals = [r.get(c) for c in cols]
    core = r.get("core")
    print(f"| {g} | " + " | ".join(fmt(v) for v in vals) + " | "
          + " | ".join([ratio(core, r.get("reference")), ratio(core, r.get("sonic_typed")),
                        ratio(core, r.get("limit"))]) + " |")
EOF

if [[ -n "${NO_RSS:-}" ]]; then exit 0; fi

echo
cargo build --profile bench -p misp-guard-benches --example rss >&2
rss_bin="$target/release/examples/rss"
body=$(mktemp "${TMPDIR:-/tmp}/misp-guard-100MiB.XXXXXX.json")
trap 'rm -f "$body"' EXIT
"$rss_bin" gen "$body" 100 >/dev/null
echo "Peak RSS judging a $(( $(stat -c %s "$body") / 1048576 )) MiB event (/usr/bin/time -v):"
echo
echo "| evaluator | peak RSS | verdict | MB/s wall (incl. file read) | MB/s per CPU-second |"
echo "|---|---|---|---|---|"
for mode in "core 65536" "core 4096" "sonic" "reference"; do
    set -- $mode
    out=$( { /usr/bin/time -v "$rss_bin" "$1" "$body" ${2:-} >"$body.out"; } 2>&1 )
    kb=$(echo "$out" | awk -F: '/Maximum resident set size/ {gsub(/ /, "", $2); print $2}')
    cpu_s=$(echo "$out" | awk -F: '/(User|System) time \(seconds\)/ {s += $2} END {print s}')
    read -r verdict bytes _secs mbs <"$body.out"
    rm -f "$body.out"
    label=$1
    [[ $1 == core ]] && label="core, $(( $2 / 1024 )) KiB reads"
    [[ $1 == sonic ]] && label="sonic-rs typed (whole body)"
    [[ $1 == reference ]] && label="serde_json DOM (whole body)"
    printf '| %s | %.1f MiB | %s | %s | %.1f |\n' "$label" "$(echo "$kb / 1024" | bc -l)" \
        "$verdict" "$mbs" "$(echo "$bytes / $cpu_s / 1000000" | bc -l)"
done
