#!/usr/bin/env bash
# Issue 3, "A real kernel" (docs/testbed.md): crc7.ko signed by `kharden modsign sign-tree`
# loads without taint into Debian's 6.1 cloud kernel booted under OVMF with the sign-tree
# certificate in the UEFI db and module.sig_enforce=1; a tampered copy and a copy signed by
# another key are refused; `kharden modsign verify` agrees. One QEMU boot (TCG); downloads
# cached in .cache/testbed. Budget: 3 minutes.
set -euo pipefail
cd "$(dirname "$0")/../.."
T=${CARGO_TARGET_DIR:-target}

scripts/testbed/install-deps.sh
# The test suite already built the debug binary; the stripped copy is what the test bed uses.
cargo build -p kharden --locked
strip -o "$T/kharden-modsign" "$T/debug/kharden"
timeout -k 5 420 python3 scripts/testbed/modsign-kernel.py --kharden "$T/kharden-modsign" \
  --timeout 360 --report "$T/modsign-kernel.json"
