#!/bin/bash
# Sign a kernel module the way the kernel's scripts/sign-file does (CMS, detached, no
# attributes, no certificates, issuer+serial, SHA-256), with openssl only. Test-bed use: make
# the "signed by a key of ours" module (and cross-check kharden's modsig) before/besides
# `kharden modsign sign`. An existing signature is stripped first.
#
# usage: sign-module-openssl.sh IN.ko OUT.ko [KEY.pem CERT.pem]
#   without KEY/CERT a throw-away RSA-2048 key pair is made under .cache/testbed/ourkey/.
set -euo pipefail
in=$1 out=$2
HERE=$(cd "$(dirname "$0")" && pwd)
CACHE=${KHARDEN_TB_CACHE:-$HERE/../../.cache/testbed}
key=${3:-} cert=${4:-}
if [ -z "$key" ]; then
	d=$CACHE/ourkey; key=$d/key.pem; cert=$d/cert.pem
	# made once, by the same code path as testbed.py's our_key()
	if [ ! -s "$key" ] || [ ! -s "$cert" ]; then
		python3 -B -c "import sys; sys.path.insert(0, '$HERE'); import testbed; testbed.our_key()"
	fi
fi
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
python3 - "$in" "$tmp/plain.ko" <<'PY'
import struct, sys
d = open(sys.argv[1], "rb").read()
m = b"~Module signature appended~\n"
if d.endswith(m):
    sig_len = struct.unpack(">I", d[-len(m) - 4:-len(m)])[0]
    d = d[: len(d) - len(m) - 12 - sig_len]
open(sys.argv[2], "wb").write(d)
PY
openssl cms -sign -in "$tmp/plain.ko" -signer "$cert" -inkey "$key" -md sha256 -binary -noattr \
	-nocerts -nosmimecap -outform DER -out "$tmp/sig"
python3 - "$tmp/plain.ko" "$tmp/sig" "$out" <<'PY'
import struct, sys
mod, sig = open(sys.argv[1], "rb").read(), open(sys.argv[2], "rb").read()
# struct module_signature: algo, hash, id_type=2 (PKCS#7), signer_len, key_id_len, pad[3], be32 sig_len
info = struct.pack(">BBBBB3xI", 0, 0, 2, 0, 0, len(sig))
open(sys.argv[3], "wb").write(mod + sig + info + b"~Module signature appended~\n")
PY
