#!/usr/bin/env bash
# Debian packages the test suite uses directly (the test bed, merge_config and fuzz hooks
# install their own). Idempotent; needs root (or sudo) only when something is missing.
set -euo pipefail
pkgs=(xz-utils zstd gzip openssl libssl3 ca-certificates)
sudo_cmd=""
[ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
# apt-get download (used for sign-file and kernel packages) needs package lists.
if ! compgen -G "/var/lib/apt/lists/*_Packages" >/dev/null; then
  $sudo_cmd apt-get update -qq
fi
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "${missing[@]}"
fi
