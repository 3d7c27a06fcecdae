#!/usr/bin/env bash
# Reconcile over 1,000,000 payments and ~987,000 enrollments, next to the bare SQL join over the same tables,
# in the same run, on the same database.
#   Benchmarks/reconcile/run.sh            (release build; BUILD=debug for a quicker, slower binary)
# Uses the local throwaway PostgreSQL of scripts/pg.sh (PG_PORT, default 54329). Prints a Markdown table, keeps
# the raw figures in Benchmarks/out/reconcile.txt and the summary rows for Benchmarks/run-all.sh in
# Benchmarks/out/reconcile.summary.tsv, and replaces the "reconcile" section of Benchmarks/README.md
# (BENCH_NO_README=1 leaves it alone).
set -euo pipefail
cd "$(dirname "$0")/../.."
export PATH=/opt/swift/usr/bin:$PATH

PG_PORT=${PG_PORT:-54329}
BUILD=${BUILD:-release}
RUNS=${RUNS:-3}
admin=$(scripts/pg.sh start "$PG_PORT")
base=${admin%/*}
db=bench_reconcile
template=bench_reconcile_seed
url=$base/$db
out=Benchmarks/out
mkdir -p "$out"
rm -f "$out/reconcile.summary.tsv" "$out"/reconcile-*.time

swift build -c "$BUILD" --product mpesa-recon >/dev/null
bin=$(swift build -c "$BUILD" --show-bin-path)/mpesa-recon

[ -x /usr/bin/time ] || { echo "reconcile benchmark: needs GNU time for peak memory (apt-get install time)" >&2; exit 1; }
psql() { command psql -X -q -v ON_ERROR_STOP=1 "$@"; }
now_ms() { date +%s%3N; }

# The seeded database is built once and kept as a template; every measured run works on a fresh copy. Its comment
# holds a fingerprint of the schema and the seed it was built from, so a changed migration or seed rebuilds it.
fingerprint="seed $(cat sql/*.sql Benchmarks/reconcile/seed.sql | md5sum | cut -c1-32)"
if [ "$(psql "$admin" -tAc "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = '$template'")" != "$fingerprint" ]; then
    echo "seeding $template (1,000,000 payments)…" >&2
    psql "$admin" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" -c "DROP DATABASE IF EXISTS $template WITH (FORCE)" \
        -c "CREATE DATABASE $template"
    DATABASE_URL=$base/$template "$bin" migrate --sql-dir sql >/dev/null
    start=$(now_ms)
    psql "$base/$template" -f Benchmarks/reconcile/seed.sql
    psql "$admin" -c "COMMENT ON DATABASE $template IS '$fingerprint'"
    echo "seeded in $(( $(now_ms) - start )) ms" >&2
fi

fresh() {
    psql "$admin" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" -c "CREATE DATABASE $db TEMPLATE $template"
    psql "$url" -c "VACUUM ANALYZE" >/dev/null
}

# Times one SQL statement inside psql (server time for the statement, as \timing reports it).
time_sql() {
    psql "$url" -c '\timing on' -c "$1" | sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p' | tail -1
}

median() { sort -n | awk '{a[NR]=$1} END {printf "%.0f\n", (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

fresh
payments=$(psql "$url" -tAc "SELECT count(*) FROM payments")
enrollments=$(psql "$url" -tAc "SELECT count(*) FROM enrollments")

# Baseline 1: the plain join of every payment to its enrollment and course. count(e.id) keeps PostgreSQL from
# removing the join (a left join on a unique key whose columns are unused is dropped by the planner).
join_from="FROM payments p JOIN courses c ON c.id = p.course_id
          LEFT JOIN enrollments e ON e.user_id = p.user_id AND e.course_id = p.course_id"
join_all="SELECT count(*), count(e.id) $join_from"
# Baseline 2: the join a person would write to find paid-not-enrolled and price mismatches (no writes, no rules).
join_mismatch="SELECT count(*) $join_from WHERE p.status = 'completed'
          AND (e.id IS NULL OR coalesce(p.paid_amount, p.amount) <> c.price)"

declare -a t_join t_mismatch t_first t_rerun
for _ in $(seq "$RUNS"); do t_join+=("$(time_sql "$join_all")"); done
for _ in $(seq "$RUNS"); do t_mismatch+=("$(time_sql "$join_mismatch")"); done
mismatches=$(psql "$url" -tAc "$join_mismatch")

# Reconcile, first run (records every finding, enrolls, proposes refunds), each on a fresh copy.
summary=""
for i in $(seq "$RUNS"); do
    [ "$i" -gt 1 ] && fresh
    start=$(now_ms)
    summary=$(DATABASE_URL=$url /usr/bin/time -v -o "$out/reconcile-first-$i.time" "$bin" reconcile --json)
    t_first+=("$(( $(now_ms) - start ))")
done
# Re-runs on the last copy: the steady state of cron (nothing new; every finding seen again).
for i in $(seq "$RUNS"); do
    start=$(now_ms)
    DATABASE_URL=$url /usr/bin/time -v -o "$out/reconcile-rerun-$i.time" "$bin" reconcile --json >/dev/null
    t_rerun+=("$(( $(now_ms) - start ))")
done
findings=$(psql "$url" -tAc "SELECT count(*) FROM reconciliation_exceptions")
refunds=$(psql "$url" -tAc "SELECT count(*) FROM refunds")
pairs=$(echo "$summary" | sed -n 's/.*"pairs_judged" : \([0-9]*\).*/\1/p')
enrolled=$(echo "$summary" | sed -n 's/.*"enrolled" : \([0-9]*\).*/\1/p')
# Peak memory (maximum resident set size, MiB) over the runs of one kind.
peak_mib() { cat "$out"/reconcile-"$1"-*.time | awk -F': ' '/Maximum resident set size/ { if ($2 > m) m = $2 } END { printf "%.1f", m / 1024 }'; }
rss_first=$(peak_mib first)
rss_rerun=$(peak_mib rerun)
load_end=$(cut -d' ' -f1-3 /proc/loadavg)

m_join=$(printf '%s\n' "${t_join[@]}" | median)
m_mismatch=$(printf '%s\n' "${t_mismatch[@]}" | median)
m_first=$(printf '%s\n' "${t_first[@]}" | median)
m_rerun=$(printf '%s\n' "${t_rerun[@]}" | median)
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f×", a / b }'; }

{
    echo "Reconcile benchmark, $(date -u +%Y-%m-%dT%H:%MZ), $BUILD build, median of $RUNS, PostgreSQL $(psql "$url" -tAc 'SHOW server_version')"
    echo "$payments payments, $enrollments enrollments; $pairs candidate pairs judged; $findings findings; $refunds refunds proposed; $mismatches rows from the mismatch join"
    echo
    echo "| what | time (ms) | vs bare join |"
    echo "|---|---:|---:|"
    echo "| bare SQL join: payments ⟕ enrollments ⋈ courses, counted | $m_join | 1.0× |"
    echo "| bare SQL join with the mismatch filter (paid-not-enrolled, price) | $m_mismatch | $(ratio "$m_mismatch" "$m_join") |"
    echo "| \`mpesa-recon reconcile\`, first run (records, enrolls, proposes; whole process) | $m_first | $(ratio "$m_first" "$m_join") |"
    echo "| \`mpesa-recon reconcile\`, re-run (nothing new; whole process) | $m_rerun | $(ratio "$m_rerun" "$m_join") |"
    echo
    echo "raw: join ${t_join[*]}; mismatch ${t_mismatch[*]}; first ${t_first[*]}; rerun ${t_rerun[*]}"
    echo "first-run summary: $(echo "$summary" | tr -d '\n' | tr -s ' ')"
    echo "peak memory (RSS): first $rss_first MiB; re-run $rss_rerun MiB"
} | tee "$out/reconcile.txt"

ratio_plain() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
command="RUNS=$RUNS Benchmarks/reconcile/run.sh"
[ "$BUILD" = release ] || command="BUILD=$BUILD $command"
{
    printf 'benchmark\tmeasure\tours\tbaseline\tbaseline_figure\tratio\tpeak_memory\tcommand\n'
    printf 'reconcile\tfirst run over %s payments, whole process, median of %s\t%s ms\tbare SQL join, counted\t%s ms\t%s\t%s MiB\t%s\n' \
        "$payments" "$RUNS" "$m_first" "$m_join" "$(ratio_plain "$m_first" "$m_join")" "$rss_first" "$command"
    printf 'reconcile\tre-run (nothing new), whole process, median of %s\t%s ms\tbare SQL join, counted\t%s ms\t%s\t%s MiB\t%s\n' \
        "$RUNS" "$m_rerun" "$m_join" "$(ratio_plain "$m_rerun" "$m_join")" "$rss_rerun" "$command"
} >"$out/reconcile.summary.tsv"

if [ "${BENCH_NO_README:-0}" != 1 ]; then
    section=$(
        cat <<EOF
<!-- bench:reconcile:start -->
$(date -u +%Y-%m-%d), $BUILD build, median of $RUNS, $(nproc) cores shared with other work (load average $load_end at the end), PostgreSQL $(psql "$url" -tAc 'SHOW server_version' | awk '{ print $1 }'):

| what | time (ms) | vs bare join | peak memory (RSS) |
|---|---:|---:|---:|
| bare SQL join: payments ⟕ enrollments ⋈ courses, counted | $m_join | 1.0× | — |
| bare SQL join with the mismatch filter (paid-not-enrolled, price) | $m_mismatch | $(ratio "$m_mismatch" "$m_join") | — |
| \`mpesa-recon reconcile\`, first run: $findings findings recorded, $enrolled learners enrolled, $refunds refunds proposed | $m_first | $(ratio "$m_first" "$m_join") | $rss_first MiB |
| \`mpesa-recon reconcile\`, re-run: nothing new, every open finding seen again | $m_rerun | $(ratio "$m_rerun" "$m_join") | $rss_rerun MiB |

$payments payments, $enrollments enrollments; $pairs candidate pairs reach the rules. The joins' times are the server's (psql \`\\timing\`); reconcile's are the whole process, start to exit.
<!-- bench:reconcile:end -->
EOF
    )
    readme=Benchmarks/README.md
    grep -qF '<!-- bench:reconcile:start -->' "$readme" || { echo "reconcile benchmark: no bench:reconcile markers in $readme" >&2; exit 1; }
    printf '%s\n' "$section" >"$out/reconcile-section.md"
    awk -v file="$out/reconcile-section.md" '
        $0 == "<!-- bench:reconcile:start -->" { while ((getline line < file) > 0) print line; skip = 1; next }
        $0 == "<!-- bench:reconcile:end -->" { skip = 0; next }
        !skip { print }' "$readme" >"$out/README.new"
    mv "$out/README.new" "$readme"
    echo "wrote the reconcile section of $readme" >&2
fi

psql "$admin" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)"
