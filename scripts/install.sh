#!/usr/bin/env bash
# Installs an unpacked mpesa-recon release (the folder this script is in) under PREFIX (default /usr/local):
#   PREFIX/bin/mpesa-recon, and beside it mpesa-recon_ReconServer.resources/ (the console's templates: the binary
#   reads them from its own folder, so keep them together; a symlink to the binary elsewhere is fine)
#   PREFIX/share/mpesa-recon/: deploy/, docs/, .env.example, README.md
# The binary is replaced by a rename, so a running serve keeps its old file until it is restarted. The migrations
# are inside the binary: nothing else is needed to run `mpesa-recon migrate`.
#   ./install.sh [PREFIX]
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
prefix=${1:-${PREFIX:-/usr/local}}
[ -x "$here/bin/mpesa-recon" ] || { echo "install.sh: no bin/mpesa-recon beside this script" >&2; exit 1; }

install -d -m 0755 "$prefix/bin" "$prefix/share/mpesa-recon"
install -m 0755 "$here/bin/mpesa-recon" "$prefix/bin/.mpesa-recon.new"
for bundle in "$here"/bin/*.resources; do
    target=$prefix/bin/$(basename "$bundle")
    rm -rf "$target.new"
    cp -R "$bundle" "$target.new"
    chmod -R u=rwX,go=rX "$target.new"
    rm -rf "$target"
    mv "$target.new" "$target"
done
mv -f "$prefix/bin/.mpesa-recon.new" "$prefix/bin/mpesa-recon"
share=$prefix/share/mpesa-recon
rm -rf "$share/deploy" "$share/docs"
cp -R "$here/deploy" "$here/docs" "$share/"
install -m 0644 "$here/.env.example" "$here/README.md" "$share/"
chmod -R u=rwX,go=rX "$share"
echo "installed under $prefix: $("$prefix/bin/mpesa-recon" --version | tr '\n' ' ')"
