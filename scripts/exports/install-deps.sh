#!/usr/bin/env bash
# Debian packages of the export checks (scripts/exports/check-*.sh): prometheus (promtool, the
# server) and prometheus-node-exporter,
# xmllint (libxml2-utils), python3-jsonschema, pip/npm to fetch the two schemas once, and
# chromium for the HTML reports (scripts/exports/check-html.sh).
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/../lib/apt.sh"
pkgs=(prometheus prometheus-node-exporter libxml2-utils python3-jsonschema python3-pip chromium)
# npm from Debian unless one is already installed (e.g. with a nodejs that ships its own).
command -v npm >/dev/null || pkgs+=(npm)
apt_install_missing exports "${pkgs[@]}"
