#!/usr/bin/env bash
# `make demo`: the whole story on a local PostgreSQL cluster (scripts/pg.sh, started by make) with the
# Daraja simulator and the callback endpoint in-process on loopback. Can be run again: it starts anew.
# The demo is its own executable (mpesa-recon-demo), so the production mpesa-recon carries no simulator.
set -euo pipefail
cd "$(dirname "$0")/.."
port=${PG_PORT:-54329}
bin=$(swift build --show-bin-path)/mpesa-recon-demo
"$bin" --admin-url "postgresql://postgres@127.0.0.1:$port/postgres" --reports-dir reports "$@"
