#!/usr/bin/env bash
# Run every test of the project: the fixtures' provenance, the Rust test suite (including the
# comparison with the kernel's own sign-file), then the checks against real peers in
# scripts/test.d/ (QEMU test bed, merge_config.sh, fuzz smoke run, Debian kernel package
# verification).
# Installs what the tests need (Debian packages) when run as root or with sudo.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-test-deps.sh
# The committed fixtures are what their PROVENANCE.md files say (offline: sha256sum and xz).
scripts/fixtures/check-provenance.sh
# The kernel's own sign-file (Debian linux-kbuild-6.1), for the byte-for-byte comparison.
scripts/modsign/fetch-sign-file.sh
export KHARDEN_REQUIRE_SIGN_FILE=1

cargo test --workspace --locked

for extra in scripts/test.d/*.sh; do
  [ -e "$extra" ] || continue
  echo "== $extra"
  bash "$extra"
done
echo "all tests passed"
