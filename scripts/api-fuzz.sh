#!/usr/bin/env bash
# API fuzzing: schemathesis (from PyPI) runs openapi.yaml against a real `mpesa-recon serve` (the
# debug build `make test` just made) on loopback, backed by a fresh database on the local PostgreSQL cluster and
# the Daraja simulator; once with a learner's token and once with an admin's, each a real token from
# /api/auth/login/. Checks: no 5xx, status codes, content types and JSON bodies as the document says.
#
#   scripts/api-fuzz.sh            (make test runs it; exits non-zero when schemathesis finds anything)
#
# Knobs (environment): PG_PORT of the local cluster (54329), API_FUZZ_EXAMPLES per operation and phase (25).
# Logs, schemathesis's report and the servers' output go to .build/api-fuzz/.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
export PATH=/opt/swift/usr/bin:$PATH

pg_port=${PG_PORT:-54329}
examples=${API_FUZZ_EXAMPLES:-25}
db=mpesa_recon_api_fuzz
out=$root/.build/api-fuzz
mkdir -p "$out"
rm -f "$out"/*.log

log() { echo "== api-fuzz: $*" >&2; }
die() { echo "api-fuzz: $*" >&2; exit 1; }

command -v schemathesis >/dev/null 2>&1 || die "schemathesis is not installed (scripts/setup.sh installs it)"
bindir=$(swift build --show-bin-path)
[ -x "$bindir/mpesa-recon" ] && [ -x "$bindir/daraja-sim" ] || die "build first (swift build --build-tests)"

# shellcheck source=lib/local-stack.sh
. "$root/scripts/lib/local-stack.sh"
stack_fresh_db "$pg_port" "$db"
stack_start_sim

port=$(free_port)
base="http://127.0.0.1:$port"
callback_token=api-fuzz-callback-token-0123456789
# The simulator's default credentials (SimulatorConfiguration) and throwaway keys: nothing secret.
export DATABASE_URL=$url MPESA_ENVIRONMENT=simulator MPESA_BASE_URL=$sim MPESA_CONSUMER_KEY=sim-consumer-key \
    MPESA_CONSUMER_SECRET=sim-consumer-secret MPESA_SHORTCODE=174379 \
    MPESA_PASSKEY=bfb279f9aa9bdbcf158e97dd71a467cd2e0c893059b10f78e6b72ada1ed2c919 \
    MPESA_CALLBACK_URL="$base/api/payments/callback/?token=$callback_token" MPESA_CALLBACK_TOKEN=$callback_token \
    LMS_JWT_SIGNING_KEY=api-fuzz-lms-signing-key-0123456789abcdef LMS_JWT_ACCESS_LIFETIME=3600 \
    RECON_SECRETS_KEY=0000000000000000000000000000000000000000000000000000000000000000 \
    RECON_LOG_LEVEL=warning RECON_SPOOL_DIR="$out/spool"
cd "$out"

"$bindir/mpesa-recon" migrate >"$out/migrate.log" 2>&1 || { cat "$out/migrate.log" >&2; die "migrate failed"; }
psql -qX -v ON_ERROR_STOP=1 "$url" >/dev/null <<'SQL'
INSERT INTO courses (id, title, price) VALUES (1, 'Data Science Fundamentals', 5000), (2, 'Old course', 100);
UPDATE courses SET is_active = false WHERE id = 2;
SELECT setval('courses_id_seq', 2);
SQL
password=api-fuzz-password-0123
for who in learner:none admin:admin finance:finance; do
    name=${who%%:*}
    role=${who#*:}
    args=(users add "$name@fuzz.invalid" --name "Fuzz $name")
    [ "$role" = none ] || args+=(--role "$role")
    "$bindir/mpesa-recon" "${args[@]}" >>"$out/users.log" 2>&1 || { cat "$out/users.log" >&2; die "users add failed"; }
    echo "$password" | "$bindir/mpesa-recon" users set-password "$name@fuzz.invalid" >>"$out/users.log" 2>&1 \
        || { cat "$out/users.log" >&2; die "set-password failed"; }
done

stack_start_serve "$base" --host 127.0.0.1 --port "$port" --routes callbacks,api

token_for() { # email → an access token from /api/auth/login/
    curl -sS -H 'Content-Type: application/json' \
        --data "{\"email\":\"$1\",\"password\":\"$password\"}" "$base/api/auth/login/" \
        | python3 -c 'import json, sys; body = sys.stdin.read(); print(json.loads(body).get("access") or sys.exit("login answered: " + body))'
}

status=0
for name in learner admin; do
    token=$(token_for "$name@fuzz.invalid") || die "login as $name failed"
    log "schemathesis as $name ($examples examples per operation and phase)"
    # Both security schemes of the document: the bearer token, and the callbacks' ?token= (so the callback
    # routes are fuzzed past their door too: every body is stored, none crashes the endpoint).
    cat >"$out/schemathesis-$name.toml" <<TOML
[auth.openapi.bearer]
bearer = "$token"

[auth.openapi.callbackToken]
api_key = "$callback_token"
TOML
    if ! schemathesis --config-file "$out/schemathesis-$name.toml" run "$root/openapi.yaml" --url "$base" \
        --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance \
        --phases examples,coverage,fuzzing --max-examples "$examples" --seed 20261201 --workers 1 \
        --suppress-health-check all --no-color >"$out/schemathesis-$name.log" 2>&1; then
        tail -60 "$out/schemathesis-$name.log" >&2
        status=1
    else
        grep -E "passed|failed|Test cases|API Operations" "$out/schemathesis-$name.log" | tail -5 >&2 || true
    fi
done
grep -q "Fatal error" "$out/serve.log" && { cat "$out/serve.log" >&2; status=1; }
[ "$status" = 0 ] && log "no 5xx, every answer as openapi.yaml says"
exit "$status"
