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

if ! python3 -c 'import openpyxl' >/dev/null 2>&1; then
    echo "setup: installing openpyxl" >&2
    python3 -m pip install -q openpyxl 2>/dev/null || python3 -m pip install -q --break-system-packages openpyxl
fi

# The /metrics test parses the endpoint's output with the Prometheus project's own text parser.
if ! python3 -c 'import prometheus_client' >/dev/null 2>&1; then
    echo "setup: installing prometheus-client" >&2
    python3 -m pip install -q prometheus-client 2>/dev/null || python3 -m pip install -q --break-system-packages prometheus-client
fi

# PyJWT makes tokens the way the LMS's SimpleJWT does; jsonschema checks answers against openapi.yaml.
if ! python3 -c 'import jwt, jsonschema, yaml' >/dev/null 2>&1; then
    echo "setup: installing PyJWT, jsonschema, PyYAML" >&2
    python3 -m pip install -q 'pyjwt[crypto]' jsonschema pyyaml 2>/dev/null \
        || python3 -m pip install -q --break-system-packages 'pyjwt[crypto]' jsonschema pyyaml
fi

# Selenium drives the system Chromium in the console's browser tests (no browser download).
if ! python3 -c 'import selenium' >/dev/null 2>&1; then
    echo "setup: installing selenium" >&2
    python3 -m pip install -q selenium 2>/dev/null || python3 -m pip install -q --break-system-packages selenium
fi

# schemathesis fuzzes openapi.yaml against a running `serve` (scripts/api-fuzz.sh, part of make test).
if ! command -v schemathesis >/dev/null 2>&1; then
    echo "setup: installing schemathesis" >&2
    python3 -m pip install -q schemathesis 2>/dev/null || python3 -m pip install -q --break-system-packages schemathesis
fi

if ! command -v swift >/dev/null 2>&1; then
    echo "setup: swift is not on PATH (expected the Swift 6 toolchain, e.g. /opt/swift/usr/bin)" >&2
    exit 1
fi
