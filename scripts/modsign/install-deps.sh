#!/bin/bash
# Install the host packages scripts/modsign/build-kernel.py needs (Debian 12): what building a
# small x86_64 kernel from linux-source-6.1 (and `make bindeb-pkg`) needs, and the QEMU test
# bed's guest tools. Idempotent: installs only what is missing (scripts/lib/apt.sh).
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/../lib/apt.sh"
PKGS=(
	gcc libc6-dev make   # the kernel build
	flex bison bc        # scripts/kconfig, Kbuild helpers
	libssl-dev           # certs/extract-cert (embeds the certificate) and scripts/sign-file
	libelf-dev           # objtool
	kmod                 # depmod for modules_install
	cpio xz-utils        # the source package, the initramfs
	dpkg-dev fakeroot rsync   # make bindeb-pkg
	openssl              # the key hunt's self-test plants keys made by openssl
	python3              # the driver script
	debian-archive-keyring   # --source 7: unstable's linux-source-7.* (fetch-debian-suite.sh)
	busybox-static qemu-system-x86   # the boot test (scripts/testbed)
)
apt_install_missing modsign/install-deps "${PKGS[@]}"
