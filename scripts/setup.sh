#!/usr/bin/env bash
# Installs what the build, tests and demo need, and only what is missing (a warm machine skips it all).
set -euo pipefail

# libreoffice-calc-nogui: the print test converts the demo's workbook to PDF as finance would print it.
# chromium, chromium-driver: the console's browser tests (scripts/console-test.sh), headless.
# time: /usr/bin/time -v measures the statement importer's peak memory on hostile files (scripts/statement-bombs.sh).
apt_packages=(pkg-config libpq-dev libcurl4-openssl-dev libxlsxwriter-dev libssl-dev openssl postgresql python3 python3-pip
    libreoffice-calc-nogui chromium chromium-driver curl time)
missing=()
for pkg in "${apt_packages[@]}"; do
    dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "setup: installing ${missing[*]}" >&2
    sudo_cmd=""
    [ "$(id -u)" = 0 ] || sudo_cmd="sudo"
    $sudo_cmd apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# The Python tools of the tests, pinned in requirements-test.txt; installed only when one is missing.
if ! python3 -c 'import openpyxl, prometheus_client, jwt, jsonschema, yaml, selenium' >/dev/null 2>&1 \
    || ! command -v schemathesis >/dev/null 2>&1; then
    echo "setup: installing the Python test tools (requirements-test.txt)" >&2
    requirements="$(dirname "$0")/../requirements-test.txt"
    python3 -m pip install -q -r "$requirements" 2>/dev/null \
        || python3 -m pip install -q --break-system-packages -r "$requirements"
fi

if ! command -v swift >/dev/null 2>&1; then
    echo "setup: swift is not on PATH (expected the Swift 6 toolchain, e.g. /opt/swift/usr/bin)" >&2
    exit 1
fi
