#!/usr/bin/env bash
# Real-kernel end-to-end checks (issue 4, docs/testbed.md): boots Debian's kernels under QEMU
# (TCG) with kharden inside and holds its verdicts against what each kernel does: Debian 12's
# 6.1 and 6.12, and Debian unstable's newest cloud kernel on amd64 and on arm64
# (qemu-system-aarch64, with kharden cross-built for aarch64). Downloads and the cross build's
# target directory are cached in .cache/. Budget: 25 minutes (15 before arm64 and 7.x).
set -euo pipefail
cd "$(dirname "$0")/../.."

python3 scripts/testbed/e2e.py --self-test

K=$(scripts/testbed/guest-kharden.sh e2e)
KA=$(scripts/testbed/guest-kharden.sh e2e arm64)
timeout 1500 python3 scripts/testbed/e2e.py --kharden "$K" --kharden-arm64 "$KA" --budget 1380 \
  --report "${CARGO_TARGET_DIR:-target}/testbed-e2e.json"
