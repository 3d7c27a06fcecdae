#!/usr/bin/env bash
# Settlement benchmark: `mpesa-recon settle` (release build) over 5,000 due pending payments
# against the Daraja simulator answering every request 20 ms late (faults.slowMs=20) and arresting spikes
# above 200 requests per second (faults.rateLimitPerSecond=200), with `--rate 200`; next to the bound the
# budget sets (5000 / 200 = 25 s) and to a sequential one-at-a-time loop (`--concurrency 1`, same budget,
# which never binds one at a time) over another 5,000 fresh payments, in the same run.
#
#   Benchmarks/settle/run.sh        (from anywhere; exits non-zero when anything fails)
#
# Knobs (environment): BENCH_SETTLE_PAYMENTS per run (5000), BENCH_RATE (200), BENCH_SLOW_MS (20),
# BENCH_CONCURRENCY of the concurrent run (16), BENCH_PG_PORT port of the benchmark's own PostgreSQL
# cluster (54339, started with scripts/pg.sh and stopped again if this script started it),
# BENCH_NO_README=1 to leave README alone. Prints a markdown table and replaces the "Settlement" section of
# Benchmarks/README.md; the summary rows for Benchmarks/run-all.sh go to Benchmarks/out/settle.summary.tsv.
# Run benchmarks one after another, never two at once: they share that cluster and the machine.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
# shellcheck source=../lib/fresh-database.sh
. "$root/Benchmarks/lib/fresh-database.sh"
# shellcheck source=../lib/readme-section.sh
. "$root/Benchmarks/lib/readme-section.sh"
cd "$root"
export PATH=/opt/swift/usr/bin:$PATH

count=${BENCH_SETTLE_PAYMENTS:-5000}
rate=${BENCH_RATE:-200}
slow_ms=${BENCH_SLOW_MS:-20}
concurrency=${BENCH_CONCURRENCY:-16}
pg_port=${BENCH_PG_PORT:-54339}
db=mpesa_recon_bench_settle
out=$root/Benchmarks/out/settle
summary=$root/Benchmarks/out/settle.summary.tsv
mkdir -p "$out"
rm -rf "${out:?}"/* "$summary"

# The simulator's default credentials (SimulatorConfiguration); nothing secret.
consumer_key=sim-consumer-key
consumer_secret=sim-consumer-secret
shortcode=174379
passkey=bfb279f9aa9bdbcf158e97dd71a467cd2e0c893059b10f78e6b72ada1ed2c919

log() { echo "== $*" >&2; }
die() { echo "settle benchmark: $*" >&2; exit 1; }

need=()
[ -x /usr/bin/time ] || need+=(time)
command -v curl >/dev/null 2>&1 || need+=(curl)
command -v jq >/dev/null 2>&1 || need+=(jq)
command -v psql >/dev/null 2>&1 || need+=(postgresql)
if [ ${#need[@]} -gt 0 ]; then
    log "installing ${need[*]}"
    sudo_cmd=""
    [ "$(id -u)" = 0 ] || sudo_cmd="sudo"
    $sudo_cmd apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

log "swift build -c release (mpesa-recon, daraja-sim)"
swift build -c release >"$out/build.log" 2>&1 || { tail -30 "$out/build.log" >&2; die "build failed"; }
bindir=$(swift build -c release --show-bin-path)

started_pg=0
if ! scripts/pg.sh status "$pg_port" >/dev/null 2>&1; then started_pg=1; fi
admin=$(scripts/pg.sh start "$pg_port")
url="postgresql://postgres@127.0.0.1:$pg_port/$db"

sim_pid=""
cleanup() {
    local status=$?
    if [ -n "$sim_pid" ] && kill -0 "$sim_pid" 2>/dev/null; then
        kill -TERM "$sim_pid" 2>/dev/null || true
        wait "$sim_pid" 2>/dev/null || true
    fi
    if [ "$started_pg" = 1 ]; then scripts/pg.sh stop "$pg_port" || true; fi
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log "fresh database $db on 127.0.0.1:$pg_port, migrated with mpesa-recon migrate"
fresh_database "$admin" "$db" "$url" "$bindir/mpesa-recon" "$out" "$root"

log "starting daraja-sim on a free loopback port"
(cd "$out" && exec "$bindir/daraja-sim" --host 127.0.0.1 --port 0 --port-file "$out/sim.port" >"$out/sim.log" 2>&1) &
sim_pid=$!
for _ in $(seq 1 200); do
    [ -s "$out/sim.port" ] && break
    kill -0 "$sim_pid" 2>/dev/null || { cat "$out/sim.log" >&2; die "daraja-sim exited"; }
    sleep 0.1
done
[ -s "$out/sim.port" ] || die "daraja-sim did not report its port"
sim="http://127.0.0.1:$(tr -d '[:space:]' <"$out/sim.port")"

post_json() { # path json
    local code
    code=$(curl -s -o "$out/last-answer.json" -w '%{http_code}' -H 'Content-Type: application/json' --data-binary "$2" "$sim$1")
    [ "$code" = 200 ] || { cat "$out/last-answer.json" >&2; die "POST $1 answered $code"; }
}

# Every payment's outcome is known by the time it is queried (processingMs 0), mostly paid, and no callback
# is ever delivered: settlement is what finds out. (Dictionaries keyed by enums travel as key, value arrays.)
post_json /sim/scenario '{"stkOutcomes":["paid",8,"cancelled",1,"noResponse",1],"deliveries":["lost",1],
    "b2cOutcomes":["paid",1],"processingMs":0,"callbackDelayMs":50,"lateDelayMs":3000,"b2cResultDelayMs":100,
    "inFlightEnvelopePercent":50}'

total=$((2 * count))
log "creating $total STK transactions in the simulator (STK Push over HTTP, curl --parallel)"
token=$(curl -s -u "$consumer_key:$consumer_secret" "$sim/oauth/v1/generate?grant_type=client_credentials" | jq -r .access_token)
[ -n "$token" ] && [ "$token" != null ] || die "no access token from the simulator"
timestamp=$(date -u +%Y%m%d%H%M%S)
password=$(printf '%s' "$shortcode$passkey$timestamp" | base64 -w0)
awk -v n="$total" -v url="$sim/mpesa/stkpush/v1/processrequest" -v token="$token" -v shortcode="$shortcode" \
    -v password="$password" -v timestamp="$timestamp" 'BEGIN {
        for (i = 1; i <= n; i++) {
            phone = sprintf("2547%08d", i)
            print "url = \"" url "\""
            print "header = \"Authorization: Bearer " token "\""
            print "header = \"Content-Type: application/json\""
            printf "data = \"{\\\"BusinessShortCode\\\":\\\"%s\\\",\\\"Password\\\":\\\"%s\\\",\\\"Timestamp\\\":\\\"%s\\\",", shortcode, password, timestamp
            printf "\\\"TransactionType\\\":\\\"CustomerPayBillOnline\\\",\\\"Amount\\\":\\\"100\\\",\\\"PartyA\\\":\\\"%s\\\",", phone
            printf "\\\"PartyB\\\":\\\"%s\\\",\\\"PhoneNumber\\\":\\\"%s\\\",", shortcode, phone
            printf "\\\"CallBackURL\\\":\\\"http://127.0.0.1:9/api/payments/callback/\\\",\\\"AccountReference\\\":\\\"BENCH%d\\\",\\\"TransactionDesc\\\":\\\"Course fee\\\"}\"\n", i
            print "output = \"/dev/null\""
            print "write-out = \"%{http_code}\\n\""
            if (i < n) print "next"
        }
    }' >"$out/pushes.curl"
curl -s --parallel --parallel-max 16 -K "$out/pushes.curl" >"$out/pushes.codes" 2>"$out/pushes.err" \
    || { cat "$out/pushes.err" >&2; die "curl failed during the pushes"; }
accepted=$(grep -c '^200$' "$out/pushes.codes" || true)
[ "$accepted" = "$total" ] || die "the simulator accepted $accepted of $total STK pushes (see $out/pushes.codes)"

log "inserting the matching payment rows: $count due now (run 1), $count not yet due (run 2)"
curl -s "$sim/sim/ledger" | jq -r '.stk[] | [.checkoutRequestID, .merchantRequestID, .phone, .amount] | @tsv' >"$out/ledger.tsv"
[ "$(wc -l <"$out/ledger.tsv")" = "$total" ] || die "the ledger does not hold $total STK transactions"
users=$(((total + 99) / 100))
psql -qX -v ON_ERROR_STOP=1 "$url" >/dev/null <<SQL
INSERT INTO courses (id, title, price) SELECT c, 'Bench course ' || c, 100 FROM generate_series(1, 100) c;
INSERT INTO users (id, email, full_name)
    SELECT u, 'learner' || u || '@bench.invalid', 'Bench learner ' || u FROM generate_series(1, $users) u;
CREATE TEMPORARY TABLE pushed (n bigserial, checkout text, merchant text, phone text, amount int);
\copy pushed (checkout, merchant, phone, amount) FROM '$out/ledger.tsv'
INSERT INTO payments (user_id, course_id, amount, phone, checkout_request_id, merchant_request_id, status,
                      next_check_at, created_at)
    SELECT (n - 1) / 100 + 1, (n - 1) % 100 + 1, amount, phone, checkout, merchant, 'pending',
           CASE WHEN n <= $count THEN now() - interval '1 minute' ELSE now() + interval '1 day' END,
           now() - interval '5 minutes'
    FROM pushed ORDER BY n;
VACUUM ANALYZE;
SQL

post_json /sim/faults "{\"rateLimitPerSecond\":$rate,\"apigeeFaultBodies\":false,\"serverErrorPercent\":0,
    \"slowMs\":$slow_ms,\"malformedPercent\":0,\"tokenLifetimeSeconds\":3599}"
sleep 1.1 # a full spike-arrest allowance before the first run

spikes() { curl -s "$sim/sim/ledger" | jq '.faults.spikeArrest'; }
q() { psql -qtAX -v ON_ERROR_STOP=1 "$url" -c "$1"; }
settle_run() { # name concurrency → summary JSON in $out/<name>.json, wall ms in $out/<name>.wall
    local name=$1 workers=$2 start end
    start=$(date +%s%N)
    (
        cd "$out"
        export DATABASE_URL=$url MPESA_ENVIRONMENT=simulator MPESA_BASE_URL=$sim MPESA_CONSUMER_KEY=$consumer_key \
            MPESA_CONSUMER_SECRET=$consumer_secret MPESA_SHORTCODE=$shortcode MPESA_PASSKEY=$passkey \
            MPESA_CALLBACK_URL=http://127.0.0.1:9/api/payments/callback/ RECON_LOG_LEVEL=warning
        exec /usr/bin/time -v -o "$out/$name.time" "$bindir/mpesa-recon" settle --json --rate "$rate" \
            --concurrency "$workers" >"$out/$name.json" 2>"$out/$name.log"
    ) || { cat "$out/$name.log" >&2; die "settle ($name) failed"; }
    end=$(date +%s%N)
    echo $(((end - start) / 1000000)) >"$out/$name.wall"
}

log "run 1: mpesa-recon settle --rate $rate --concurrency $concurrency over $count due payments"
spikes_before=$(spikes)
settle_run concurrent "$concurrency"
spikes_concurrent=$(($(spikes) - spikes_before))

log "run 2: the same, one at a time (--concurrency 1, --rate $rate) over $count fresh payments"
q "UPDATE payments SET next_check_at = now() - interval '1 minute' WHERE status = 'pending' AND check_attempts = 0 AND next_check_at > now() + interval '1 hour'" >/dev/null
sleep 1.1
spikes_before=$(spikes)
settle_run sequential 1
spikes_sequential=$(($(spikes) - spikes_before))

problems=()
js() { jq -r ".$2" "$out/$1.json"; }
for name in concurrent sequential; do
    [ "$(js "$name" claimed)" = "$count" ] || problems+=("$name: claimed $(js "$name" claimed) of $count")
    [ "$(js "$name" still_pending)" = 0 ] || problems+=("$name: $(js "$name" still_pending) still pending")
    [ "$(js "$name" throttled)" = 0 ] || problems+=("$name: $(js "$name" throttled) throttled answers")
    [ "$(js "$name" transport_failures)" = 0 ] || problems+=("$name: $(js "$name" transport_failures) transport failures")
done
[ "$spikes_concurrent" = 0 ] && [ "$spikes_sequential" = 0 ] \
    || problems+=("spike-arrest answers: $spikes_concurrent (concurrent), $spikes_sequential (sequential)")
# The database must match the simulator's truth: paid → completed (receipt pending), the rest → failed.
mismatches=$(
    curl -s "$sim/sim/ledger" | jq -r '.stk[] | [.checkoutRequestID, .outcome] | @tsv' \
        | psql -qtAX -v ON_ERROR_STOP=1 "$url" -c "CREATE TEMPORARY TABLE truth (checkout text, outcome text)" \
            -c "\copy truth FROM pstdin" \
            -c "SELECT count(*) FROM truth t JOIN payments p ON p.checkout_request_id = t.checkout
                WHERE p.status <> CASE t.outcome WHEN 'paid' THEN 'completed' ELSE 'failed' END" | tail -1
)
settled=$(q "SELECT count(*) FROM payments WHERE status IN ('completed', 'failed') AND settled_via IS DISTINCT FROM 'callback'")
[ "$mismatches" = 0 ] || problems+=("$mismatches payments disagree with the simulator's ledger")
[ "$settled" = "$total" ] || problems+=("$settled of $total payments settled")
queries=$(curl -s "$sim/sim/ledger" | jq '[.stk[].queries] | add')
[ "$queries" = "$total" ] || problems+=("the simulator answered $queries STK queries for $total payments (expected one each)")

seconds() { awk -v ms="$(cat "$out/$1.wall")" 'BEGIN { printf "%.1f", ms / 1000 }'; }
inner() { awk -v ms="$(js "$1" elapsed_milliseconds)" 'BEGIN { printf "%.1f", ms / 1000 }'; }
rss() { awk -F': ' '/Maximum resident set size/ { printf "%.1f", $2 / 1024 }' "$out/$1.time"; }
per_second() { awk -v n="$count" -v ms="$(cat "$out/$1.wall")" 'BEGIN { printf "%.0f", n / (ms / 1000) }'; }
bound=$(awk -v n="$count" -v r="$rate" 'BEGIN { printf "%.1f", n / r }')
c_wall=$(seconds concurrent)
s_wall=$(seconds sequential)
vs_bound=$(awk -v a="$c_wall" -v b="$bound" 'BEGIN { printf "%.2f", a / b }')
vs_seq=$(awk -v a="$c_wall" -v b="$s_wall" 'BEGIN { printf "%.2f", a / b }')
speedup=$(awk -v a="$c_wall" -v b="$s_wall" 'BEGIN { printf "%.1f", b / a }')
cores=$(nproc)
load=$(awk '{ print $1 }' /proc/loadavg)
pg_version=$(q "SHOW server_version" | awk '{ print $1 }')
outcomes="$(js concurrent completed) completed, $(js concurrent failed) failed"
outcomes_seq="$(js sequential completed) completed, $(js sequential failed) failed"

table=$(
    cat <<EOF
| ${count} due payments, answers ${slow_ms} ms late, spike arrest above ${rate}/s | wall time | payments/s | ours / this | spike-arrest answers | back-offs | peak memory (RSS) |
|---|---:|---:|---:|---:|---:|---:|
| **ours:** \`mpesa-recon settle --rate ${rate} --concurrency ${concurrency}\` | $(seconds concurrent) s (job $(inner concurrent) s) | $(per_second concurrent) | — | ${spikes_concurrent} | $(js concurrent backoffs) | $(rss concurrent) MiB |
| **bound:** ${count} / ${rate} per second | ${bound} s | ${rate} | ${vs_bound} | — | — | — |
| **baseline:** one at a time, \`--concurrency 1 --rate ${rate}\` | $(seconds sequential) s (job $(inner sequential) s) | $(per_second sequential) | ${vs_seq} | ${spikes_sequential} | $(js sequential backoffs) | $(rss sequential) MiB |
EOF
)
check="run 1: ${outcomes}; run 2: ${outcomes_seq}; every payment's state matches the simulator's ledger (${mismatches} mismatches), ${queries} STK queries for ${total} payments (one each), 0 throttled answers in either summary"
echo
echo "$table"
echo
echo "Concurrent / sequential wall time: ${vs_seq} (${speedup}× faster). $check."

if [ ${#problems[@]} -gt 0 ]; then
    printf 'settle benchmark FAILED: %s\n' "${problems[@]}" >&2
    exit 1
fi

command="BENCH_SETTLE_PAYMENTS=$count Benchmarks/settle/run.sh"
{
    printf 'benchmark\tmeasure\tours\tbaseline\tbaseline_figure\tratio\tpeak_memory\tcommand\n'
    printf 'settle\t%s due payments, answers %s ms late, --rate %s --concurrency %s: wall time\t%s s\tthe rate bound, %s / %s per second\t%s s\t%s\t%s MiB\t%s\n' \
        "$count" "$slow_ms" "$rate" "$concurrency" "$c_wall" "$count" "$rate" "$bound" "$vs_bound" "$(rss concurrent)" "$command"
    printf 'settle\t%s due payments, wall time\t%s s\tone at a time (--concurrency 1), same budget\t%s s\t%s\t%s MiB\t%s\n' \
        "$count" "$c_wall" "$s_wall" "$vs_seq" "$(rss concurrent)" "$command"
} >"$summary"

if [ "${BENCH_NO_README:-0}" != 1 ]; then
    section=$(
        cat <<EOF
## Settlement

\`Benchmarks/settle/run.sh\` — $(date -u '+%Y-%m-%d %H:%M UTC'), ${cores} cores shared with other work (load average ${load} at the end), PostgreSQL ${pg_version} on loopback, \`daraja-sim\` on loopback, release build.

${table}

- **Setup:** ${total} STK Pushes to \`daraja-sim\` (scenario: 8 paid : 1 cancelled : 1 no response, outcome known at once, every callback lost), then the matching \`pending\` payment rows, ${count} due for each run. Faults during the runs: \`slowMs=${slow_ms}\` (every answer, the OAuth one included) and \`rateLimitPerSecond=${rate}\`.
- **Ours:** \`mpesa-recon settle --json --rate ${rate} --concurrency ${concurrency}\`. Wall time is the whole process (start, token, claims, queries, one transaction per answer, \`job_runs\`); "job" is the summary's \`elapsed_milliseconds\`.
- **Bound:** the rate budget alone allows no less than ${count} / ${rate} = ${bound} s. Ours is ${vs_bound}× the bound.
- **Baseline:** the sequential loop most integrations run: the same command with \`--concurrency 1\` over ${count} fresh payments, same budget, which never binds at one query in flight (each waits ${slow_ms} ms). Ours takes ${vs_seq}× its time (${speedup}× faster).
- **Spike arrest:** the simulator's count of spike-arrest answers during each run, 0 required; the summaries' \`throttled\` and \`backoffs\` agree. The simulator arrests spikes with a token bucket (${rate} a second, bursts of a second's worth): a client keeping to the budget is never arrested; a burst above a second's worth, or a sustained excess once it adds up to one, is.
- **Checked:** ${check}.
EOF
    )
    write_readme_section "$root" settle "$section" "$out"
    log "wrote the Settlement section of Benchmarks/README.md"
fi
