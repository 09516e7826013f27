#!/usr/bin/env bash
# Issue 5 for real (docs/remediation.md): inside QEMU guests of Debian's 6.1 cloud kernel,
# `kharden fix`'s sysctl.d file goes through procps' `sysctl --dry-run -p`, `sysctl -p` and
# systemd-sysctl (this host's binaries, copied in) and reads back; `kharden apply` runs as a dry
# run, with --yes and with --allow-irreversible, twice each (idempotent), then audit passes
# and the kernel refuses an unsigned module, kexec_load and /dev/mem. Two boots in parallel
# (TCG); downloads cached in .cache/testbed. Budget: 5 minutes.
set -euo pipefail
cd "$(dirname "$0")/../.."

K=$(scripts/testbed/guest-kharden.sh remedy)
timeout -k 5 600 python3 scripts/testbed/remedy-guest.py --kharden "$K" \
  --timeout 300 --report "${CARGO_TARGET_DIR:-target}/remedy-guest.json"
