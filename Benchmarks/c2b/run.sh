#!/usr/bin/env bash
# C2B validation benchmark: `mpesa-recon serve` (release build) answering C2B validation requests at a fixed rate
# (open loop, 200 requests/s by default) from local data only: a third name an open enrollment reference within its
# balance ("0"), a third an unknown account (C2B00012), a third an amount above the balance (C2B00013); every answer
# is checked. Baseline in the same run, same server, same rate: the STK callback route, which only stores the body
# before its 200 (the validation route stores the request too, then decides and records the decision).
#
#   Benchmarks/c2b/run.sh        (from anywhere; exits non-zero when anything fails)
#
# Knobs: BENCH_C2B_RATE requests/s (200), BENCH_C2B_DURATION seconds (20), BENCH_C2B_REFERENCES seeded open
# references (20000), BENCH_PG_PORT the benchmark's own cluster (54339), BENCH_NO_README=1 to leave README alone.
# Prints a markdown table, replaces the "C2B validation" section of Benchmarks/README.md, writes
# Benchmarks/out/c2b.summary.tsv. Run benchmarks one after another, never two at once.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
# shellcheck source=../lib/fresh-database.sh
. "$root/Benchmarks/lib/fresh-database.sh"
# shellcheck source=../lib/readme-section.sh
. "$root/Benchmarks/lib/readme-section.sh"
cd "$root"
export PATH=/opt/swift/usr/bin:$PATH

rate=${BENCH_C2B_RATE:-200}
duration=${BENCH_C2B_DURATION:-20}
references=${BENCH_C2B_REFERENCES:-20000}
pg_port=${BENCH_PG_PORT:-54339}
db=mpesa_recon_bench_c2b
token=bench-callback-token-0123456789
out=$root/Benchmarks/out/c2b
summary=$root/Benchmarks/out/c2b.summary.tsv
mkdir -p "$out"
rm -rf "${out:?}"/* "$summary"
log() { echo "== $*" >&2; }
die() { echo "c2b benchmark: $*" >&2; exit 1; }

log "swift build -c release --product mpesa-recon"
swift build -c release --product mpesa-recon >"$out/build.log" 2>&1 || { tail -30 "$out/build.log" >&2; die "build failed"; }
bin=$(swift build -c release --show-bin-path)/mpesa-recon

started_pg=0
if ! scripts/pg.sh status "$pg_port" >/dev/null 2>&1; then started_pg=1; fi
scripts/pg.sh stop "$pg_port"
admin=$(scripts/pg.sh start "$pg_port")
url="postgresql://postgres@127.0.0.1:$pg_port/$db"
server_pid=""
cleanup() {
    local status=$?
    if [ -n "$server_pid" ]; then kill -TERM "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
    scripts/pg.sh stop "$pg_port" || true
    if [ "$started_pg" = 0 ]; then scripts/pg.sh start "$pg_port" >/dev/null || true; fi
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log "fresh database $db, $references open enrollment references (course price 1000)"
fresh_database "$admin" "$db" "$url" "$bin" "$out" "$root"
psql -qX -v ON_ERROR_STOP=1 "$url" >/dev/null <<SQL
INSERT INTO courses (id, title, price) SELECT c, 'Bench course ' || c, 1000 FROM generate_series(1, 100) c;
INSERT INTO users (id, email, full_name)
    SELECT u, 'learner' || u || '@bench.invalid', 'Bench learner ' || u FROM generate_series(1, $references) u;
INSERT INTO enrollment_references (code, user_id, course_id)
    SELECT 'EB' || lpad(i::text, 8, '0'), i, (i - 1) % 100 + 1 FROM generate_series(1, $references) i;
VACUUM ANALYZE;
SQL

# Bodies in the production v2 shape (all strings, masked MSISDN, no MiddleName/LastName), with their answers.
python3 - "$references" "$out" <<'PY'
import json, random, sys
references, out = int(sys.argv[1]), sys.argv[2]
random.seed(26)
with open(out + "/validation.bodies", "w") as bodies, open(out + "/validation.expected", "w") as expected, \
        open(out + "/callback.bodies", "w") as callbacks:
    for i in range(3000):
        kind = i % 3
        code = "EB%08d" % random.randint(1, references)
        account, amount, answer = {0: (code.lower(), "400.00", "0"), 1: ("NOSUCH%d" % i, "400.00", "C2B00012"),
                                   2: (code, "1500.00", "C2B00013")}[kind]
        body = {"TransactionType": "Pay Bill", "TransID": "UBENCH%04d" % i, "TransTime": "20261201101010",
                "TransAmount": amount, "BusinessShortCode": "600000", "BillRefNumber": account, "InvoiceNumber": "",
                "OrgAccountBalance": "", "ThirdPartyTransID": "", "MSISDN": "2547 ***** 126", "FirstName": "WANJIKU"}
        bodies.write(json.dumps(body, separators=(",", ":")) + "\n")
        expected.write(answer + "\n")
        callbacks.write(json.dumps({"Body": {"stkCallback": {"MerchantRequestID": "b-%d" % i,
            "CheckoutRequestID": "ws_CO_BENCHNONE%05d" % i, "ResultCode": 1032,
            "ResultDesc": "Request cancelled by user"}}}, separators=(",", ":")) + "\n")
PY

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
log "mpesa-recon serve (release) on 127.0.0.1:$port"
(cd "$out" && DATABASE_URL=$url MPESA_CALLBACK_TOKEN=$token RECON_LOG_LEVEL=error RECON_SPOOL_DIR=$out/spool \
    exec "$bin" serve --host 127.0.0.1 --port "$port" >"$out/serve.log" 2>&1) &
server_pid=$!
for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
curl -fs "http://127.0.0.1:$port/healthz" >/dev/null || { cat "$out/serve.log" >&2; die "serve did not start"; }

base="http://127.0.0.1:$port"
field() { sed -n "s/.* $1=\([0-9.]*\).*/\1/p" <<<" $2"; }
problems=()
measure() { # path bodies expected name
    log "$4: $rate requests/s for $duration s"
    python3 "$here/rate.py" "$base$1?token=$token" "$rate" 2 "$2" "$3" "$4-warmup" >/dev/null
    result=$(python3 "$here/rate.py" "$base$1?token=$token" "$rate" "$duration" "$2" "$3" "$4")
    echo "$result" >"$out/$4.txt"
    local sent ok
    sent=$(field sent "$result")
    ok=$(field ok "$result")
    [ "$ok" = "$sent" ] || problems+=("$4: $ok of $sent answered as expected ($result)")
}
measure /api/payments/c2b/validation/ "$out/validation.bodies" "$out/validation.expected" validation
validation=$result
measure /api/payments/callback/ "$out/callback.bodies" - callback
callback=$result

# Peak resident memory of serve so far (it runs until the end of the script).
rss=$(awk '/VmHWM/ { printf "%.1f MiB", $2 / 1024 }' "/proc/$server_pid/status" 2>/dev/null || echo "n/a")
decided=$(psql -qtAX "$url" -c "SELECT count(*) FROM c2b_validations")
stored=$(psql -qtAX "$url" -c "SELECT count(*) FROM callback_inbox WHERE kind = 'c2b_validation'")
[ "$decided" = "$stored" ] || problems+=("$stored validation requests stored but $decided decisions recorded")

v99=$(field p99_ms "$validation"); c99=$(field p99_ms "$callback")
v50=$(field p50_ms "$validation"); c50=$(field p50_ms "$callback")
ratio=$(awk -v a="$v99" -v b="$c99" 'BEGIN { printf "%.2f", a / b }')
table="| measurement | ours: C2B validation | baseline: STK callback route (store only), same server, same run | ours ÷ baseline |
|---|---:|---:|---:|
| p50 latency at $rate requests/s | $v50 ms | $c50 ms | $(awk -v a="$v50" -v b="$c50" 'BEGIN { printf "%.2f", a / b }') |
| p99 latency at $rate requests/s | $v99 ms | $c99 ms | $ratio |
| answers checked | $(field ok "$validation") of $(field sent "$validation") as expected (0 / C2B00012 / C2B00013), $decided decisions recorded | $(field ok "$callback") of $(field sent "$callback") answered 200 | |"
echo "$table"
{
    printf 'benchmark\tmeasure\tours\tbaseline\tbaseline_figure\tratio\tpeak_memory\tcommand\n'
    printf 'c2b\tC2B validation: p99 latency at %s requests/s (open loop)\t%s ms\tSTK callback route (store only), same server\t%s ms\t%s\t%s\tBENCH_C2B_DURATION=%s Benchmarks/c2b/run.sh\n' \
        "$rate" "$v99" "$c99" "$ratio" "$rss" "$duration"
} >"$summary"
if [ "${BENCH_NO_README:-0}" != 1 ]; then
    write_readme_section "$root" c2b "## C2B validation

\`Benchmarks/c2b/run.sh\`: open-loop load at a fixed rate (Benchmarks/c2b/rate.py; latency from each request's due
time), $(nproc) cores, load average at the end $(cut -d' ' -f1-3 /proc/loadavg). Validation stores each request,
decides from local data and records the decision; the requirement is an answer in under 1 s at p99 at 200 requests/s.

$table" "$out"
fi
if [ ${#problems[@]} -gt 0 ]; then printf 'problem: %s\n' "${problems[@]}" >&2; exit 1; fi
