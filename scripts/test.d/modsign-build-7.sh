#!/usr/bin/env bash
# Issue 15, the article's build for Linux 7.x with ML-DSA (docs/modsign.md "Building a kernel
# with an ephemeral key"): a tinyconfig x86_64 kernel from Debian unstable's newest
# linux-source-7.* (picked by name, the version recorded in the report) built and installed under
# `kharden modsign build --key-type mldsa65`; its ML-DSA-65 certificate in bzImage, every module
# valid, the kernel under QEMU loading ours and refusing unsigned, other-key and tampered
# copies, no private key anywhere afterwards. Source (164 MB package, kept in
# .cache/modsign/debian-sid) and object tree cached in .cache/kbuild/v7.
# Budget: 4 min 42 s cold measured on 2 vCPUs shared at load 3.5-4.5 (8 min 16 s at load 5.8;
# 5.7-6.2 min of CPU), 1-1.5 minutes warm.
set -euo pipefail
cd "$(dirname "$0")/../.."

scripts/modsign/install-deps.sh
cargo build -p kharden --locked
timeout -k 10 1500 python3 scripts/modsign/build-kernel.py \
  --kharden "${CARGO_TARGET_DIR:-target}/debug/kharden" --source 7 --key-type mldsa65 \
  --report "${CARGO_TARGET_DIR:-target}/modsign-build-7.json"
