#!/usr/bin/env bash
# A throwaway local PostgreSQL cluster for tests and the demo.
#   scripts/pg.sh start|stop|status|url [PORT]
# The cluster lives in /tmp/mpesa-recon-pg-PORT (every parent must be traversable by `postgres` when
# run as root), listens on 127.0.0.1:PORT and a unix socket in the same folder, trust auth.
# start is idempotent: an initialised cluster is reused, a running one is left alone.
# Throwaway durability (fsync, synchronous_commit and full_page_writes off) unless RECON_PG_DURABLE=1 at start:
# then PostgreSQL's production defaults (all three on), for benchmarks that compare both.
set -euo pipefail

cmd=${1:-status}
port=${2:-${RECON_PG_PORT:-54329}}
dir=/tmp/mpesa-recon-pg-$port
data=$dir/data
log=$dir/server.log

bindir=""
for candidate in /usr/lib/postgresql/*/bin; do
    [ -x "$candidate/initdb" ] && bindir=$candidate
done
if [ -z "$bindir" ]; then
    echo "pg.sh: no PostgreSQL server binaries under /usr/lib/postgresql (run scripts/setup.sh)" >&2
    exit 1
fi

# initdb and pg_ctl refuse to run as root: run them as `postgres` then.
as_owner() {
    if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

running() { as_owner "$bindir/pg_ctl" -D "$data" status >/dev/null 2>&1; }

case "$cmd" in
start)
    mkdir -p "$dir"
    if [ "$(id -u)" = 0 ]; then chown postgres:postgres "$dir"; chmod 700 "$dir"; fi
    if [ ! -s "$data/PG_VERSION" ]; then
        rm -rf "$data"
        as_owner "$bindir/initdb" -D "$data" -U postgres -A trust --no-sync -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 \
            || { cat "$dir/initdb.log" >&2; exit 1; }
    fi
    if ! running; then
        # A stale pid file from a killed server would stop pg_ctl; it is safe to drop when nothing runs.
        rm -f "$data/postmaster.pid"
        durability="-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        [ "${RECON_PG_DURABLE:-0}" = 1 ] && durability="-c fsync=on -c synchronous_commit=on -c full_page_writes=on"
        as_owner "$bindir/pg_ctl" -D "$data" -l "$log" -w -t 60 start -o \
            "-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories=$dir $durability \
             -c max_connections=300 \
             -c shared_buffers=256MB -c max_locks_per_transaction=128" >/dev/null \
            || { tail -20 "$log" >&2; exit 1; }
    fi
    echo "postgresql://postgres@127.0.0.1:$port/postgres"
    ;;
stop)
    if [ -d "$data" ] && running; then
        as_owner "$bindir/pg_ctl" -D "$data" -m fast -w stop >/dev/null
    fi
    ;;
status)
    if [ -d "$data" ] && running; then echo "running on 127.0.0.1:$port ($dir)"; else echo "stopped"; exit 3; fi
    ;;
url)
    echo "postgresql://postgres@127.0.0.1:$port/postgres"
    ;;
*)
    echo "usage: scripts/pg.sh start|stop|status|url [PORT]" >&2
    exit 2
    ;;
esac
