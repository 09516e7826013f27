#!/bin/bash
# Regenerate the committed snapshot trees under crates/kharden/tests/fixtures/snapshots/ by
# booting Debian kernels under QEMU (scripts/testbed/testbed.py capture). The trees are only
# ever written by this script; each carries PROVENANCE and OBSERVED.
#
# usage: capture-all.sh [NAME-REGEX]      env: JOBS (parallel boots, default 2), OUT (tree dir)
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
OUT=${OUT:-$REPO/crates/kharden/tests/fixtures/snapshots}
JOBS=${JOBS:-2}
FILTER=${1:-.}

# name | kernel | firmware | extra cmdline | runtime sysctl writes (space separated) | note | db
# (db: add the test bed's module certificate to the OVMF varstore's UEFI db)
SCENARIOS=(
	"deb12-6.1-cloud-default|deb12-6.1-cloud|bios|||Debian defaults"
	"deb12-6.1-cloud-integrity-sigenforce|deb12-6.1-cloud|bios|lockdown=integrity module.sig_enforce=1||"
	"deb12-6.1-cloud-integrity|deb12-6.1-cloud|bios|lockdown=integrity||lockdown alone refuses unsigned modules (EPERM) while sig_enforce stays N"
	"deb12-6.1-cloud-confidentiality|deb12-6.1-cloud|bios|lockdown=confidentiality||"
	"deb12-6.1-cloud-nokaslr|deb12-6.1-cloud|bios|nokaslr||"
	"deb12-6.1-cloud-kptr2-dmesg1|deb12-6.1-cloud|bios||kernel.kptr_restrict=2 kernel.dmesg_restrict=1|kptr_restrict=2 and dmesg_restrict=1 written by /init via /proc/sys before the capture (not on the cmdline)"
	"deb12-6.1-generic-default|deb12-6.1-generic|bios|||"
	"deb12-6.12-cloud-default|deb12-6.12-cloud|bios|||"
	"deb12-6.12-cloud-ovmf|deb12-6.12-cloud|ovmf|||UEFI boot, Secure Boot off (OVMF_VARS_4M.fd without keys: SetupMode=1)"
	"deb12-6.12-cloud-ovmf-sb|deb12-6.12-cloud|ovmf-sb|||Secure Boot on; lockdown and sig_enforce come from the kernel's Secure Boot handling, not the cmdline"
	"sid-cloud-amd64-default|sid-cloud-amd64|bios|||Debian unstable's newest cloud kernel (picked by name at capture time, see package_fetched): the 2026 layout, config in /usr/lib/modules/REL/"
	"sid-cloud-arm64-default|sid-cloud-arm64|aavmf|||arm64 under qemu-system-aarch64 -M virt with UEFI (AAVMF, ACPI: no device tree); kcore_kerneloffset in OBSERVED is the kernel's own KASLR offset"
	"sid-cloud-arm64-nokaslr|sid-cloud-arm64|aavmf|nokaslr||arm64 at its link address: _text here is the address the arm64 KASLR rule computes from the config"
	"deb12-6.1-cloud-ovmf-db-sigenforce|deb12-6.1-cloud|ovmf|module.sig_enforce=1||the test bed's module key added to the UEFI db (Secure Boot off): Debian's kernel trusts it through the .platform keyring, so the module signed by our key loads|db"
)

mkdir -p "$OUT"
python3 "$HERE/testbed.py" fetch >&2   # download/unpack once, before parallel boots
CACHE=${KHARDEN_TB_CACHE:-$REPO/.cache/testbed}
python3 -B -c "import sys; sys.path.insert(0, '$HERE'); import testbed; testbed.our_key()"
pids=()
for s in "${SCENARIOS[@]}"; do
	IFS='|' read -r name kernel fw cmdline sysctls note db <<<"$s"
	[[ $name =~ $FILTER ]] || continue
	args=(capture --ours-signer "${KHARDEN_TB_OURS_SIGNER:-default}" --name "$name" --kernel "$kernel" --firmware "$fw" --cmdline "$cmdline" --note "$note"
		--out "$OUT/$name")
	for kv in $sysctls; do args+=(--sysctl "$kv"); done
	[ "$db" = db ] && args+=(--db-cert "$CACHE/ourkey/cert.pem")
	python3 "$HERE/testbed.py" "${args[@]}" &
	pids+=($!)
	while [ "$(jobs -rp | wc -l)" -ge "$JOBS" ]; do wait -n || true; done
done
rc=0
for p in "${pids[@]}"; do wait "$p" || rc=1; done
exit $rc
