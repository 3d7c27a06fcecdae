#!/usr/bin/env bash
# Builds the release binary and packs it: dist/mpesa-recon-VERSION-linux-ARCH.tar.gz holding
#   bin/mpesa-recon                          the program, the Swift runtime linked in (--static-swift-stdlib), the
#                                            migrations built in (`mpesa-recon --version` names its schema)
#   bin/mpesa-recon_ReconServer.resources/   the console's templates: the binary reads them from its own folder
#   deploy/ docs/ .env.example README.md     the reference deployment and its runbooks
#   install.sh                               ./install.sh PREFIX copies the above under PREFIX (scripts/install.sh)
# VERSION is the binary's own (`mpesa-recon --version`). The system libraries it links (libpq5, libcurl4,
# libxlsxwriter4, libssl3, zlib1g, libstdc++6) come from Debian's packages on the server.
#   scripts/release.sh [--install PREFIX]     also installs the staged release under PREFIX (`make install`)
# RECON_RELEASE_SCRATCH: SwiftPM's scratch folder (default .build; the release build goes to its release/).
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
export PATH=/opt/swift/usr/bin:$PATH
scratch=${RECON_RELEASE_SCRATCH:-$repo/.build}
prefix=""
if [ "${1:-}" = "--install" ]; then
    prefix=${2:?--install needs a PREFIX}
fi

scripts/embed-migrations.sh --check
build=(swift build -c release --product mpesa-recon --static-swift-stdlib --scratch-path "$scratch")
"${build[@]}"
bindir=$("${build[@]}" --show-bin-path)
bin=$bindir/mpesa-recon

# The Swift runtime must be inside the binary: nothing may come from the toolchain's folder.
if ldd "$bin" | grep -E 'swift|not found'; then
    echo "release.sh: $bin needs the libraries above (not from Debian's packages)" >&2
    exit 1
fi
version=$("$bin" --version | head -1 | awk '{print $2}')
case $version in
[0-9]*.[0-9]*.[0-9]*) ;;
*) echo "release.sh: cannot read the version from $bin --version" >&2; exit 1 ;;
esac
name=mpesa-recon-$version-linux-$(uname -m)
stage=$repo/dist/$name
rm -rf "$stage" "$repo/dist/$name.tar.gz"
mkdir -p "$stage/bin"
install -m 0755 "$bin" "$stage/bin/mpesa-recon"
# DWARF off (a third of the size); the symbol table stays, so a crash's backtrace still names its functions.
strip --strip-debug "$stage/bin/mpesa-recon"
# Every resource bundle of the package's targets (the console's is the one today).
for bundle in "$bindir"/mpesa-recon_*.resources; do
    cp -R "$bundle" "$stage/bin/"
done
cp -R deploy docs "$stage/"
cp .env.example README.md "$stage/"
install -m 0755 scripts/install.sh "$stage/install.sh"
tar --sort=name --owner=0 --group=0 --numeric-owner -C "$repo/dist" -czf "$repo/dist/$name.tar.gz" "$name"
echo "dist/$name.tar.gz ($(du -h "$repo/dist/$name.tar.gz" | cut -f1)): $("$stage/bin/mpesa-recon" --version | tr '\n' ' ')"

if [ -n "$prefix" ]; then
    "$stage/install.sh" "$prefix"
fi
