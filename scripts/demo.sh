#!/usr/bin/env bash
# The demo on an embedded default: a local PostgreSQL cluster (scripts/pg.sh) and its own database.
set -euo pipefail
cd "$(dirname "$0")/.."
port=${PG_PORT:-54329}
db=mpesa_recon_demo
admin="postgresql://postgres@127.0.0.1:$port/postgres"
bin=$(swift build --show-bin-path)/mpesa-recon

if ! psql -qtA "$admin" -c "SELECT 1 FROM pg_database WHERE datname = '$db'" | grep -q 1; then
    psql -q "$admin" -c "CREATE DATABASE $db"
fi
export DATABASE_URL="postgresql://postgres@127.0.0.1:$port/$db"
echo "== mpesa-recon migrate (database $db on 127.0.0.1:$port)"
"$bin" migrate
