#!/usr/bin/env bash
# Reports benchmark: N settled payments (default 1 000 000) → XLSX and CSV, in one run:
#   XLSX: `mpesa-recon report --format xlsx`  vs  plain C over libxlsxwriter (settled_xlsx.c)
#         vs  Python XlsxWriter in constant_memory mode (settled_xlsx.py, fed by psql COPY);
#   CSV:  `mpesa-recon report --format csv`   vs  psql `COPY (settled.sql) TO STDOUT WITH CSV`
#         (and a COPY that formats the very same bytes in SQL, settled_formatted.sql).
# Wall time, CPU time (user + system) and peak memory ("Maximum resident set size") of each, from
# /usr/bin/time -v; the markdown
# table is printed and written into Benchmarks/README.md between the "reports" markers.
#
#   Benchmarks/reports/run.sh            N=100000 Benchmarks/reports/run.sh (a quicker trial)
#
# Uses the local cluster of scripts/pg.sh (PG_PORT, default 54329) and a database recon_bench_reports,
# re-created at the start and dropped at the end (KEEP=1 keeps it and the large output files).
# Outputs go to Benchmarks/out/reports (git-ignored); the timings (*.time) are always kept. The summary rows for
# Benchmarks/run-all.sh go to Benchmarks/out/reports.summary.tsv.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
export PATH=/opt/swift/usr/bin:$PATH
N=${N:-1000000}
PORT=${PG_PORT:-54329}
DB=recon_bench_reports
out=$root/Benchmarks/out/reports
summary=$root/Benchmarks/out/reports.summary.tsv
rm -rf "$out" "$summary"
mkdir -p "$out"

log() { printf '== %s\n' "$*" >&2; }

# --- tools ----------------------------------------------------------------------------------------
missing=()
[ -x /usr/bin/time ] || missing+=(time)
for package in libxlsxwriter-dev libpq-dev; do
    dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
done
for tool in psql:postgresql-client gcc:gcc pkg-config:pkg-config unzip:unzip; do
    command -v "${tool%%:*}" >/dev/null || missing+=("${tool#*:}")
done
if [ ${#missing[@]} -gt 0 ]; then
    log "installing ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
if ! python3 -c 'import xlsxwriter' 2>/dev/null; then
    log "installing XlsxWriter"
    python3 -m pip install -q xlsxwriter || python3 -m pip install -q --break-system-packages xlsxwriter
fi

log "building mpesa-recon (release)"
(cd "$root" && swift build -c release --product mpesa-recon >&2)
bin=$(cd "$root" && swift build -c release --show-bin-path)/mpesa-recon
log "building the C baseline"
# shellcheck disable=SC2046
gcc -O2 -o "$out/settled_xlsx" "$here/settled_xlsx.c" $(pkg-config --cflags --libs xlsxwriter libpq)

# --- database ---------------------------------------------------------------------------------------
admin=$("$root/scripts/pg.sh" start "$PORT")
url=${admin%/*}/$DB
log "seeding $N settled payments into $DB"
psql "$admin" -qX -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" \
    -c "CREATE DATABASE $DB" >/dev/null
DATABASE_URL=$url "$bin" migrate --sql-dir "$root/sql" >/dev/null
psql "$url" -qX -v n="$N" -f "$here/seed.sql" >/dev/null
settled_sql=$(cat "$here/settled.sql")
formatted_sql=$(cat "$here/settled_formatted.sql")
# Warm PostgreSQL's and the kernel's caches so that no contender pays for the first read.
psql "$url" -qX -c "COPY ($settled_sql) TO STDOUT WITH CSV" >/dev/null

# --- measurements -----------------------------------------------------------------------------------
# measure NAME COMMAND…: runs COMMAND under /usr/bin/time -v; output and timings go to $out/NAME.*
measure() {
    local name=$1
    shift
    /usr/bin/time -v -o "$out/$name.time" "$@" >"$out/$name.stdout" 2>"$out/$name.stderr"
}
seconds() { awk -F': ' '/Elapsed \(wall clock\)/ { n = split($2, p, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + p[i]; printf "%.2f", s }' "$1"; }
megabytes() { awk -F': ' '/Maximum resident set size/ { printf "%.1f", $2 / 1024 }' "$1"; }
cpu() { awk -F': ' '/(User|System) time \(seconds\)/ { s += $2 } END { printf "%.2f", s }' "$1"; }

export DATABASE_URL=$url
load_start=$(cut -d' ' -f1-3 /proc/loadavg)
period=(--from 2026-11-28 --to 2026-11-29)
log "XLSX: mpesa-recon"
measure ours-xlsx "$bin" report "${period[@]}" --format xlsx --out "$out/ours-xlsx"
log "XLSX: C over libxlsxwriter"
measure c-xlsx "$out/settled_xlsx" "$url" "$here/settled.sql" "$out/c.xlsx"
log "XLSX: Python XlsxWriter (constant_memory) fed by psql COPY"
/usr/bin/time -v -o "$out/py-copy.time" psql "$url" -qX -c "COPY ($settled_sql) TO STDOUT WITH CSV HEADER" \
    | /usr/bin/time -v -o "$out/py-xlsx.time" python3 "$here/settled_xlsx.py" "$out/py.xlsx" >"$out/py-xlsx.stdout"
log "CSV: mpesa-recon"
measure ours-csv "$bin" report "${period[@]}" --format csv --out "$out/ours-csv"
log "CSV: psql COPY of the same SELECT"
measure copy-csv psql "$url" -qX -c "COPY ($settled_sql) TO STDOUT WITH CSV HEADER"
log "CSV: psql COPY formatting the same bytes in SQL"
measure copy-formatted-csv psql "$url" -qX -c "COPY ($formatted_sql) TO STDOUT WITH CSV HEADER"

# --- the contenders wrote the same thing ------------------------------------------------------------
ours_csv=$out/ours-csv/2026-11-28_2026-11-29/settled.csv
ours_xlsx=$out/ours-xlsx/2026-11-28_2026-11-29/mpesa-recon-2026-11-28_2026-11-29.xlsx
rows=$(($(wc -l <"$ours_csv") - 1))
[ "$rows" -eq "$N" ] || { echo "run.sh: expected $N settled rows, the report has $rows" >&2; exit 1; }
# Our CSV starts with a UTF-8 byte order mark (for Excel) and ends lines with CRLF (RFC 4180), COPY with
# neither: otherwise the bytes must be equal.
[ "$(head -c 3 "$ours_csv" | od -An -tx1 | tr -d ' ')" = efbbbf ] \
    || { echo "run.sh: settled.csv does not start with a byte order mark" >&2; exit 1; }
tail -c +4 "$ours_csv" | tr -d '\r' | cmp -s - "$out/copy-formatted-csv.stdout" \
    || { echo "run.sh: settled.csv differs from the SQL-formatted COPY" >&2; exit 1; }
# Same libxlsxwriter calls → the Settled sheet's XML must be identical but for the tab selection
# (mpesa-recon's Settled is the second sheet, the C program's the first) and the style numbers, which
# libxlsxwriter hands out in the order formats are first used (mpesa-recon writes the Summary first).
normalise() { unzip -p "$1" "$2" | sed 's/ tabSelected="1"//; s/ s="[0-9]*"//g'; }
cmp -s <(normalise "$ours_xlsx" xl/worksheets/sheet2.xml) <(normalise "$out/c.xlsx" xl/worksheets/sheet1.xml) \
    || { echo "run.sh: the Settled sheet differs between mpesa-recon and the C program" >&2; exit 1; }
cmp -s "$out/py-xlsx.stdout" "$out/c-xlsx.stdout" \
    || { echo "run.sh: Python and C disagree on rows or total" >&2; exit 1; }
grep -q "^$N rows" "$out/c-xlsx.stdout" || { echo "run.sh: the C program wrote a different row count" >&2; exit 1; }

# --- table -----------------------------------------------------------------------------------------
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "–" }'; }
sum() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a + b }'; }
# line TASK CONTENDER WALL CPU MB OURS_WALL OURS_CPU OURS_MB
line() {
    printf '| %s | %s | %s | %s | %s | %s | %s | %s |\n' "$1" "$2" "$3" "$4" "$5" \
        "$(ratio "$6" "$3")" "$(ratio "$7" "$4")" "$(ratio "$8" "$5")"
}
row() { # TASK CONTENDER NAME OURS_NAME: one measured command
    line "$1" "$2" "$(seconds "$out/$3.time")" "$(cpu "$out/$3.time")" "$(megabytes "$out/$3.time")" \
        "$(seconds "$out/$4.time")" "$(cpu "$out/$4.time")" "$(megabytes "$out/$4.time")"
}
size() { awk -v b="$(stat -c %s "$1")" 'BEGIN { printf "%.0f MB", b / 1e6 }'; }
# The Python pipeline: psql and Python run side by side; Python ends last, so its wall time is the pipe's.
py_cpu=$(sum "$(cpu "$out/py-xlsx.time")" "$(cpu "$out/py-copy.time")")
py_mb=$(awk -v a="$(megabytes "$out/py-xlsx.time")" -v b="$(megabytes "$out/py-copy.time")" 'BEGIN { printf "%.1f", a + b }')
table=$(
    echo "| task | contender | wall s | CPU s | peak RSS MB | mpesa-recon ÷ it: wall | CPU | memory |"
    echo "|---|---|---:|---:|---:|---:|---:|---:|"
    row "XLSX ($(size "$ours_xlsx"))" "**mpesa-recon report --format xlsx** (all 5 sheets)" ours-xlsx ours-xlsx
    row "XLSX" "C over libxlsxwriter, constant memory (Settled sheet)" c-xlsx ours-xlsx
    line "XLSX" "Python XlsxWriter constant_memory + psql COPY (Settled sheet)" "$(seconds "$out/py-xlsx.time")" \
        "$py_cpu" "$py_mb" "$(seconds "$out/ours-xlsx.time")" "$(cpu "$out/ours-xlsx.time")" \
        "$(megabytes "$out/ours-xlsx.time")"
    row "CSV ($(size "$ours_csv"))" "**mpesa-recon report --format csv** (all 5 sheets)" ours-csv ours-csv
    row "CSV" "psql COPY (same SELECT) TO STDOUT WITH CSV" copy-csv ours-csv
    row "CSV" "psql COPY formatting the same bytes in SQL" copy-formatted-csv ours-csv
)
context="$N settled payments, $(date -u +%Y-%m-%d), $(nproc) cores ($(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)), \
load average at the start $load_start and at the end $(cut -d' ' -f1-3 /proc/loadavg); libxlsxwriter $(awk -F'"' '/define LXW_VERSION / { print $2 }' /usr/include/xlsxwriter.h), \
XlsxWriter $(python3 -c 'import xlsxwriter; print(xlsxwriter.__version__)'), $(psql --version | cut -d' ' -f1-3), Swift release build."
echo "$table"
echo "$context"

# summary_row MEASURE BASELINE OURS_FIGURE BASELINE_FIGURE OURS_VALUE BASELINE_VALUE OURS_MB: one row for run-all.sh.
summary_row() {
    printf 'reports\t%s\t%s\t%s\t%s\t%s\t%s MiB\tN=%s Benchmarks/reports/run.sh\n' "$1" "$3" "$2" "$4" "$(ratio "$5" "$6")" "$7" "$N"
}
wall_row() { # MEASURE BASELINE OURS_NAME BASELINE_WALL
    summary_row "$1" "$2" "$(seconds "$out/$3.time") s" "$4 s" "$(seconds "$out/$3.time")" "$4" "$(megabytes "$out/$3.time")"
}
{
    printf 'benchmark\tmeasure\tours\tbaseline\tbaseline_figure\tratio\tpeak_memory\tcommand\n'
    wall_row "XLSX of $N settled payments ($(size "$ours_xlsx")), wall time" "C over libxlsxwriter, constant memory" \
        ours-xlsx "$(seconds "$out/c-xlsx.time")"
    summary_row "XLSX of $N settled payments, CPU time (user + system)" "C over libxlsxwriter, constant memory" \
        "$(cpu "$out/ours-xlsx.time") s" "$(cpu "$out/c-xlsx.time") s" "$(cpu "$out/ours-xlsx.time")" \
        "$(cpu "$out/c-xlsx.time")" "$(megabytes "$out/ours-xlsx.time")"
    wall_row "XLSX of $N settled payments, wall time" "Python XlsxWriter constant_memory + psql COPY" \
        ours-xlsx "$(seconds "$out/py-xlsx.time")"
    wall_row "CSV of $N settled payments ($(size "$ours_csv")), wall time" "psql COPY (same SELECT) TO STDOUT WITH CSV" \
        ours-csv "$(seconds "$out/copy-csv.time")"
    wall_row "CSV of $N settled payments, wall time" "psql COPY formatting the same bytes in SQL" \
        ours-csv "$(seconds "$out/copy-formatted-csv.time")"
} >"$summary"

readme=$root/Benchmarks/README.md
python3 - "$readme" "$table" "$context" <<'EOF'
import sys
path, table, context = sys.argv[1:4]
begin, end = "<!-- reports:begin -->", "<!-- reports:end -->"
text = open(path).read()
a, b = text.index(begin) + len(begin), text.index(end)
open(path, "w").write(text[:a] + "\n" + table + "\n\n" + context + "\n" + text[b:])
EOF
log "table written to $readme"

if [ "${KEEP:-0}" != 1 ]; then
    psql "$admin" -qX -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null
    rm -rf "$out/ours-xlsx" "$out/ours-csv" "$out"/*.xlsx "$out"/*.stdout
fi
