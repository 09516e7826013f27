#!/usr/bin/env bash
# Every module of a Debian kernel package verified against the certificates kharden extracts
# from that package's own vmlinuz (all compressions modules_install uses), then sign-tree on the
# real tree (scripts/modsign/check-debian-kernel.sh). About 1-2 minutes; download cached.
set -euo pipefail
cd "$(dirname "$0")/../.."
T=${CARGO_TARGET_DIR:-target}
cargo build -q -p kharden --locked
KHARDEN="$(cd "$T" && pwd)/debug/kharden" scripts/modsign/check-debian-kernel.sh
