#!/bin/bash
# Obtain kernel-hardening-checker (github.com/a13xp0p0v/kernel-hardening-checker, plain
# Python 3, stdlib only, GPL-3.0) for the benchmark and the verdict fixtures. Its code is
# never committed here: it goes to .cache/khc/<commit>/ (gitignored).
#
# Prints the work tree's path on stdout (run it as `python3 DIR/bin/kernel-hardening-checker`);
# logs go to stderr. Exit 3 when no source worked, so callers can skip rather than fail.
#
# Sources, first that works:
#   1. $KHC_SRC            an existing work tree, used as is
#   2. .cache/khc/<commit> from an earlier run
#   3. $KHC_GIT_DIR, then $KHC_MIRROR (default: the search tool's mirror under /work/.mirror)
#                          a local clone or bare mirror holding $KHC_COMMIT (git archive)
#   4. git clone $KHC_URL  and check out $KHC_COMMIT (needs github.com to resolve)
#   5. pip                 `pip download kernel-hardening-checker==$KHC_PYPI_VERSION`; the
#                          project was not on PyPI on 2026-11-29 (404), kept for when it is.
#                          A release is not the pinned commit: the tree is marked as such.
#
# env: KHC_COMMIT (default the pinned commit below), KHC_CACHE (default .cache/khc)
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)

# Pinned: the commit the research notes and the committed verdict fixtures
# (crates/kharden/tests/fixtures/khc/) were made with. `--version` prints 0.6.17.1.
KHC_COMMIT=${KHC_COMMIT:-0b9aebf818145f772407135b79418958c1ec5ed1}
KHC_PYPI_VERSION=${KHC_PYPI_VERSION:-0.6.17.1}
KHC_URL=${KHC_URL:-https://github.com/a13xp0p0v/kernel-hardening-checker}
KHC_CACHE=${KHC_CACHE:-$REPO/.cache/khc}
DEFAULT_MIRROR=${KHC_MIRROR-/work/.mirror/a13xp0p0v+kernel-hardening-checker/repo}
log() { echo "fetch-khc: $*" >&2; }

usable() { [ -f "$1/bin/kernel-hardening-checker" ] && [ -f "$1/kernel_hardening_checker/engine.py" ]; }

if [ -n "${KHC_SRC:-}" ]; then
	usable "$KHC_SRC" || { log "KHC_SRC=$KHC_SRC is not a kernel-hardening-checker work tree"; exit 3; }
	log "using KHC_SRC=$KHC_SRC"
	echo "$KHC_SRC"
	exit 0
fi

dest=$KHC_CACHE/$KHC_COMMIT
if usable "$dest"; then
	log "cached: $dest ($(head -n1 "$dest/KHC_SOURCE" 2>/dev/null || echo unknown source))"
	echo "$dest"
	exit 0
fi

mkdir -p "$KHC_CACHE"
tmp=$(mktemp -d "$KHC_CACHE/.tmp.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

from_git_dir() { # GIT_DIR
	git --git-dir="$1" cat-file -e "$KHC_COMMIT^{commit}" 2>/dev/null || return 1
	mkdir -p "$tmp/tree"
	git --git-dir="$1" archive "$KHC_COMMIT" | tar -x -C "$tmp/tree" || return 1
	echo "git $KHC_COMMIT ($(git --git-dir="$1" describe --tags "$KHC_COMMIT" 2>/dev/null || echo no tag)) from $1" >"$tmp/tree/KHC_SOURCE"
}

from_clone() {
	command -v git >/dev/null || return 1
	GIT_TERMINAL_PROMPT=0 timeout 300 git clone -q --bare "$KHC_URL" "$tmp/clone.git" 2>/dev/null || return 1
	from_git_dir "$tmp/clone.git" || return 1
	sed -i "s|from .*|from $KHC_URL|" "$tmp/tree/KHC_SOURCE"
}

from_pypi() {
	local py=${PYTHON:-python3}
	timeout 300 "$py" -m pip download -q --no-deps --no-binary :all: -d "$tmp/pip" \
		"kernel-hardening-checker==$KHC_PYPI_VERSION" >/dev/null 2>&1 || return 1
	local sdist
	sdist=$(find "$tmp/pip" -name 'kernel*hardening*checker-*.tar.gz' | head -n1)
	[ -n "$sdist" ] || return 1
	mkdir -p "$tmp/tree"
	tar -xzf "$sdist" -C "$tmp/tree" --strip-components=1 || return 1
	echo "PyPI kernel-hardening-checker $KHC_PYPI_VERSION sdist $(basename "$sdist") sha256 $(sha256sum "$sdist" | cut -d' ' -f1) (NOT the pinned commit $KHC_COMMIT)" >"$tmp/tree/KHC_SOURCE"
}

got=
for src in "${KHC_GIT_DIR:-}" "$DEFAULT_MIRROR"; do
	[ -n "$src" ] && [ -d "$src" ] || continue
	if from_git_dir "$src"; then got=1; break; fi
	log "$src does not hold $KHC_COMMIT"
	rm -rf "$tmp/tree"
done
if [ -z "$got" ]; then
	if from_clone; then got=1; else log "git clone $KHC_URL failed (no network to github.com?)"; rm -rf "$tmp/tree"; fi
fi
if [ -z "$got" ]; then
	if from_pypi; then got=1; else log "pip: kernel-hardening-checker==$KHC_PYPI_VERSION not available"; fi
fi
if [ -z "$got" ] || ! usable "$tmp/tree"; then
	log "no source for kernel-hardening-checker worked; set KHC_SRC or KHC_GIT_DIR"
	exit 3
fi
rm -rf "$dest"
mv "$tmp/tree" "$dest"
log "$(head -n1 "$dest/KHC_SOURCE") -> $dest"
echo "$dest"
