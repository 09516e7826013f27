#!/bin/bash
# kharden's ML-DSA signatures against real peers, in a Debian unstable chroot
# (scripts/modsign/sid-chroot.sh; the host's OpenSSL 3.0 has no ML-DSA). For ML-DSA-44/65/87:
#   - sign-tree --key-type mldsaNN (the key only in memory): OpenSSL accepts the certificate's
#     self-signature (openssl verify -check_ss_sig) and the ML-DSA signature of each module body
#     (openssl pkeyutl -verify -rawin; OpenSSL 3.x cannot verify ML-DSA CMS without signed
#     attributes, the shape Linux 7.0 takes from OpenSSL 4 and kharden writes); kmod's modinfo
#     shows the fields kharden's inspect shows; kharden verify finds them valid for a 7.x target;
#     a module changed after signing fails in OpenSSL and in kharden;
#   - sign --key with an ML-DSA key and certificate made by `openssl req`: the same checks.
# Exit 0 only if all of it holds. About 2-3 minutes cold (debootstrap), 10 s warm.
#
#   scripts/modsign/check-mldsa-peer.sh
#   KHARDEN=target/release/kharden scripts/modsign/check-mldsa-peer.sh
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
if [ -z "${KHARDEN:-}" ]; then
	(cd "$root" && cargo build -q -p kharden --locked)
	KHARDEN="${CARGO_TARGET_DIR:-$root/target}/debug/kharden"
fi
fail() { echo "check-mldsa-peer: FAIL: $*" >&2; exit 1; }
. "$root/scripts/lib/apt.sh"
apt_install_missing check-mldsa-peer python3
ch=$("$root/scripts/modsign/sid-chroot.sh")
work="$ch/kharden-check"
rm -rf "$work"
mkdir -p "$work"
unsigned="$root/crates/modsig/tests/fixtures/crc7.unsigned.ko"
body_len=$(stat -c %s "$unsigned")

# The module's CMS, its body and the ML-DSA signature (the last OCTET STRING of the CMS, whose
# length the level fixes) as files, for OpenSSL.
split() { # MODULE SIGLEN OUTPREFIX
	python3 - "$1" "$2" "$3" <<'PY'
import sys
data = open(sys.argv[1], "rb").read()
end = len(data) - 28 - 12
n = int.from_bytes(data[end + 8:end + 12], "big")
open(sys.argv[3] + ".body", "wb").write(data[:end - n])
open(sys.argv[3] + ".sig", "wb").write(data[end - int(sys.argv[2]):end])
PY
}

peer_checks() { # NAME LEVEL SIGLEN (files $work/NAME.{ko,pem})
	local name=$1 level=$2 siglen=$3
	split "$work/$name.ko" "$siglen" "$work/$name"
	[ "$(stat -c %s "$work/$name.body")" -eq "$body_len" ] || fail "$name: body length"
	chroot "$ch" openssl verify -check_ss_sig -partial_chain -CAfile "/kharden-check/$name.pem" \
		"/kharden-check/$name.pem" >/dev/null || fail "$name: OpenSSL refuses the certificate"
	chroot "$ch" openssl pkeyutl -verify -rawin -certin -inkey "/kharden-check/$name.pem" \
		-in "/kharden-check/$name.body" -sigfile "/kharden-check/$name.sig" >/dev/null ||
		fail "$name: OpenSSL does not verify the ML-DSA-$level signature"
	printf 'x' >>"$work/$name.body"
	if chroot "$ch" openssl pkeyutl -verify -rawin -certin -inkey "/kharden-check/$name.pem" \
		-in "/kharden-check/$name.body" -sigfile "/kharden-check/$name.sig" >/dev/null 2>&1; then
		fail "$name: OpenSSL verifies a changed body"
	fi
	# modinfo's signature fields against inspect's.
	chroot "$ch" modinfo "/kharden-check/$name.ko" | sed -n 's/^\(sig_id\|signer\|sig_key\|sig_hashalgo\):[[:space:]]*//p' >"$work/$name.modinfo"
	"$KHARDEN" modsign inspect "$work/$name.ko" |
		sed -n 's/^  \(sig_id\|signer\|sig_key\|sig_hashalgo\):[[:space:]]*//p' >"$work/$name.inspect"
	diff -u "$work/$name.modinfo" "$work/$name.inspect" || fail "$name: inspect and modinfo differ"
	"$KHARDEN" modsign verify --cert "$work/$name.pem" --target-release 7.2.13 "$work/$name.ko" 2>/dev/null |
		tail -n1 | grep -q '^1 modules: 1 valid$' || fail "$name: kharden verify"
	cp "$work/$name.ko" "$work/$name.tampered.ko"
	printf '\001' | dd of="$work/$name.tampered.ko" bs=1 seek=$((body_len / 2)) conv=notrunc status=none
	if "$KHARDEN" modsign verify --cert "$work/$name.pem" --target-release 7.2.13 "$work/$name.tampered.ko" >/dev/null 2>&1; then
		fail "$name: kharden verifies a changed module"
	fi
	echo "$name: OpenSSL and kmod agree"
}

for level in 44 65 87; do
	case $level in 44) siglen=2420 ;; 65) siglen=3309 ;; 87) siglen=4627 ;; esac
	# The key exists only in kharden's memory.
	mkdir -p "$work/tree$level"
	cp "$unsigned" "$work/tree$level/crc7.ko"
	"$KHARDEN" modsign sign-tree "$work/tree$level" --key-type "mldsa$level" --pem \
		--cert-out "$work/tree$level.pem" >/dev/null
	mv "$work/tree$level/crc7.ko" "$work/tree$level.ko"
	peer_checks "tree$level" "$level" "$siglen"
	# A key made by OpenSSL, signed with by kharden.
	chroot "$ch" openssl req -new -x509 -newkey "ml-dsa-$level" -keyout "/kharden-check/key$level.key" \
		-out "/kharden-check/key$level.pem" -days 36500 -nodes -subj "/CN=peer ML-DSA-$level key" \
		-addext subjectKeyIdentifier=hash 2>/dev/null
	"$KHARDEN" modsign sign --key "$work/key$level.key" --cert "$work/key$level.pem" \
		"$unsigned" "$work/key$level.ko"
	peer_checks "key$level" "$level" "$siglen"
done
rm -rf "$work"
echo "check-mldsa-peer: OK"
