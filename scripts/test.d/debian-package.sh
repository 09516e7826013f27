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
# The packaged crates keep their version from one run to the next, and cargo takes a registry
# crate of a version it has built as unchanged: an earlier run's build of the packaged modsig
# would be linked instead of today's (seen here). Clean our three crates first (every source of
# them; their dependencies' builds stay), and the unpacked copies under CARGO_HOME.
rm -rf "$T/package"
for d in "${CARGO_HOME:-$HOME/.cargo}"/registry/src/-*/; do
  [ -d "$d" ] && rm -rf "$d"kdecomp-[0-9]* "$d"modsig-[0-9]* "$d"kharden-[0-9]*
done
cargo clean -p kdecomp -p modsig -p kharden
cargo package --workspace --locked
echo "cargo package --workspace: $(( $(date +%s) - t0 )) s"

K=$(scripts/testbed/guest-kharden.sh deb)
DEB=$(scripts/deb/build-deb.sh --binary "$K" --sign-request "$T/debug/kharden-sign-request")
scripts/deb/proof.sh "$DEB" --report "$T/deb-proof.txt"
