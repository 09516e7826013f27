#!/bin/bash
# Install the host packages scripts/remedy/check-merge-config.sh needs (Debian 12): what
# `make olddefconfig` of a kernel source tree builds and runs (scripts/kconfig/conf), and the
# tools to fetch and unpack linux-source-6.1. Idempotent: installs only what is missing, so CI
# can call it on every run. Needs root (or sudo) only when something is missing.
set -euo pipefail
PKGS=(
	gcc libc6-dev   # HOSTCC for scripts/kconfig/conf; Kconfig also probes $(CC) for features
	make
	flex bison      # scripts/kconfig lexer.l / parser.y
	bc              # Kbuild helpers
	xz-utils        # linux-source-6.1.tar.xz
	python3         # scripts/remedy/merge_check.py
	procps          # sysctl --dry-run (check-sysctl-file.sh)
)
missing=()
for p in "${PKGS[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed$' || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
	echo "remedy/install-deps: all present" >&2
	exit 0
fi
SUDO=
[ "$(id -u)" -eq 0 ] || SUDO=sudo
echo "remedy/install-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
