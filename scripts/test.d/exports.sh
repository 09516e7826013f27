#!/usr/bin/env bash
# audit --format prometheus|sarif|junit against promtool, the SARIF 2.1.0 schema and a JUnit
# XSD, and the shipped alerting rules under promtool test rules (scripts/exports/check-engines.sh);
# the HTML reports in headless Chromium (scripts/exports/check-html.sh); a real node_exporter and
# Prometheus on loopback scraping the textfiles with the shipped alerts (check-scrape.sh).
# Budget: about 1.5 minutes with a warm cache; cold about 4 more (Debian packages: prometheus,
# node_exporter, chromium; npm sarif-multitool 44 MB and a PyPI sdist, cached in .cache/exports).
set -euo pipefail
cd "$(dirname "$0")/../.."

. scripts/lib/kharden-step.sh scripts/exports/install-deps.sh
timeout 600 scripts/exports/check-engines.sh
timeout 300 scripts/exports/check-html.sh
timeout 120 scripts/exports/check-scrape.sh
