#!/usr/bin/env python3
"""Issue 16's proof against a real kernel: `kharden audit --readiness` inside QEMU guests of
Debian 12's 6.1 cloud kernel (testbed.py, TCG), one guest per blocker family and a clean one.

In each guest /init's script (busybox sh, as root) makes the guest look like an installed
system (/var, the kernel image at /boot/vmlinuz-<release>, the Debian-signed crc7.ko under
/lib/modules/<release>, debugfs and tracefs mounted), plants the scenario's blocker, runs

    kharden audit --readiness --format json --exit-zero --policy readiness-confidentiality.toml

then tries the scenario's action (load the module again, open /dev/mem, kexec_load, ...),
turns the failing rule's setting on, and tries the same action again:

  unsigned-module  ts_kmp.ko unsigned, on disk and loaded   sig_enforce=1        reload refused
  dev-mem          a process holds /dev/mem open (O_RDWR)   lockdown integrity   open refused
  kdump-lockdown   /etc/default/kdump-tools without -s      lockdown integrity   kexec_load -p refused
  kdump-sysctl     the same                                 kexec_load_disabled  kexec_load -p and
                                                                                 kexec_file_load -p refused
  hibernation      resume= on the command line              lockdown integrity   "disk" gone from
                                                                                 /sys/power/state, writing it refused
  bpf-kprobe       a process holds a kprobe BPF program     lockdown             loading it again and
                   (bpf_probe_read_kernel) attached to a    confidentiality      creating the kprobe refused
                   kprobe perf event
  perf-regs-intr   a process holds a perf event sampling    lockdown             perf_event_open of the
                   PERF_SAMPLE_REGS_INTR                    confidentiality      same kind refused
  debugfs          a process holds a debugfs file open      lockdown integrity   opening it again refused
  debugfs-readonly a process holds a debugfs file of mode   lockdown integrity   must keep working: readiness
                   0444 open read-only                                           must say unknown, not blocked
  bpf-write-user   a process holds a kprobe BPF program     lockdown integrity   loading it again refused
                   calling bpf_probe_write_user (named
                   from the kernel log)
  kprobe-event     a kprobe event in kprobe_events          lockdown             adding one refused
                                                            confidentiality
  tracefs-user     a process holds a tracefs file open      lockdown             opening it again refused
                                                            confidentiality
  kcore-reader     a process holds /proc/kcore open         lockdown             opening it again refused
                                                            confidentiality
  crash-kernel-    Debian's kernel loaded as the crash      kexec_load_disabled  replacing it refused
  loaded           kernel (kexec_file_load, crashkernel=)
  kexec-loaded     Debian's kernel loaded for a kexec       kexec_load_disabled  replacing it refused
                   reboot (kexec_file_load)
  kernel-log-      a process of uid 1000 holds /dev/kmsg    dmesg_restrict=1     opening it again as
  reader           open (dmesg_restrict 0 first)                                 uid 1000 refused
  clean            nothing planted                          all of the above     crc7.ko (Debian-signed,
                                                                                 on disk) still loads

Agreement: the rule under test fails, its readiness is `blocked` and names exactly the planted
things (kind and thing: module path, pid, file) while the action worked before and fails after;
in the clean guest every rule under test is `ready`, no finding names a blocker, and the action
works before and after. Anything else is a disagreement.

usage: readiness-guest.py --kharden BIN [--kernel deb12-6.1-cloud] [-j 2] [--only REGEX]
                          [--timeout S] [--report FILE] [--table FILE]
Exit status: 0 every scenario agrees, 1 a disagreement, 2 a scenario could not run.
"""
from __future__ import annotations

import argparse
import json
import re
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

sys.dont_write_bytecode = True  # no __pycache__ in the checkout
sys.path.insert(0, str(Path(__file__).resolve().parent))
import testbed  # noqa: E402

HERE = Path(__file__).resolve().parent
POLICY = HERE / "readiness-confidentiality.toml"
GUEST_POLICY = "/tb/readiness-confidentiality.toml"
CONFIDENTIALITY_RULE = "site-lockdown-confidentiality"

# Runs first in every guest. Each step's stdout, stderr and exit status go to /tmp/script-out.
PRELUDE = r"""
set -u
K=/tb/kharden
H=/tb/tbhelper
O=/tmp/script-out
REL=$(uname -r)
MOD=/lib/modules/$REL/kernel/lib
step() { n=$1; shift; "$@" > "$O/$n.out" 2> "$O/$n.err"; echo $? > "$O/$n.rc"; }
# hold NAME MARKER ARGS...: start `tbhelper ARGS` in the background; wait until its output has
# a line starting with MARKER (its descriptors are open then) or it has ended
hold() {
	n=$1; m=$2; shift 2
	$H "$@" > "$O/hold_$n.txt" 2>&1 &
	echo $! > "$O/hold_$n.pid"
	i=0
	while [ $i -lt 100 ] && ! grep -q "^$m " "$O/hold_$n.txt" && kill -0 "$(cat "$O/hold_$n.pid")" 2>/dev/null; do
		sleep 0.2; i=$((i + 1))
	done
}
# an installed system's layout: /var with dpkg's list (no kexec-tools among it), the module
# tree with a Debian-signed module (the kernel image the probe checks it against is in the job
# archive), debugfs and tracefs mounted
mkdir -p /var/lib/dpkg /var/crash "$MOD"
printf 'Package: busybox\nStatus: install ok installed\nVersion: 1:1.35.0-4+b3\n' > /var/lib/dpkg/status
cp /tb/mod/debian-signed.ko "$MOD/crc7.ko"
mount -t debugfs debugfs /sys/kernel/debug
mount -t tracefs tracefs /sys/kernel/tracing
"""

RUN = r"""
cat /proc/modules > "$O/modules_before.txt"
step readiness $K audit --readiness --format json --exit-zero --policy """ + GUEST_POLICY + r"""
proof > "$O/before.txt" 2> "$O/before.err"
enforce > "$O/enforce.txt" 2>&1
cat /sys/kernel/security/lockdown /sys/module/module/parameters/sig_enforce \
	/proc/sys/kernel/kexec_load_disabled > "$O/settings.txt" 2>&1
proof > "$O/after.txt" 2> "$O/after.err"
after_only > "$O/after_only.txt" 2>&1
dmesg | grep -o 'Lockdown: [^:]*: .* is restricted' > "$O/lockdown_log.txt"
for f in "$O"/hold_*.pid; do # holders still running at the end
	[ -e "$f" ] && { kill -0 "$(cat "$f")" 2>/dev/null && echo alive || echo gone; } > "${f%.pid}.alive"
done
true
"""

LOCK_INTEGRITY = "enforce() { echo integrity > /sys/kernel/security/lockdown; }\n"
LOCK_CONFIDENTIALITY = "enforce() { echo confidentiality > /sys/kernel/security/lockdown; }\n"
NO_AFTER_ONLY = "after_only() { :; }\n"
KDUMP_TOOLS = r"""
mkdir -p /etc/default
cat > /etc/default/kdump-tools <<'EOF'
# kdump-tools configuration: kdump enabled, KDUMP_KEXEC_ARGS not set, so kdump-config loads the
# crash kernel with `kexec -p` (the kexec_load system call)
USE_KDUMP=1
KDUMP_KERNEL=/var/lib/kdump/vmlinuz
KDUMP_INITRD=/var/lib/kdump/initrd.img
KDUMP_COREDIR="/var/crash"
EOF
"""


@dataclass
class Expect:
    """A blocker the rule under test must name: its kind and its thing (a regex, {pid:NAME}
    replaced by the pid of holder NAME), and the action that shows it breaks."""
    kind: str
    thing: str


@dataclass
class Scenario:
    name: str
    what: str  # what is planted, for the table
    rules: list[str]  # rules under test: must fail, and (planted) be blocked / (clean) ready
    setting: str  # what is turned on, for the table
    script: str  # plant + proof() + enforce() + after_only()
    expect: list[Expect] = field(default_factory=list)
    # proof() lines (first word) that must be OK before and, planted: fail after / clean: OK after
    actions: list[str] = field(default_factory=list)
    # after_only() lines that must fail (planted) or succeed (clean)
    after_refused: list[str] = field(default_factory=list)
    cmdline: str = ""
    # what the rule under test must list as not known (regexes as in Expect.thing) when the
    # planted thing may or may not break: verdict `unknown`, no blocker, and the action must
    # keep working (a `blocked` there would be a claim the kernel does not bear out)
    expect_unknown: list[str] = field(default_factory=list)
    mem: str = ""  # guest memory, when the default is not enough

    @property
    def clean(self) -> bool:
        return not self.expect


SCENARIOS = [
    Scenario(
        "unsigned-module", "ts_kmp.ko without its signature, on disk and loaded (taint E)",
        ["module-sig-enforced"], "`sig_enforce=1` (`/sys/module/module/parameters/sig_enforce`)",
        r"""
cp /tb/mod/unsigned.ko "$MOD/ts_kmp.ko"
$H finit "$MOD/ts_kmp.ko" > "$O/plant.txt"
proof() { rmmod ts_kmp 2>/dev/null; $H finit "$MOD/ts_kmp.ko"; }
enforce() { echo 1 > /sys/module/module/parameters/sig_enforce; }
""" + NO_AFTER_ONLY,
        [Expect("loaded-unsigned-module", r"module ts_kmp \(loaded, taint E in /proc/modules\)"),
         Expect("unsigned-module", r"/lib/modules/{rel}/kernel/lib/ts_kmp\.ko: unsigned")],
        ["finit_module"]),
    Scenario(
        "dev-mem", "a process holding `/dev/mem` open read-write",
        ["lockdown-runtime"], "lockdown `integrity`",
        r"""
hold devmem open_rw hold /dev/mem rw
proof() { $H open /dev/mem; }
""" + LOCK_INTEGRITY + NO_AFTER_ONLY,
        [Expect("dev-mem-user", r"process {pid:devmem} \(tbhelper\) holds /dev/mem open \(fd \d+\)")],
        ["open"]),
    Scenario(
        "kdump-lockdown", "`/etc/default/kdump-tools` with `USE_KDUMP=1`, no `-s`",
        ["lockdown-runtime"], "lockdown `integrity`",
        KDUMP_TOOLS + r"""
proof() { $H kexec-crash; }
""" + LOCK_INTEGRITY + NO_AFTER_ONLY,
        [Expect("kexec-load", r"kdump-tools loads its crash kernel with kexec_load, without -s "
                              r"\(/etc/default/kdump-tools: no KDUMP_KEXEC_ARGS\)")],
        ["kexec_load_crash"]),
    Scenario(
        "kdump-sysctl", "`/etc/default/kdump-tools` with `USE_KDUMP=1`, no `-s`",
        ["kexec-load-disabled"], "`kernel.kexec_load_disabled=1`",
        KDUMP_TOOLS + r"""
proof() { $H kexec-crash; $H kexec-file-crash; }
enforce() { echo 1 > /proc/sys/kernel/kexec_load_disabled; }
""" + NO_AFTER_ONLY,
        [Expect("kexec-user", r"kdump-tools loads a crash kernel at boot "
                              r"\(/etc/default/kdump-tools: no KDUMP_KEXEC_ARGS\)")],
        ["kexec_load_crash", "kexec_file_load_crash"]),
    Scenario(
        "hibernation", "`resume=/dev/vda2` on the kernel command line",
        ["lockdown-runtime"], "lockdown `integrity`",
        r"""
proof() { if grep -qw disk /sys/power/state; then echo "power_state_disk 0 OK"; else echo "power_state_disk 0 ABSENT"; fi; }
after_only() { $H write /sys/power/state disk; }
""" + LOCK_INTEGRITY,
        [Expect("hibernation", r"resume=/dev/vda2 on the kernel command line \(/proc/cmdline\)")],
        ["power_state_disk"], ["write"], cmdline="resume=/dev/vda2"),
    Scenario(
        "bpf-kprobe", "a process holding a kprobe BPF program (calls `bpf_probe_read_kernel`) attached "
        "to a kprobe perf event", [CONFIDENTIALITY_RULE], "lockdown `confidentiality`",
        r"""
hold bpf kprobe_attach bpf-kprobe hold
proof() { $H bpf-kprobe; }
""" + LOCK_CONFIDENTIALITY + NO_AFTER_ONLY,
        [Expect("tracing-bpf", r"process {pid:bpf} \(tbhelper\) holds a BPF kprobe program id \d+ \(fd \d+\)"),
         Expect("perf-event-user", r"process {pid:bpf} \(tbhelper, uid 0\) holds 1 perf event\(s\)")],
        ["bpf_prog_load", "kprobe_perf_event_open"]),
    Scenario(
        "perf-regs-intr", "a process holding a perf event sampling `PERF_SAMPLE_REGS_INTR`",
        [CONFIDENTIALITY_RULE], "lockdown `confidentiality`",
        r"""
hold perf perf_event_open_regs_intr perf-regs-intr hold
proof() { $H perf-regs-intr; }
after_only() { $H perf-count; }
""" + LOCK_CONFIDENTIALITY,
        [Expect("perf-event-user", r"process {pid:perf} \(tbhelper, uid 0\) holds 1 perf event\(s\)")],
        ["perf_event_open_regs_intr"]),
    Scenario(
        "debugfs", "a process holding `/sys/kernel/debug/fault_around_bytes` (mode 0644) open",
        ["lockdown-runtime"], "lockdown `integrity`",
        r"""
hold debugfs open hold /sys/kernel/debug/fault_around_bytes
proof() { $H open /sys/kernel/debug/fault_around_bytes; }
""" + LOCK_INTEGRITY + NO_AFTER_ONLY,
        [Expect("debugfs-user", r"process {pid:debugfs} \(tbhelper\) holds "
                                r"/sys/kernel/debug/fault_around_bytes open \(fd \d+\)")],
        ["open"]),
    Scenario(
        "debugfs-readonly", "a process holding `/sys/kernel/debug/wakeup_sources` (mode 0444, no "
        "ioctl or mmap) open read-only", ["lockdown-runtime"], "lockdown `integrity`",
        r"""
hold debugfs open hold /sys/kernel/debug/wakeup_sources
proof() { $H open /sys/kernel/debug/wakeup_sources; }
""" + LOCK_INTEGRITY + NO_AFTER_ONLY,
        [], ["open"],
        expect_unknown=[r"process {pid:debugfs} \(tbhelper\) holds /sys/kernel/debug/wakeup_sources "
                        r"open read-only \(mode 0444\): lockdown refuses it only if the file has ioctl or "
                        r"mmap, which /proc does not show"]),
    Scenario(
        "bpf-write-user", "a process holding a kprobe BPF program that calls `bpf_probe_write_user` "
        "(the kernel logs its loader)", ["lockdown-runtime"], "lockdown `integrity`",
        r"""
hold bwu bpf_prog_load_write_user bpf-write-user hold
proof() { $H bpf-write-user; }
""" + LOCK_INTEGRITY + NO_AFTER_ONLY,
        [Expect("bpf-write-user", r"process {pid:bwu} \(tbhelper\) loaded a BPF program that uses "
                                  r"bpf_probe_write_user \(\d+\.\d{6} s after boot, kernel log\); it still runs")],
        ["bpf_prog_load_write_user"]),
    Scenario(
        "kprobe-event", "a kprobe event `p:tbprobe __x64_sys_getppid` in `kprobe_events`",
        [CONFIDENTIALITY_RULE], "lockdown `confidentiality`",
        r"""
echo 'p:tbprobe __x64_sys_getppid' >> /sys/kernel/tracing/kprobe_events
N=0
proof() { N=$((N + 1)); $H write /sys/kernel/tracing/kprobe_events "p:tbprobe$N __x64_sys_getpid"; }
""" + LOCK_CONFIDENTIALITY + NO_AFTER_ONLY,
        [Expect("kprobe-event", r"kprobe event p:kprobes/tbprobe __x64_sys_getppid "
                                r"\(/sys/kernel/tracing/kprobe_events\)")],
        ["write"]),
    Scenario(
        "tracefs-user", "a process holding `/sys/kernel/tracing/trace` open",
        [CONFIDENTIALITY_RULE], "lockdown `confidentiality`",
        r"""
hold tracefs open hold /sys/kernel/tracing/trace
proof() { $H open /sys/kernel/tracing/trace; }
""" + LOCK_CONFIDENTIALITY + NO_AFTER_ONLY,
        [Expect("tracefs-user", r"process {pid:tracefs} \(tbhelper\) holds /sys/kernel/tracing/trace "
                                r"open \(fd \d+\)")],
        ["open"]),
    Scenario(
        "kcore-reader", "a process holding `/proc/kcore` open",
        [CONFIDENTIALITY_RULE], "lockdown `confidentiality`",
        r"""
hold kcore open hold /proc/kcore
proof() { $H open /proc/kcore; }
""" + LOCK_CONFIDENTIALITY + NO_AFTER_ONLY,
        [Expect("kcore-reader", r"process {pid:kcore} \(tbhelper\) holds /proc/kcore open \(fd \d+\)")],
        ["open"]),
    Scenario(
        "crash-kernel-loaded", "Debian's kernel loaded as the crash kernel (`kexec_file_load`, "
        "`crashkernel=160M`)", ["kexec-load-disabled"], "`kernel.kexec_load_disabled=1`",
        r"""
$H kexec-file-load-crash "/boot/vmlinuz-$REL" > "$O/plant.txt"
proof() { $H kexec-file-load-crash "/boot/vmlinuz-$REL"; }
enforce() { echo 1 > /proc/sys/kernel/kexec_load_disabled; }
""" + NO_AFTER_ONLY,
        [Expect("crash-kernel-loaded", r"a crash kernel is loaded \(/sys/kernel/kexec_crash_loaded = 1\)")],
        ["kexec_file_load_crash_image"], cmdline="crashkernel=160M", mem="1024M"),
    Scenario(
        "kexec-loaded", "Debian's kernel loaded for a kexec reboot (`kexec_file_load`)",
        ["kexec-load-disabled"], "`kernel.kexec_load_disabled=1`",
        r"""
$H kexec-file-load "/boot/vmlinuz-$REL" > "$O/plant.txt"
proof() { $H kexec-file-load "/boot/vmlinuz-$REL"; }
enforce() { echo 1 > /proc/sys/kernel/kexec_load_disabled; }
""" + NO_AFTER_ONLY,
        [Expect("kexec-user", r"a kernel is loaded for a kexec reboot \(/sys/kernel/kexec_loaded = 1\): "
                              r"it stays, but cannot be replaced or unloaded")],
        ["kexec_file_load_image"]),
    Scenario(
        "kernel-log-reader", "a process of uid 1000 holding `/dev/kmsg` open (`dmesg_restrict` set to 0 first: "
        "Debian's kernel starts at 1)", ["dmesg-restrict"], "`kernel.dmesg_restrict=1`",
        r"""
echo 0 > /proc/sys/kernel/dmesg_restrict
hold klog open runas 1000 $H hold /dev/kmsg
proof() { $H runas 1000 $H open /dev/kmsg; }
enforce() { echo 1 > /proc/sys/kernel/dmesg_restrict; }
""" + NO_AFTER_ONLY,
        [Expect("kernel-log-reader", r"process {pid:klog} \(tbhelper\) holds /dev/kmsg open \(fd \d+\)")],
        ["open"]),
    Scenario(
        "clean", "nothing (crc7.ko, Debian-signed, on disk)",
        ["module-sig-enforced", "lockdown-runtime", "kexec-load-disabled", CONFIDENTIALITY_RULE],
        "`sig_enforce=1`, `kexec_load_disabled=1`, lockdown `confidentiality`",
        r"""
proof() { rmmod crc7 2>/dev/null; $H finit "$MOD/crc7.ko"; }
enforce() {
	echo 1 > /sys/module/module/parameters/sig_enforce
	echo 1 > /proc/sys/kernel/kexec_load_disabled
	echo confidentiality > /sys/kernel/security/lockdown
}
""" + NO_AFTER_ONLY,
        [], ["finit_module"]),
]


def results(text: str) -> dict[str, str]:
    """tbhelper lines `<name> <errno> <ERRNAME>` -> {name: ERRNAME} (the last line of a name)."""
    out = {}
    for line in text.splitlines():
        f = line.split()
        if len(f) == 3 and f[1].lstrip("-").isdigit():
            out[f[0]] = f[2]
    return out


class Judge:
    def __init__(self, sc: Scenario):
        self.sc, self.rows = sc, []

    def check(self, what: str, ok: bool, detail: str = "") -> bool:
        self.rows.append({"scenario": self.sc.name, "check": what, "ok": bool(ok), "detail": detail[:1200]})
        return bool(ok)


def judge(sc: Scenario, res: testbed.Result) -> tuple[list[dict], dict]:
    """Checks of one guest, and its row of the docs table."""
    j, o = Judge(sc), testbed.script_outputs(res)
    rel = res.kernel.release
    pids = {Path(n).stem[len("hold_"):]: v.strip() for n, v in o.items() if n.startswith("hold_") and n.endswith(".pid")}
    for n, pid in sorted(pids.items()):
        held = o.get(f"hold_{n}.txt", "")
        j.check(f"holder {n} (pid {pid}) is running with its descriptors open",
                "OK" in held.split() and not re.search(r" E[A-Z0-9]+$", held, re.M), held)
    rc = o.get("readiness.rc", "?").strip()
    j.check("kharden audit --readiness exits 0", rc == "0", f"rc={rc} {o.get('readiness.err', '')[-600:]}")
    try:
        findings = {f["id"]: f for f in json.loads(o.get("readiness.out", ""))["findings"]}
    except (ValueError, KeyError) as e:
        j.check("the JSON output parses", False, f"{e}: {o.get('readiness.out', '')[:300]}")
        findings = {}
    verdicts = {}
    for rule in sc.rules:
        f = findings.get(rule)
        if not j.check(f"{rule} fails (the setting is off)", f is not None and f.get("status") == "fail",
                       json.dumps(f.get("evidence") if f else None)[:400]):
            continue
        r = f.get("readiness") or {}
        verdict = r.get("verdict")
        blockers = [(b.get("kind"), b.get("thing")) for b in r.get("blockers", [])]
        verdicts[rule] = (verdict, blockers)
        detail = json.dumps({"verdict": verdict, "blockers": blockers, "unknown": r.get("unknown")})
        if sc.expect_unknown:
            j.check(f"{rule}: readiness says unknown, with no blocker", verdict == "unknown" and not blockers,
                    detail)
            for u in sc.expect_unknown:
                pat = re.compile(re.sub(r"\{pid:(\w+)\}", lambda m: re.escape(pids.get(m.group(1), "?")), u))
                j.check(f"{rule}: says what it could not tell", any(pat.fullmatch(x) for x in r.get("unknown", [])),
                        f"want {pat.pattern}; {detail}")
            continue
        if sc.clean:
            j.check(f"{rule}: readiness says ready", verdict == "ready", detail)
            continue
        j.check(f"{rule}: readiness says blocked", verdict == "blocked", detail)
        wanted = []
        for e in sc.expect:
            pat = e.thing.replace("{rel}", re.escape(rel))
            pat = re.sub(r"\{pid:(\w+)\}", lambda m: re.escape(pids.get(m.group(1), "?")), pat)
            wanted.append((e.kind, re.compile(pat)))
        for kind, pat in wanted:
            j.check(f"{rule}: names the {kind} blocker", any(k == kind and pat.fullmatch(t or "") for k, t in blockers),
                    f"want {kind} {pat.pattern}; named {blockers}")
        extra = [(k, t) for k, t in blockers if not any(k == wk and p.fullmatch(t or "") for wk, p in wanted)]
        j.check(f"{rule}: names nothing that was not planted", not extra, f"also named: {extra}")
    if sc.clean and not sc.expect_unknown:
        named = {fid: f["readiness"]["blockers"] for fid, f in findings.items()
                 if (f.get("readiness") or {}).get("blockers")}
        j.check("no finding names a blocker in the clean guest", not named, json.dumps(named)[:1000])
    before, after = results(o.get("before.txt", "")), results(o.get("after.txt", ""))
    after_only = results(o.get("after_only.txt", ""))
    settings = " ".join(o.get("settings.txt", "").split())
    enforce_err = o.get("enforce.txt", "").strip()
    j.check("the setting was turned on", not enforce_err, f"{enforce_err}; now: {settings}")
    for a in sc.actions:
        j.check(f"kernel: {a} works before the setting", before.get(a) == "OK", o.get("before.txt", "") + o.get("before.err", ""))
        if sc.clean:
            j.check(f"kernel: {a} still works after the setting", after.get(a) == "OK", o.get("after.txt", ""))
        else:
            j.check(f"kernel: {a} is refused after the setting",
                    after.get(a) not in (None, "OK"), o.get("after.txt", "") + o.get("after.err", ""))
    for a in sc.after_refused:
        j.check(f"kernel: {a} is refused after the setting", after_only.get(a) not in (None, "OK"),
                o.get("after_only.txt", ""))
    kernel_did = "; ".join(f"{a}: {before.get(a, '?')} → {after.get(a, '?')}" for a in sc.actions)
    if after_only:
        kernel_did += "; then " + ", ".join(f"{k} {v}" for k, v in after_only.items())
    for line in o.get("after.err", "").splitlines():  # the verifier's reason
        if line.startswith("unknown func"):
            kernel_did += f" (verifier: {line.strip()})"
    reasons = sorted({m.group(1) for m in re.finditer(r"Lockdown: \S+: (.*) is restricted",
                                                         o.get("lockdown_log.txt", ""))})
    verdict_txt = "; ".join(
        f"`{rule}` {v}" + (f" ({', '.join(sorted({k for k, _ in b}))})" if b else "")
        for rule, (v, b) in verdicts.items())
    ok = all(r["ok"] for r in j.rows)
    row = {"scenario": sc.name, "planted": sc.what, "readiness": verdict_txt, "setting": sc.setting,
           "kernel": kernel_did, "log": reasons, "agree": ok, "wall_seconds": round(res.wall, 1),
           "blockers": {rule: b for rule, (_, b) in verdicts.items()},
           "verifier": o.get("after.err", "").strip().splitlines()[:1] if sc.name.startswith("bpf-") else []}
    return j.rows, row


def table(rows: list[dict], kharden: Path, k: testbed.Kernel) -> str:
    head = [f"Generated by `scripts/testbed/readiness-guest.py --table` on "
            f"{time.strftime('%Y-%m-%d', time.gmtime())}, `{k.package}` {k.version}:", "",
            "| guest | planted | readiness of the rule under test | turned on | what the kernel did "
            "(before → after) | kernel log (`Lockdown: ... is restricted`) | agree |",
            "|---|---|---|---|---|---|---|"]
    for r in rows:
        log = "; ".join(r["log"]) or "–"
        head.append(f"| `{r['scenario']}` | {r['planted']} | {r['readiness']} | {r['setting']} | "
                    f"{r['kernel']} | {log} | {'yes' if r['agree'] else '**NO**'} |")
    return "\n".join(head) + "\n"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--kharden", type=Path, required=True)
    ap.add_argument("--kernel", default="deb12-6.1-cloud")
    ap.add_argument("-j", type=int, default=2)
    ap.add_argument("--only", default="", help="run the scenarios whose name matches this regex")
    ap.add_argument("--timeout", type=int, default=300)
    ap.add_argument("--report", type=Path)
    ap.add_argument("--table", type=Path, help="write the Markdown table of docs/testbed.md here")
    a = ap.parse_args()
    kharden = a.kharden.resolve()
    k = testbed.fetch(a.kernel)
    files = [(f"/boot/vmlinuz-{k.release}", k.vmlinuz), (GUEST_POLICY, POLICY)]
    chosen = [s for s in SCENARIOS if re.search(a.only, s.name)]

    def one(sc: Scenario) -> tuple[list[dict], dict | None]:
        job = testbed.Job(a.kernel, cmdline=sc.cmdline, mode="run", kharden=kharden,
                          script=PRELUDE + sc.script + RUN, files=files, timeout=a.timeout)
        if sc.mem:
            job.mem = sc.mem
        try:
            res = testbed.boot(job, testbed.workdir_for("readiness-" + sc.name))
            return judge(sc, res)
        except (testbed.BootError, RuntimeError, ValueError) as e:
            return [{"scenario": sc.name, "check": "boot and run", "ok": None, "detail": str(e)[-1500:]}], None

    t0 = time.monotonic()
    with ThreadPoolExecutor(max_workers=max(1, a.j)) as ex:
        done = list(ex.map(one, chosen))
    rows = [r for rs, _ in done for r in rs]
    table_rows = [t for _, t in done if t]
    for r in rows:
        flag = {True: "ok", False: "FAIL", None: "ERROR"}[r["ok"]]
        print(f"{r['scenario']:<16} {flag:<6} {r['check']}" + ("" if r["ok"] else f"\n{'':<23}{r['detail']}"))
    failed = sum(r["ok"] is False for r in rows)
    errors = sum(r["ok"] is None for r in rows)
    print(f"readiness-guest: {len(chosen)} guests, {len(rows)} checks, {failed} failed, {errors} errors, "
          f"{time.monotonic() - t0:.0f} s")
    if a.report:
        a.report.write_text(json.dumps({"checks": rows, "scenarios": table_rows}, indent=2) + "\n")
    if a.table:
        a.table.write_text(table(table_rows, kharden, k))
    return 2 if errors else (1 if failed else 0)


if __name__ == "__main__":
    sys.exit(main())
