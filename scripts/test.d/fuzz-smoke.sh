#!/usr/bin/env bash
# Brief run of every fuzz target (see scripts/fuzz-smoke.sh); FUZZ_SECONDS=0 skips it.
set -euo pipefail
cd "$(dirname "$0")/../.."
if [ "${FUZZ_SECONDS:-15}" = 0 ]; then
  echo "fuzz-smoke: skipped (FUZZ_SECONDS=0)"
  exit 0
fi
exec scripts/fuzz-smoke.sh
