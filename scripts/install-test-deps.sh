#!/usr/bin/env bash
# Debian packages the test suite uses directly (the test bed, merge_config and fuzz hooks
# install their own). Idempotent; needs root (or sudo) only when something is missing.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib/apt.sh"
# apt-get download (used for sign-file and kernel packages) needs package lists.
if ! compgen -G "/var/lib/apt/lists/*_Packages" >/dev/null; then
  as_root apt-get update -qq
fi
apt_install_missing install-test-deps xz-utils zstd gzip openssl libssl3 ca-certificates
