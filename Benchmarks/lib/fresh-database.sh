# Sourced by Benchmarks/*/run.sh: a fresh database for one benchmark.
#   fresh_database ADMIN_URL DB URL MPESA_RECON OUT ROOT
# Drops DB (closing its connections) and creates it on the cluster ADMIN_URL names, then runs `mpesa-recon
# migrate` on URL with ROOT/sql (its output in OUT/migrate.log, printed when it fails). Exits 1 on failure.
fresh_database() {
    local admin=$1 db=$2 url=$3 bin=$4 out=$5 root=$6
    psql -qX "$admin" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" -c "CREATE DATABASE $db" >/dev/null
    (cd "$out" && DATABASE_URL=$url RECON_SQL_DIR=$root/sql "$bin" migrate >"$out/migrate.log" 2>&1) \
        || { cat "$out/migrate.log" >&2; echo "benchmark: migrate of $db failed" >&2; exit 1; }
}
