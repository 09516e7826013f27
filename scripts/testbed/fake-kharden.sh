#!/bin/sh
# Stand-in for `kharden audit --format json --exit-zero [--root DIR]`, used to develop and
# self-test the e2e driver (scripts/testbed/e2e.py --fake) before the real audit existed.
# Busybox sh + awk only, so it runs in the guest. Verdicts follow the kernel's own rules:
#   module-sig-enforced  pass if sig_enforce=Y or lockdown >= integrity (both refuse unsigned)
#   kptr-restrict        pass if kernel.kptr_restrict >= 1 (%pK zeros for readers without CAP_SYSLOG)
#   kallsyms-hidden      pass if an unprivileged reader gets zeros from /proc/kallsyms:
#                        kptr_restrict >= 1, or kptr_restrict = 0 with perf_event_paranoid > 1
#   kaslr-runtime        pass if _text is not the link address (x86_64 0xffffffff81000000, arm64 0xffff800080000000), else
#                        boot_params loadflags KASLR_FLAG; unknown when neither is readable
#   lockdown-runtime     pass at integrity or confidentiality
#   dmesg-restrict       pass if kernel.dmesg_restrict = 1
#   kexec-load-disabled  pass if kernel.kexec_load_disabled = 1 or lockdown >= integrity
#   secure-boot          pass if boot_params.secure_boot = 3 (arm64: the SecureBoot variable is 1); not_applicable without EFI
#   no-unsigned-module-loaded  pass if taint bit E (8192) is clear
R=
while [ $# -gt 0 ]; do
	case $1 in
	audit) ;;
	--root) R=${2%/}; shift ;;
	--root=*) R=${1#--root=}; R=${R%/} ;;
	--format | --format=* | --exit-zero | --all) [ "$1" = --format ] && shift ;;
	*) echo "fake-kharden: unsupported argument $1" >&2; exit 2 ;;
	esac
	shift
done
rd() { cat "$R$1" 2>/dev/null; }
finding() { # id status evidence...
	id=$1 st=$2; shift 2
	ev=
	for e in "$@"; do ev="$ev${ev:+,}\"$(echo "$e" | sed 's/\\/\\\\/g; s/"/\\"/g')\""; done
	echo "{\"id\":\"$id\",\"status\":\"$st\",\"evidence\":[$ev]}"
}
lock=$(rd /sys/kernel/security/lockdown | sed -n 's/.*\[\(.*\)\].*/\1/p')
sig=$(rd /sys/module/module/parameters/sig_enforce)
kptr=$(rd /proc/sys/kernel/kptr_restrict)
perf=$(rd /proc/sys/kernel/perf_event_paranoid)
text=$(rd /proc/kallsyms | awk '$3 == "_text" {print $1; exit}')
dm=$(rd /proc/sys/kernel/dmesg_restrict)
tn=$(rd /proc/sys/kernel/tainted)
kx=$(rd /proc/sys/kernel/kexec_load_disabled)
sbb=$(dd if="$R/sys/kernel/boot_params/data" bs=1 skip=492 count=1 2>/dev/null | od -An -tu1 | tr -d ' ')
lf=$(dd if="$R/sys/kernel/boot_params/data" bs=1 skip=529 count=1 2>/dev/null | od -An -tu1 | tr -d ' ')
# arm64 has no boot_params: the SecureBoot variable's value byte (after 4 attribute bytes)
sbv=$(dd if="$R/sys/firmware/efi/efivars/SecureBoot-8be4df61-93ca-11d2-aa0d-00e098032b8c" bs=1 skip=4 count=1 2>/dev/null | od -An -tu1 | tr -d ' ')

case $lock in none) ls=fail ;; integrity | confidentiality) ls=pass ;; *) ls=unknown ;; esac
if [ "$sig" = Y ] || [ "$ls" = pass ]; then ms=pass; elif [ "$sig" = N ]; then ms=fail; else ms=unknown; fi
if [ -z "$kptr" ]; then ks=unknown; elif [ "$kptr" -ge 1 ]; then ks=pass; else ks=fail; fi
if [ -z "$kptr" ]; then hs=unknown; elif [ "$kptr" -ge 1 ] || [ "${perf:-0}" -gt 1 ]; then hs=pass; else hs=fail; fi
if [ -z "$tn" ]; then us=unknown; elif [ $((tn & 8192)) -ne 0 ]; then us=fail; else us=pass; fi
case $dm in 1) ds=pass ;; 0) ds=fail ;; *) ds=unknown ;; esac
if [ "$kx" = 1 ] || [ "$ls" = pass ]; then xs=pass; elif [ "$kx" = 0 ]; then xs=fail; else xs=unknown; fi
if [ "$sbb" = 3 ] || [ "$sbv" = 1 ]; then ss=pass; elif [ ! -d "$R/sys/firmware/efi" ]; then ss=not_applicable
elif [ -n "$sbb$sbv" ]; then ss=fail; else ss=unknown; fi
if [ -n "$text" ] && [ "$text" != 0000000000000000 ]; then
	# link addresses: x86_64, and arm64 from 6.5 with 48/52-bit VAs
	case $text in ffffffff81000000 | ffff800080000000) as=fail ;; *) as=pass ;; esac
elif [ -n "$lf" ]; then
	if [ $((lf & 2)) -ne 0 ]; then as=pass; else as=fail; fi
else as=unknown; fi
{
	printf '{"schema":"kharden.audit/2","generator":"fake-kharden.sh","findings":['
	finding kaslr-runtime "$as" "_text=${text:-?}" "loadflags=${lf:-?}"; printf ,
	finding dmesg-restrict "$ds" "kernel.dmesg_restrict=${dm:-?}"; printf ,
	finding kallsyms-hidden "$hs" "kernel.kptr_restrict=${kptr:-?}" "kernel.perf_event_paranoid=${perf:-?}"; printf ,
	finding kexec-load-disabled "$xs" "kernel.kexec_load_disabled=${kx:-?}" "lockdown=[${lock:-?}]"; printf ,
	finding kptr-restrict "$ks" "kernel.kptr_restrict=${kptr:-?}"; printf ,
	finding lockdown-runtime "$ls" "lockdown=[${lock:-?}]"; printf ,
	finding module-sig-enforced "$ms" "sig_enforce=${sig:-?}" "lockdown=[${lock:-?}]"; printf ,
	finding no-unsigned-module-loaded "$us" "kernel.tainted=${tn:-?}"; printf ,
	finding secure-boot "$ss" "boot_params.secure_boot=${sbb:-?}"
	printf ']}\n'
} | tr -d '\n'
echo
