#!/bin/bash
# Debian unstable's newest cloud kernels (amd64 and arm64; fetched by name from the archive, the
# newest picked, which one ran printed): `modsign certs` on both images (a zstd bzImage and a raw
# arm64 Image) and on its loong64 and riscv64 kernels (a real EFI zboot image, every loong64
# module verified against it; an uncompressed RISC-V EFI Image), every module of the amd64 cloud flavour verified against its own image (by
# --kernel, and with no --cert/--kernel from a snapshot laid out as Debian installs it, where
# the image and config are in /usr/lib/modules/REL/), remarks that fit that kernel, and audit's
# discovery of the config there. Exit 0 only if all of it holds.
#
#   scripts/modsign/check-debian-unstable.sh
#   KHARDEN=target/release/kharden scripts/modsign/check-debian-unstable.sh
# Needs: apt, dpkg-deb, debian-archive-keyring, network to deb.debian.org (cached after).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cache=${KHARDEN_CACHE:-$root/.cache/modsign}
fetch="$root/scripts/modsign/fetch-debian-suite.sh"
if [ -z "${KHARDEN:-}" ]; then
	(cd "$root" && cargo build -q -p kharden --locked)
	KHARDEN="${CARGO_TARGET_DIR:-$root/target}/debug/kharden"
fi
fail() { echo "check-debian-unstable: FAIL: $*" >&2; exit 1; }
flavour='[0-9.]+\+deb[0-9]+-cloud'
mapfile -t amd < <("$fetch" sid amd64 "^linux-binary-$flavour-amd64\$" \
	"^linux-modules-$flavour-amd64\$" "^linux-base-$flavour-amd64\$")
mapfile -t arm < <("$fetch" sid arm64 "^linux-binary-$flavour-arm64\$")
cat "${amd[@]/%//.complete}" "${arm[0]}/.complete"
amd_image=$(ls "${amd[0]}"/usr/lib/modules/*/vmlinuz)
arm_image=$(ls "${arm[0]}"/usr/lib/modules/*/vmlinuz)
rel=$(basename "$(dirname "$amd_image")")
arm_rel=$(basename "$(dirname "$arm_image")")
moddir="${amd[1]}/usr/lib/modules/$rel"
work="$cache/check-unstable/$rel"
rm -rf "$work"
mkdir -p "$work"

echo "== certs: $rel (amd64 bzImage), $arm_rel (arm64 Image)"
for image in "$amd_image" "$arm_image"; do
	r=$(basename "$(dirname "$image")")
	"$KHARDEN" modsign certs --kernel "$image" | tee "$work/certs-$r.txt"
	head -n1 "$work/certs-$r.txt" | grep -q "Linux $r, .* 1 certificate(s) in system_certificate_list" ||
		fail "$r: release or system_certificate_list not found"
done

echo "== certs and verify --kernel on a real EFI zboot image (loong64) and a RISC-V EFI Image"
# Debian builds its loong64 kernel as an EFI zboot image (zstd payload behind the "zimg" header)
# and its riscv64 kernel as an uncompressed Image with a PE header: the shapes no amd64 or arm64
# package has.
mapfile -t loong < <("$fetch" sid loong64 '^linux-binary-[0-9.]+\+deb[0-9]+-loong64$' \
	'^linux-modules-[0-9.]+\+deb[0-9]+-loong64$')
mapfile -t riscv < <("$fetch" sid riscv64 '^linux-binary-[0-9.]+\+deb[0-9]+-riscv64$')
for d in "${loong[0]}" "${riscv[0]}"; do
	image=$(ls "$d"/usr/lib/modules/*/vmlinuz)
	r=$(basename "$(dirname "$image")")
	case $r in *loong64) shape="zstd payload found by EFI zboot header" ;; *) shape="plain payload found by RISC-V Image header" ;; esac
	"$KHARDEN" modsign certs --kernel "$image" | tee "$work/certs-$r.txt"
	head -n1 "$work/certs-$r.txt" | grep -q "Linux $r, $shape, .* 1 certificate(s) in system_certificate_list" ||
		fail "$r: not read as '$shape' with its release and system_certificate_list"
done
loong_image=$(ls "${loong[0]}"/usr/lib/modules/*/vmlinuz)
loong_rel=$(basename "$(dirname "$loong_image")")
loong_n=$(find "${loong[1]}/usr/lib/modules/$loong_rel" -name '*.ko*' | wc -l)
[ "$loong_n" -gt 500 ] || fail "only $loong_n modules for $loong_rel"
"$KHARDEN" modsign verify --kernel "$loong_image" "${loong[1]}/usr/lib/modules/$loong_rel" >"$work/verify-$loong_rel.txt" ||
	fail "verify refused $loong_rel modules against its zboot image (see $work/verify-$loong_rel.txt)"
tail -n1 "$work/verify-$loong_rel.txt" | grep -q "^$loong_n modules: $loong_n valid$" ||
	fail "not all $loong_n $loong_rel modules valid against the zboot image"
echo "$loong_rel: $loong_n modules valid against the EFI zboot image"

n=$(find "$moddir" -name '*.ko*' | wc -l)
[ "$n" -gt 500 ] || fail "only $n modules in $moddir"
echo "== verify --kernel: $n modules of $rel against its own image"
"$KHARDEN" modsign verify --format json --kernel "$amd_image" "$moddir" >"$work/verify.json" ||
	fail "verify refused modules (see $work/verify.json)"
[ "$(grep -c '"status": "valid"' "$work/verify.json")" -eq "$n" ] || fail "not all $n modules valid"

echo "== verify with neither --cert nor --kernel, on a snapshot laid out as Debian installs $rel"
snap="$work/root"
mkdir -p "$snap/proc/sys/kernel" "$snap/usr/lib/modules" "$snap/proc"
echo "$rel" >"$snap/proc/sys/kernel/osrelease"
cp -r "$moddir" "$snap/usr/lib/modules/"
cp "$amd_image" "${amd[2]}/usr/lib/modules/$rel/config" "$snap/usr/lib/modules/$rel/"
ln -s usr/lib "$snap/lib"
"$KHARDEN" modsign verify -v --root "$snap" "$snap/lib/modules/$rel" >"$work/verify-root.txt" 2>"$work/verify-root.err" ||
	fail "verify from the snapshot refused modules"
cat "$work/verify-root.err"
grep -q "built into $snap/usr/lib/modules/$rel/vmlinuz (kernel $rel)" "$work/verify-root.err" ||
	fail "verify did not name the image it trusted"
tail -n1 "$work/verify-root.txt" | grep -q "^$n modules: $n valid$" || fail "not $n valid from the snapshot"
# The remarks fit this kernel: none names another kernel (grep -c: no early exit, no SIGPIPE).
[ "$(grep -c '^valid ' "$work/verify-root.txt")" -eq "$n" ] || fail "-v did not list the $n valid modules"
odd=$(grep -v -c -E "^valid +[^ ]+: signed by \"CN=Build time autogenerated kernel key\" \(ECDSA P-384, sha256\)\$|^$n modules: " \
	"$work/verify-root.txt" || true)
if [ "$odd" -ne 0 ]; then
	grep -v -E "^$n modules: " "$work/verify-root.txt" | head -n3
	fail "$odd unexpected verdicts or remarks on $rel"
fi

echo "== audit finds the config in /usr/lib/modules/$rel/"
"$KHARDEN" audit --root "$snap" --exit-zero --format json >"$work/audit.json"
grep -q "/usr/lib/modules/$rel/config under $snap" "$work/audit.json" || fail "audit did not read the config"

echo "== the 7.x rules judge $rel's own config (module key type, signing hash, IPE), and it with ML-DSA-65 and an IPE boot policy"
python3 - "$KHARDEN" "${amd[2]}/usr/lib/modules/$rel/config" "$work" <<'PY' || fail "the 7.x rules did not judge $rel's config as expected"
import json, os, subprocess, sys
kharden, config, work = sys.argv[1:4]

def audit(path):
    out = subprocess.run([kharden, "audit", "--no-live", "--config", path, "--exit-zero", "--format", "json"],
                         capture_output=True, text=True, check=True).stdout
    return {f["id"]: f for f in json.loads(out)["findings"]}

def expect(findings, want, what):
    bad = [f"{what}: {k}: {findings.get(k, {}).get('status')} (want {v})" for k, v in want.items()
           if findings.get(k, {}).get("status") != v]
    ipe = [e for e in findings["ipe-policy-enforced"]["evidence"] if e["key"].endswith("/ipe")]
    return bad, (ipe[0].get("actual") if ipe else None)

# As Debian builds it: MODULE_SIG_KEY_TYPE_RSA (its key is provided, not generated), sha256
# (7.x has no MODULE_SIG_SHA1 choice any more), IPE built with no boot policy.
bad, ipe = expect(audit(config), {"module-sig-key-type": "fail", "module-sig-hash": "pass",
                                  "ipe-built": "pass", "ipe-policy-enforced": "fail"}, "as built")
if ipe != "no_policy":
    bad.append(f"as built: ipe {ipe}, want no_policy")
# The same config with the choices the rules recommend (the kernel's own option names).
change = {"CONFIG_MODULE_SIG_KEY_TYPE_RSA": "# CONFIG_MODULE_SIG_KEY_TYPE_RSA is not set",
          "CONFIG_MODULE_SIG_KEY_TYPE_MLDSA_65": "CONFIG_MODULE_SIG_KEY_TYPE_MLDSA_65=y",
          "CONFIG_IPE_BOOT_POLICY": 'CONFIG_IPE_BOOT_POLICY="/etc/ipe/boot.pol"'}
lines = []
for line in open(config).read().splitlines():
    name = line.removeprefix("# ").split("=")[0].split(" ")[0]
    lines.append(change.pop(name, line))
if change:
    bad.append(f"{config} lacks {sorted(change)}")
merged = os.path.join(work, "config-mldsa65-ipe")
with open(merged, "w") as f:
    f.write("\n".join(lines) + "\n")
more, ipe = expect(audit(merged), {"module-sig-key-type": "pass", "ipe-policy-enforced": "pass"}, "ML-DSA-65, IPE policy")
bad += more
print("\n".join(bad) or "7.x rules: as expected", file=sys.stderr)
sys.exit(1 if bad else 0)
PY
echo "check-debian-unstable: OK ($rel: $n modules valid; $loong_rel: $loong_n modules valid against its EFI zboot image; $arm_rel and the riscv64 image: certificates read)"
