#!/bin/bash
# Verify every module of a Debian kernel package against the certificates kharden extracts
# from that package's own vmlinuz, in every compression modules_install uses, then check that
# sign-tree works on the real tree. Exit 0 only if all of it holds.
#
#   scripts/modsign/check-debian-kernel.sh                  # newest linux-image-6.1.0-*-cloud-amd64
#   scripts/modsign/check-debian-kernel.sh '^linux-image-6\.1\.0-[0-9]+-amd64$'
#   KHARDEN=target/release/kharden scripts/modsign/check-debian-kernel.sh
# Needs: Debian apt sources (apt-get update), xz-utils, zstd, gzip; cargo unless $KHARDEN.
# Takes about a minute on 2 CPUs (most of it xz-compressing the 1121 modules).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cache=${KHARDEN_CACHE:-$root/.cache/modsign}
pkgdir=$("$root/scripts/modsign/fetch-kernel.sh" "${1:-}")
if [ -z "${KHARDEN:-}" ]; then
	(cd "$root" && cargo build -q -p kharden)
	KHARDEN="${CARGO_TARGET_DIR:-$root/target}/debug/kharden"
fi
vmlinuz=$(ls "$pkgdir"/boot/vmlinuz-*)
moddir=$(ls -d "$pkgdir"/lib/modules/*)
work="$cache/check/$(basename "$pkgdir")"
rm -rf "$work"
mkdir -p "$work"
fail() { echo "check-debian-kernel: FAIL: $*" >&2; exit 1; }

n=$(find "$moddir" -name '*.ko' | wc -l)
echo "== $(basename "$pkgdir"): $n modules; certificates of $(basename "$vmlinuz"):"
"$KHARDEN" modsign certs --kernel "$vmlinuz" --out "$work/certs"
ls "$work/certs"/*.der >/dev/null || fail "no certificate extracted"

echo "== verify the package's modules against its own kernel"
"$KHARDEN" modsign verify --format json --kernel "$vmlinuz" "$moddir" >"$work/verify.json" ||
	fail "verify refused modules (see $work/verify.json)"
grep -q '"schema": "kharden.modsign.verify/1"' "$work/verify.json" || fail "JSON schema"
[ "$(grep -c '"status": "valid"' "$work/verify.json")" -eq "$n" ] || fail "not all $n modules valid"
grep -q "\"valid\": $n\$" "$work/verify.json" || fail "summary is not {valid: $n}"
echo "all $n modules valid"
# The same with the extracted DER certificates.
"$KHARDEN" modsign verify --cert "$work"/certs/*.der "$moddir" | tail -n1

echo "== compressed as modules_install does (xz, gzip, zstd)"
for fmt in xz gz zst; do
	mkdir -p "$work/$fmt"
	cp -r "$moddir/kernel" "$work/$fmt/"
	case $fmt in
	xz) find "$work/$fmt" -name '*.ko' -print0 | xargs -0 -P2 -n 64 xz --check=crc32 --lzma2=dict=1MiB ;;
	gz) find "$work/$fmt" -name '*.ko' -print0 | xargs -0 -P2 -n 64 gzip -n -f ;;
	zst) find "$work/$fmt" -name '*.ko' -print0 | xargs -0 -P2 -n 64 zstd -q --rm -f ;;
	esac
	"$KHARDEN" modsign verify --kernel "$vmlinuz" "$work/$fmt" | tail -n1 |
		grep -q "^$n modules: $n valid$" || fail "$fmt tree"
	echo "$fmt: $n modules valid"
done

echo "== sign-tree on a copy of the real tree, then verify both ways"
cp -r "$moddir" "$work/signed"
"$KHARDEN" modsign sign-tree "$work/signed" --cert-out "$work/ephemeral.der" --hash sha256
"$KHARDEN" modsign verify --cert "$work/ephemeral.der" "$work/signed" | tail -n1 |
	grep -q "^$n modules: $n valid$" || fail "sign-tree output does not verify"
if "$KHARDEN" modsign verify --kernel "$vmlinuz" "$work/signed" >"$work/foreign.txt"; then
	fail "modules signed with the ephemeral key verified against Debian's certificate"
fi
tail -n1 "$work/foreign.txt" | grep -q "^$n modules: $n untrusted" || fail "expected $n untrusted"
if find "$work" -name '*.kharden-tmp.*' | grep -q .; then fail "temporary files left"; fi
echo "check-debian-kernel: OK ($n modules)"
