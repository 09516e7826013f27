#!/usr/bin/env bash
# Print the path of a stripped debug kharden for the QEMU test bed guests (small enough for an
# initramfs), after installing the test bed's host packages. Shared by the scripts/test.d hooks
# that boot guests. usage: guest-kharden.sh NAME   -> $CARGO_TARGET_DIR/kharden-NAME
set -euo pipefail
cd "$(dirname "$0")/../.."
T=${CARGO_TARGET_DIR:-target}
scripts/testbed/install-deps.sh >&2
# The test suite already built the debug binary; this only makes sure it is current.
cargo build -p kharden --locked >&2
strip -o "$T/kharden-$1" "$T/debug/kharden"
echo "$T/kharden-$1"
