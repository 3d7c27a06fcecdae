#!/usr/bin/env bash
# Every benchmark of Benchmarks/, one after another, then ONE summary table at the top of Benchmarks/README.md
# (between the bench:summary markers): for each measurement our figure, the baseline's figure from the same run,
# the ratio, our peak memory and the command that reproduces it (`make bench`).
#
#   make bench                   (installs what is missing and starts the local cluster first)
#   Benchmarks/run-all.sh        (after scripts/setup.sh; exits non-zero as soon as one benchmark fails)
#
# Never in parallel: the benchmarks share the PostgreSQL clusters of scripts/pg.sh and the machine's cores.
# Sizes, chosen to finish in about 20 minutes on 2 cores (each can be overridden from the environment):
#   N=1000000                     settled payments for reports (reports/run.sh)
#   RUNS=3                        repetitions of each reconcile measurement over 1,000,000 payments (reconcile/run.sh)
#   BENCH_SETTLE_PAYMENTS=5000    due payments per settle run (settle/run.sh)
#   BENCH_DURATION=20             seconds of callbacks from 32 connections (callbacks/run.sh)
#   BENCH_API_DURATION=15         seconds per endpoint and stack at 32 connections (api/run.sh)
#   BENCH_STATEMENT_LINES=500000  lines of the imported statement (statement/run.sh)
#   BENCH_C2B_DURATION=20         seconds of C2B validation requests at 200 per second (c2b/run.sh)
# BENCHES="settle reports" runs a subset; the summary then holds only those.
# Each run.sh writes its own section of Benchmarks/README.md and Benchmarks/out/<name>.summary.tsv, which this
# script gathers; each one's output is also kept in Benchmarks/out/run-all/<name>.log.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
cd "$root"
export PATH=/opt/swift/usr/bin:$PATH

export N=${N:-1000000}
export RUNS=${RUNS:-3}
export BENCH_SETTLE_PAYMENTS=${BENCH_SETTLE_PAYMENTS:-5000}
export BENCH_DURATION=${BENCH_DURATION:-20}
export BENCH_API_DURATION=${BENCH_API_DURATION:-15}
export BENCH_STATEMENT_LINES=${BENCH_STATEMENT_LINES:-500000}
read -r -a benches <<<"${BENCHES:-callbacks api settle reconcile reports statement c2b}"

out=$root/Benchmarks/out
logs=$out/run-all
readme=$root/Benchmarks/README.md
mkdir -p "$logs"

log() { printf '\n=== run-all: %s\n' "$*" >&2; }
die() { printf '\nrun-all: FAILED: %s\n' "$*" >&2; exit 1; }
now() { date +%s; }
load() { cut -d' ' -f1-3 /proc/loadavg; }
minutes() { awk -v s="$1" 'BEGIN { printf "%d min %02d s", s / 60, s % 60 }'; }

for name in "${benches[@]}"; do
    [ -x "$here/$name/run.sh" ] || die "no benchmark $name (expected an executable Benchmarks/$name/run.sh)"
done
if ! grep -qF '<!-- bench:summary:start -->' "$readme" || ! grep -qF '<!-- bench:summary:end -->' "$readme"; then
    die "Benchmarks/README.md has no <!-- bench:summary:start/end --> markers"
fi

started=$(now)
load_start=$(load)

# One release build up front, timed apart, so that no benchmark's time includes it (each run.sh then finds it done).
log "swift build -c release (load average $load_start)"
swift build -c release >"$logs/build.log" 2>&1 || { tail -30 "$logs/build.log" >&2; die "the release build failed (see $logs/build.log)"; }
build_seconds=$(($(now) - started))

declare -A seconds load_before load_after
for name in "${benches[@]}"; do
    rm -f "$out/$name.summary.tsv"
    load_before[$name]=$(load)
    log "$name: Benchmarks/$name/run.sh (load average ${load_before[$name]})"
    begin=$(now)
    set +e
    "$here/$name/run.sh" 2>&1 | tee "$logs/$name.log"
    status=${PIPESTATUS[0]}
    set -e
    seconds[$name]=$(($(now) - begin))
    load_after[$name]=$(load)
    [ "$status" = 0 ] || die "benchmark $name exited with status $status after $(minutes "${seconds[$name]}"); its output is in $logs/$name.log; the summary table was not written"
    [ -s "$out/$name.summary.tsv" ] || die "benchmark $name succeeded but wrote no $out/$name.summary.tsv"
    log "$name done in $(minutes "${seconds[$name]}")"
done
total=$(($(now) - started))

timings=""
for name in "${benches[@]}"; do
    timings+="${timings:+; }$name $(minutes "${seconds[$name]}") (load average ${load_before[$name]} → ${load_after[$name]})"
done
context="One run of \`Benchmarks/run-all.sh\` (\`make bench\`), $(date -u '+%Y-%m-%d %H:%M UTC'), $(minutes "$total") in all on $(nproc) cores \
($(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)) shared with other work: release build $(minutes "$build_seconds"), \
$timings. Load average at the start $load_start, at the end $(load)."

summaries=()
for name in "${benches[@]}"; do summaries+=("$out/$name.summary.tsv"); done
python3 - "$readme" "$context" "${summaries[@]}" <<'EOF'
import sys

readme, context, paths = sys.argv[1], sys.argv[2], sys.argv[3:]
columns = ["benchmark", "measure", "ours", "baseline", "baseline_figure", "ratio", "peak_memory", "command"]
rows = []
for path in paths:
    with open(path) as f:
        lines = f.read().splitlines()
    if not lines or lines[0].split("\t") != columns:
        sys.exit(f"run-all: {path} does not start with the expected header")
    for line in lines[1:]:
        fields = line.split("\t")
        if len(fields) != len(columns):
            sys.exit(f"run-all: {path}: expected {len(columns)} tab-separated fields, got {len(fields)}: {line!r}")
        rows.append(dict(zip(columns, fields)))
if not rows:
    sys.exit("run-all: no summary rows")

cell = lambda text: text.replace("|", "\\|")
table = [
    "| benchmark | measurement | ours | baseline (same run) | baseline's figure | ours ÷ baseline | our peak memory (RSS) | reproduce |",
    "|---|---|---:|---|---:|---:|---:|---|",
]
for row in rows:
    table.append("| " + " | ".join([
        cell(row["benchmark"]), cell(row["measure"]), cell(row["ours"]), cell(row["baseline"]),
        cell(row["baseline_figure"]), cell(row["ratio"]), cell(row["peak_memory"]), f"`{row['command']}`",
    ]) + " |")
section = "\n".join([
    "<!-- bench:summary:start -->",
    "## Summary",
    "",
    "Written by `Benchmarks/run-all.sh` (`make bench`), which runs every benchmark below one after another.",
    "The ratio is our figure divided by the baseline's: below 1 is better for times and latencies, above 1 is",
    "better for throughput. Every figure comes from the same run; the sections below give the details and checks.",
    "",
    *table,
    "",
    context,
    "<!-- bench:summary:end -->",
])
with open(readme) as f:
    text = f.read()
start, end = "<!-- bench:summary:start -->", "<!-- bench:summary:end -->"
a, b = text.index(start), text.index(end) + len(end)
with open(readme, "w") as f:
    f.write(text[:a] + section + text[b:])
print("\n".join(table))
print()
print(context)
EOF
log "summary written to Benchmarks/README.md; whole run $(minutes "$total")"
