#!/bin/bash
# Check kharden's Kconfig fragment with the real kernel tools (issue 5): for Debian's stock
# configs, merge `kharden fix --emit kconfig` with scripts/kconfig/merge_config.sh of Debian's
# linux-source-6.1, run `make olddefconfig`, audit the result, and fail unless every
# kconfig-only rule the fragment addressed now passes or Kconfig overrode one of its options
# for a reason listed in scripts/remedy/expected-overrides.txt (the list must stay exact).
#
#   scripts/remedy/check-merge-config.sh [CONFIG_NAME...]
#
# CONFIG_NAME is a fixture under crates/kharden/tests/fixtures/configs/ without .config.xz
# (default: debian12-6.1-cloud-amd64 debian12-6.1-amd64). Environment: KHARDEN_BIN (default
# $CARGO_TARGET_DIR/debug/kharden), KHARDEN_PROFILE (baseline), KHARDEN_CACHE (.cache),
# KHARDEN_EXPECTED_OVERRIDES (scripts/remedy/expected-overrides.txt).
# Needs scripts/remedy/install-deps.sh and apt sources for the first download (~140 MB);
# later runs reuse .cache/linux-source. Writes nothing outside the cache and a temp dir.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
here=$root/scripts/remedy
cache=${KHARDEN_CACHE:-$root/.cache}/linux-source
fixtures=$root/crates/kharden/tests/fixtures/configs
kharden=${KHARDEN_BIN:-${CARGO_TARGET_DIR:-$root/target}/debug/kharden}
profile=${KHARDEN_PROFILE:-baseline}
expected=${KHARDEN_EXPECTED_OVERRIDES:-$here/expected-overrides.txt}
pkg=linux-source-6.1
export ARCH=x86_64 LC_ALL=C

[ $# -gt 0 ] || set -- debian12-6.1-cloud-amd64 debian12-6.1-amd64
[ -x "$kharden" ] || { echo "check-merge-config: no kharden at $kharden (cargo build -p kharden, or KHARDEN_BIN)" >&2; exit 2; }
for tool in make gcc flex bison bc xz dpkg-deb python3; do
	command -v "$tool" >/dev/null || { echo "check-merge-config: $tool missing (scripts/remedy/install-deps.sh)" >&2; exit 2; }
done
start=$(date +%s)

# --- linux-source-6.1: download once, unpack once (only what Kconfig and its make targets read)
src=$cache/src
if [ ! -f "$src/.kharden-complete" ]; then
	mkdir -p "$cache/debs"
	sandbox=()
	[ "$(id -u)" -ne 0 ] || sandbox=(-o APT::Sandbox::User=root)
	(cd "$cache/debs" && rm -f "$pkg"_*.deb && apt-get download -q "${sandbox[@]}" "$pkg" >&2)
	deb=$(ls "$cache/debs/$pkg"_*.deb)
	version=$(dpkg-deb -f "$deb" Version)
	echo "check-merge-config: unpacking $pkg $version (Makefile, scripts/, Kconfig*, arch/x86/Makefile*)" >&2
	rm -rf "$src" "$cache/src.tmp" && mkdir -p "$cache/src.tmp"
	dpkg-deb --fsys-tarfile "$deb" | tar -xO "./usr/src/$pkg.tar.xz" | xz -dc |
		tar -x -C "$cache/src.tmp" --strip-components=1 --wildcards \
			"$pkg/Makefile" "$pkg/scripts/*" "$pkg/arch/x86/Makefile*" '*/Kconfig*'
	echo "$pkg $version" >"$cache/src.tmp/.kharden-complete"
	mv "$cache/src.tmp" "$src"
	rm -f "$deb"
fi
source_version=$(cat "$src/.kharden-complete")
# The host compiler decides some options (expected-overrides.txt assumes no GCC plugin headers).
plugins=absent
[ ! -e "$(gcc -print-file-name=plugin)/include/plugin-version.h" ] || plugins="present (expect RANDSTRUCT_FULL to stick)"
echo "check-merge-config: $source_version; $(gcc --version | head -n1); gcc plugin headers $plugins; $("$kharden" --version 2>/dev/null || echo 'kharden ?'); profile $profile"

# One object tree for every case, kept in the cache: scripts/kconfig/conf is built once.
obj=$cache/obj
mkdir -p "$obj"
work=$(mktemp -d "${TMPDIR:-/tmp}/kharden-merge.XXXXXX")
trap 'rm -rf "$work"' EXIT

summaries=()
status=0
for name in "$@"; do
	fixture=$fixtures/$name.config.xz
	[ -f "$fixture" ] || { echo "check-merge-config: no fixture $fixture" >&2; exit 2; }
	xz -dc "$fixture" >"$work/$name.base.config"
	"$kharden" audit --config "$work/$name.base.config" --no-live --profile "$profile" \
		--format json --exit-zero >"$work/$name.base.json"
	for mode in failing all-rules; do
		label="$name ($mode)"
		case_dir=$work/$name.$mode
		mkdir -p "$case_dir/fix"
		flags=()
		[ "$mode" = failing ] || flags=(--all-rules)
		"$kharden" fix --config "$work/$name.base.config" --no-live --profile "$profile" \
			--emit kconfig --out "$case_dir/fix" "${flags[@]}" >/dev/null
		echo "== $label: $(grep -c '^CONFIG_\|^# CONFIG_' "$case_dir/fix/kharden.config") fragment lines"
		cp "$case_dir/fix/kharden.config" "$obj/kharden.config"

		# What a user does: merge only, then olddefconfig.
		cp "$work/$name.base.config" "$obj/.config"
		(cd "$obj" && "$src/scripts/kconfig/merge_config.sh" -m .config kharden.config) >"$case_dir/merge-m.log"
		make -s -C "$src" O="$obj" olddefconfig >"$case_dir/olddefconfig.log" 2>&1 ||
			{ cat "$case_dir/olddefconfig.log" >&2; exit 1; }
		cp "$obj/.config" "$case_dir/final.config"

		# merge_config.sh's own run (make alldefconfig) for its "Value requested ... not in final
		# .config" warnings; from the object tree, whose Makefile the run above generated.
		cp "$work/$name.base.config" "$obj/base.config"
		(cd "$obj" && "$src/scripts/kconfig/merge_config.sh" base.config kharden.config) >"$case_dir/merge.log" 2>&1 ||
			{ cat "$case_dir/merge.log" >&2; exit 1; }

		"$kharden" audit --config "$case_dir/final.config" --no-live --profile "$profile" \
			--format json --exit-zero >"$case_dir/audit.json"
		python3 "$here/merge_check.py" case --label "$label" --src "$src" \
			--base "$work/$name.base.config" --fragment "$case_dir/fix/kharden.config" \
			--final "$case_dir/final.config" --merge-log "$case_dir/merge.log" \
			--audit "$case_dir/audit.json" --audit-base "$work/$name.base.json" \
			--expected "$expected" --summary "$case_dir/summary.json" || status=1
		summaries+=("$case_dir/summary.json")
	done
done

echo "== summary ($source_version)"
python3 "$here/merge_check.py" summary --expected "$expected" "${summaries[@]}" || status=1
echo "check-merge-config: $(( $(date +%s) - start ))s, $([ $status -eq 0 ] && echo ok || echo FAILED)"
exit $status
