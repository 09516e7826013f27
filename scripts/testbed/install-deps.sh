#!/bin/bash
# Install the host packages the QEMU test bed needs (Debian 12). Idempotent: installs only
# what is missing, so CI can call it on every run. Needs root (or sudo) only when something is
# missing.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/../lib/apt.sh"
PKGS=(
	qemu-system-x86   # qemu-system-x86_64 (TCG)
	qemu-system-arm qemu-efi-aarch64  # qemu-system-aarch64 -M virt; AAVMF_CODE.fd/AAVMF_VARS.fd (arm64 UEFI)
	gcc-aarch64-linux-gnu libc6-dev-arm64-cross  # static aarch64 tbhelper and kharden (+crt-static)
	debian-archive-keyring  # fetch-debian-suite.sh: Debian unstable's kernels and arm64 busybox-static
	ovmf              # OVMF_CODE_4M{,.secboot}.fd, OVMF_VARS_4M{,.snakeoil}.fd, PkKek-1-snakeoil.{key,pem}
	sbsigntool        # sbattach/sbsign: re-sign vmlinuz with the OVMF snakeoil key for Secure Boot runs
	busybox-static    # /init userland inside the guest
	cpio              # initramfs archive
	gcc libc6-dev     # static helper (tbhelper.c); static glibc lives in libc6-dev
	linux-libc-dev    # <linux/bpf.h>, <linux/perf_event.h>, <linux/kexec.h> for tbhelper.c
	xz-utils zstd     # module decompression, config-*.xz in snapshot trees
	python3           # the driver scripts
	procps systemd    # /usr/sbin/sysctl and systemd-sysctl, copied into the guest (remedy-guest.py)
)
apt_install_missing install-deps "${PKGS[@]}"
