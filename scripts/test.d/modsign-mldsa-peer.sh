#!/usr/bin/env bash
# kharden's ML-DSA signatures checked by OpenSSL 3.6 and kmod in a Debian unstable chroot
# (scripts/modsign/check-mldsa-peer.sh). About 2-3 minutes cold (debootstrap, cached under
# .cache/modsign/peers), 10 s warm. Needs root.
set -euo pipefail
cd "$(dirname "$0")/../.."
T=${CARGO_TARGET_DIR:-target}
cargo build -q -p kharden --locked
KHARDEN="$(cd "$T" && pwd)/debug/kharden" scripts/modsign/check-mldsa-peer.sh
