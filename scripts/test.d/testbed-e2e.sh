#!/usr/bin/env bash
# Real-kernel end-to-end checks (issue 4, docs/testbed.md): boots Debian's kernels under QEMU
# (TCG) with kharden inside and holds its verdicts against what each kernel does.
# Downloads are cached in .cache/testbed. Budget: 15 minutes.
set -euo pipefail
cd "$(dirname "$0")/../.."

python3 scripts/testbed/e2e.py --self-test

K=$(scripts/testbed/guest-kharden.sh e2e)
timeout 900 python3 scripts/testbed/e2e.py --kharden "$K" --budget 840 \
  --report "${CARGO_TARGET_DIR:-target}/testbed-e2e.json"
