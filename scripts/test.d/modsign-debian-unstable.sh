#!/usr/bin/env bash
# Debian unstable's newest cloud kernels, amd64 and arm64, and its loong64 (EFI zboot) and riscv64
# kernels (scripts/modsign/check-debian-unstable.sh): image shapes, every module verified against
# its own image, the Debian 2026 layout. About 2 minutes cold (140 MB of packages and four
# architectures' package lists, cached under .cache/modsign/debian-sid), 30 s warm.
set -euo pipefail
cd "$(dirname "$0")/../.."
T=${CARGO_TARGET_DIR:-target}
cargo build -q -p kharden --locked
KHARDEN="$(cd "$T" && pwd)/debug/kharden" scripts/modsign/check-debian-unstable.sh
