#!/bin/bash
# Download a Debian kernel image package and unpack it into the repository's cache; print the
# directory. PATTERN is an extended regex over package names; the highest version of the
# newest ABI that matches is taken. Needs Debian apt sources (run `apt-get update` first on a
# fresh machine). No root needed.
#
#   scripts/modsign/fetch-kernel.sh                       # newest linux-image-6.1.0-*-cloud-amd64
#   scripts/modsign/fetch-kernel.sh '^linux-image-6\.1\.0-[0-9]+-amd64$'
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cache=${KHARDEN_CACHE:-$root/.cache/modsign}
pattern=${1:-'^linux-image-6\.1\.0-[0-9]+-cloud-amd64$'}
pkg=$(apt-cache search --names-only "$pattern" | awk '{print $1}' | grep -E "$pattern" | sort -V | tail -n1)
[ -n "$pkg" ] || { echo "fetch-kernel: no package matches $pattern (apt-get update?)" >&2; exit 1; }
dest="$cache/x/$pkg"
if [ -f "$dest/.complete" ]; then
	echo "$dest"
	exit 0
fi
mkdir -p "$cache/debs"
(cd "$cache/debs" && rm -f "$pkg"_*.deb && apt-get download "$pkg" >&2)
rm -rf "$dest"
mkdir -p "$dest"
dpkg-deb -x "$cache/debs/$(cd "$cache/debs" && ls "$pkg"_*.deb)" "$dest"
(cd "$cache/debs" && ls "$pkg"_*.deb) >"$dest/.complete"
echo "fetch-kernel: $pkg unpacked in $dest" >&2
echo "$dest"
