#!/usr/bin/env bash
# Makes Tests/ReconIntegrationTests/Fixtures/upgrade-from-VERSION.sql, the previous release's database for
# UpgradeTests: that release's own binaries create and fill it, pg_dump keeps it.
#   1. builds REV (default b9acaa0, release 0.15.0: the commit before this round's restructure) in a git worktree
#      (PREV_WORKTREE, default /tmp/mpesa-recon-prev-REV), products mpesa-recon-demo and mpesa-recon (debug: they
#      only run here);
#   2. its `mpesa-recon-demo` runs a day of payments into a fresh database of the local cluster (callbacks, STK
#      queries, refunds proposed, approved and paid through B2C, findings, statements, audit rows, runs);
#   3. its `mpesa-recon migrate` (the grants a deployed 0.15.0 gives mpesa_recon_app, the threshold);
#   4. pg_dump --inserts (no COPY: the test loads it through libpq, without psql), without owners.
# Run it once per release that an upgrade must come from; commit the file.
#   scripts/make-upgrade-fixture.sh [REV]
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
rev=${1:-b9acaa0}
pg_port=${RECON_PG_PORT:-54329}
export PATH=/opt/swift/usr/bin:$PATH LC_ALL=C PGTZ=UTC

worktree=${PREV_WORKTREE:-/tmp/mpesa-recon-prev-$rev}
if [ ! -d "$worktree" ]; then
    git -C "$repo" worktree add --detach "$worktree" "$rev"
fi
[ "$(git -C "$worktree" rev-parse HEAD)" = "$(git -C "$repo" rev-parse "$rev^{commit}")" ] \
    || { echo "make-upgrade-fixture.sh: $worktree is not at $rev" >&2; exit 1; }
[ -z "$(git -C "$worktree" status --porcelain --untracked-files=no)" ] \
    || { echo "make-upgrade-fixture.sh: $worktree has changes" >&2; exit 1; }
[ -f "$worktree/Package.resolved" ] || cp "$repo/Package.resolved" "$worktree/" 2>/dev/null || true
(cd "$worktree" && swift build --product mpesa-recon-demo && swift build --product mpesa-recon)
PREV_BIN=$(cd "$worktree" && swift build --show-bin-path)
sql=$worktree/sql
version=$("$PREV_BIN/mpesa-recon" --version | head -1 | awk '{print $NF}')
out=$repo/Tests/ReconIntegrationTests/Fixtures/upgrade-from-$version.sql

admin=$("$repo/scripts/pg.sh" start "$pg_port")
db=recon_upgrade_fixture
url="${admin%/*}/$db"
work=$(mktemp -d /tmp/mpesa-recon-upgrade-fixture.XXXXXX)
trap 'psql -qX "$admin" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT

(cd "$work" && "$PREV_BIN/mpesa-recon-demo" --admin-url "$admin" --database "$db" --reports-dir "$work/reports" \
    --sql-dir "$sql" --no-console) >"$work/demo.log" 2>&1 || { tail -30 "$work/demo.log" >&2; exit 1; }
(cd "$work" && env -i PATH=/usr/bin:/bin DATABASE_URL="$url" RECON_DUAL_APPROVAL_ABOVE=10000 \
    "$PREV_BIN/mpesa-recon" migrate --sql-dir "$sql") >"$work/migrate.log"

{
    echo "-- The database mpesa-recon $version (commit $(git -C "$repo" rev-parse --short "$rev")) created and filled:"
    echo "-- its mpesa-recon-demo's day of payments, then its migrate (grants to mpesa_recon_app). Made by"
    echo "-- scripts/make-upgrade-fixture.sh; loaded by UpgradeTests. Rows per table:"
    psql -XAt "$url" -c "SELECT format('--   %s %s', table_name, (xpath('/row/n/text()', query_to_xml(format('SELECT count(*) AS n FROM public.%I', table_name), false, true, '')))[1]::text)
                         FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'
                         ORDER BY table_name"
    pg_dump --no-owner --inserts --rows-per-insert=100 --no-comments "$url" | grep -vE '^(SET transaction_timeout|\\(un)?restrict )'
} >"$out"
echo "wrote $out ($(du -h "$out" | cut -f1)); demo: $(grep -m1 -iE 'match|ledger' "$work/demo.log" || true)"
