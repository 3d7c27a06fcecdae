#!/usr/bin/env bash
# Callbacks benchmark: `mpesa-recon serve` (release build) receiving real-shaped STK success
# callbacks from 32 concurrent connections on loopback, each for a different seeded pending payment, so every one
# is stored in callback_inbox, applied (payment completed), recorded as an event and enrolls the learner; beside,
# in the same run, on the same PostgreSQL and with the same wrk script:
#   - the LMS guide's own stack: a Django view (insert the body, complete the payment, enroll, event, inbox
#     outcome; one transaction) under gunicorn with 2 × cores + 1 sync workers (Benchmarks/api/django/);
#   - pgbench: one single-row INSERT of the same body per transaction into a copy of callback_inbox.
# The whole comparison runs twice: with the test cluster's settings (fsync, synchronous_commit and
# full_page_writes off) and with production durability (all three on: scripts/pg.sh with RECON_PG_DURABLE=1).
#
#   Benchmarks/callbacks/run.sh        (from anywhere; exits non-zero when anything fails)
#
# Knobs (environment): BENCH_DURATION seconds per measured run (20), BENCH_WARMUP seconds (3),
# BENCH_CALLBACK_PAYMENTS seeded payments (900000; every run uses fresh ones), BENCH_GUNICORN_WORKERS (2 × cores
# + 1), BENCH_MODES ("test durable"), BENCH_PG_PORT port of the benchmark's own PostgreSQL cluster (54339, started
# with scripts/pg.sh and stopped again if this script started it), BENCH_NO_README=1 to leave README alone;
# for trials only: BENCH_SERVE_ARGS (extra `serve` options), BENCH_CONTENDERS ("ours django pgbench").
# Prints a markdown table and replaces the "Callbacks" section of Benchmarks/README.md; the summary rows for
# Benchmarks/run-all.sh go to Benchmarks/out/callbacks.summary.tsv.
# Run benchmarks one after another, never two at once: they share that cluster and the machine.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
# shellcheck source=../lib/fresh-database.sh
. "$root/Benchmarks/lib/fresh-database.sh"
django_dir=$root/Benchmarks/api/django
# shellcheck source=../lib/readme-section.sh
. "$root/Benchmarks/lib/readme-section.sh"
cd "$root"
export PATH=/opt/swift/usr/bin:$PATH

duration=${BENCH_DURATION:-20}
warmup=${BENCH_WARMUP:-3}
seeded=${BENCH_CALLBACK_PAYMENTS:-900000}
pg_port=${BENCH_PG_PORT:-54339}
modes=${BENCH_MODES:-test durable}
contenders=${BENCH_CONTENDERS:-ours django pgbench}
read -r -a serve_args <<<"${BENCH_SERVE_ARGS:-}"
gunicorn_workers=${BENCH_GUNICORN_WORKERS:-$((2 * $(nproc) + 1))}
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

# Tools: wrk (load), pgbench and psql (PostgreSQL), GNU time (peak memory), python3 and pip for the Django
# peer. Only what is missing.
need=()
command -v wrk >/dev/null 2>&1 || need+=(wrk)
[ -x /usr/bin/time ] || need+=(time)
command -v curl >/dev/null 2>&1 || need+=(curl)
ls /usr/lib/postgresql/*/bin/pgbench >/dev/null 2>&1 || need+=(postgresql)
command -v python3 >/dev/null 2>&1 || need+=(python3 python3-pip)
python3 -m pip --version >/dev/null 2>&1 || need+=(python3-pip)
if [ ${#need[@]} -gt 0 ]; then
    log "installing ${need[*]}"
    sudo_cmd=""
    [ "$(id -u)" = 0 ] || sudo_cmd="sudo"
    $sudo_cmd apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
pgbench=$(ls /usr/lib/postgresql/*/bin/pgbench | sort -V | tail -1)
python_packages=(Django djangorestframework djangorestframework-simplejwt gunicorn 'psycopg[binary]')
if ! python3 -c 'import django, rest_framework, rest_framework_simplejwt, gunicorn, psycopg' >/dev/null 2>&1; then
    log "installing ${python_packages[*]} from PyPI"
    python3 -m pip install -q "${python_packages[@]}" 2>/dev/null \
        || python3 -m pip install -q --break-system-packages "${python_packages[@]}"
fi
versions=$(python3 -c '
from importlib.metadata import version
print(", ".join(n + " " + version(n) for n in ["Django", "gunicorn", "psycopg"]))')

log "swift build -c release --product mpesa-recon"
swift build -c release --product mpesa-recon >"$out/build.log" 2>&1 || { tail -30 "$out/build.log" >&2; die "build failed"; }
bin=$(swift build -c release --show-bin-path)/mpesa-recon

# Our own cluster on its own port, so other work on the shared test cluster neither disturbs nor sees us.
started_pg=0
if ! scripts/pg.sh status "$pg_port" >/dev/null 2>&1; then started_pg=1; fi
# Start in the test settings (a cluster left durable by an interrupted run is restarted).
scripts/pg.sh stop "$pg_port"
admin=$(scripts/pg.sh start "$pg_port")
url="postgresql://postgres@127.0.0.1:$pg_port/$db"

server_pid=""
stop_server() { # [child]: stop the server's child (serve under /usr/bin/time, which then writes its figures)
    if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
        if [ "${1:-}" = child ]; then
            pkill -TERM -P "$server_pid" 2>/dev/null || true
        else
            kill -TERM "$server_pid" 2>/dev/null || true
        fi
        wait "$server_pid" 2>/dev/null || true
    fi
    server_pid=""
}
cleanup() {
    local status=$?
    stop_server child
    # Leave the cluster as scripts/pg.sh makes it (throwaway settings), or stopped if it was.
    scripts/pg.sh stop "$pg_port" || true
    if [ "$started_pg" = 0 ]; then scripts/pg.sh start "$pg_port" >/dev/null || true; fi
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log "fresh database $db on 127.0.0.1:$pg_port, migrated with mpesa-recon migrate"
fresh_database "$admin" "$db" "$url" "$bin" "$out" "$root"

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
field() { sed -n "s/.* $1=\([0-9.]*\).*/\1/p" <<<" $2"; }
ms() { awk -v us="$1" 'BEGIN { printf "%.2f", us / 1000 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
problems=()
offset=0 # payments 1..offset are used

wrk_run() { # base seconds name → sets `result` to the RESULT line; advances offset past the payments it used
    wrk -t "$threads" -c "$connections" -d "${2}s" --timeout 10s -s "$here/callbacks.lua" "$1" \
        -- "$token" "$offset" "$threads" >"$out/wrk-$3.txt" 2>&1 || { cat "$out/wrk-$3.txt" >&2; die "wrk failed"; }
    result=$(grep '^RESULT ' "$out/wrk-$3.txt") || die "wrk printed no RESULT line"
    offset=$(field top "$result")
    [ "$offset" -le "$seeded" ] || die "wrk posted for payment $offset but only $seeded are seeded: raise BENCH_CALLBACK_PAYMENTS"
}

# Checks what a stack wrote for the inbox rows after id $1: every answered body stored once, each a different
# payment completed by callback with a receipt; with `full` also applied (inbox outcome), enrolled, with one event
# (the Django peer does not do those). Sets `check`.
check_work() { # after_id answered_ok name [full]
    local after=$1 answered=$2 name=$3 full=${4:-} line
    # Fresh statistics first: planned on a freshly seeded database's, the check can pick nested loops that run for
    # many minutes.
    q "ANALYZE callback_inbox, payments, enrollments, payment_events" >/dev/null
    line=$(q "
        WITH r AS (SELECT id, outcome,
                          coalesce(reference, convert_from(body, 'UTF8')::jsonb #>> '{Body,stkCallback,CheckoutRequestID}')
                              AS reference
                   FROM callback_inbox WHERE id > $after AND kind = 'stk'),
             p AS (SELECT p.* FROM payments p JOIN r ON p.checkout_request_id = r.reference)
        SELECT (SELECT count(*) FROM r) || ' ' || (SELECT count(*) FROM r WHERE outcome = 'applied') || ' '
            || (SELECT count(DISTINCT reference) FROM r) || ' '
            || (SELECT count(*) FROM p WHERE status = 'completed' AND settled_via = 'callback' AND mpesa_receipt IS NOT NULL) || ' '
            || (SELECT count(*) FROM enrollments e JOIN p ON p.id = e.payment_id) || ' '
            || (SELECT count(*) FROM payment_events e JOIN p ON p.id = e.payment_id
                WHERE e.source = 'callback' AND e.to_status = 'completed')")
    local inbox applied distinct completed enrolled events
    read -r inbox applied distinct completed enrolled events <<<"$line"
    [ "$inbox" -ge "$answered" ] || problems+=("$name: $answered answered 200 but only $inbox in the inbox")
    [ "$distinct" = "$inbox" ] && [ "$completed" = "$inbox" ] \
        || problems+=("$name: inbox $inbox rows, $distinct distinct, $completed completed")
    if [ "$full" = full ]; then
        [ "$applied" = "$inbox" ] && [ "$enrolled" = "$inbox" ] && [ "$events" = "$inbox" ] \
            || problems+=("$name: applied=$applied enrolled=$enrolled events=$events for $inbox callbacks")
        check="$answered answered 200; $inbox stored, $applied applied, $distinct distinct payments, $completed completed with a receipt, $enrolled enrolled, $events events"
    else
        check="$answered answered 200; $inbox stored, $distinct distinct payments, $completed completed with a receipt"
    fi
}

last_id() { q "SELECT coalesce(max(id), 0) FROM callback_inbox"; }

# Load on one stack: warm-up, then the measured run. Sets rate p50 p99 answered.
# WAL written by the whole cluster between two calls of wal_mark (pg_stat_wal: bytes, full-page images), per unit:
# wal_mark; …; wal_per UNITS → "N B of WAL per unit (F % of it in M full-page images)".
wal_mark() { wal_start=$(q "SELECT wal_bytes || ' ' || wal_fpi FROM pg_stat_wal"); }
wal_per() {
    local now
    now=$(q "SELECT wal_bytes || ' ' || wal_fpi FROM pg_stat_wal")
    awk -v a="$wal_start" -v b="$now" -v n="$1" 'BEGIN {
        split(a, x, " "); split(b, y, " "); bytes = y[1] - x[1]; fpi = y[2] - x[2]
        if (n < 1) n = 1
        share = bytes > 0 ? 100 * fpi * 8192 / bytes : 0
        printf "%.0f B of WAL each (%d full-page images in the interval, at most %.0f %% of the bytes)", bytes / n, fpi, share }'
}

load() { # base name
    local warm
    wrk_run "$1" "$warmup" "$2-warmup"
    warm=$result
    wrk_run "$1" "$duration" "$2-run"
    local requests status_errors socket_errors
    requests=$(field requests "$result")
    status_errors=$(($(field status_errors "$result") + $(field status_errors "$warm")))
    socket_errors=$(($(field connect_errors "$result") + $(field read_errors "$result") + $(field write_errors "$result") + $(field timeouts "$result")))
    [ "$status_errors" = 0 ] || problems+=("$2: $status_errors non-2xx answers")
    [ "$socket_errors" = 0 ] || problems+=("$2: $socket_errors socket errors/timeouts")
    rate=$(awk -v n="$requests" -v us="$(field duration_us "$result")" 'BEGIN { printf "%.0f", n / (us / 1e6) }')
    p50=$(ms "$(field p50_us "$result")")
    p99=$(ms "$(field p99_us "$result")")
    answered=$(($(field requests "$warm") + requests - status_errors))
}

measure_ours() { # mode
    local mode=$1 port after
    after=$(last_id)
    log "[$mode] mpesa-recon serve (release) under /usr/bin/time -v"
    (
        cd "$out"
        export DATABASE_URL=$url MPESA_CALLBACK_TOKEN=$token RECON_SPOOL_DIR=$out/spool RECON_LOG_LEVEL=warning \
            RECON_METRICS_TOKEN=bench-metrics-token
        exec /usr/bin/time -v -o "$out/serve-$mode.time" "$bin" serve --host 127.0.0.1 --port 0 "${serve_args[@]}" \
            >"$out/serve-$mode.log" 2>&1
    ) &
    server_pid=$!
    port=""
    for _ in $(seq 1 200); do
        port=$(sed -n 's|.*listening on http://127\.0\.0\.1:\([0-9]*\).*|\1|p' "$out/serve-$mode.log" 2>/dev/null | head -1)
        [ -n "$port" ] && break
        kill -0 "$server_pid" 2>/dev/null || { cat "$out/serve-$mode.log" >&2; die "serve exited"; }
        sleep 0.1
    done
    [ -n "$port" ] || die "serve did not report its port"
    local base="http://127.0.0.1:$port"
    [ "$(curl -s -o /dev/null -w '%{http_code}' "$base/healthz")" = 200 ] || die "serve is not healthy"
    wal_mark
    load "$base" "ours-$mode"
    # A 200 means "stored"; the applier completes payments right after, off the request path. Wait for it.
    local waited=0
    while [ "$(q "SELECT count(*) FROM callback_inbox WHERE processed_at IS NULL")" != 0 ] && [ "$waited" -lt 1200 ]; do
        sleep 0.1
        waited=$((waited + 1))
    done
    local metrics
    metrics=$(curl -s -H "Authorization: Bearer bench-metrics-token" "$base/metrics")
    sum() { # Prometheus series name, optional label filter
        awk -v name="$1{" -v filter="${2:-}" '
            index($1, name) == 1 && (filter == "" || index($1, filter) > 0) { sum += $NF }
            END { printf "%d", sum }' <<<"$metrics"
    }
    local spooled lost commits
    spooled=$(sum mpesa_recon_callbacks_received_total 'outcome="spooled"')
    lost=$(sum mpesa_recon_callbacks_received_total 'outcome="lost"')
    commits=$(awk '$1 == "mpesa_recon_callback_store_batches_total" { print $NF }' <<<"$metrics")
    [ "$spooled" = 0 ] && [ "$lost" = 0 ] || problems+=("ours-$mode: spooled=$spooled lost=$lost")
    stop_server child
    check_work "$after" "$answered" "ours-$mode" full
    local stored wal
    stored=$(q "SELECT count(*) FROM callback_inbox WHERE id > $after")
    # Warm-up and measured callbacks alike: everything stored since the mark, once applied.
    wal=$(wal_per "$stored")
    eval "ours_rate_$mode=$rate ours_p50_$mode=$p50 ours_p99_$mode=$p99"
    eval "ours_rss_$mode=$(awk -F': ' '/Maximum resident set size/ { printf "%.1f", $2 / 1024 }' "$out/serve-$mode.time")"
    eval "ours_check_$mode=\"\$check; \$stored bodies in ${commits:-?} store commits; \$wal\""
    log "[$mode] ours: $rate callbacks/s, p99 $p99 ms; $check; $wal"
}

measure_django() { # mode
    local mode=$1 port after
    after=$(last_id)
    port=$(free_port)
    log "[$mode] Django view under gunicorn, $gunicorn_workers sync workers"
    (
        cd "$django_dir"
        export BENCH_DB_NAME=$db BENCH_DB_PORT=$pg_port LMS_JWT_SIGNING_KEY=bench-unused-signing-key \
            MPESA_CALLBACK_TOKEN=$token BENCH_GUNICORN_CLASS=sync BENCH_GUNICORN_WORKERS=$gunicorn_workers \
            DJANGO_SETTINGS_MODULE=lms.settings
        exec python3 -m gunicorn -c gunicorn.conf.py --bind "127.0.0.1:$port" lms.wsgi:application \
            >"$out/gunicorn-$mode.log" 2>&1
    ) &
    server_pid=$!
    local base="http://127.0.0.1:$port" code=""
    for _ in $(seq 1 150); do
        code=$(curl -s -o /dev/null -w '%{http_code}' "$base/api/payments/callback/" || true)
        [ "$code" = 405 ] && break
        kill -0 "$server_pid" 2>/dev/null || { cat "$out/gunicorn-$mode.log" >&2; die "gunicorn exited"; }
        sleep 0.2
    done
    [ "$code" = 405 ] || die "gunicorn did not answer"
    load "$base" "django-$mode"
    stop_server
    check_work "$after" "$answered" "django-$mode"
    eval "django_rate_$mode=$rate django_p50_$mode=$p50 django_p99_$mode=$p99"
    eval "django_check_$mode=\"\$check\""
    log "[$mode] Django: $rate callbacks/s, p99 $p99 ms; $check"
}

measure_pgbench() { # mode
    local mode=$1 before
    before=$(q "SELECT count(*) FROM pgbench_callback_inbox")
    log "[$mode] pgbench, single-row INSERT transactions, -c $connections -j $threads"
    run_pgbench() { # seconds name [extra args]
        local seconds=$1 name=$2
        shift 2
        (cd "$out" && "$pgbench" -n -c "$connections" -j "$threads" -T "$seconds" -f "$here/pgbench-insert.sql" "$@" "$url") \
            >"$out/pgbench-$name.txt" 2>&1 || { cat "$out/pgbench-$name.txt" >&2; die "pgbench failed"; }
    }
    wal_mark
    run_pgbench "$warmup" "$mode-warmup"
    rm -f "$out"/pgbench-log.*
    run_pgbench "$duration" "$mode-run" -l --log-prefix=pgbench-log
    local tps failed rows
    tps=$(sed -n 's/^tps = \([0-9.]*\) (without initial connection time)/\1/p' "$out/pgbench-$mode-run.txt" | awk '{ printf "%.0f", $1 }')
    failed=$(sed -n 's/^number of failed transactions: \([0-9]*\).*/\1/p' "$out/pgbench-$mode-run.txt")
    [ "${failed:-0}" = 0 ] || problems+=("pgbench-$mode: $failed failed transactions")
    # Per-transaction log: "client transaction latency_us script epoch epoch_us"; percentiles over all of them.
    local sorted=$out/pgbench-$mode-latencies.txt
    cat "$out"/pgbench-log.* | awk '{ print $3 }' | sort -n >"$sorted"
    percentile() { awk -v p="$1" '{ a[NR] = $1 } END { i = int(NR * p / 100 + 0.999999); if (i < 1) i = 1; printf "%.2f", a[i] / 1000 }' "$sorted"; }
    rows=$(($(q "SELECT count(*) FROM pgbench_callback_inbox") - before))
    local logged
    logged=$(wc -l <"$sorted")
    [ "$rows" -ge "$logged" ] || problems+=("pgbench-$mode: $logged transactions logged, $rows rows inserted")
    eval "pg_tps_$mode=$tps pg_p50_$mode=$(percentile 50) pg_p99_$mode=$(percentile 99)"
    eval "pg_wal_$mode=\"$(wal_per $(($(q "SELECT count(*) FROM pgbench_callback_inbox") - before)))\""
    eval "log \"[\$mode] pgbench: \$tps transactions/s; \$rows rows inserted (warm-up included); \$pg_wal_$mode\""
}

for mode in $modes; do
    case "$mode" in
    test) durable=0 ;;
    durable) durable=1 ;;
    *) die "unknown mode $mode (test, durable)" ;;
    esac
    log "cluster settings for '$mode' (RECON_PG_DURABLE=$durable)"
    scripts/pg.sh stop "$pg_port"
    RECON_PG_DURABLE=$durable scripts/pg.sh start "$pg_port" >/dev/null
    eval "settings_$mode=\"$(q "SELECT string_agg(name || '=' || current_setting(name), ', ' ORDER BY name) FROM pg_settings WHERE name IN ('fsync', 'synchronous_commit', 'full_page_writes')")\""
    for contender in $contenders; do "measure_$contender" "$mode"; done
done
[ "$contenders" = "ours django pgbench" ] || { log "trial (BENCH_CONTENDERS=$contenders): no table"; exit 0; }

pg_version=$(q "SHOW server_version" | awk '{ print $1 }')
pg_common=$(q "SELECT string_agg(name || '=' || current_setting(name), ', ' ORDER BY name) FROM pg_settings WHERE name IN ('shared_buffers', 'max_connections')")
cores=$(nproc)
load_avg=$(awk '{ print $1 }' /proc/loadavg)

table="| callbacks, ${connections} connections, ${duration} s | cluster | ours: \`mpesa-recon serve\` | peer: Django view, gunicorn ${gunicorn_workers} sync workers | baseline: \`pgbench\` single-row INSERT | ours / Django | ours / pgbench |
|---|---|---:|---:|---:|---:|---:|"
notes=""
command="BENCH_DURATION=$duration Benchmarks/callbacks/run.sh"
{
    printf 'benchmark\tmeasure\tours\tbaseline\tbaseline_figure\tratio\tpeak_memory\tcommand\n'
} >"$summary"
for mode in $modes; do
    eval "o_rate=\$ours_rate_$mode o_p50=\$ours_p50_$mode o_p99=\$ours_p99_$mode o_rss=\$ours_rss_$mode"
    eval "d_rate=\$django_rate_$mode d_p50=\$django_p50_$mode d_p99=\$django_p99_$mode"
    eval "b_tps=\$pg_tps_$mode b_p50=\$pg_p50_$mode b_p99=\$pg_p99_$mode"
    eval "settings=\$settings_$mode o_check=\$ours_check_$mode d_check=\$django_check_$mode b_wal=\$pg_wal_$mode"
    table+="
| throughput | $mode | ${o_rate}/s | ${d_rate}/s | ${b_tps}/s | $(ratio "$o_rate" "$d_rate")× | $(ratio "$o_rate" "$b_tps")× |
| p99 latency | $mode | ${o_p99} ms | ${d_p99} ms | ${b_p99} ms | $(ratio "$o_p99" "$d_p99") | $(ratio "$o_p99" "$b_p99") |
| p50 latency | $mode | ${o_p50} ms | ${d_p50} ms | ${b_p50} ms | $(ratio "$o_p50" "$d_p50") | $(ratio "$o_p50" "$b_p50") |"
    notes+="
- **Work done, $mode cluster (${settings}):** ours: ${o_check}; Django: ${d_check}; pgbench: ${b_wal}. Peak RSS of \`serve\`: ${o_rss} MiB."
    printf 'callbacks\tthroughput, %s connections, %s s, %s cluster\t%s callbacks/s\tpgbench single-row INSERT\t%s transactions/s\t%s\t%s MiB\t%s\n' \
        "$connections" "$duration" "$mode" "$o_rate" "$b_tps" "$(ratio "$o_rate" "$b_tps")" "$o_rss" "$command" >>"$summary"
    printf 'callbacks\tthroughput, %s connections, %s s, %s cluster\t%s callbacks/s\tDjango view, gunicorn %s sync workers\t%s callbacks/s\t%s\t%s MiB\t%s\n' \
        "$connections" "$duration" "$mode" "$o_rate" "$gunicorn_workers" "$d_rate" "$(ratio "$o_rate" "$d_rate")" "$o_rss" "$command" >>"$summary"
    printf 'callbacks\tp99 latency, %s connections, %s cluster\t%s ms\tpgbench single-row INSERT\t%s ms\t%s\t%s MiB\t%s\n' \
        "$connections" "$mode" "$o_p99" "$b_p99" "$(ratio "$o_p99" "$b_p99")" "$o_rss" "$command" >>"$summary"
done
echo
echo "$table"
echo "$notes"

if [ ${#problems[@]} -gt 0 ]; then
    printf 'callbacks benchmark FAILED: %s\n' "${problems[@]}" >&2
    exit 1
fi

if [ "${BENCH_NO_README:-0}" != 1 ]; then
    section=$(
        cat <<EOF
## Callbacks

\`Benchmarks/callbacks/run.sh\` — $(date -u '+%Y-%m-%d %H:%M UTC'), ${cores} cores shared by the server, its load generator and PostgreSQL (load average ${load_avg} at the end), PostgreSQL ${pg_version} on loopback (${pg_common}), release build. Ratios are from the same run.

${table}
${notes}
- **Load:** \`wrk -t ${threads} -c ${connections} -d ${duration}s\` with \`Benchmarks/callbacks/callbacks.lua\` posts real-shaped STK success callbacks (docs/DARAJA.md §4: \`Body.stkCallback\`, \`CallbackMetadata\` items by name, \`Balance\` without a value) to \`POST /api/payments/callback/?token=…\`, each for a different one of ${seeded} seeded pending payments, after a ${warmup} s warm-up on other payments; the same script for both servers. Latency is wrk's, from request written to response read.
- **Ours:** answered once the body is committed in \`callback_inbox\` (group commit: the bodies that arrived while the previous INSERT ran share the next one); the applier then completes the payments in batches off the request path (one transaction, one statement per table). The figures count answered requests; the check waits for the applier to finish before it counts.
- **Peer:** the LMS guide's stack, \`Benchmarks/api/django/lms/views.py\` \`mpesa_callback\`: in one transaction, insert the body and complete the payment with one UPDATE (Django ORM); no enrollment, event or inbox outcome, which ours also writes; gunicorn sync workers (2 × cores + 1, TCP_NODELAY), ${versions}.
- **Baseline:** \`pgbench -n -c ${connections} -j ${threads} -T ${duration}\` with \`Benchmarks/callbacks/pgbench-insert.sql\`: one INSERT per transaction of a body of the same shape into \`pgbench_callback_inbox\` (callback_inbox's columns, constraints and indexes); p50/p99 from its per-transaction log.
- **Clusters:** \`test\` is \`scripts/pg.sh\`'s throwaway cluster (the test suite's settings); \`durable\` is the same cluster restarted with PostgreSQL's production defaults, where every commit waits for its WAL flush, so sharing commits matters.
EOF
    )
    write_readme_section "$root" callbacks "$section" "$out"
    log "wrote the Callbacks section of Benchmarks/README.md"
fi
