#!/usr/bin/env bash
# Checks a release tarball the way a server receives it: unpacked in an empty folder, `./install.sh PREFIX` into
# another, then only the installed binary (no sql/, no checkout) against a fresh database of the local cluster:
#   --version; migrate as an owner login that is neither superuser nor CREATEROLE (the roles made first, as
#   docs/OPERATIONS.md says); two admins with `users add`; `serve --routes callbacks,console` as the application
#   role, its console login page rendered from the installed templates (the build folder's copy is moved aside
#   meanwhile, so the binary cannot fall back to it); `doctor` as the application role, which must exit 0
#   (Daraja is daraja-sim: RECON_DARAJA_SIM, default .build/debug/daraja-sim).
#   scripts/release-check.sh dist/mpesa-recon-VERSION-linux-ARCH.tar.gz
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
tarball=$(cd "$(dirname "${1:?a release tarball}")" && pwd)/$(basename "$1")
sim_bin=${RECON_DARAJA_SIM:-$repo/.build/debug/daraja-sim}
pg_port=${RECON_PG_PORT:-54329}
export LC_ALL=C

work=$(mktemp -d /tmp/mpesa-recon-release-check.XXXXXX)
chmod 755 "$work"
suffix=$(basename "$work" | tr -dc 'a-z0-9' | tail -c 6)
db=recon_release_$suffix
owner=recon_owner_$suffix
app=recon_app_$suffix
pids=()
aside=""
admin=""
cleanup() {
    local status=$? pid
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    if [ -n "$aside" ] && [ -d "$aside.release-check" ]; then mv "$aside.release-check" "$aside"; fi
    if [ -n "$admin" ]; then
        psql -qX "$admin" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" -c "DROP ROLE IF EXISTS $app" \
            -c "DROP ROLE IF EXISTS $owner" >/dev/null 2>&1 || true
    fi
    rm -rf "$work"
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
die() { echo "release-check: $*" >&2; exit 1; }
step() { echo "== $*"; }
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

step "tarball $(basename "$tarball"): $(du -h "$tarball" | cut -f1)"
tar -tvzf "$tarball" | awk '{printf "   %10s  %s\n", $3, $6}'
mkdir "$work/unpacked" "$work/prefix" "$work/run"
tar -xzf "$tarball" -C "$work/unpacked"
"$work"/unpacked/*/install.sh "$work/prefix"
bin=$work/prefix/bin/mpesa-recon
step "installed files"
(cd "$work/prefix" && find . -type f | sort | sed 's/^/   /' | head -20 && echo "   … $(find . -type f | wc -l) files")
step "ldd: nothing from the Swift toolchain, nothing missing"
if ldd "$bin" | grep -E 'swift|not found'; then die "the installed binary needs libraries it should not"; fi
echo "   $(ldd "$bin" | wc -l) libraries, all from the system"
step "--version"
"$bin" --version | sed 's/^/   /'

# The binary falls back to the bundle in the folder it was built in when none is beside it: hide that one.
built=$(strings "$bin" | grep -m1 '/mpesa-recon_ReconServer.resources$' || true)
if [ -n "$built" ] && [ -d "$built" ]; then
    aside=$built
    mv "$built" "$built.release-check"
    echo "   (moved the build's $built aside for the check)"
fi

step "database: roles and migrate as the owner (not superuser, no CREATEROLE)"
admin=$("$repo/scripts/pg.sh" start "$pg_port")
psql -qX "$admin" -v ON_ERROR_STOP=1 -c "CREATE ROLE $owner LOGIN NOSUPERUSER NOCREATEROLE" \
    -c "CREATE ROLE $app LOGIN" -c "CREATE DATABASE $db OWNER $owner" >/dev/null
base=${admin%/*}
owner_url="${base/postgres@/$owner@}/$db"
app_url="${base/postgres@/$app@}/$db"
(cd "$work/run" && env -i PATH=/usr/bin:/bin DATABASE_URL="$owner_url" RECON_DUAL_APPROVAL_ABOVE=10000 \
    "$bin" migrate --app-role "$app") >"$work/migrate.log" || { cat "$work/migrate.log" >&2; die "migrate failed"; }
grep -E '^(applied|runtime role|schema up to date)' "$work/migrate.log" | sed 's/^/   /' | tail -4
echo "   $(grep -c '^applied' "$work/migrate.log") migrations applied"

step "daraja-sim and serve --routes callbacks,console as $app"
[ -x "$sim_bin" ] || die "no daraja-sim at $sim_bin (swift build --product daraja-sim)"
(cd "$work/run" && exec "$sim_bin" --port 0 --port-file "$work/sim.port" >"$work/sim.log" 2>&1) &
pids+=($!)
for _ in $(seq 1 100); do [ -s "$work/sim.port" ] && break; sleep 0.1; done
[ -s "$work/sim.port" ] || die "daraja-sim did not start"
port=$(free_port)
token=releasecheck0123456789token
cat >"$work/env" <<EOF
DATABASE_URL=$app_url
MPESA_ENVIRONMENT=simulator
MPESA_BASE_URL=http://127.0.0.1:$(cat "$work/sim.port")
MPESA_CONSUMER_KEY=sim-consumer-key
MPESA_CONSUMER_SECRET=sim-consumer-secret
MPESA_SHORTCODE=174379
MPESA_PASSKEY=bfb279f9aa9bdbcf158e97dd71a467cd2e0c893059b10f78e6b72ada1ed2c919
MPESA_CALLBACK_URL=http://127.0.0.1:$port/api/payments/callback/?token=$token
MPESA_CALLBACK_TOKEN=$token
RECON_DUAL_APPROVAL_ABOVE=10000
RECON_SPOOL_DIR=$work/run/spool
RECON_CONSOLE_INSECURE_COOKIES=true
EOF
for who in ann bob; do
    (cd "$work/run" && env -i PATH=/usr/bin:/bin "$bin" users add "$who@example.com" --name "$who" --role admin \
        --env-file "$work/env") >/dev/null || die "users add $who failed"
done
(cd "$work/run" && exec env -i PATH=/usr/bin:/bin "$bin" serve --port "$port" --routes callbacks,console \
    --reports-dir "$work/run/reports" --env-file "$work/env" >"$work/serve.log" 2>&1) &
pids+=($!)
for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break; sleep 0.2; done
curl -fs "http://127.0.0.1:$port/healthz" >/dev/null || { cat "$work/serve.log" >&2; die "serve did not answer"; }
page=$(curl -fsS "http://127.0.0.1:$port/console/login")
grep -q '<form' <<<"$page" || die "the console's login page has no form"
echo "   GET /console/login: 200, $(wc -c <<<"$page") bytes, a login form (templates from $work/prefix/bin)"

step "doctor --env-file (as $app)"
set +e
(cd "$work/run" && env -i PATH=/usr/bin:/bin "$bin" doctor --env-file "$work/env") >"$work/doctor.log" 2>&1
status=$?
set -e
sed 's/^/   /' "$work/doctor.log"
[ "$status" = 0 ] || die "doctor exited $status"
echo "PASS: installed from $(basename "$tarball") into an empty folder; migrate, serve, console and doctor work"
