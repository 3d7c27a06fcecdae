#!/usr/bin/env bash
# Installs the production tools the deployment checks and drills use, and only what is missing:
#   prometheus  (brings promtool: scripts/check-deploy.sh checks and unit-tests deploy/prometheus/)
#   nginx       (nginx -t on deploy/nginx/, and a live check through it)
#   pgbackrest  (deploy/pgbackrest/, scripts/backup-drill.sh)
#   openssl     (the drill's self-signed test certificate)
#   postgresql  (the throwaway clusters), systemd (systemd-analyze verify on deploy/systemd/), curl
# Kept apart from scripts/setup.sh so `make test` does not install them.
set -euo pipefail

apt_packages=(prometheus nginx pgbackrest openssl postgresql systemd curl)
missing=()
for pkg in "${apt_packages[@]}"; do
    dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "setup-ops: installing ${missing[*]}" >&2
    sudo_cmd=""
    [ "$(id -u)" = 0 ] || sudo_cmd="sudo"
    $sudo_cmd apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
