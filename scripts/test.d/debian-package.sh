#!/usr/bin/env bash
# Issue 18, shipping: the crates are ready to publish (`cargo package --workspace`: each crate
# packaged and built from its .crate against the others' packages, as crates.io would), the
# Debian package builds and lintian passes it (scripts/deb/build-deb.sh), and the package works
# on a real Debian 12 system booted under QEMU (scripts/deb/proof.sh: debootstrap cached in
# .cache/deb-proof). The .deb holds the stripped debug binary the test suite already built (a
# release build with LTO would add minutes; the packaging is the same). Budget: 8 minutes cold.
set -euo pipefail
cd "$(dirname "$0")/../.."
T=${CARGO_TARGET_DIR:-target}

t0=$(date +%s)
cargo package --workspace --locked
echo "cargo package --workspace: $(( $(date +%s) - t0 )) s"

K=$(scripts/testbed/guest-kharden.sh deb)
DEB=$(scripts/deb/build-deb.sh --binary "$K")
scripts/deb/proof.sh "$DEB" --report "$T/deb-proof.txt"
