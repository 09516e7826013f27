#!/usr/bin/env bash
# Run every test of the project: the Rust test suite, then the real-kernel checks under QEMU.
# Installs what the tests need (Debian packages) when run as root; otherwise says what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ -x scripts/install-test-deps.sh ]; then
  scripts/install-test-deps.sh
fi

cargo test --workspace --locked

for extra in scripts/test.d/*.sh; do
  [ -e "$extra" ] || continue
  echo "== $extra"
  bash "$extra"
done
