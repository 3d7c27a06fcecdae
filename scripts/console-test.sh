#!/usr/bin/env bash
# Browser tests of the console: headless Chromium from Debian, driven by Selenium from PyPI, against a
# real `mpesa-recon serve --routes callbacks,console` (the debug build `make test` just made), a fresh database on
# the local PostgreSQL cluster and the Daraja simulator; `pay`, `reconcile` and `run` are the real CLI. Screenshots
# of every page (1280x800) go to .build/console-screenshots/.
#
#   scripts/console-test.sh            (make test runs it; exits non-zero when a scenario fails)
#
# Knobs (environment): PG_PORT of the local cluster (54329).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
export PATH=/opt/swift/usr/bin:$PATH

pg_port=${PG_PORT:-54329}
db=mpesa_recon_console_test
out=$root/.build/console-test
shots=$root/.build/console-screenshots
mkdir -p "$out" "$shots"
rm -rf "${out:?}"/* "${shots:?}"/*

log() { echo "== console-test: $*" >&2; }
die() { echo "console-test: $*" >&2; exit 1; }

command -v chromium >/dev/null 2>&1 && command -v chromedriver >/dev/null 2>&1 \
    || die "chromium and chromium-driver are not installed (scripts/setup.sh installs them)"
python3 -c 'import selenium, openpyxl' 2>/dev/null || die "selenium or openpyxl missing (scripts/setup.sh)"
bindir=$(swift build --show-bin-path)
[ -x "$bindir/mpesa-recon" ] && [ -x "$bindir/daraja-sim" ] || die "build first (swift build --build-tests)"

# shellcheck source=lib/local-stack.sh
. "$root/scripts/lib/local-stack.sh"
stack_fresh_db "$pg_port" "$db"
stack_start_sim
curl -fs "$sim/sim/certificate" >"$out/cert.pem" || die "the simulator served no certificate"

port=$(free_port)
base="http://127.0.0.1:$port"
token=console-test-callback-token-0123456789
# The simulator's default credentials (SimulatorConfiguration): nothing secret.
export DATABASE_URL=$url MPESA_ENVIRONMENT=simulator MPESA_BASE_URL=$sim MPESA_CONSUMER_KEY=sim-consumer-key \
    MPESA_CONSUMER_SECRET=sim-consumer-secret MPESA_SHORTCODE=174379 \
    MPESA_PASSKEY=bfb279f9aa9bdbcf158e97dd71a467cd2e0c893059b10f78e6b72ada1ed2c919 \
    MPESA_CALLBACK_URL="$base/api/payments/callback/?token=$token" MPESA_CALLBACK_TOKEN=$token \
    MPESA_B2C_SHORTCODE=600999 MPESA_B2C_INITIATOR_NAME=testapi MPESA_B2C_INITIATOR_PASSWORD='Safaricom999!*!' \
    MPESA_CERT_PATH=$out/cert.pem MPESA_B2C_RESULT_URL="$base/api/payments/b2c/result/?token=$token" \
    MPESA_B2C_TIMEOUT_URL="$base/api/payments/b2c/timeout/?token=$token" \
    RECON_LOG_LEVEL=warning RECON_SPOOL_DIR="$out/spool"
# Chromium talks plain http to loopback here: the development flag lets cookies go without `Secure`.
export RECON_CONSOLE_INSECURE_COOKIES=true
cd "$out"

"$bindir/mpesa-recon" migrate >"$out/migrate.log" 2>&1 || { cat "$out/migrate.log" >&2; die "migrate failed"; }
psql -qX -v ON_ERROR_STOP=1 "$url" >/dev/null <<'SQL'
INSERT INTO courses (id, title, price, is_active) VALUES
    (1, 'Data Science Fundamentals', 5000, true), (2, 'Web Development Bootcamp', 3000, false);
SELECT setval('courses_id_seq', 2);
SQL

stack_start_serve "$base" --host 127.0.0.1 --port "$port" --routes callbacks,console --reports-dir "$out/reports"

log "running the browser scenarios (headless Chromium)"
CONSOLE_BASE=$base CONSOLE_BIN=$bindir/mpesa-recon CONSOLE_DB=$url CONSOLE_SHOTS=$shots CONSOLE_OUT=$out \
    python3 "$root/Tests/Browser/console_test.py"
log "screenshots: $(find "$shots" -name '*.png' | wc -l) in $shots"
