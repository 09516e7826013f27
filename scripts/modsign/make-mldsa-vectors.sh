#!/bin/bash
# ML-DSA module-signature vectors from real peers, for crates/modsig/tests/fixtures/mldsa/:
# in a Debian unstable chroot made by debootstrap (the host's Debian 12 OpenSSL 3.0 has no
# ML-DSA), with unstable's OpenSSL (3.5 or later) and the kernel's own sign-file from the
# newest linux-kbuild-7.x, each of ML-DSA-44/65/87:
#
#   mldsaNN_cert.der                    openssl req -x509 -newkey ml-dsa-NN (certs/default_x509.genkey's
#                                       extensions), DER
#   crc7.mldsaNN.sign-file.ko           sign-file sha512 (CMS with signed attributes: contentType,
#                                       messageDigest; OpenSSL < 4 cannot sign ML-DSA CMS without them)
#   crc7.mldsaNN.cms.ko                 openssl cms -sign -binary -nocerts -nosmimecap -md sha512
#                                       (contentType, signingTime, messageDigest) + the module trailer
#   crc7.mldsaNN.noattrs.ko             the shape OpenSSL 4 makes: ML-DSA over the module itself
#                                       (openssl pkeyutl -sign -rawin), in a SignerInfo without signed
#                                       attributes assembled here (sign-file's structure otherwise)
#   negative/crc7.mldsa65.*.ko          one byte of the module body changed after signing
#   modinfo/<vector>.txt                kmod's modinfo of each vector (inspect is compared with it)
#
# ML-DSA signing is randomised (hedged) in both peers, so a re-run gives other bytes; the tests
# check what holds for any run. Writes PROVENANCE.md (packages and versions) beside the vectors.
# Needs root (debootstrap, chroot) and network to deb.debian.org; the chroot is cached.
#
#   scripts/modsign/make-mldsa-vectors.sh
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
out="$root/crates/modsig/tests/fixtures/mldsa"
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
chroot_dir=$("$root/scripts/modsign/sid-chroot.sh")
kbuild=$(cat "$chroot_dir/.kbuild")
work="$chroot_dir/work"
rm -rf "$work"
mkdir -p "$work"
cp "$root/crates/modsig/tests/fixtures/crc7.unsigned.ko" "$work/"
cp "$root/scripts/modsign/mldsa_vectors.py" "$work/"
chroot "$chroot_dir" /bin/sh -eu -c "
cd /work
sign_file=/usr/lib/$kbuild/scripts/sign-file
for n in 44 65 87; do
	openssl req -new -x509 -newkey ml-dsa-\$n -keyout k\$n.pem -out c\$n.pem -days 36500 -nodes \
		-subj \"/CN=kharden ML-DSA-\$n test key\" -addext subjectKeyIdentifier=hash \
		-addext basicConstraints=critical,CA:FALSE -addext keyUsage=digitalSignature 2>/dev/null
	openssl x509 -in c\$n.pem -outform DER -out mldsa\${n}_cert.der
	\$sign_file sha512 k\$n.pem c\$n.pem crc7.unsigned.ko crc7.mldsa\$n.sign-file.ko
	openssl cms -sign -binary -nocerts -nosmimecap -md sha512 -in crc7.unsigned.ko \
		-signer c\$n.pem -inkey k\$n.pem -outform DER -out cms\$n.p7s
	openssl pkeyutl -sign -rawin -inkey k\$n.pem -in crc7.unsigned.ko -out raw\$n.sig
done
"
# Assembling modules from those outputs needs no peer: on the host (the chroot has no Python).
(cd "$work" && python3 mldsa_vectors.py)
chroot "$chroot_dir" /bin/sh -eu -c "
cd /work
mkdir -p modinfo
for v in crc7.mldsa*.ko negative/*.ko; do modinfo \$v > modinfo/\$(basename \$v).txt; done
{
	echo \"openssl \$(dpkg-query -W -f='\${Version}' openssl)\"
	echo \"$kbuild \$(dpkg-query -W -f='\${Version}' $kbuild)\"
	echo \"kmod \$(dpkg-query -W -f='\${Version}' kmod)\"
	openssl version
} > versions.txt
"
rm -rf "$out"
mkdir -p "$out/negative" "$out/modinfo"
cp "$work"/mldsa*_cert.der "$work"/crc7.mldsa*.ko "$out/"
cp "$work"/negative/*.ko "$out/negative/"
cp "$work"/modinfo/*.txt "$out/modinfo/"
{
	echo "# ML-DSA vectors"
	echo
	echo "Made by \`scripts/modsign/make-mldsa-vectors.sh\` (read it for each command) on $(date -u +%F), in a"
	echo "Debian unstable chroot made by debootstrap from $mirror, with:"
	echo
	sed 's/^/- /' "$work/versions.txt"
	echo
	echo "from \`crc7.unsigned.ko\` (../PROVENANCE.md). Throw-away keys, not kept. sha256:"
	echo
	(cd "$out" && sha256sum -- *.der *.ko negative/*.ko | sed 's/^\([0-9a-f]*\)  \(.*\)/- `\2` `\1`/')
} >"$out/PROVENANCE.md"
cat "$out/PROVENANCE.md"
