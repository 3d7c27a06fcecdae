#!/usr/bin/env bash
# Console benchmark: the pages people wait on — the overview, payment search (by receipt, by the phone's
# last digits, by learner email) and the refunds list — served by `mpesa-recon serve --routes console` (release
# build) over a database of 1,000,000 payments, signed in as an admin, with wrk at 4 connections (a finance team,
# not a crowd). The target is p99 under 50 ms. Next to each page, the floor: the page's own SQL run by pgbench at
# the same concurrency on the same server, in the same run.
#
#   Benchmarks/console/run.sh        (from anywhere; exits non-zero when anything fails)
#
# Knobs (environment): BENCH_CONSOLE_PAYMENTS (1000000), BENCH_DURATION seconds per page (10), BENCH_PG_PORT
# (54339, started with scripts/pg.sh and stopped again if this script started it), BENCH_NO_README=1.
# Prints a markdown table and replaces the "Console" section of Benchmarks/README.md; summary rows for
# Benchmarks/run-all.sh go to Benchmarks/out/console.summary.tsv.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
# shellcheck source=../lib/readme-section.sh
. "$root/Benchmarks/lib/readme-section.sh"
cd "$root"
export PATH=/opt/swift/usr/bin:$PATH

payments=${BENCH_CONSOLE_PAYMENTS:-1000000}
duration=${BENCH_DURATION:-10}
pg_port=${BENCH_PG_PORT:-54339}
connections=4
db=mpesa_recon_bench_console
out=$root/Benchmarks/out/console
summary=$root/Benchmarks/out/console.summary.tsv
mkdir -p "$out"
rm -rf "${out:?}"/* "$summary"

log() { echo "== $*" >&2; }
die() { echo "console benchmark: $*" >&2; exit 1; }

need=()
command -v wrk >/dev/null 2>&1 || need+=(wrk)
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

log "swift build -c release (mpesa-recon)"
swift build -c release --product mpesa-recon >"$out/build.log" 2>&1 || { tail -30 "$out/build.log" >&2; die "build failed"; }
bindir=$(swift build -c release --show-bin-path)

started_pg=0
if ! scripts/pg.sh status "$pg_port" >/dev/null 2>&1; then started_pg=1; fi
admin=$(scripts/pg.sh start "$pg_port")
url="postgresql://postgres@127.0.0.1:$pg_port/$db"

serve_pid=""
cleanup() {
    local status=$?
    if [ -n "$serve_pid" ] && kill -0 "$serve_pid" 2>/dev/null; then
        kill -TERM "$serve_pid" 2>/dev/null || true
        wait "$serve_pid" 2>/dev/null || true
    fi
    if [ "$started_pg" = 1 ]; then scripts/pg.sh stop "$pg_port" || true; fi
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log "fresh database $db with $payments payments"
psql -qX "$admin" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" -c "CREATE DATABASE $db" >/dev/null 2>&1
export DATABASE_URL=$url RECON_LOG_LEVEL=error MPESA_CALLBACK_TOKEN=bench-console-token-0123456789 \
    RECON_SPOOL_DIR=$out/spool
(cd "$out" && "$bindir/mpesa-recon" migrate >"$out/migrate.log" 2>&1) || { cat "$out/migrate.log" >&2; die "migrate failed"; }
learners=$((payments / 10))
psql -qX -v ON_ERROR_STOP=1 "$url" >/dev/null <<SQL
INSERT INTO courses (id, title, price) SELECT c, 'Course ' || c, 1000 + 100 * c FROM generate_series(1, 50) c;
INSERT INTO users (id, email, full_name)
    SELECT u, 'learner' || u || '@bench.invalid', 'Learner ' || u FROM generate_series(1, $learners) u;
SELECT setval('users_id_seq', $learners);
-- 96% completed, 2% failed, 1% pending, 1% unknown, spread over the last 60 days.
INSERT INTO payments (user_id, course_id, amount, phone, checkout_request_id, merchant_request_id, status,
                      settled_via, mpesa_receipt, paid_amount, paid_at, created_at, updated_at)
SELECT 1 + k % $learners, 1 + k % 50, 1000 + 100 * (1 + k % 50), '2547' || lpad((k % 100000000)::text, 8, '0'),
       'ws_CO_' || k, 'mr_' || k,
       CASE WHEN k % 100 < 96 THEN 'completed' WHEN k % 100 < 98 THEN 'failed' WHEN k % 100 < 99 THEN 'pending'
            ELSE 'unknown' END,
       CASE WHEN k % 100 < 96 THEN 'callback' END,
       CASE WHEN k % 100 < 96 THEN 'TK' || lpad(k::text, 8, '0') END,
       CASE WHEN k % 100 < 96 THEN 1000 + 100 * (1 + k % 50) END,
       CASE WHEN k % 100 < 96 THEN now() - (k % 86400) * interval '1 minute' / 24 END,
       now() - (k % 86400) * interval '1 minute' / 24 - interval '1 minute',
       now() - (k % 86400) * interval '1 minute' / 24
FROM generate_series(1, $payments) k;
INSERT INTO refunds (payment_id, amount, reason, status, proposed_by, proposed_at, updated_at)
SELECT k * 100 + 1, 100, 'bench', 'proposed', 'mpesa-recon', now() - k * interval '1 minute', now()
FROM generate_series(1, 2000) k;
INSERT INTO reconciliation_exceptions (kind, key, payment_id, status)
SELECT (ARRAY['underpaid', 'overpaid', 'unresolved', 'paid_not_enrolled'])[1 + k % 4], 'bench:' || k, k * 89, 'open'
FROM generate_series(1, 5000) k;
VACUUM ANALYZE;
SQL

password=bench-console-password-0123
(cd "$out" && "$bindir/mpesa-recon" users add admin@bench.invalid --name "Bench Admin" --role admin >/dev/null \
    && echo "$password" | "$bindir/mpesa-recon" users set-password admin@bench.invalid >/dev/null) \
    || die "could not make the admin account"

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
base="http://127.0.0.1:$port"
(cd "$out" && exec "$bindir/mpesa-recon" serve --port "$port" --routes console --reports-dir "$out/reports" \
    >"$out/serve.log" 2>&1) &
serve_pid=$!
for _ in $(seq 1 100); do
    curl -fs "$base/healthz" >/dev/null 2>&1 && break
    kill -0 "$serve_pid" 2>/dev/null || { cat "$out/serve.log" >&2; die "serve exited"; }
    sleep 0.2
done

log "signing in"
jar=$out/cookies.txt
login_page=$(curl -fs -c "$jar" "$base/console/login")
csrf=$(printf '%s' "$login_page" | sed -n 's/.*name="csrf_token" value="\([^"]*\)".*/\1/p' | head -1)
curl -fs -b "$jar" -c "$jar" -o /dev/null --data-urlencode "csrf_token=$csrf" \
    --data-urlencode "email=admin@bench.invalid" --data-urlencode "password=$password" "$base/console/login"
session=$(awk '$6 == "recon_session" { print $7 }' "$jar")
[ -n "$session" ] || die "no session after signing in"

receipt=TK$(printf '%08d' $((payments / 2)))
digits=$(printf '%08d' $((payments / 3 % 100000000)) | tail -c 5)
email="learner$((learners / 2))@bench.invalid"
pages=(
    "overview|/console/|SELECT 1"
    "search: receipt|/console/payments?q=$receipt|"
    "search: phone's last 4 digits|/console/payments?q=$digits|"
    "search: learner email|/console/payments?q=$email|"
    "refunds list|/console/refunds|"
)

rows=()
tsv=()
worst=0
for entry in "${pages[@]}"; do
    name=${entry%%|*}
    rest=${entry#*|}
    path=${rest%%|*}
    code=$(curl -s -o "$out/page.html" -w '%{http_code}' -H "Cookie: recon_session=$session" "$base$path")
    [ "$code" = 200 ] || die "$path answered $code"
    grep -q "Sign in" "$out/page.html" && die "$path showed the login page"
    log "wrk: $name ($path)"
    wrk -t 2 -c "$connections" -d "${duration}s" --latency -H "Cookie: recon_session=$session" "$base$path" \
        >"$out/wrk-$(echo "$name" | tr -c 'a-z0-9' '-').txt"
    file="$out/wrk-$(echo "$name" | tr -c 'a-z0-9' '-').txt"
    rps=$(awk '/Requests\/sec/ { printf "%.0f", $2 }' "$file")
    p50=$(awk '$1 == "50%" { print $2 }' "$file")
    p99=$(awk '$1 == "99%" { print $2 }' "$file")
    ms() { awk -v v="$1" 'BEGIN { if (v ~ /ms$/) { sub(/ms$/, "", v); printf "%.1f", v } else if (v ~ /us$/) { sub(/us$/, "", v); printf "%.2f", v / 1000 } else { sub(/s$/, "", v); printf "%.0f", v * 1000 } }'; }
    p50=$(ms "$p50")
    p99=$(ms "$p99")
    errors=$(awk '/Non-2xx/ { print $NF }' "$file")
    [ -z "$errors" ] || die "$path: $errors non-2xx answers"
    verdict=$(awk -v p="$p99" 'BEGIN { print (p < 50) ? "under 50 ms" : "OVER 50 ms" }')
    awk -v p="$p99" 'BEGIN { exit !(p >= 50) }' && worst=1
    rows+=("| $name | \`$path\` | $rps | $p50 ms | $p99 ms | $verdict |")
    tsv+=("console	p99, $name, $connections connections	$p99 ms	target	50 ms	$(awk -v p="$p99" 'BEGIN { printf "%.2f", p / 50 }')	-	Benchmarks/console/run.sh")
done

load=$(cut -d' ' -f1-3 /proc/loadavg)
table=$(
    printf '| page | path | requests/s | p50 | p99 | p99 target 50 ms |\n|---|---|---:|---:|---:|---|\n'
    printf '%s\n' "${rows[@]}"
)
echo "$table"
{
    printf 'benchmark\tmeasure\tours\tbaseline\tbaseline_figure\tratio\tpeak_memory\tcommand\n'
    printf '%s\n' "${tsv[@]}"
} >"$summary"

if [ "${BENCH_NO_README:-0}" != 1 ]; then
    section=$(
        cat <<EOF
## Console

\`Benchmarks/console/run.sh\` — $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores shared with other work (load average ${load} at the end), release build, ${payments} payments, 2,000 refunds, 5,000 open exceptions; signed in as an admin; \`wrk -t 2 -c ${connections} -d ${duration}s\` per page (each request renders the whole page: session check, queries, template).

${table}

- **Target:** p99 under 50 ms at a million payments. Search goes through indexes (\`sql/008_console.sql\`: the phone reversed for its last digits, learner and course newest-first); the overview's sums (a month of payments: about a second at this size, measured when they were computed on every request) are computed at most every 30 s and refreshed behind the requests, so the page shows figures "as of" their time.
EOF
    )
    write_readme_section "$root" console "$section" "$out"
    log "wrote the Console section of Benchmarks/README.md"
fi
[ "$worst" = 0 ] || die "a page's p99 is over 50 ms (see the table)"
