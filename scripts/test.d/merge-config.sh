#!/usr/bin/env bash
# kharden fix's Kconfig fragment against the real kernel tools (issue 5, docs/remediation.md):
# merge_config.sh + make olddefconfig of Debian's linux-source-6.1 on Debian's stock configs,
# then the generated sysctl.d file through procps' `sysctl --dry-run` (never applied here).
# The source is cached in .cache/linux-source. Budget: 5 minutes with a warm cache.
set -euo pipefail
cd "$(dirname "$0")/../.."

if [ "$(id -u)" -eq 0 ]; then
  scripts/remedy/install-deps.sh
fi
cargo build -p kharden --locked
export KHARDEN_BIN=${CARGO_TARGET_DIR:-target}/debug/kharden
timeout 600 scripts/remedy/check-merge-config.sh
scripts/remedy/check-sysctl-file.sh
