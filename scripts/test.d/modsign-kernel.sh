#!/usr/bin/env bash
# Issue 3, "A real kernel" (docs/testbed.md): crc7.ko signed by `kharden modsign sign-tree`
# loads without taint into Debian's 6.1 cloud kernel booted under OVMF with the sign-tree
# certificate in the UEFI db and module.sig_enforce=1; a tampered copy and a copy signed by
# another key are refused; `kharden modsign verify` agrees. One QEMU boot (TCG); downloads
# cached in .cache/testbed. Budget: 3 minutes.
set -euo pipefail
cd "$(dirname "$0")/../.."

K=$(scripts/testbed/guest-kharden.sh modsign)
timeout -k 5 420 python3 scripts/testbed/modsign-kernel.py --kharden "$K" \
  --timeout 360 --report "${CARGO_TARGET_DIR:-target}/modsign-kernel.json"
