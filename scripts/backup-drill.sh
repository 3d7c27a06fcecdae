#!/usr/bin/env bash
# The backup and restore drill (docs/OPERATIONS.md, "Restore"), on loopback and in a temporary folder:
#   1. a throwaway PostgreSQL cluster archiving its WAL with pgBackRest, configured by deploy/pgbackrest/
#      (the shipped files, with their paths pointed at the temporary folder);
#   2. data written by the real programs: mpesa-recon-demo (payments, callbacks, refunds paid through B2C,
#      statements, audit) and mpesa-recon's CLI (refunds proposed and approved, users), in several phases
#      around a full backup, a differential backup and two recorded restore targets, then an "accident"
#      (a database dropped and made anew);
#   3. three restores into fresh clusters: to target 1 (full backup + WAL), to target 2 (differential + WAL),
#      and to the latest archived point; each compared table by table with the source at that moment (row
#      count and a digest of every row), its schema checked by `mpesa-recon doctor`, its ledger checked.
# Exits 1 on any mismatch. Needs the built mpesa-recon and mpesa-recon-demo (RECON_BIN, default
# .build/debug/mpesa-recon) and the tools of scripts/setup-ops.sh. RECON_DRILL_KEEP=1 keeps the folder.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
bin=${RECON_BIN:-$repo/.build/debug/mpesa-recon}
demo=${RECON_DEMO_BIN:-$(dirname "$bin")/mpesa-recon-demo}
sql_dir=$repo/sql
for tool in "$bin" "$demo"; do
    [ -x "$tool" ] || { echo "backup-drill: $tool is not built (swift build, or set RECON_BIN)" >&2; exit 2; }
done
"$repo/scripts/setup-ops.sh"

pg_bin=""
for candidate in /usr/lib/postgresql/*/bin; do [ -x "$candidate/initdb" ] && pg_bin=$candidate; done
[ -n "$pg_bin" ] || { echo "backup-drill: no PostgreSQL server binaries" >&2; exit 2; }

# initdb, pg_ctl and pgbackrest run as `postgres` when this script runs as root (PostgreSQL refuses root).
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }

started=$(now)
work=$(mktemp -d /tmp/mpesa-recon-backup-drill.XXXXXX)
chmod 755 "$work"
[ "$(id -u)" = 0 ] && chown postgres:postgres "$work"
conf=$work/pgbackrest.conf
src_port=$(free_port)
src_data=$work/source
sock=$work/sock
mkdir -p "$sock" "$work/reports" "$work/restores"
[ "$(id -u)" = 0 ] && chown postgres:postgres "$sock" "$work/restores"
export PGTZ=UTC PGCONNECT_TIMEOUT=10 LC_ALL=C
status=1
running_data=()

cleanup() {
    for data in "${running_data[@]}"; do
        as_pg "$pg_bin/pg_ctl" -D "$data" -m immediate -w stop >/dev/null 2>&1 || true
    done
    if [ "$status" = 0 ] && [ "${RECON_DRILL_KEEP:-0}" != 1 ]; then
        rm -rf "$work"
    else
        echo "backup-drill: logs and clusters kept in $work" >&2
    fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

step() { printf '\n== %s\n' "$*"; }
timings=()
timed() { # timed LABEL command…: runs it and records its duration
    local label=$1 t0
    shift
    t0=$(now)
    "$@"
    timings+=("$(printf '%-50s %6ss' "$label" "$(secs "$t0" "$(now)")")")
}

start_cluster() { # start_cluster DATA PORT LOG [extra -c options]
    local data=$1 port=$2 log=$3
    shift 3
    as_pg "$pg_bin/pg_ctl" -D "$data" -l "$log" -w -t 300 start -o \
        "-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories=$sock $*" >/dev/null \
        || { tail -20 "$log" >&2; return 1; }
    running_data+=("$data")
}
stop_cluster() { # stop_cluster DATA [mode]
    as_pg "$pg_bin/pg_ctl" -D "$1" -m "${2:-fast}" -w stop >/dev/null
    local kept=() d
    for d in "${running_data[@]}"; do [ "$d" = "$1" ] || kept+=("$d"); done
    running_data=("${kept[@]+"${kept[@]}"}")
}
url() { echo "postgresql://postgres@127.0.0.1:$1/$2"; }
psql_at() { psql -X -q -v ON_ERROR_STOP=1 -At "$@"; }
pgbr() { as_pg pgbackrest --config="$conf" --stanza=main "$@"; }

# ---------------------------------------------------------------------------------------------------------------
step "Configuration: deploy/pgbackrest/ with its paths pointed at $work"
# The shipped pgbackrest.conf, every path replaced; anything left pointing at /var would be a drill bug.
sed -e "s#^repo1-path=.*#repo1-path=$work/repo#" \
    -e "s#^spool-path=.*#spool-path=$work/spool#" \
    -e "s#^lock-path=.*#lock-path=$work/lock#" \
    -e "s#^log-path=.*#log-path=$work/log#" \
    -e "s#^pg1-path=.*#pg1-path=$src_data#" \
    -e "s#^pg1-port=.*#pg1-port=$src_port#" \
    -e "s#^pg1-socket-path=.*#pg1-socket-path=$sock#" \
    "$repo/deploy/pgbackrest/pgbackrest.conf" >"$conf"
if grep -nE '^[^#].*(/var/|/tmp/pgbackrest)' "$conf"; then
    echo "backup-drill: a path of deploy/pgbackrest/pgbackrest.conf was not redirected" >&2
    exit 1
fi
chmod 644 "$conf"
echo "pgbackrest.conf: $(grep -cE '^[a-z]' "$conf") settings from the shipped file; repository $work/repo"

step "Source cluster on 127.0.0.1:$src_port, archive_command from deploy/pgbackrest/postgresql-archive.conf"
t0=$(now)
as_pg "$pg_bin/initdb" -D "$src_data" -U postgres -A trust --no-sync -E UTF8 --locale=C.UTF-8 >"$work/initdb.log" 2>&1 \
    || { cat "$work/initdb.log" >&2; exit 1; }
{
    echo "# scripts/backup-drill.sh: deploy/pgbackrest/postgresql-archive.conf, with the drill's --config"
    sed "s#pgbackrest --stanza=main#pgbackrest --config=$conf --stanza=main#" \
        "$repo/deploy/pgbackrest/postgresql-archive.conf"
    echo "fsync = off  # a throwaway cluster"
} | as_pg tee -a "$src_data/postgresql.conf" >/dev/null
start_cluster "$src_data" "$src_port" "$work/source.log"
admin=$(url "$src_port" postgres)
echo "archive_command = $(psql_at "$admin" -c 'SHOW archive_command')"
pgbr stanza-create >"$work/stanza-create.out" 2>&1 || { cat "$work/stanza-create.out" >&2; exit 1; }
pgbr check >"$work/check-0.out" 2>&1 || { cat "$work/check-0.out" >&2; exit 1; }
echo "stanza-create and check: ok (a WAL segment archived and found in the repository)"
timings+=("$(printf '%-50s %6ss' 'cluster, stanza-create, check' "$(secs "$t0" "$(now)")")")

# The application's writes -------------------------------------------------------------------------------------
run_demo() { # run_demo DATABASE: a day of payments by mpesa-recon-demo (the database is dropped and made anew)
    (cd "$work" && "$demo" --admin-url "$admin" --database "$1" --reports-dir "$work/reports/$1" \
        --sql-dir "$sql_dir" --no-console) >"$work/demo-$1-$(date +%s).out" 2>&1 \
        || { echo "backup-drill: mpesa-recon-demo --database $1 failed:" >&2; tail -20 "$work"/demo-"$1"-*.out >&2; exit 1; }
    echo "mpesa-recon-demo --database $1: $(grep -ho '[0-9]*/[0-9]* payments right.*' "$work"/demo-"$1"-*.out | tail -1)"
}
cli() { # cli DATABASE args…: mpesa-recon as an operator would run it, with nothing but DATABASE_URL set
    (cd "$work" && env -i PATH="$PATH" PGTZ=UTC DATABASE_URL="$(url "$src_port" "$1")" "$bin" "${@:2}")
}
operator_writes() { # operator_writes PHASE PAYMENT: a refund proposed and approved (maker-checker), a new user
    local phase=$1 payment=$2 id
    id=$(cli mpesa_recon refunds propose --payment "$payment" --amount 1 --reason "backup drill, $phase" \
        --by ann@example.com --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
    cli mpesa_recon refunds approve "$id" --by bob@example.com >/dev/null
    cli mpesa_recon users add "drill-$phase@example.com" --name "Drill $phase" --role finance </dev/null >/dev/null
    echo "mpesa-recon (CLI) on mpesa_recon: refund $id proposed and approved, user drill-$phase@example.com added"
}

# Every row of every table of every database: "database table rows digest" lines, sorted.
snapshot() { # snapshot PORT FILE
    local port=$1 file=$2 db
    : >"$file"
    # An invalid database (an interrupted DROP DATABASE: datconnlimit -2) cannot be opened: its tables count missing.
    local invalid
    invalid=$(psql_at "$(url "$port" postgres)" -c "SELECT string_agg(datname, ' ') FROM pg_database WHERE datconnlimit = -2")
    [ -z "$invalid" ] || echo "  INVALID DATABASE(S) on port $port: $invalid (cannot be opened; counted as missing)"
    for db in $(psql_at "$(url "$port" postgres)" -c \
        "SELECT datname FROM pg_database WHERE datname NOT IN ('postgres', 'template0', 'template1')
           AND datallowconn AND datconnlimit <> -2 ORDER BY 1"); do
        psql_at "$(url "$port" "$db")" -F ' ' <<'SQL' | sed "s/^/$db /" >>"$file"
SELECT string_agg(format('SELECT %L, count(*), md5(coalesce(string_agg(x::text, E''\n'' ORDER BY x::text), '''')) FROM public.%I x',
                         tablename, tablename), ' UNION ALL ' ORDER BY tablename)
FROM pg_tables WHERE schemaname = 'public'
\gexec
SQL
    done
    sort -o "$file" "$file"
}
mark() { # mark NAME: snapshot the source, then record the restore target (clock_timestamp after every commit)
    snapshot "$src_port" "$work/expected-$1.txt"
    sleep 1
    psql_at "$admin" -c "SELECT clock_timestamp()" >"$work/target-$1.txt"
    sleep 1
    echo "restore target $1 = $(cat "$work/target-$1.txt"): $(wc -l <"$work/expected-$1.txt") tables in" \
        "$(cut -d' ' -f1 "$work/expected-$1.txt" | sort -u | wc -l) databases, $(awk '{ n += $3 } END { print n }' "$work/expected-$1.txt") rows"
}
backup() { # backup TYPE
    pgbr --type="$1" backup >"$work/backup-$1.out" 2>&1 || { cat "$work/backup-$1.out" >&2; exit 1; }
    local label
    label=$(pgbr info --output=json | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["backup"][-1]["label"])')
    echo "pgbackrest --type=$1 backup: $label"
    sleep 2 # a restore target must be later than the backup's stop time, which pgBackRest keeps in whole seconds
}

step "Phase 1: data, then a full backup"
timed "phase 1: mpesa-recon-demo" run_demo mpesa_recon
timed "phase 1: operator writes" operator_writes p1 3
timed "full backup" backup full

step "Phase 2: more data after the full backup; restore target 1"
timed "phase 2: mpesa-recon-demo (2nd database)" run_demo mpesa_recon_day2
timed "phase 2: operator writes" operator_writes p2 4
mark t1

step "Phase 3: more data, then a differential backup"
timed "phase 3: operator writes" operator_writes p3 5
timed "differential backup" backup diff

step "Phase 4: more data after the differential; restore target 2"
timed "phase 4: mpesa-recon-demo (3rd database)" run_demo mpesa_recon_day3
timed "phase 4: operator writes" operator_writes p4 6
mark t2

step "Phase 5: more writes, the accident (mpesa_recon_day2 dropped and made anew), more writes; the source dies"
# A live system commits something between a chosen target and an accident (run, callbacks). Without any commit in
# between, a restore to just before a DROP DATABASE replays PostgreSQL's in-place "database invalid" mark (15.4+),
# which precedes the DROP's commit, and the database cannot be opened (docs/OPERATIONS.md, "Restore").
timed "phase 5: operator writes" operator_writes p5 7
timed "phase 5: mpesa-recon-demo over mpesa_recon_day2" run_demo mpesa_recon_day2
timed "phase 5: operator writes after the accident" operator_writes p6 8
snapshot "$src_port" "$work/expected-latest.txt"
# check forces a WAL switch and waits until that segment is in the repository: everything above is archived.
timed "pgbackrest check (last WAL archived)" pgbr check >"$work/check-1.out" 2>&1
stop_cluster "$src_data" immediate
echo "source stopped with -m immediate (as a crash); pgbackrest info:"
pgbr info | sed 's/^/    /'

# The comparison must be able to tell versions apart: mpesa_recon_day2 before the accident (target 2) and after it
# (latest) hold as many rows but other rows (other ids, times, receipts).
if grep '^mpesa_recon_day2 payments ' "$work/expected-t2.txt" | cut -d' ' -f3 | grep -qxF \
    "$(grep '^mpesa_recon_day2 payments ' "$work/expected-latest.txt" | cut -d' ' -f3)" \
    && ! diff -q <(grep '^mpesa_recon_day2 payments ' "$work/expected-t2.txt") \
        <(grep '^mpesa_recon_day2 payments ' "$work/expected-latest.txt") >/dev/null; then
    echo "self-check: mpesa_recon_day2.payments has the same row count before and after the accident but another" \
        "digest: the comparison sees content, not only counts"
else
    echo "backup-drill: self-check failed: the accident did not change mpesa_recon_day2.payments' digest" >&2
    exit 1
fi

# Restores ------------------------------------------------------------------------------------------------------
failures=0
ledger_sql=$(grep -v '^--' "$repo/scripts/lib/ledger-check.sql")

restore() { # restore NAME [pgbackrest restore options…]
    local name=$1 t0 port data log out label
    shift
    t0=$(now)
    port=$(free_port)
    data=$work/restores/$name
    log=$work/restore-$name.log
    as_pg mkdir -m 700 "$data"
    # --archive-mode=off: the restored copy must not push its own WAL into the production repository.
    out=$(pgbr --pg1-path="$data" --archive-mode=off --log-level-console=info "$@" restore 2>&1) \
        || { echo "$out" >&2; exit 1; }
    local restored_files=$(secs "$t0" "$(now)")
    label=$(echo "$out" | grep -o 'restore backup set [^,]*' | head -1 | sed 's/restore backup set //')
    start_cluster "$data" "$port" "$log"
    for _ in $(seq 1 600); do
        [ "$(psql_at "$(url "$port" postgres)" -c 'SELECT pg_is_in_recovery()' 2>/dev/null)" = f ] && break
        sleep 0.2
    done
    [ "$(psql_at "$(url "$port" postgres)" -c 'SELECT pg_is_in_recovery()')" = f ] \
        || { echo "backup-drill: restore $name never finished recovery" >&2; tail -20 "$log" >&2; exit 1; }
    local recovered=$(secs "$t0" "$(now)")
    echo "restored from backup set $label in ${restored_files}s; WAL replayed, promoted: ${recovered}s in all"
    grep -oE 'recovery stopping [^,]*, time .*|last completed transaction was at log time .*' "$log" | head -1 | sed 's/^/  PostgreSQL: /'
    timings+=("$(printf '%-50s %6ss' "restore $name (files ${restored_files}s, + WAL replay)" "$recovered")")

    snapshot "$port" "$work/restored-$name.txt"
    local expected=$work/expected-$name.txt restored=$work/restored-$name.txt bad=0
    printf '    %-16s %-28s %8s %8s  %s\n' database table source restored rows
    join -a1 -a2 -e MISSING -o 0,1.2,1.3,2.2,2.3 <(awk '{ print $1 "/" $2, $3, $4 }' "$expected") \
        <(awk '{ print $1 "/" $2, $3, $4 }' "$restored") | while read -r key n1 h1 n2 h2; do
        verdict="same"
        [ "$n1" = "$n2" ] || verdict="COUNT MISMATCH"
        [ "$n1" != "$n2" ] || [ "$h1" = "$h2" ] || verdict="CONTENT MISMATCH"
        case "$key" in */payments | */payment_events | */refunds | */audit_log | */users | */callback_inbox | */statement_lines | */reconciliation_exceptions | */schema_migrations) show=1 ;; *) show=0 ;; esac
        if [ "$show" = 1 ] || [ "$verdict" != same ]; then
            printf '    %-16s %-28s %8s %8s  %s\n' "${key%%/*}" "${key#*/}" "$n1" "$n2" "$verdict"
        fi
    done
    if diff -q "$expected" "$restored" >/dev/null; then
        echo "  tables: all $(wc -l <"$expected") identical (row counts and every row's content)"
    else
        echo "  tables: MISMATCH (diff $expected $restored)"
        bad=1
    fi

    local db problems migrations
    for db in $(cut -d' ' -f1 "$restored" | sort -u); do
        grep -q "^$db payments " "$restored" || continue
        problems=$(psql_at "$(url "$port" "$db")" -F ': ' -c "$ledger_sql" | awk -F': ' '$2 != 0')
        migrations=$( (cd "$work" && env -i PATH="$PATH" DATABASE_URL="$(url "$port" "$db")" "$bin" doctor --json \
            --sql-dir "$sql_dir" || true) | python3 -c '
import json, sys
checks = [c for c in json.load(sys.stdin)["checks"] if c["area"] == "migrations"]
print(" ".join(c["status"] + ": " + c["detail"] for c in checks) or "fail: no migrations check")')
        if [ -z "$problems" ] && [[ "$migrations" == pass:* ]]; then
            echo "  $db: ledger consistent (0 completed payments without events, 0 refunds paid twice or beyond the payment); schema ${migrations#pass: }"
        else
            echo "  $db: LEDGER OR SCHEMA PROBLEM: ${problems:-none} / migrations $migrations"
            bad=1
        fi
    done
    stop_cluster "$data"
    as_pg rm -rf "$data"
    if [ "$bad" = 0 ]; then echo "  restore $name: PASS"; else echo "  restore $name: FAIL"; failures=$((failures + 1)); fi
    results+=("$(printf '%-8s %-40s %s' "$name" "$label" "$([ "$bad" = 0 ] && echo PASS || echo FAIL)")")
}
results=()

step "Restore 1: to target 1 ($(cat "$work/target-t1.txt")), which precedes the differential"
restore t1 --type=time --target="$(cat "$work/target-t1.txt")" --target-action=promote
step "Restore 2: to target 2 ($(cat "$work/target-t2.txt")): the differential, then WAL"
restore t2 --type=time --target="$(cat "$work/target-t2.txt")" --target-action=promote
step "Restore 3: to the latest archived point (after the accident)"
restore latest

step "Summary"
printf '%s\n' "${results[@]}"
echo
printf '%s\n' "${timings[@]}"
printf '%-50s %6ss\n' "whole drill" "$(secs "$started" "$(now)")"
if [ "$failures" = 0 ]; then
    echo "backup-drill: PASS (3 restores, every table equal to the source at its point in time)"
    status=0
else
    echo "backup-drill: FAIL ($failures restore(s) differ from the source)"
    status=1
fi
exit "$status"
