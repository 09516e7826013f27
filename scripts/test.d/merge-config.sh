#!/usr/bin/env bash
# kharden fix's Kconfig fragment against the real kernel tools (issue 5, docs/remediation.md):
# merge_config.sh + make olddefconfig of Debian's linux-source-6.1 on Debian's stock configs,
# then the generated sysctl.d file through procps' `sysctl --dry-run` (never applied here).
# The source is cached in .cache/linux-source. Budget: 5 minutes with a warm cache.
set -euo pipefail
cd "$(dirname "$0")/../.."

. scripts/lib/kharden-step.sh scripts/remedy/install-deps.sh
timeout 600 scripts/remedy/check-merge-config.sh
scripts/remedy/check-sysctl-file.sh
