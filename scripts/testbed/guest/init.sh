#!/bin/busybox sh
# shellcheck shell=sh disable=SC2016,SC2154
#   (awk programs are single-quoted on purpose; RUN_* variables arrive through eval)
# /init of the kharden test bed guest (scripts/testbed/testbed.py builds the initramfs).
#
# Order matters: optional runtime sysctl writes -> capture (state as booted) -> kharden runs ->
# experiments that change kernel state (module loads, kexec probe) -> emit -> power off.
# Results go to the second serial port (/dev/ttyS1) as base64 blocks between
#   @@TB-BEGIN <name>  /  @@TB-END <name>
# so kernel messages on the console (ttyS0) never mix with them. The host parses nothing else.
/bin/busybox --install -s /bin
export PATH=/bin
umask 022
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t tmpfs tmpfs /tmp
mount -t securityfs securityfs /sys/kernel/security 2>/dev/null
T0=$(cut -d' ' -f1 /proc/uptime)

# The job: MODE (capture|run), SYSCTL_PRE, RUN_COUNT, RUN_<i>_{ARGS,UID,PHASE}
MODE=capture
if [ -r /tb/job ]; then . /tb/job; else echo "tb: /tb/job missing" > /dev/console; fi

OUT=${TB_OUT:-/dev/ttyS1} # arm64 (-M virt): /dev/hvc0, set by the job
stty -F "$OUT" raw -echo 115200 2>/dev/null
emit() { # emit NAME FILE
	{ echo "@@TB-BEGIN $1"; base64 < "$2"; echo "@@TB-END $1"; } > "$OUT"
}
OBS=/tmp/OBSERVED
LOG=/tmp/guest.log
obs() { echo "$1=$2" >> "$OBS"; }
log() { echo "$*" >> "$LOG"; }
H=/tb/tbhelper
# "finit_module 129 EKEYREJECTED" -> "EKEYREJECTED"
res() { "$@" 2>/dev/null | awk '{print $3}'; }

obs uptime_at_init "$T0"
obs kernel_release "$(cat /proc/sys/kernel/osrelease)"
obs arch "$(uname -m)"

# 1. runtime sysctl writes requested by the scenario (recorded: they are part of the fixture's story)
for kv in $SYSCTL_PRE; do
	k=${kv%%=*}; v=${kv#*=}
	if echo "$v" > "/proc/sys/$(echo "$k" | tr . /)"; then r=ok; else r=failed; fi
	log "sysctl-pre $k=$v $r"
	obs "sysctl_pre.$k" "$v:$r"
done

# 2. capture: copy every file kharden reads, same relative paths, values as read
S=/tmp/snap
cpf() { # cpf SRC [DST-relative]
	d="$S${2:-$1}"
	mkdir -p "${d%/*}"
	cat "$1" > "$d" 2>/dev/null || rm -f "$d"
}
capture() {
	mkdir -p "$S"
	cpf /proc/cmdline
	cpf /proc/version
	cpf /proc/modules
	$H copy "$S" /proc/sys/kernel /proc/sys/vm /proc/sys/fs /proc/sys/user /proc/sys/net/core \
		/proc/sys/dev/tty 2>>"$LOG"
	mkdir -p "$S/proc"
	# root's view (kptr_restrict/perf_event_paranoid permitting), trimmed
	{ head -n 100 /proc/kallsyms; grep -E ' (_text|_stext|selinux_state)$' /proc/kallsyms; } \
		| awk '!seen[$0]++' > "$S/proc/kallsyms"
	for f in /sys/kernel/security/lockdown /sys/kernel/security/lsm \
		/sys/module/module/parameters/sig_enforce /sys/kernel/boot_params/data \
		/sys/kernel/kexec_loaded /sys/kernel/kexec_crash_loaded; do
		[ -e "$f" ] && cpf "$f"
	done
}
[ "$MODE" = run ] || capture

# EFI variables (needs efivarfs, a module on Debian). Loaded after proc/modules was copied.
if [ -d /sys/firmware/efi ]; then
	obs efi 1
	if ! grep -qw efivarfs /proc/filesystems; then
		obs insmod_efivarfs "$(res $H finit /tb/mod/efivarfs.ko)"
	fi
	mount -t efivarfs efivarfs /sys/firmware/efi/efivars 2>>"$LOG"
	for v in SecureBoot-8be4df61-93ca-11d2-aa0d-00e098032b8c SetupMode-8be4df61-93ca-11d2-aa0d-00e098032b8c \
		MokSBStateRT-605dab50-e046-4300-abb6-3dd810dd8b23; do
		f=/sys/firmware/efi/efivars/$v
		if [ -e "$f" ]; then
			obs "efivar.${v%%-*}" "$(hexdump -v -e '1/1 "%02x"' "$f")"
			[ "$MODE" = run ] || cpf "$f"
		else
			obs "efivar.${v%%-*}" absent
		fi
	done
else
	obs efi 0
fi
T1=$(cut -d' ' -f1 /proc/uptime)

# 3. kharden runs (as root unless RUN_<i>_UID says otherwise; RUN_<i>_PHASE=after runs once the
#    experiments below have changed the kernel, e.g. to see the taint of the unsigned module)
run_phase() {
	i=1
	set -f # arguments are split on blanks, never globbed
	while [ "$i" -le "${RUN_COUNT:-0}" ]; do
		eval "args=\$RUN_${i}_ARGS; uid=\$RUN_${i}_UID; phase=\${RUN_${i}_PHASE:-before}"
		if [ "$phase" = "$1" ]; then
			if [ -n "$uid" ] && [ "$uid" != 0 ]; then
				# shellcheck disable=SC2086
				$H runas "$uid" /tb/kharden $args > "/tmp/run$i.out" 2> "/tmp/run$i.err"
			else
				# shellcheck disable=SC2086
				/tb/kharden $args > "/tmp/run$i.out" 2> "/tmp/run$i.err"
			fi
			echo $? > "/tmp/run$i.rc"
		fi
		i=$((i + 1))
	done
	set +f
}
run_phase before
# 3b. the job's script (testbed.Job.script), as root, before the experiments see the kernel
if [ -r /tb/script ]; then
	mkdir -p /tmp/script-out
	sh /tb/script > /tmp/script.out 2> /tmp/script.err
	echo $? > /tmp/script.rc
fi
T2=$(cut -d' ' -f1 /proc/uptime)

# 4. ground truth: what the kernel does (after capture and runs: some of this changes state)
lock=$(sed -n 's/.*\[\(.*\)\].*/\1/p' /sys/kernel/security/lockdown 2>/dev/null)
obs lockdown "${lock:-absent}"
obs sig_enforce "$(cat /sys/module/module/parameters/sig_enforce 2>/dev/null || echo absent)"
obs kptr_restrict "$(cat /proc/sys/kernel/kptr_restrict)"
obs dmesg_restrict "$(cat /proc/sys/kernel/dmesg_restrict)"
obs perf_event_paranoid "$(cat /proc/sys/kernel/perf_event_paranoid)"
obs kallsyms_text_root "$(awk '$3 == "_text" {print $1}' /proc/kallsyms)"
obs kallsyms_text_nobody "$($H runas 65534 /bin/awk '$3 == "_text" {print $1}' /proc/kallsyms)"
# KASLR as the kernel itself states it: KERNELOFFSET in the VMCOREINFO note of /proc/kcore's
# ELF header (root; refused under lockdown=confidentiality; x86 writes it only when randomised)
obs kcore_kerneloffset "$(head -c 65536 /proc/kcore 2>/dev/null | strings | sed -n 's/^KERNELOFFSET=//p')"
# arm64: the seed the EFI stub or boot loader put in the device tree (the kernel zeroes it once read)
f=/sys/firmware/devicetree/base/chosen/kaslr-seed
if [ -e "$f" ]; then obs dt_kaslr_seed "$(hexdump -v -e '1/1 "%02x"' "$f")"; else obs dt_kaslr_seed absent; fi
# %pK (kptr_restrict's own subject): the sk column of /proc/net/netlink
obs pk_netlink_root "$(awk 'NR == 2 {print $1}' /proc/net/netlink)"
obs pk_netlink_nobody "$($H runas 65534 /bin/awk 'NR == 2 {print $1}' /proc/net/netlink)"
obs dmesg_nobody "$(res $H runas 65534 $H syslog)"
obs kexec_load_nobody "$(res $H runas 65534 $H kexec)"
obs boot_params_secure_boot "$(dd if=/sys/kernel/boot_params/data bs=1 skip=492 count=1 2>/dev/null | hexdump -v -e '1/1 "%u"')"
obs boot_params_loadflags "$(dd if=/sys/kernel/boot_params/data bs=1 skip=529 count=1 2>/dev/null | hexdump -v -e '1/1 "0x%02x"')"
obs devmem_open "$(res $H open /dev/mem)"
obs kcore_read "$(res $H open /proc/kcore read)"
obs tainted_before "$(cat /proc/sys/kernel/tainted)"
# Each test module is loaded, looked at and unloaded again, so "ours" may be any module
# (even crc7 or ts_kmp). Taint is sticky: tainted_after is the sum of all loads.
try_load() { # try_load KEY FILE: one load attempt; result name, errno, the module's taint
	before=$(cut -d' ' -f1 /proc/modules | sort)
	l=$($H finit "$2" 2>/dev/null)
	obs "insmod_$1" "$(echo "$l" | awk '{print $3}')"
	obs "insmod_$1_errno" "$(echo "$l" | awk '{print $2}')"
	for m in $(cut -d' ' -f1 /proc/modules | sort); do
		echo "$before" | grep -qx "$m" && continue
		obs "insmod_$1_module" "$m"
		obs "insmod_$1_taint" "$(cat "/sys/module/$m/taint" 2>/dev/null)"
		[ "$1" = debian_signed ] &&
			obs modules_addr_nobody "$($H runas 65534 /bin/awk -v m="$m" '$1 == m {print $6}' /proc/modules)"
		rmmod "$m" 2>>"$LOG"
	done
	obs "tainted_after_$1" "$(cat /proc/sys/kernel/tainted)"
}
try_load debian_signed /tb/mod/debian-signed.ko
try_load unsigned /tb/mod/unsigned.ko
if [ -e /tb/mod/ours.ko ]; then
	try_load ours /tb/mod/ours.ko
else
	obs insmod_ours absent
fi
for f in /tb/mod/x-*.ko; do # extra modules of the job (testbed.Job.extra_kos)
	[ -e "$f" ] || continue
	k=${f##*/x-}
	try_load "x_${k%.ko}" "$f"
done
obs tainted_after "$(cat /proc/sys/kernel/tainted)"
run_phase after
obs kexec_load_root "$(res $H kexec)"
T3=$(cut -d' ' -f1 /proc/uptime)
obs uptime_capture_done "$T1"
obs uptime_runs_done "$T2"
obs uptime_end "$T3"
dmesg > /tmp/dmesg.txt 2>&1

# 5. emit
if [ -d "$S" ]; then
	(cd "$S" && tar -cf /tmp/snap.tar .) && emit snapshot.tar /tmp/snap.tar
fi
i=1
while [ "$i" -le "${RUN_COUNT:-0}" ]; do
	emit "run$i.out" "/tmp/run$i.out"
	emit "run$i.err" "/tmp/run$i.err"
	emit "run$i.rc" "/tmp/run$i.rc"
	i=$((i + 1))
done
if [ -r /tmp/script.rc ]; then
	emit script.out /tmp/script.out
	emit script.err /tmp/script.err
	emit script.rc /tmp/script.rc
	(cd /tmp/script-out && tar -cf /tmp/script-out.tar .) && emit script-out.tar /tmp/script-out.tar
fi
touch "$LOG"
emit OBSERVED "$OBS"
emit guest.log "$LOG"
emit dmesg.txt /tmp/dmesg.txt
echo "@@TB-DONE" > "$OUT"
sync
poweroff -f
