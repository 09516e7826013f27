#!/bin/bash
# A Debian unstable chroot with the ML-DSA peers: OpenSSL (3.5 or later), kmod, and the kernel's
# own sign-file from the newest linux-kbuild-7.x; made by debootstrap (minbase) once and cached
# (about 2 minutes and 235 MB). Prints its directory, and on stderr which kbuild it holds.
# Needs root, debootstrap (installed if missing) and network to deb.debian.org.
#
#   dir=$(scripts/modsign/sid-chroot.sh)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cache=${KHARDEN_CACHE:-$root/.cache/modsign}
chroot_dir="$cache/peers/sid-root"
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
. "$root/scripts/lib/apt.sh"
apt_install_missing sid-chroot debootstrap
# The newest linux-kbuild-7.x of unstable, by the suite's own package lists.
kbuild=$("$root/scripts/modsign/fetch-debian-suite.sh" sid amd64 '^linux-kbuild-7\.[0-9.]+\+deb[0-9]+$' |
	xargs -I{} cat {}/.complete | awk '{print $1}')
if [ ! -x "$chroot_dir/usr/bin/openssl" ] || [ ! -x "$chroot_dir/usr/lib/$kbuild/scripts/sign-file" ]; then
	rm -rf "$chroot_dir"
	mkdir -p "$(dirname "$chroot_dir")"
	debootstrap --variant=minbase --include="openssl,kmod,$kbuild" sid "$chroot_dir" "$mirror" >&2
fi
echo "sid-chroot: $chroot_dir with $kbuild, $(chroot "$chroot_dir" openssl version)" >&2
echo "$kbuild" >"$chroot_dir/.kbuild"
echo "$chroot_dir"
