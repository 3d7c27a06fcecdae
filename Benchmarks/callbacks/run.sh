#!/usr/bin/env bash
# Callbacks benchmark (issue 4): `mpesa-recon serve` (release build) receiving real-shaped STK success
# callbacks from 32 concurrent connections on loopback, each for a different seeded pending payment, so
# every one is stored in callback_inbox, applied (payment completed) and enrolls the learner; next to
# pgbench's single-row INSERT transactions into a copy of callback_inbox at the same concurrency and for
# the same duration, in the same run, on the same PostgreSQL.
#
#   Benchmarks/callbacks/run.sh        (from anywhere; exits non-zero when anything fails)
#
# Knobs (environment): BENCH_DURATION seconds per measured run (20), BENCH_WARMUP seconds (3),
# BENCH_CALLBACK_PAYMENTS seeded payments (200000; must exceed what the endpoint can take in the warm-up
# plus the run), BENCH_PG_PORT port of the benchmark's own PostgreSQL cluster (54339, started with
# scripts/pg.sh and stopped again if this script started it), BENCH_NO_README=1 to leave README alone.
# Prints a markdown table and replaces the "Callbacks" section of Benchmarks/README.md; the summary rows for
# Benchmarks/run-all.sh go to Benchmarks/out/callbacks.summary.tsv.
# Run benchmarks one after another, never two at once: they share that cluster and the machine.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
# shellcheck source=../lib/readme-section.sh
. "$root/Benchmarks/lib/readme-section.sh"
cd "$root"
export PATH=/opt/swift/usr/bin:$PATH

duration=${BENCH_DURATION:-20}
warmup=${BENCH_WARMUP:-3}
seeded=${BENCH_CALLBACK_PAYMENTS:-200000}
pg_port=${BENCH_PG_PORT:-54339}
connections=32
threads=2
db=mpesa_recon_bench_callbacks
token=bench-callback-token-0123456789
out=$root/Benchmarks/out/callbacks
summary=$root/Benchmarks/out/callbacks.summary.tsv
mkdir -p "$out"
rm -rf "${out:?}"/* "$summary"

log() { echo "== $*" >&2; }
die() { echo "callbacks benchmark: $*" >&2; exit 1; }

# Tools: wrk (load), pgbench and psql (PostgreSQL), GNU time (peak memory). Only what is missing.
need=()
command -v wrk >/dev/null 2>&1 || need+=(wrk)
[ -x /usr/bin/time ] || need+=(time)
command -v curl >/dev/null 2>&1 || need+=(curl)
ls /usr/lib/postgresql/*/bin/pgbench >/dev/null 2>&1 || need+=(postgresql)
if [ ${#need[@]} -gt 0 ]; then
    log "installing ${need[*]}"
    sudo_cmd=""
    [ "$(id -u)" = 0 ] || sudo_cmd="sudo"
    $sudo_cmd apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
pgbench=$(ls /usr/lib/postgresql/*/bin/pgbench | sort -V | tail -1)

log "swift build -c release --product mpesa-recon"
swift build -c release --product mpesa-recon >"$out/build.log" 2>&1 || { tail -30 "$out/build.log" >&2; die "build failed"; }
bin=$(swift build -c release --show-bin-path)/mpesa-recon

# Our own cluster on its own port, so other work on the shared test cluster neither disturbs nor sees us.
started_pg=0
if ! scripts/pg.sh status "$pg_port" >/dev/null 2>&1; then started_pg=1; fi
admin=$(scripts/pg.sh start "$pg_port")
url="postgresql://postgres@127.0.0.1:$pg_port/$db"

time_pid=""
cleanup() {
    local status=$?
    if [ -n "$time_pid" ] && kill -0 "$time_pid" 2>/dev/null; then
        pkill -TERM -P "$time_pid" 2>/dev/null || true
        wait "$time_pid" 2>/dev/null || true
    fi
    if [ "$started_pg" = 1 ]; then scripts/pg.sh stop "$pg_port" || true; fi
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log "fresh database $db on 127.0.0.1:$pg_port, migrated with mpesa-recon migrate"
psql -qX "$admin" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" -c "CREATE DATABASE $db" >/dev/null
(cd "$out" && DATABASE_URL=$url RECON_SQL_DIR=$root/sql "$bin" migrate >"$out/migrate.log" 2>&1) \
    || { cat "$out/migrate.log" >&2; die "migrate failed"; }

log "seeding $seeded pending payments (ws_CO_BENCH000000001 …), one per learner and course"
courses=100
users=$(((seeded + courses - 1) / courses))
psql -qX -v ON_ERROR_STOP=1 "$url" >/dev/null <<SQL
INSERT INTO courses (id, title, price) SELECT c, 'Bench course ' || c, 100 FROM generate_series(1, $courses) c;
INSERT INTO users (id, email, full_name)
    SELECT u, 'learner' || u || '@bench.invalid', 'Bench learner ' || u FROM generate_series(1, $users) u;
INSERT INTO payments (user_id, course_id, amount, phone, checkout_request_id, merchant_request_id, status,
                      next_check_at, created_at)
    SELECT (i - 1) / $courses + 1, (i - 1) % $courses + 1, 100, '2547' || lpad((i % 100000000)::text, 8, '0'),
           'ws_CO_BENCH' || lpad(i::text, 9, '0'), 'bench-' || i, 'pending', now() + interval '1 day',
           now() - interval '1 minute'
    FROM generate_series(1, $seeded) i;
-- The baseline's table: callback_inbox's columns, constraints and indexes, its own id sequence.
CREATE TABLE pgbench_callback_inbox (LIKE callback_inbox INCLUDING ALL EXCLUDING DEFAULTS);
CREATE SEQUENCE pgbench_callback_inbox_id_seq OWNED BY pgbench_callback_inbox.id;
ALTER TABLE pgbench_callback_inbox
    ALTER COLUMN id SET DEFAULT nextval('pgbench_callback_inbox_id_seq'),
    ALTER COLUMN received_at SET DEFAULT now(),
    ALTER COLUMN headers SET DEFAULT '{}'::jsonb,
    ALTER COLUMN sweep_attempts SET DEFAULT 0,
    ALTER COLUMN next_sweep_at SET DEFAULT '-infinity';
VACUUM ANALYZE;
SQL

q() { psql -qtAX -v ON_ERROR_STOP=1 "$url" -c "$1"; }
# Transactions the endpoint commits per callback, from PostgreSQL's own counters (flushed when a backend exits).
xacts() { q "SELECT xact_commit || ' ' || xact_rollback FROM pg_stat_database WHERE datname = current_database()"; }
read -r commits_before rollbacks_before <<<"$(xacts)"

log "starting mpesa-recon serve (release) on a free loopback port, under /usr/bin/time -v"
(
    cd "$out"
    export DATABASE_URL=$url MPESA_CALLBACK_TOKEN=$token RECON_SPOOL_DIR=$out/spool RECON_LOG_LEVEL=warning
    exec /usr/bin/time -v -o "$out/serve.time" "$bin" serve --host 127.0.0.1 --port 0 >"$out/serve.log" 2>&1
) &
time_pid=$!
port=""
for _ in $(seq 1 200); do
    port=$(sed -n 's|.*listening on http://127\.0\.0\.1:\([0-9]*\).*|\1|p' "$out/serve.log" 2>/dev/null | head -1)
    [ -n "$port" ] && break
    kill -0 "$time_pid" 2>/dev/null || { cat "$out/serve.log" >&2; die "serve exited"; }
    sleep 0.1
done
[ -n "$port" ] || die "serve did not report its port"
base="http://127.0.0.1:$port"
[ "$(curl -s -o /dev/null -w '%{http_code}' "$base/healthz")" = 200 ] || die "serve is not healthy"

wrk_run() { # seconds offset → RESULT line
    wrk -t "$threads" -c "$connections" -d "${1}s" --timeout 10s -s "$here/callbacks.lua" "$base" \
        -- "$token" "$2" "$threads" >"$out/wrk-$3.txt" 2>&1 || { cat "$out/wrk-$3.txt" >&2; die "wrk failed"; }
    grep '^RESULT ' "$out/wrk-$3.txt" || die "wrk printed no RESULT line"
}
field() { sed -n "s/.* $1=\([0-9.]*\).*/\1/p" <<<" $2"; }

log "warm-up: ${warmup}s of callbacks"
warm=$(wrk_run "$warmup" 0 warmup)
offset=$(field top "$warm")
log "measured: ${duration}s of callbacks, $connections connections, $threads wrk threads"
result=$(wrk_run "$duration" "$offset" run)
top=$(field top "$result")
[ "$top" -le "$seeded" ] || die "wrk posted for payment $top but only $seeded are seeded: raise BENCH_CALLBACK_PAYMENTS"

requests=$(field requests "$result")
duration_us=$(field duration_us "$result")
status_errors=$(field status_errors "$result")
socket_errors=$(($(field connect_errors "$result") + $(field read_errors "$result") + $(field write_errors "$result") + $(field timeouts "$result")))
ours_rate=$(awk -v n="$requests" -v us="$duration_us" 'BEGIN { printf "%.0f", n / (us / 1e6) }')
ours_p99=$(awk -v us="$(field p99_us "$result")" 'BEGIN { printf "%.2f", us / 1000 }')
ours_p50=$(awk -v us="$(field p50_us "$result")" 'BEGIN { printf "%.2f", us / 1000 }')
warm_ok=$(($(field requests "$warm") - $(field status_errors "$warm")))
run_ok=$((requests - status_errors))

metrics=$(curl -s "$base/metrics")
# The Prometheus series `mpesa_recon_callbacks_received_total{route="…",outcome="…"}`, summed over routes (and
# outcomes unless one is named).
received_total() {
    awk -v outcome="${1:-}" '
        index($1, "mpesa_recon_callbacks_received_total{") == 1 && (outcome == "" || index($1, "outcome=\"" outcome "\"") > 0) {
            sum += $NF
        }
        END { printf "%d", sum }' <<<"$metrics"
}
received=$(received_total)
stored=$(received_total stored)
spooled=$(received_total spooled)
lost=$(received_total lost)

log "stopping serve (SIGTERM, graceful)"
pkill -TERM -P "$time_pid" || true
wait "$time_pid" || die "serve did not exit cleanly (see $out/serve.log)"
time_pid=""
ours_rss_mib=$(awk -F': ' '/Maximum resident set size/ { printf "%.1f", $2 / 1024 }' "$out/serve.time")

log "checking the database: every body stored, applied once, learner enrolled"
read -r commits_after rollbacks_after <<<"$(xacts)"
inbox=$(q "SELECT count(*) FROM callback_inbox WHERE kind = 'stk'")
inbox_applied=$(q "SELECT count(*) FROM callback_inbox WHERE kind = 'stk' AND outcome = 'applied'")
inbox_distinct=$(q "SELECT count(DISTINCT reference) FROM callback_inbox WHERE kind = 'stk'")
completed=$(q "SELECT count(*) FROM payments WHERE status = 'completed' AND settled_via = 'callback' AND mpesa_receipt IS NOT NULL")
enrolled=$(q "SELECT count(*) FROM enrollments e JOIN payments p ON p.id = e.payment_id WHERE p.status = 'completed'")
events=$(q "SELECT count(*) FROM payment_events WHERE source = 'callback' AND to_status = 'completed'")
answered_ok=$((warm_ok + run_ok))
# The one xacts() query above and the endpoint's start-up and sweeps are in the difference too: a handful.
per_callback=$(awk -v c="$((commits_after - commits_before))" -v n="$inbox" 'BEGIN { printf "%.2f", c / n }')
rollbacks=$((rollbacks_after - rollbacks_before))
problems=()
[ "$status_errors" = 0 ] && [ "$(field status_errors "$warm")" = 0 ] || problems+=("non-2xx answers")
[ "$socket_errors" = 0 ] || problems+=("$socket_errors socket errors/timeouts")
[ "$spooled" = 0 ] && [ "$lost" = 0 ] || problems+=("spooled=$spooled lost=$lost")
[ "$inbox" = "$stored" ] && [ "$stored" = "$received" ] || problems+=("received=$received stored=$stored inbox=$inbox")
[ "$inbox" -ge "$answered_ok" ] || problems+=("$answered_ok answered 200 but only $inbox in the inbox")
[ "$inbox_applied" = "$inbox" ] && [ "$inbox_distinct" = "$inbox" ] || problems+=("inbox: $inbox rows, $inbox_applied applied, $inbox_distinct distinct")
[ "$completed" = "$inbox" ] && [ "$enrolled" = "$inbox" ] && [ "$events" = "$inbox" ] \
    || problems+=("completed=$completed enrolled=$enrolled events=$events for $inbox callbacks")
[ "$rollbacks" = 0 ] || problems+=("$rollbacks transactions rolled back")
check="$answered_ok callbacks answered 200 (wrk stops with up to $connections in flight, twice: warm-up and run); the server received $received, stored $stored (spooled $spooled, lost $lost); callback_inbox holds $inbox rows, $inbox_applied applied, $inbox_distinct distinct CheckoutRequestIDs; $completed payments completed by callback with a receipt, $enrolled enrollments, $events events; $per_callback commits per callback, $rollbacks rollbacks"
log "$check"

log "baseline: pgbench, single-row INSERT transactions, -c $connections -j $threads, warm-up ${warmup}s, then -T $duration"
pgbench_run() { # seconds name [extra args]
    local seconds=$1 name=$2
    shift 2
    (cd "$out" && "$pgbench" -n -c "$connections" -j "$threads" -T "$seconds" -f "$here/pgbench-insert.sql" "$@" "$url") \
        >"$out/pgbench-$name.txt" 2>&1 || { cat "$out/pgbench-$name.txt" >&2; die "pgbench failed"; }
}
pgbench_run "$warmup" warmup
pgbench_run "$duration" run -l --log-prefix=pgbench
base_tps=$(sed -n 's/^tps = \([0-9.]*\) (without initial connection time)/\1/p' "$out/pgbench-run.txt" | awk '{ printf "%.0f", $1 }')
failed_tx=$(sed -n 's/^number of failed transactions: \([0-9]*\).*/\1/p' "$out/pgbench-run.txt")
[ "${failed_tx:-0}" = 0 ] || problems+=("pgbench: $failed_tx failed transactions")
# Per-transaction log: "client transaction latency_us script epoch epoch_us"; percentiles over all of them.
percentile() { cat "$out"/pgbench.* | awk '{ print $3 }' | sort -n | awk -v p="$1" '{ a[NR] = $1 } END { i = int(NR * p / 100 + 0.999999); if (i < 1) i = 1; printf "%.2f", a[i] / 1000 }'; }
base_p99=$(percentile 99)
base_p50=$(percentile 50)
base_rows=$(q "SELECT count(*) FROM pgbench_callback_inbox")

rate_ratio=$(awk -v a="$ours_rate" -v b="$base_tps" 'BEGIN { printf "%.2f", a / b }')
p99_ratio=$(awk -v a="$ours_p99" -v b="$base_p99" 'BEGIN { printf "%.2f", a / b }')
p50_ratio=$(awk -v a="$ours_p50" -v b="$base_p50" 'BEGIN { printf "%.2f", a / b }')
pg_settings=$(q "SELECT string_agg(name || '=' || current_setting(name), ', ' ORDER BY name) FROM pg_settings WHERE name IN ('fsync', 'synchronous_commit', 'shared_buffers', 'max_connections')")
pg_version=$(q "SHOW server_version" | awk '{ print $1 }')
cores=$(nproc)
load=$(awk '{ print $1 }' /proc/loadavg)

table=$(
    cat <<EOF
| callbacks, ${connections} connections, ${duration} s | ours: \`mpesa-recon serve\` | baseline: \`pgbench\` single-row INSERT | ratio (ours / baseline) |
|---|---:|---:|---:|
| throughput | ${ours_rate} callbacks/s | ${base_tps} transactions/s | ${rate_ratio} |
| p99 latency | ${ours_p99} ms | ${base_p99} ms | ${p99_ratio} |
| p50 latency | ${ours_p50} ms | ${base_p50} ms | ${p50_ratio} |
| peak memory (RSS) | ${ours_rss_mib} MiB | — | — |
| work per item | HTTP request, token check, store body (1 transaction), decode, apply: payment completed, enrollment, event, inbox outcome (1 transaction) | 1 INSERT of the same body into a copy of \`callback_inbox\` | |
EOF
)
echo
echo "$table"
echo
echo "Nothing lost: $check."
echo "pgbench inserted $base_rows rows (warm-up included)."

if [ ${#problems[@]} -gt 0 ]; then
    printf 'callbacks benchmark FAILED: %s\n' "${problems[@]}" >&2
    exit 1
fi

command="BENCH_DURATION=$duration Benchmarks/callbacks/run.sh"
{
    printf 'benchmark\tmeasure\tours\tbaseline\tbaseline_figure\tratio\tpeak_memory\tcommand\n'
    printf 'callbacks\tthroughput, %s connections, %s s\t%s callbacks/s\tpgbench single-row INSERT\t%s transactions/s\t%s\t%s MiB\t%s\n' \
        "$connections" "$duration" "$ours_rate" "$base_tps" "$rate_ratio" "$ours_rss_mib" "$command"
    printf 'callbacks\tp99 latency, %s connections\t%s ms\tpgbench single-row INSERT\t%s ms\t%s\t%s MiB\t%s\n' \
        "$connections" "$ours_p99" "$base_p99" "$p99_ratio" "$ours_rss_mib" "$command"
    printf 'callbacks\tp50 latency, %s connections\t%s ms\tpgbench single-row INSERT\t%s ms\t%s\t%s MiB\t%s\n' \
        "$connections" "$ours_p50" "$base_p50" "$p50_ratio" "$ours_rss_mib" "$command"
} >"$summary"

if [ "${BENCH_NO_README:-0}" != 1 ]; then
    section=$(
        cat <<EOF
## Callbacks

\`Benchmarks/callbacks/run.sh\` — $(date -u '+%Y-%m-%d %H:%M UTC'), ${cores} cores shared with other work (load average ${load} at the end), PostgreSQL ${pg_version} on loopback (${pg_settings}; the same server and settings for both sides), release build.

${table}

- **Ours:** \`wrk -t ${threads} -c ${connections} -d ${duration}s\` with \`Benchmarks/callbacks/callbacks.lua\` posts real-shaped STK success callbacks (REFERENCE.md §4: \`Body.stkCallback\`, \`CallbackMetadata\` items by name, \`Balance\` without a value) to \`POST /api/payments/callback/?token=…\`, each for a different one of ${seeded} seeded pending payments, after a ${warmup} s warm-up on other payments. Latency is wrk's, from request written to response read.
- **Baseline:** \`pgbench -n -c ${connections} -j ${threads} -T ${duration}\` with \`Benchmarks/callbacks/pgbench-insert.sql\`: one INSERT per transaction of a body of the same shape into \`pgbench_callback_inbox\` (callback_inbox's columns, constraints and indexes), after a ${warmup} s warm-up; p50/p99 from its per-transaction log.
- **Nothing lost:** ${check}.
- **Reading the ratio:** a callback costs HTTP, the token check, a decode and the apply on top of the insert, and ${per_callback} commits (store first, then apply) where pgbench makes one. The cluster is the throwaway one of \`scripts/pg.sh\` (fsync and synchronous_commit off) for both sides; durable settings would cost both, ours per commit.
EOF
    )
    write_readme_section "$root" callbacks "$section" "$out"
    log "wrote the Callbacks section of Benchmarks/README.md"
fi
