#!/bin/bash
# Download the newest packages of a Debian suite whose names match a pattern, by name, from
# Debian's archive, with a private apt state (no root, nothing of the host's apt touched), and
# unpack each into the cache; print one unpacked directory per package. The package lists are
# refreshed once a day at most; the .debs are kept.
#
#   scripts/modsign/fetch-debian-suite.sh [--deb-only] SUITE ARCH PATTERN...
#   scripts/modsign/fetch-debian-suite.sh sid amd64 '^linux-binary-[0-9.]+\+deb[0-9]+-cloud-amd64$'
#
# --deb-only: download, do not unpack; print the .deb's path instead (for a package whose
# payload the caller unpacks itself, e.g. linux-source's tarball).
#
# Each PATTERN is an extended regex over package names; the highest version (sort -V over the
# names, so the newest ABI/release) is taken. Which package and version ran is printed on
# stderr and written to DIR/.complete.
# Needs: apt, dpkg-deb, Debian's archive keyring (debian-archive-keyring), network to
# deb.debian.org (or $DEBIAN_MIRROR).
set -euo pipefail
deb_only=
[ "${1:-}" != --deb-only ] || { deb_only=1; shift; }
[ $# -ge 3 ] || { echo "usage: $0 [--deb-only] SUITE ARCH PATTERN..." >&2; exit 2; }
suite=$1 arch=$2
shift 2
root=$(cd "$(dirname "$0")/../.." && pwd)
cache=${KHARDEN_CACHE:-$root/.cache/modsign}/debian-$suite
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
keyring=/usr/share/keyrings/debian-archive-keyring.gpg
mkdir -p "$cache/state/lists/partial" "$cache/apt-cache/archives/partial" "$cache/debs" "$cache/x"
touch "$cache/state/status"
# The architectures kharden is tested on; a package of another one is not found.
arches=amd64,arm64,loong64,riscv64
echo "deb [arch=$arches signed-by=$keyring] $mirror $suite main" >"$cache/sources.list"
apt_opts=(
	-o "Dir::Etc::SourceList=$cache/sources.list" -o Dir::Etc::SourceParts=/dev/null
	-o "Dir::State=$cache/state" -o "Dir::State::status=$cache/state/status"
	-o "Dir::Cache=$cache/apt-cache"
	-o Debug::NoLocking=1 -o Acquire::Languages=none
)
for a in ${arches//,/ }; do apt_opts+=(-o "APT::Architectures::=$a"); done
# As root, apt drops to _apt for downloads, which cannot write into a cache it does not own.
[ "$(id -u)" -ne 0 ] || apt_opts+=(-o APT::Sandbox::User=root)
# Lists made for another set of architectures are made again.
stamp="$cache/state/updated-$arches"
if [ -z "$(find "$stamp" -mmin -1440 2>/dev/null)" ]; then
	apt-get "${apt_opts[@]}" -qq update >&2
	touch "$stamp"
fi
for pattern in "$@"; do
	pkg=$(apt-cache "${apt_opts[@]}" search --names-only "$pattern" | awk '{print $1}' |
		grep -E "$pattern" | sort -V | tail -n1)
	[ -n "$pkg" ] || { echo "fetch-debian-suite: no package in $suite matches $pattern" >&2; exit 1; }
	ver=$(apt-cache "${apt_opts[@]}" show "$pkg:$arch" | sed -n 's/^Version: //p' | sort -V | tail -n1)
	dest="$cache/x/${pkg}_${ver}_$arch"
	deb="$cache/debs/${pkg}_${ver//:/%3a}_$arch.deb"
	if [ -n "$deb_only" ]; then
		[ -f "$deb" ] || (cd "$cache/debs" && apt-get "${apt_opts[@]}" -qq download "$pkg:$arch=$ver" >&2)
		echo "fetch-debian-suite: $pkg $ver $arch ($suite, $(sha256sum "$deb" | cut -d' ' -f1))" >&2
		echo "$deb"
		continue
	fi
	if [ ! -f "$dest/.complete" ]; then
		if [ ! -f "$deb" ]; then
			(cd "$cache/debs" && apt-get "${apt_opts[@]}" -qq download "$pkg:$arch=$ver" >&2)
		fi
		rm -rf "$dest"
		mkdir -p "$dest"
		dpkg-deb -x "$deb" "$dest"
		echo "$pkg $ver $arch ($suite, $(sha256sum "$deb" | cut -d' ' -f1))" >"$dest/.complete"
	fi
	echo "fetch-debian-suite: $(cat "$dest/.complete")" >&2
	echo "$dest"
done
