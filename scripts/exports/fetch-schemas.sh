#!/usr/bin/env bash
# The published schemas kharden's SARIF and JUnit output are checked against, from registry
# packages, cached in .cache/exports/ and checked by sha256 (provenance: PROVENANCE.md here):
#   sarif-2.1.0.json  from npm @microsoft/sarif-multitool-linux 5.7.0 (package/sarif-2.1.0.json,
#                     the OASIS SARIF 2.1.0 schema as Microsoft's SARIF SDK ships it)
#   junit-10.xsd      from PyPI pytest 8.3.4 sdist (testing/example_scripts/junit-10.xsd, the
#                     JUnit schema of Jenkins' xunit plugin, which pytest validates against)
# Prints the cache directory. Needs npm and pip (python3 -m pip) only when the cache is cold.
set -euo pipefail
cd "$(dirname "$0")/../.."
CACHE=.cache/exports
mkdir -p "$CACHE"
SARIF_SHA=1c49a0f2b60444c71bb14878e21e0d882198eff4c539861b133093ad89ed798c
JUNIT_SHA=a1a816f58d1bf95ebabf371994df0b9246dee66ea9572fbec4f9296f1b2c0ff6

have() { [ -f "$1" ] && [ "$(sha256sum "$1" | cut -d' ' -f1)" = "$2" ]; }

if ! have "$CACHE/sarif-2.1.0.json" "$SARIF_SHA"; then
	tmp=$(mktemp -d)
	(cd "$tmp" && npm pack --silent @microsoft/sarif-multitool-linux@5.7.0 >/dev/null)
	tar -xzf "$tmp"/microsoft-sarif-multitool-linux-5.7.0.tgz -C "$tmp" package/sarif-2.1.0.json
	mv "$tmp/package/sarif-2.1.0.json" "$CACHE/sarif-2.1.0.json"
	rm -rf "$tmp"
	have "$CACHE/sarif-2.1.0.json" "$SARIF_SHA" || { echo "fetch-schemas: sarif-2.1.0.json: sha256 mismatch" >&2; exit 1; }
fi
if ! have "$CACHE/junit-10.xsd" "$JUNIT_SHA"; then
	tmp=$(mktemp -d)
	python3 -m pip download -q --no-deps --no-binary :all: -d "$tmp" pytest==8.3.4 >&2
	tar -xzf "$tmp"/pytest-8.3.4.tar.gz -C "$tmp" pytest-8.3.4/testing/example_scripts/junit-10.xsd
	mv "$tmp"/pytest-8.3.4/testing/example_scripts/junit-10.xsd "$CACHE/junit-10.xsd"
	rm -rf "$tmp"
	have "$CACHE/junit-10.xsd" "$JUNIT_SHA" || { echo "fetch-schemas: junit-10.xsd: sha256 mismatch" >&2; exit 1; }
fi
echo "$CACHE"
