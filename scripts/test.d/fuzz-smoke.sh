#!/usr/bin/env bash
# Issue 7: every fuzz target (fuzz/fuzz_targets, cargo-fuzz/libFuzzer on the stable toolchain
# with RUSTC_BOOTSTRAP=1) runs briefly on a corpus seeded from the project's real data and the
# inputs earlier crashes were found with (fuzz/seeds). Fails on any crash, leak, timeout or OOM.
# Budget: the fuzz build (about 5 minutes cold, cached in fuzz/target) plus 10 x FUZZ_SECONDS.
set -euo pipefail
cd "$(dirname "$0")/../.."
FUZZ_SECONDS=${FUZZ_SECONDS:-10} scripts/fuzz-smoke.sh
