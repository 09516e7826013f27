#!/bin/bash
# Install the host packages scripts/remedy/check-merge-config.sh needs (Debian 12): what
# `make olddefconfig` of a kernel source tree builds and runs (scripts/kconfig/conf), and the
# tools to fetch and unpack linux-source-6.1. Idempotent: installs only what is missing, so CI
# can call it on every run. Needs root (or sudo) only when something is missing.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/../lib/apt.sh"
PKGS=(
	gcc libc6-dev   # HOSTCC for scripts/kconfig/conf; Kconfig also probes $(CC) for features
	make
	flex bison      # scripts/kconfig lexer.l / parser.y
	bc              # Kbuild helpers
	xz-utils        # linux-source-6.1.tar.xz
	python3         # scripts/remedy/merge_check.py
	procps          # sysctl --dry-run (check-sysctl-file.sh)
)
apt_install_missing remedy/install-deps "${PKGS[@]}"
