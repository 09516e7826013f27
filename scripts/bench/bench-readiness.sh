#!/usr/bin/env bash
# `kharden audit --readiness` against `kharden modsign verify` of the same module tree (the
# readiness cost is dominated by verifying every module on disk against the running kernel's
# image). The tree: Debian's linux-image-6.1.0-*-amd64 package (4000+ modules, from the modsign
# cache: scripts/modsign/fetch-kernel.sh) laid out as a snapshot root (/lib/modules/REL,
# /boot/vmlinuz-REL and config, /proc/sys/kernel/osrelease, a few processes' worth of /proc).
# Budget from issue 16: readiness <= 2 x verify + 50 ms (medians of farm-bench, paired runs).
# Usage: scripts/bench/bench-readiness.sh [RUNS]   (default 10)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
runs=${1:-10}
source "$root/scripts/lib/bench-modsign.sh"

rel=$(basename "$moddir")
tree=$(mktemp -d)
trap 'rm -rf "$tree"' EXIT
mkdir -p "$tree/lib/modules" "$tree/boot" "$tree/proc/sys/kernel" "$tree/etc" "$tree/var" \
	"$tree/sys/power" "$tree/sys/fs"
cp -al "$moddir" "$tree/lib/modules/$rel" 2>/dev/null || cp -r "$moddir" "$tree/lib/modules/$rel"
cp "$pkgdir/boot/vmlinuz-$rel" "$pkgdir/boot/config-$rel" "$tree/boot/"
echo "$rel" >"$tree/proc/sys/kernel/osrelease"
echo "BOOT_IMAGE=/boot/vmlinuz-$rel root=/dev/vda1 ro" >"$tree/proc/cmdline"
: >"$tree/proc/modules"
echo "sysfs /sys sysfs rw 0 0" >"$tree/proc/mounts"
for pid in 1 2 3; do
	mkdir -p "$tree/proc/$pid/fd"
	echo init >"$tree/proc/$pid/comm"
	printf 'Uid:\t0\t0\t0\t0\n' >"$tree/proc/$pid/status"
	ln -s /dev/null "$tree/proc/$pid/fd/0"
done
nmod=$(find "$tree/lib/modules/$rel" -name '*.ko*' | wc -l)

readiness="$kharden audit --root $tree --readiness --exit-zero --format json"
verify="sh -c 'exec $kharden modsign verify --kernel $tree/boot/vmlinuz-$rel $tree/lib/modules/$rel >/dev/null 2>&1 || true'"
plain="$kharden audit --root $tree --exit-zero --format json"

echo "== $nmod modules of $(basename "$pkgdir"), $runs paired runs"
out=$(mktemp)
farm-bench -n "$runs" --timeout 3000 --vs "$verify" -- $readiness | tee "$out"
echo "== plain audit (no readiness) on the same tree"
farm-bench -n "$runs" --timeout 600 -- $plain
python3 - "$out" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
# The wall medians of A (readiness) and B (verify), and the paired ratio's median.
med = lambda label: float(re.search(label + r"\s+[0-9.]+\s+([0-9.]+)\s+[0-9.]+", text).group(1))
try:
    a, b, paired = med(r"A wall s"), med(r"B wall s"), med(r"A/B wall")
except AttributeError:
    sys.exit("could not read the wall medians from farm-bench's report")
budget = 2 * b + 0.050
print(f"readiness {a:.3f} s, verify {b:.3f} s: ratio {a / b:.2f} (paired median {paired:.2f}); budget 2 x verify + 50 ms = {budget:.3f} s: "
      + ("within" if a <= budget else "OVER"))
sys.exit(0 if a <= budget else 1)
PY
