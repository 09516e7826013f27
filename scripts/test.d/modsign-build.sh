#!/usr/bin/env bash
# Issue 14, the article's build whole (docs/modsign.md "Building a kernel with an ephemeral
# key"): a tinyconfig x86_64 kernel from Debian's linux-source-6.1 built, installed and packaged
# (make bindeb-pkg) under `kharden modsign build`; its certificate in bzImage, every module valid,
# the kernel under QEMU loading ours and refusing unsigned, other-key and tampered copies, no
# private key anywhere afterwards. Source and object tree cached in .cache/kbuild.
# Budget: ~6 minutes cold on 2 cores (download, unpack, build, package, boot), ~2 warm.
set -euo pipefail
cd "$(dirname "$0")/../.."

scripts/modsign/install-deps.sh
cargo build -p kharden --locked
timeout -k 10 1500 python3 scripts/modsign/build-kernel.py \
  --kharden "${CARGO_TARGET_DIR:-target}/debug/kharden" --deb \
  --report "${CARGO_TARGET_DIR:-target}/modsign-build.json"
