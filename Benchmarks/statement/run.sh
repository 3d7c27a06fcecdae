#!/usr/bin/env bash
# Statement import benchmark: `mpesa-recon statement import FILE` (release build) on a generated
# 500,000-line Org Portal statement CSV, against a ledger holding the matching payments, next to PostgreSQL's COPY of
# the same file's table rows into a plain staging table of text columns (the floor: reading and storing the bytes,
# nothing parsed or checked), in the same run, on the same PostgreSQL.
#
#   Benchmarks/statement/run.sh        (from anywhere; exits non-zero when anything fails)
#
# Knobs (environment): BENCH_STATEMENT_LINES lines in the statement (500000), BUILD (release; debug for a trial),
# BENCH_PG_PORT port of the benchmark's own PostgreSQL cluster (54339, started with scripts/pg.sh and stopped again
# if this script started it), BENCH_NO_README=1 to leave README alone.
# Wall time, CPU time and peak memory are /usr/bin/time -v's. Prints a markdown table and replaces the "Statement
# import" section of Benchmarks/README.md; the summary rows for Benchmarks/run-all.sh go to
# Benchmarks/out/statement.summary.tsv. Run benchmarks one after another, never two at once.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
# shellcheck source=../lib/fresh-database.sh
. "$root/Benchmarks/lib/fresh-database.sh"
# shellcheck source=../lib/readme-section.sh
. "$root/Benchmarks/lib/readme-section.sh"
cd "$root"
export PATH=/opt/swift/usr/bin:$PATH

lines=${BENCH_STATEMENT_LINES:-500000}
build=${BUILD:-release}
pg_port=${BENCH_PG_PORT:-54339}
db=mpesa_recon_bench_statement
out=$root/Benchmarks/out/statement
summary=$root/Benchmarks/out/statement.summary.tsv
mkdir -p "$out"
rm -rf "${out:?}"/* "$summary"

log() { echo "== $*" >&2; }
die() { echo "statement benchmark: $*" >&2; exit 1; }

need=()
[ -x /usr/bin/time ] || need+=(time)
command -v psql >/dev/null 2>&1 || need+=(postgresql)
command -v jq >/dev/null 2>&1 || need+=(jq)
command -v python3 >/dev/null 2>&1 || need+=(python3)
if [ ${#need[@]} -gt 0 ]; then
    log "installing ${need[*]}"
    sudo_cmd=""
    [ "$(id -u)" = 0 ] || sudo_cmd="sudo"
    $sudo_cmd apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

log "swift build -c $build --product mpesa-recon"
swift build -c "$build" --product mpesa-recon >"$out/build.log" 2>&1 || { tail -30 "$out/build.log" >&2; die "build failed"; }
bin=$(swift build -c "$build" --show-bin-path)/mpesa-recon

started_pg=0
if ! scripts/pg.sh status "$pg_port" >/dev/null 2>&1; then started_pg=1; fi
admin=$(scripts/pg.sh start "$pg_port")
url="postgresql://postgres@127.0.0.1:$pg_port/$db"

cleanup() {
    local status=$?
    if [ "$started_pg" = 1 ]; then scripts/pg.sh stop "$pg_port" || true; fi
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log "generating a $lines-line statement and its ledger (Benchmarks/statement/gen.py)"
read -r rows preamble payment_lines sweeps ledger_rows \
    <<<"$(python3 "$here/gen.py" "$lines" "$out/statement.csv" "$out/payments.tsv")"
[ "$rows" = "$lines" ] || die "gen.py wrote $rows lines, not $lines"
walk_ins=$(((payment_lines + 500) / 1000))
missing=$((payment_lines / 1000))
size_mb=$(awk -v b="$(stat -c %s "$out/statement.csv")" 'BEGIN { printf "%.0f", b / 1e6 }')

log "fresh database $db on 127.0.0.1:$pg_port, migrated; $ledger_rows completed payments in the ledger"
fresh_database "$admin" "$db" "$url" "$bin" "$out" "$root"
psql -qX -v ON_ERROR_STOP=1 "$url" >"$out/seed.log" <<SQL
INSERT INTO courses (id, title, price) SELECT c, 'Course ' || c, 1000 * c + 500 FROM generate_series(1, 10) c;
INSERT INTO users (id, email, full_name)
    SELECT u, 'learner' || u || '@bench.invalid', 'Learner ' || u FROM generate_series(1, 5000) u;
CREATE TEMPORARY TABLE ledger (user_id bigint, course_id bigint, amount numeric(12,2), phone text, receipt text,
                               created_at timestamptz, paid_at timestamptz);
\copy ledger FROM '$out/payments.tsv'
INSERT INTO payments (user_id, course_id, amount, phone, checkout_request_id, merchant_request_id, status, result_code,
                      result_desc, mpesa_receipt, paid_amount, paid_phone, paid_at, settled_via, created_at, updated_at)
    SELECT user_id, course_id, amount, phone, 'ws_CO_ST' || receipt, 'st-' || receipt, 'completed', '0',
           'The service request is processed successfully.', receipt, amount, phone, paid_at, 'callback', created_at,
           paid_at
    FROM ledger ORDER BY paid_at;
-- The floor's table: the statement's 13 columns as text, no constraints, no indexes.
CREATE TABLE statement_staging (receipt_no text, completion_time text, initiation_time text, details text,
    transaction_status text, paid_in text, withdrawn text, balance text, balance_confirmed text, reason_type text,
    other_party_info text, linked_transaction_id text, ac_no text);
VACUUM ANALYZE;
CHECKPOINT;
SQL

seconds() { awk -F': ' '/Elapsed \(wall clock\)/ { n = split($2, p, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + p[i]; printf "%.2f", s }' "$1"; }
cpu() { awk -F': ' '/User time|System time/ { s += $2 } END { printf "%.2f", s }' "$1"; }
rss() { awk -F': ' '/Maximum resident set size/ { printf "%.1f", $2 / 1024 }' "$1"; }

log "ours: mpesa-recon statement import --json ($size_mb MB)"
(
    cd "$out"
    export DATABASE_URL=$url RECON_LOG_LEVEL=warning
    exec /usr/bin/time -v -o "$out/ours.time" "$bin" statement import --json "$out/statement.csv" \
        >"$out/ours.json" 2>"$out/ours.log"
) || { cat "$out/ours.log" >&2; die "statement import failed"; }

log "floor: psql \\copy of the table rows (the 8 header-block rows skipped by tail) into statement_staging"
start=$(date +%s%N)
tail -n +9 "$out/statement.csv" \
    | /usr/bin/time -v -o "$out/copy.time" psql -qX -v ON_ERROR_STOP=1 "$url" \
        -c "\\copy statement_staging FROM STDIN WITH (FORMAT csv)" >"$out/copy.log" 2>&1 \
    || { cat "$out/copy.log" >&2; die "COPY failed"; }
copy_wall=$(awk -v ns="$(($(date +%s%N) - start))" 'BEGIN { printf "%.2f", ns / 1e9 }')

q() { psql -qtAX -v ON_ERROR_STOP=1 "$url" -c "$1"; }
js() { jq -r ".$1" "$out/ours.json"; }
problems=()
stored=$(q "SELECT count(*) FROM statement_lines")
staged=$(q "SELECT count(*) FROM statement_staging")
[ "$(js lines)" = "$lines" ] || problems+=("import read $(js lines) lines, not $lines")
[ "$stored" = "$lines" ] || problems+=("statement_lines holds $stored rows, not $lines")
[ "$staged" = "$lines" ] || problems+=("statement_staging holds $staged rows, not $lines")
[ "$(js balance_check)" = ok ] || problems+=("balance check: $(js balance_check)")
[ "$(js matched)" = "$((payment_lines - walk_ins))" ] || problems+=("matched $(js matched), expected $((payment_lines - walk_ins))")
[ "$(js statement_only)" = "$walk_ins" ] || problems+=("statement-only $(js statement_only), expected $walk_ins")
[ "$(js missing_from_statement)" = "$missing" ] || problems+=("missing from the statement $(js missing_from_statement), expected $missing")
[ "$(js amount_mismatches)" = 0 ] && [ "$(js ambiguous)" = 0 ] || problems+=("amount mismatches $(js amount_mismatches), ambiguous $(js ambiguous)")
check="statement_lines holds ${stored} rows and statement_staging ${staged}; the import's balance check: $(js balance_check) (opening + paid in − withdrawn = closing, totals agree); $(js matched) lines matched to payments by receipt, $(js statement_only) statement-only (the walk-in payers), $(js missing_from_statement) payments missing from the statement, $(js amount_mismatches) amount mismatches, $(js ambiguous) ambiguous: as generated"
log "$check"

ours_wall=$(seconds "$out/ours.time")
ours_cpu=$(cpu "$out/ours.time")
ours_rss=$(rss "$out/ours.time")
copy_cpu=$(cpu "$out/copy.time")
copy_rss=$(rss "$out/copy.time")
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
per_second() { awk -v n="$lines" -v s="$1" 'BEGIN { printf "%.0f", n / s }'; }
wall_ratio=$(ratio "$ours_wall" "$copy_wall")
pg_version=$(q "SHOW server_version" | awk '{ print $1 }')
cores=$(nproc)
load=$(cut -d' ' -f1-3 /proc/loadavg)

table=$(
    cat <<EOF
| ${lines} lines (${size_mb} MB CSV) | wall time | lines/s | CPU time (client) | peak memory (RSS, client) | ours / this (wall) |
|---|---:|---:|---:|---:|---:|
| **ours:** \`mpesa-recon statement import\` (${build}): parse, check, store in \`statement_lines\`, match | ${ours_wall} s | $(per_second "$ours_wall") | ${ours_cpu} s | ${ours_rss} MiB | — |
| **floor:** \`tail -n +9 \| psql -c '\\copy statement_staging FROM STDIN (FORMAT csv)'\` | ${copy_wall} s | $(per_second "$copy_wall") | ${copy_cpu} s | ${copy_rss} MiB | ${wall_ratio} |
EOF
)
echo
echo "$table"
echo
echo "Checked: $check."

if [ ${#problems[@]} -gt 0 ]; then
    printf 'statement benchmark FAILED: %s\n' "${problems[@]}" >&2
    exit 1
fi

command="BENCH_STATEMENT_LINES=$lines Benchmarks/statement/run.sh"
[ "$build" = release ] || command="BUILD=$build $command"
{
    printf 'benchmark\tmeasure\tours\tbaseline\tbaseline_figure\tratio\tpeak_memory\tcommand\n'
    printf 'statement\timport of a %s-line Org Portal CSV (%s MB), wall time\t%s s\tpsql \\copy of its rows into a text staging table\t%s s\t%s\t%s MiB\t%s\n' \
        "$lines" "$size_mb" "$ours_wall" "$copy_wall" "$wall_ratio" "$ours_rss" "$command"
} >"$summary"

if [ "${BENCH_NO_README:-0}" != 1 ]; then
    section=$(
        cat <<EOF
## Statement import

\`Benchmarks/statement/run.sh\` — $(date -u '+%Y-%m-%d %H:%M UTC'), ${cores} cores shared with other work (load average ${load} at the end), PostgreSQL ${pg_version} on loopback (\`scripts/pg.sh\`, fsync off; the same server and database for both), ${build} build.

${table}

- **File:** \`Benchmarks/statement/gen.py\` writes ${lines} lines in the Org Portal CSV layout of \`daraja-sim\`'s \`GET /sim/statement\` (the header block with balances and totals, a blank row, the \`Receipt No.\` table, CRLF, amounts with thousands separators, EAT \`DD-MM-YYYY HH:MM:SS\`): ${payment_lines} Pay Bill Online lines from learners and ${sweeps} daily sweeps to the settlement account, over ${sweeps} days. The ledger holds ${ledger_rows} completed payments: one for each Pay Bill line but the ${walk_ins} walk-in payers, plus ${missing} the statement lacks.
- **Ours:** \`mpesa-recon statement import --json FILE\`, the whole process: hash the file, parse and check every row (receipt, dates, amounts, class), insert into \`statement_lines\` (unique receipt index, three more indexes) in batches of 2,000 in one transaction, check the balances, then the matching step (link by receipt, findings for the differences, the balance proof) in a second transaction.
- **Floor:** PostgreSQL's COPY of the same rows as text into a table without constraints or indexes: what storing the file's bytes costs at the least, with no parsing, no checks and no matching. CPU and memory are psql's (the client); the server's work is in both wall times and in neither CPU column.
- **Checked:** ${check}.
EOF
    )
    write_readme_section "$root" statement "$section" "$out"
    log "wrote the Statement import section of Benchmarks/README.md"
fi
