#!/usr/bin/env bash
# Print the path of a stripped debug kharden for the QEMU test bed guests (small enough for an
# initramfs), after installing the test bed's host packages. Shared by the scripts/test.d hooks
# that boot guests.
#   guest-kharden.sh NAME          -> $CARGO_TARGET_DIR/kharden-NAME (the host's architecture)
#   guest-kharden.sh NAME arm64    -> $CARGO_TARGET_DIR/kharden-NAME-arm64: cross-built for
#     aarch64-unknown-linux-gnu (rustup target, linker aarch64-linux-gnu-gcc from
#     gcc-aarch64-linux-gnu), static (+crt-static: glibc's libc.a from libc6-dev-arm64-cross),
#     so the guest needs no libraries
set -euo pipefail
cd "$(dirname "$0")/../.."
T=${CARGO_TARGET_DIR:-target}
scripts/testbed/install-deps.sh >&2
if [ "${2:-}" = arm64 ]; then
	rustup target list --installed 2>/dev/null | grep -qx aarch64-unknown-linux-gnu ||
		rustup target add aarch64-unknown-linux-gnu >&2
	export CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER=aarch64-linux-gnu-gcc
	export CC_aarch64_unknown_linux_gnu=aarch64-linux-gnu-gcc AR_aarch64_unknown_linux_gnu=aarch64-linux-gnu-ar
	export CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_RUSTFLAGS="-C target-feature=+crt-static"
	# its own target directory in the download cache: a warm CI run rebuilds kharden only, not
	# aws-lc-sys and the other C dependencies (KHARDEN_CROSS_TARGET to put it elsewhere). No
	# debug info: the binary is stripped anyway, and it made the directory 1.5 GB, not 0.4 GB
	X=${KHARDEN_CROSS_TARGET:-.cache/testbed/target-aarch64}
	CARGO_PROFILE_DEV_DEBUG=0 cargo build -p kharden --locked --target aarch64-unknown-linux-gnu --target-dir "$X" >&2
	aarch64-linux-gnu-strip -o "$T/kharden-$1-arm64" "$X/aarch64-unknown-linux-gnu/debug/kharden"
	echo "$T/kharden-$1-arm64"
	exit 0
fi
# The test suite already built the debug binary; this only makes sure it is current.
cargo build -p kharden --locked >&2
strip -o "$T/kharden-$1" "$T/debug/kharden"
echo "$T/kharden-$1"
