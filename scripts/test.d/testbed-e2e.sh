#!/usr/bin/env bash
# Real-kernel end-to-end checks (issue 4, docs/testbed.md): boots Debian's kernels under QEMU
# (TCG) with kharden inside and holds its verdicts against what each kernel does.
# Downloads are cached in .cache/testbed. Budget: 15 minutes.
set -euo pipefail
cd "$(dirname "$0")/../.."

scripts/testbed/install-deps.sh
python3 scripts/testbed/e2e.py --self-test

# The test suite already built the debug binary; stripped, it is small enough for an initramfs.
T=${CARGO_TARGET_DIR:-target}
cargo build -p kharden --locked
strip -o "$T/kharden-e2e" "$T/debug/kharden"
timeout 900 python3 scripts/testbed/e2e.py --kharden "$T/kharden-e2e" --budget 840 \
  --report "$T/testbed-e2e.json"
