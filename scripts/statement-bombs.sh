#!/usr/bin/env bash
# Hostile statement files against `mpesa-recon statement import`: peak memory and how each run ends.
#   scripts/statement-bombs.sh [BINARY]        (default .build/debug/mpesa-recon; exits non-zero on any failure)
# Makes five files in a temporary folder (python3's zlib, streamed: nothing inflated is ever held):
#   shared-string.xlsx  one shared string of 600 MiB of `a` in 1 MiB rich-text runs (about 600 KB of deflate)
#   inline-cell.xlsx    one inline-string cell of 600 MiB of `a`, likewise
#   empty-cells.csv     one row of 96 Mi commas
#   zip64-sizes.xlsx    the sheet's zip64 sizes stated as 2^64 - 21
#   zip64-offset.xlsx   the zip64 end record's directory offset stated as 2^64 - 21
# and imports each into a fresh database on the test PostgreSQL (RECON_PG_PORT, default 54329; `make pg` starts it)
# under /usr/bin/time -v. Each must fail with a statement error (exit status 1..125, no signal) naming its limit,
# and peak RSS must stay under 256 MiB. Prints one line per file: peak RSS, exit status, the error.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
bin=${1:-$root/.build/debug/mpesa-recon}
port=${RECON_PG_PORT:-54329}
limit_kib=$((256 * 1024))
db=mpesa_recon_statement_bombs
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

[ -x "$bin" ] || { echo "statement-bombs: no binary at $bin (swift build first)" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "statement-bombs: /usr/bin/time is missing (apt-get install time)" >&2; exit 1; }

python3 - "$work" <<'PY'
import struct, sys, zlib

work = sys.argv[1]
MIB = 1 << 20
HUGE = (1 << 64) - 21


def deflate(prefix, unit, times, suffix):
    """Raw deflate and CRC-32 of prefix + unit * times + suffix, streamed."""
    z = zlib.compressobj(6, zlib.DEFLATED, -15)
    out, crc, size = [], 0, 0
    for piece in [prefix] + [unit] * times + [suffix]:
        out.append(z.compress(piece))
        crc = zlib.crc32(piece, crc)
        size += len(piece)
    out.append(z.flush())
    return b"".join(out), crc, size


def stored(text):
    return text, zlib.crc32(text), len(text)


def zip_file(path, parts, zip64_directory_offset=None):
    """parts: (name, method, data, crc, size, stated_sizes or None)."""
    body, central = b"", b""
    for name, method, data, crc, size, stated in parts:
        offset = len(body)
        body += struct.pack("<IHHHIIIIHH", 0x04034B50, 45, 0, method, 0, crc, len(data), size, len(name), 0)
        body += name + data
        extra = b""
        csize, usize = len(data), size
        if stated is not None:
            extra = struct.pack("<HHQQ", 1, 16, stated, stated)
            csize = usize = 0xFFFFFFFF
        central += struct.pack("<IHHHHIIIIHHHHHII", 0x02014B50, 45, 45, 0, method, 0, crc, csize, usize,
                               len(name), len(extra), 0, 0, 0, 0, offset)
        central += name + extra
    directory_offset, directory_size = len(body), len(central)
    tail = b""
    if zip64_directory_offset is not None:
        record = len(body) + len(central)
        tail += struct.pack("<IQHHIIQQQQ", 0x06064B50, 44, 45, 45, 0, 0, len(parts), len(parts), directory_size,
                            zip64_directory_offset)
        tail += struct.pack("<IIQI", 0x07064B50, 0, record, 1)
        tail += struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, 0xFFFF, 0xFFFF, 0xFFFFFFFF, 0xFFFFFFFF, 0)
    else:
        tail += struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(parts), len(parts), directory_size,
                            directory_offset, 0)
    with open(path, "wb") as f:
        f.write(body + central + tail)


sheet_ref = b'<worksheet><sheetData><row r="1"><c r="A1" t="s"><v>0</v></c></row></sheetData></worksheet>'
run = b"<r><t>" + b"a" * (MIB - 15) + b"</t></r>"
strings = deflate(b"<sst><si>", run, 600, b"</si></sst>")
zip_file(f"{work}/shared-string.xlsx", [(b"xl/worksheets/sheet1.xml", 0, *stored(sheet_ref), None),
                                         (b"xl/sharedStrings.xml", 8, *strings, None)])
cell = deflate(b'<worksheet><sheetData><row r="1"><c r="A1" t="inlineStr"><is>', run, 600,
               b"</is></c></row></sheetData></worksheet>")
zip_file(f"{work}/inline-cell.xlsx", [(b"xl/worksheets/sheet1.xml", 8, *cell, None)])
with open(f"{work}/empty-cells.csv", "wb") as f:
    for _ in range(96):
        f.write(b"," * MIB)
zip_file(f"{work}/zip64-sizes.xlsx", [(b"xl/worksheets/sheet1.xml", 0, *stored(sheet_ref), HUGE)])
zip_file(f"{work}/zip64-offset.xlsx", [(b"xl/worksheets/sheet1.xml", 0, *stored(sheet_ref), None)],
         zip64_directory_offset=HUGE)
PY

admin="postgresql://postgres@127.0.0.1:$port/postgres"
url="postgresql://postgres@127.0.0.1:$port/$db"
PGOPTIONS="-c client_min_messages=warning" psql -qX "$admin" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" \
    -c "CREATE DATABASE $db" >/dev/null
(cd "$work" && DATABASE_URL=$url RECON_SQL_DIR=${RECON_SQL_DIR:-$root/sql} "$bin" migrate >"$work/migrate.log" 2>&1) \
    || { cat "$work/migrate.log" >&2; exit 1; }

failed=0
printf '%-20s %10s %6s  %s\n' file "peak RSS" status error
for name in shared-string.xlsx inline-cell.xlsx empty-cells.csv zip64-sizes.xlsx zip64-offset.xlsx; do
    status=0
    (cd "$work" && DATABASE_URL=$url RECON_LOG_LEVEL=warning exec /usr/bin/time -v -o "$work/$name.time" \
        "$bin" statement import "$work/$name" >"$work/$name.out" 2>"$work/$name.err") || status=$?
    rss=$(awk -F': ' '/Maximum resident set size/ { print $2 }' "$work/$name.time")
    signal=$(awk '/Command terminated by signal/ { print $NF }' "$work/$name.time")
    error=$(grep -v '^\s*$' "$work/$name.err" | tail -1 || true)
    printf '%-20s %6.1f MiB %6s  %s\n' "$name" "$(awk -v k="$rss" 'BEGIN { print k / 1024 }')" \
        "${signal:+signal $signal}${signal:-$status}" "$error"
    if [ -n "$signal" ] || [ "$status" = 0 ] || [ "$status" -gt 125 ]; then failed=1; fi
    if [ "$rss" -ge "$limit_kib" ]; then failed=1; fi
done
psql -qX "$admin" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null
[ "$failed" = 0 ] || { echo "statement-bombs: a file ended in a signal, was imported, or took 256 MiB or more" >&2; exit 1; }
