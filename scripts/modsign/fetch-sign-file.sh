#!/bin/bash
# Fetch Debian's compiled scripts/sign-file (package linux-kbuild-6.1) into the repository's
# cache, so that crates/kharden/tests/modsign_signfile.rs can compare kharden's signatures
# with the kernel's own tool. Needs apt sources for Debian bookworm (package lists present:
# run `apt-get update` first on a fresh machine) and libssl3 to run the binary. No root needed.
#
#   scripts/modsign/fetch-sign-file.sh            # -> .cache/modsign/sign-file
#   KHARDEN_CACHE=/some/dir scripts/modsign/fetch-sign-file.sh
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cache=${KHARDEN_CACHE:-$root/.cache/modsign}
pkg=${KBUILD_PACKAGE:-linux-kbuild-6.1}
mkdir -p "$cache/debs"
runs() { { "$1" 2>&1 || true; } | grep -q 'Usage'; }
if [ -x "$cache/sign-file" ] && runs "$cache/sign-file"; then
	echo "fetch-sign-file: $cache/sign-file already present" >&2
	exit 0
fi
cd "$cache/debs"
rm -f "$pkg"_*.deb
apt-get download "$pkg" >&2
deb=$(ls "$pkg"_*.deb)
rm -rf "$cache/kbuild"
dpkg-deb -x "$deb" "$cache/kbuild"
bin=$(find "$cache/kbuild" -path '*/scripts/sign-file' -type f | head -n1)
[ -n "$bin" ] || { echo "fetch-sign-file: no scripts/sign-file in $deb" >&2; exit 1; }
ln -sfn "${bin#"$cache"/}" "$cache/sign-file"
echo "$deb" >"$cache/sign-file.source"
runs "$cache/sign-file" || { echo "fetch-sign-file: $cache/sign-file does not run" >&2; exit 1; }
echo "fetch-sign-file: $cache/sign-file from $deb" >&2
