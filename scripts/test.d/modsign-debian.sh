#!/usr/bin/env bash
# Every module of a Debian kernel package verified against the certificates kharden extracts
# from that package's own vmlinuz (all compressions modules_install uses), then sign-tree on the
# real tree (scripts/modsign/check-debian-kernel.sh). About 1-2 minutes; download cached.
set -euo pipefail
cd "$(dirname "$0")/../.."
cargo build -q -p kharden --locked
KHARDEN=target/debug/kharden scripts/modsign/check-debian-kernel.sh
