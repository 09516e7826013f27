#!/bin/bash
# Install the host packages the QEMU test bed needs (Debian 12). Idempotent: installs only
# what is missing, so CI can call it on every run. Needs root (or sudo).
set -euo pipefail
PKGS=(
	qemu-system-x86   # qemu-system-x86_64 (TCG)
	ovmf              # OVMF_CODE_4M{,.secboot}.fd, OVMF_VARS_4M{,.snakeoil}.fd, PkKek-1-snakeoil.{key,pem}
	sbsigntool        # sbattach/sbsign: re-sign vmlinuz with the OVMF snakeoil key for Secure Boot runs
	busybox-static    # /init userland inside the guest
	cpio              # initramfs archive
	gcc libc6-dev     # static helper (tbhelper.c); static glibc lives in libc6-dev
	xz-utils zstd     # module decompression, config-*.xz in snapshot trees
	python3           # the driver scripts
	procps systemd    # /usr/sbin/sysctl and systemd-sysctl, copied into the guest (remedy-guest.py)
)
missing=()
for p in "${PKGS[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed$' || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
	echo "install-deps: all present" >&2
	exit 0
fi
SUDO=
[ "$(id -u)" -eq 0 ] || SUDO=sudo
echo "install-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
