#!/usr/bin/env bash
# Payments API benchmark: `GET /api/payments/my/` and `GET /api/payments/<id>/status/` of
# `mpesa-recon serve --routes callbacks,api` (release build) at 32 connections, next to the LMS guide's own stack
# doing the same in the same run: Django REST Framework with SimpleJWT under gunicorn (Benchmarks/api/django/),
# reading the same PostgreSQL tables with unmanaged models over psycopg 3, with the same HS256 signing key.
# Every request carries a learner's own access token (minted as SimpleJWT writes them), so both stacks verify a
# JWT, load the learner and query that learner's payments per request.
#
#   Benchmarks/api/run.sh        (from anywhere; exits non-zero when anything fails)
#
# Knobs (environment): BENCH_API_DURATION seconds per measured run (15), BENCH_WARMUP seconds (3),
# BENCH_API_LEARNERS (1000) with BENCH_API_PAYMENTS payments each (20), BENCH_GUNICORN_CLASS (gthread; or sync)
# and BENCH_GUNICORN_WORKERS (2 × cores + 1), BUILD (release; debug for a trial), BENCH_PG_PORT port of the
# benchmark's own PostgreSQL cluster (54339, started with scripts/pg.sh and stopped again if this script started
# it), BENCH_NO_README=1 to leave README alone.
# Before timing, both stacks must answer a sample of requests 200 with equal JSON (check.py).
# Prints a markdown table and replaces the "Payments API" section of Benchmarks/README.md; the summary rows for
# Benchmarks/run-all.sh go to Benchmarks/out/api.summary.tsv.
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

duration=${BENCH_API_DURATION:-15}
warmup=${BENCH_WARMUP:-3}
learners=${BENCH_API_LEARNERS:-1000}
per=${BENCH_API_PAYMENTS:-20}
build=${BUILD:-release}
pg_port=${BENCH_PG_PORT:-54339}
gunicorn_class=${BENCH_GUNICORN_CLASS:-gthread}
gunicorn_workers=${BENCH_GUNICORN_WORKERS:-$((2 * $(nproc) + 1))}
connections=32
threads=2
db=mpesa_recon_bench_api
# Throwaway keys, nothing secret: the LMS's SIGNING_KEY (HS256) is shared by both stacks.
signing_key=bench-lms-signing-key-0123456789abcdef-0123
callback_token=bench-callback-token-0123456789
out=$root/Benchmarks/out/api
summary=$root/Benchmarks/out/api.summary.tsv
mkdir -p "$out"
rm -rf "${out:?}"/* "$summary"

load_start=$(cut -d' ' -f1-3 /proc/loadavg)
log() { echo "== $*" >&2; }
die() { echo "api benchmark: $*" >&2; exit 1; }

# Tools: wrk (load), psql, curl, and the LMS's Python stack from PyPI. Only what is missing.
need=()
command -v wrk >/dev/null 2>&1 || need+=(wrk)
command -v curl >/dev/null 2>&1 || need+=(curl)
command -v psql >/dev/null 2>&1 || need+=(postgresql)
command -v python3 >/dev/null 2>&1 || need+=(python3 python3-pip)
if [ ${#need[@]} -gt 0 ]; then
    log "installing ${need[*]}"
    sudo_cmd=""
    [ "$(id -u)" = 0 ] || sudo_cmd="sudo"
    $sudo_cmd apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
python_packages=(Django djangorestframework djangorestframework-simplejwt gunicorn 'psycopg[binary]')
if ! python3 -c 'import django, rest_framework, rest_framework_simplejwt, jwt, gunicorn, psycopg' >/dev/null 2>&1; then
    log "installing ${python_packages[*]} from PyPI"
    python3 -m pip install -q "${python_packages[@]}" 2>/dev/null \
        || python3 -m pip install -q --break-system-packages "${python_packages[@]}"
fi
versions=$(python3 - <<'EOF'
import platform
from importlib.metadata import version
names = ["Django", "djangorestframework", "djangorestframework-simplejwt", "gunicorn", "psycopg", "PyJWT"]
print(", ".join(f"{name} {version(name)}" for name in names) + f", Python {platform.python_version()}")
EOF
)

log "swift build -c $build --product mpesa-recon"
swift build -c "$build" --product mpesa-recon >"$out/build.log" 2>&1 || { tail -30 "$out/build.log" >&2; die "build failed"; }
bin=$(swift build -c "$build" --show-bin-path)/mpesa-recon

started_pg=0
if ! scripts/pg.sh status "$pg_port" >/dev/null 2>&1; then started_pg=1; fi
admin=$(scripts/pg.sh start "$pg_port")
url="postgresql://postgres@127.0.0.1:$pg_port/$db"

serve_pid=""
gunicorn_pid=""
sampler_pid=""
cleanup() {
    local status=$?
    for pid in $sampler_pid $serve_pid $gunicorn_pid; do
        if kill -0 "$pid" 2>/dev/null; then
            kill -TERM "$pid" 2>/dev/null || true
            wait "$pid" 2>/dev/null || true
        fi
    done
    if [ "$started_pg" = 1 ]; then scripts/pg.sh stop "$pg_port" || true; fi
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log "fresh database $db on 127.0.0.1:$pg_port, migrated with mpesa-recon migrate"
fresh_database "$admin" "$db" "$url" "$bin" "$out" "$root"

log "seeding $learners learners with $per payments each"
psql -qX -v ON_ERROR_STOP=1 -v learners="$learners" -v per="$per" "$url" -f "$here/seed.sql" >"$out/seed.log" \
    || die "seeding failed"
log "minting one SimpleJWT access token per learner (PyJWT, HS256)"
minted=$(python3 "$here/tokens.py" "$url" "$signing_key" 7200 "$out/tokens.txt")
[ "$minted" = "$learners" ] || die "minted $minted tokens for $learners learners"

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
wait_healthy() { # url pid name
    for _ in $(seq 1 150); do
        curl -fs -o /dev/null "$1" && return 0
        kill -0 "$2" 2>/dev/null || die "$3 exited (see $out/$3.log)"
        sleep 0.2
    done
    die "$3 did not answer $1"
}

log "starting mpesa-recon serve --routes callbacks,api ($build build)"
ours_port=$(free_port)
(
    cd "$out"
    # As scripts/api-fuzz.sh sets them; the Daraja settings are needed to start but never used here (no initiate).
    export DATABASE_URL=$url MPESA_ENVIRONMENT=simulator MPESA_BASE_URL=http://127.0.0.1:9 \
        MPESA_CONSUMER_KEY=sim-consumer-key MPESA_CONSUMER_SECRET=sim-consumer-secret MPESA_SHORTCODE=174379 \
        MPESA_PASSKEY=bfb279f9aa9bdbcf158e97dd71a467cd2e0c893059b10f78e6b72ada1ed2c919 \
        MPESA_CALLBACK_URL="http://127.0.0.1:$ours_port/api/payments/callback/?token=$callback_token" \
        MPESA_CALLBACK_TOKEN=$callback_token LMS_JWT_SIGNING_KEY=$signing_key \
        RECON_SECRETS_KEY=0000000000000000000000000000000000000000000000000000000000000000 \
        RECON_LOG_LEVEL=warning RECON_SPOOL_DIR="$out/spool"
    exec "$bin" serve --host 127.0.0.1 --port "$ours_port" --routes callbacks,api >"$out/serve.log" 2>&1
) &
serve_pid=$!
ours="http://127.0.0.1:$ours_port"
wait_healthy "$ours/healthz" "$serve_pid" serve

log "starting gunicorn: $gunicorn_workers $gunicorn_class workers (Benchmarks/api/django/gunicorn.conf.py)"
django_port=$(free_port)
(
    cd "$here/django"
    export LMS_JWT_SIGNING_KEY=$signing_key BENCH_DB_NAME=$db BENCH_DB_PORT=$pg_port \
        BENCH_GUNICORN_CLASS=$gunicorn_class BENCH_GUNICORN_WORKERS=$gunicorn_workers
    exec python3 -m gunicorn -c gunicorn.conf.py --bind "127.0.0.1:$django_port" lms.wsgi:application \
        >"$out/gunicorn.log" 2>&1
) &
gunicorn_pid=$!
django="http://127.0.0.1:$django_port"
# Any path answers once a worker runs: 401 without a token.
for _ in $(seq 1 150); do
    [ "$(curl -s -o /dev/null -w '%{http_code}' "$django/api/payments/my/")" = 401 ] && break
    kill -0 "$gunicorn_pid" 2>/dev/null || { cat "$out/gunicorn.log" >&2; die "gunicorn exited"; }
    sleep 0.2
done
gunicorn_threads=$(python3 -c "
import os; os.environ.update(BENCH_GUNICORN_CLASS='$gunicorn_class', BENCH_GUNICORN_WORKERS='$gunicorn_workers')
exec(open('$here/django/gunicorn.conf.py').read()); print(threads)")
if [ "$gunicorn_class" = gthread ]; then
    gunicorn_desc="gunicorn, ${gunicorn_workers} gthread workers × ${gunicorn_threads} threads"
else
    gunicorn_desc="gunicorn, ${gunicorn_workers} ${gunicorn_class} workers"
fi

log "checking that both stacks answer alike"
check=$(python3 "$here/check.py" "$out/tokens.txt" "$ours" "$django" 40) || die "the stacks answer differently"
log "$check"

# Peak memory of each server's whole process tree (gunicorn: the arbiter and every worker), sampled twice a second.
rss_tree() { # pid → KiB of it and its children
    { ps -o rss= -p "$1" || true; ps -o rss= --ppid "$1" || true; } 2>/dev/null | awk '{ s += $1 } END { print s + 0 }'
}
(
    peak_ours=0 peak_django=0
    while :; do
        a=$(rss_tree "$serve_pid")
        b=$(rss_tree "$gunicorn_pid")
        [ "$a" -gt "$peak_ours" ] && peak_ours=$a
        [ "$b" -gt "$peak_django" ] && peak_django=$b
        echo "$peak_ours $peak_django" >"$out/rss.peak.tmp" && mv "$out/rss.peak.tmp" "$out/rss.peak"
        sleep 0.5
    done
) &
sampler_pid=$!

wrk_run() { # base endpoint seconds name → RESULT line
    wrk -t "$threads" -c "$connections" -d "${3}s" --timeout 10s -s "$here/api.lua" "$1" \
        -- "$out/tokens.txt" "$2" "$threads" >"$out/wrk-$4.txt" 2>&1 || { cat "$out/wrk-$4.txt" >&2; die "wrk failed"; }
    grep '^RESULT ' "$out/wrk-$4.txt" || die "wrk printed no RESULT line ($out/wrk-$4.txt)"
}
field() { sed -n "s/.* $1=\([0-9.]*\).*/\1/p" <<<" $2"; }

problems=()
declare -A rate p50 p99
for endpoint in my status; do
    for stack in ours django; do
        base=$ours
        [ "$stack" = django ] && base=$django
        log "$endpoint, $stack: ${warmup}s warm-up, then ${duration}s, $connections connections"
        wrk_run "$base" "$endpoint" "$warmup" "$endpoint-$stack-warmup" >/dev/null
        result=$(wrk_run "$base" "$endpoint" "$duration" "$endpoint-$stack")
        errors=$(($(field status_errors "$result") + $(field connect_errors "$result") + $(field read_errors "$result") \
            + $(field write_errors "$result") + $(field timeouts "$result")))
        [ "$errors" = 0 ] || problems+=("$endpoint, $stack: $errors errors (non-2xx, socket errors or timeouts): $result")
        rate[$endpoint-$stack]=$(awk -v n="$(field requests "$result")" -v us="$(field duration_us "$result")" \
            'BEGIN { printf "%.0f", n / (us / 1e6) }')
        p50[$endpoint-$stack]=$(awk -v us="$(field p50_us "$result")" 'BEGIN { printf "%.2f", us / 1000 }')
        p99[$endpoint-$stack]=$(awk -v us="$(field p99_us "$result")" 'BEGIN { printf "%.2f", us / 1000 }')
        log "${rate[$endpoint-$stack]} requests/s, p50 ${p50[$endpoint-$stack]} ms, p99 ${p99[$endpoint-$stack]} ms"
    done
done
[ -s "$out/rss.peak" ] || die "the memory sampler wrote nothing"
read -r peak_ours peak_django <"$out/rss.peak"
kill -TERM "$sampler_pid" 2>/dev/null || true
wait "$sampler_pid" 2>/dev/null || true
sampler_pid=""
ours_rss=$(awk -v k="$peak_ours" 'BEGIN { printf "%.1f", k / 1024 }')
django_rss=$(awk -v k="$peak_django" 'BEGIN { printf "%.1f", k / 1024 }')
grep -q "Fatal error" "$out/serve.log" && problems+=("serve logged a fatal error")

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
pg_version=$(psql -qtAX "$url" -c "SHOW server_version" | awk '{ print $1 }')
cores=$(nproc)
load=$(cut -d' ' -f1-3 /proc/loadavg)
rows=""
for endpoint in my status; do
    case $endpoint in
    my) label="\`GET /api/payments/my/\` ($per payments each)" ;;
    status) label="\`GET /api/payments/<id>/status/\`" ;;
    esac
    rows+="| ${label} | requests/s | ${rate[$endpoint-ours]} | ${rate[$endpoint-django]} | $(ratio "${rate[$endpoint-ours]}" "${rate[$endpoint-django]}") |"$'\n'
    rows+="| | p50 latency | ${p50[$endpoint-ours]} ms | ${p50[$endpoint-django]} ms | $(ratio "${p50[$endpoint-ours]}" "${p50[$endpoint-django]}") |"$'\n'
    rows+="| | p99 latency | ${p99[$endpoint-ours]} ms | ${p99[$endpoint-django]} ms | $(ratio "${p99[$endpoint-ours]}" "${p99[$endpoint-django]}") |"$'\n'
done
table=$(
    cat <<EOF
| ${connections} connections, ${duration} s each | | ours: \`mpesa-recon serve\` (${build}) | baseline: Django REST Framework + SimpleJWT, ${gunicorn_desc} | ratio (ours / baseline) |
|---|---|---:|---:|---:|
${rows}| peak memory (RSS, whole process tree) | | ${ours_rss} MiB | ${django_rss} MiB | $(ratio "$ours_rss" "$django_rss") |
EOF
)
echo
echo "$table"
echo
echo "Checked before timing: $check."
echo "Baseline: $versions."

if [ ${#problems[@]} -gt 0 ]; then
    printf 'api benchmark FAILED: %s\n' "${problems[@]}" >&2
    exit 1
fi

command="BENCH_API_DURATION=$duration Benchmarks/api/run.sh"
[ "$build" = release ] || command="BUILD=$build $command"
[ "$gunicorn_class" = gthread ] || command="BENCH_GUNICORN_CLASS=$gunicorn_class $command"
baseline_name="Django REST Framework + SimpleJWT, $gunicorn_desc"
{
    printf 'benchmark\tmeasure\tours\tbaseline\tbaseline_figure\tratio\tpeak_memory\tcommand\n'
    for endpoint in my status; do
        path="GET /api/payments/my/"
        [ "$endpoint" = status ] && path="GET /api/payments/<id>/status/"
        printf 'api\t%s: throughput, %s connections, %s s\t%s requests/s\t%s\t%s requests/s\t%s\t%s MiB\t%s\n' \
            "$path" "$connections" "$duration" "${rate[$endpoint-ours]}" "$baseline_name" "${rate[$endpoint-django]}" \
            "$(ratio "${rate[$endpoint-ours]}" "${rate[$endpoint-django]}")" "$ours_rss" "$command"
        printf 'api\t%s: p99 latency\t%s ms\t%s\t%s ms\t%s\t%s MiB\t%s\n' \
            "$path" "${p99[$endpoint-ours]}" "$baseline_name" "${p99[$endpoint-django]}" \
            "$(ratio "${p99[$endpoint-ours]}" "${p99[$endpoint-django]}")" "$ours_rss" "$command"
    done
} >"$summary"

if [ "${BENCH_NO_README:-0}" != 1 ]; then
    section=$(
        cat <<EOF
## Payments API

\`Benchmarks/api/run.sh\` — $(date -u '+%Y-%m-%d %H:%M UTC'), ${cores} cores shared with other work (load average ${load_start} at the start, ${load} at the end), PostgreSQL ${pg_version} on loopback (\`scripts/pg.sh\`; the same server, database and rows for both sides), ${build} build.

${table}

- **Data:** ${learners} learners with ${per} payments each ($((learners * per)) payments on 10 courses: completed with receipts, some paid from another phone, failed, pending), seeded by \`Benchmarks/api/seed.sql\` after \`mpesa-recon migrate\`. One SimpleJWT access token per learner, minted with PyJWT as SimpleJWT 5.5 writes them (HS256; \`token_type\`, \`exp\`, \`iat\`, \`jti\`, \`user_id\` as a string) with the signing key both stacks share (\`Benchmarks/api/tokens.py\`).
- **Load:** \`wrk -t ${threads} -c ${connections} -d ${duration}s\` with \`Benchmarks/api/api.lua\`, after a ${warmup} s warm-up, one stack at a time (both stay up). Each wrk thread goes round half the learners request after request, so every connection sends many learners' tokens; \`/status/\` asks for each learner's own payments in turn. Latency is wrk's, from request written to response read. Peak memory is the sum of RSS over each server's process tree, sampled twice a second (pages gunicorn's forked workers share with the arbiter count once per process, so its figure overstates what it takes).
- **Per request, both stacks:** parse the bearer token, verify its HS256 signature, \`exp\` and \`token_type\`; load the learner (one query: active?); query the payments (\`/my/\`: the learner's newest 50 with the course title, one join; \`/status/\`: one payment, 404 unless it is the learner's own); serialize JSON.
- **Ours:** \`mpesa-recon serve --routes callbacks,api\` (Hummingbird, one process, a pool of 16 PostgreSQL connections), environment as \`scripts/api-fuzz.sh\` sets it.
- **Baseline:** the LMS guide's own stack, \`Benchmarks/api/django/\`: Django with an unmanaged custom user model over \`users\` and unmanaged \`Course\`/\`Payment\` models over the same tables, DRF \`ModelSerializer\`s with the guide's fields, function views with \`rest_framework_simplejwt.authentication.JWTAuthentication\` and \`IsAuthenticated\`, \`DEBUG = False\`, persistent connections (\`CONN_MAX_AGE = None\`), JSON renderer only; ${gunicorn_desc} (\`gunicorn.conf.py\`: 2 × cores + 1 workers, keep-alive 5 s, no access log). ${versions}.
- **Checked before timing:** ${check}.
EOF
    )
    write_readme_section "$root" api "$section" "$out"
    log "wrote the Payments API section of Benchmarks/README.md"
fi
