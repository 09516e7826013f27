#!/usr/bin/env python3
"""End-to-end checks: kharden's verdicts held against what a real kernel does (issue 4 §3).

Each scenario boots a Debian kernel under QEMU (testbed.py) with kharden inside, runs
`kharden audit --format json --exit-zero` as root and as uid 65534, then lets the kernel show
the truth (scripts/testbed/guest/init.sh writes it to OBSERVED), then runs the audit once more
as root after the test modules were loaded:

  module-sig-enforced  kernel: finit_module of an unsigned module is refused
  kaslr-runtime        kernel: root's _text differs from the link address 0xffffffff81000000
                       (KASLR_FLAG in boot_params loadflags when root sees zeros too); arm64:
                       KERNELOFFSET in the VMCOREINFO note of /proc/kcore is not 0
  lockdown-runtime     kernel: open("/dev/mem") is refused (lockdown >= integrity); the level
                       named in kharden's evidence must be the one in securityfs
  kallsyms-hidden      kernel: uid 65534 reads zeros for _text in /proc/kallsyms
  kptr-restrict        kernel: uid 65534 reads zeros for a %pK field (/proc/net/netlink sk)
  dmesg-restrict       kernel: syslog(READ_ALL) as uid 65534 is refused
  kexec-load-disabled  kernel: kexec_load(0, 0, NULL, 0) as root is refused
  secure-boot          kernel: boot_params.secure_boot == 3 (fail, or not_applicable without EFI)
  no-unsigned-module-loaded  kernel: taint bit E (13), before and after the unsigned load

Kernels: Debian 12's 6.1 and 6.12 (amd64), and Debian unstable's newest cloud kernel on amd64
and on arm64 (qemu-system-aarch64 -M virt, UEFI; the guest runs an aarch64 kharden given by
--kharden-arm64). x86-only facts (boot_params: Secure Boot byte, KASLR_FLAG) are not judged on
arm64, where the kernel has no boot_params.

A root verdict must equal the kernel's. An unprivileged verdict may be "unknown" but never the
wrong pass/fail. --offline runs the same comparison on the committed snapshot trees with kharden
on the host (`kharden audit --root TREE`), no QEMU.

usage: e2e.py [--kharden BIN | --fake] [--kharden-arm64 BIN] [--offline] [-j N] [--only REGEX]
              [--report FILE]
       e2e.py --self-test
Exit status: 0 all agree, 1 a disagreement, 2 a scenario could not run.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

sys.dont_write_bytecode = True  # no __pycache__ in the checkout
sys.path.insert(0, str(Path(__file__).resolve().parent))
import testbed  # noqa: E402

HERE = Path(__file__).resolve().parent
SNAPSHOTS = testbed.REPO / "crates" / "kharden" / "tests" / "fixtures" / "snapshots"
LINK_TEXT = "ffffffff81000000"
AUDIT_ARGS = ["audit", "--format", "json", "--exit-zero"]


@dataclass
class Scenario:
    name: str
    kernel: str
    firmware: str = "bios"
    cmdline: str = ""
    sysctl: list[str] = field(default_factory=list)
    db_cert: bool = False  # our module key in the UEFI db (Debian trusts .platform for modules)


SCENARIOS = [
    Scenario("6.1-cloud-default", "deb12-6.1-cloud"),
    Scenario("6.1-cloud-sigenforce", "deb12-6.1-cloud", cmdline="module.sig_enforce=1"),
    Scenario("6.1-cloud-integrity", "deb12-6.1-cloud", cmdline="lockdown=integrity"),
    Scenario("6.1-cloud-confidentiality", "deb12-6.1-cloud", cmdline="lockdown=confidentiality"),
    Scenario("6.1-cloud-nokaslr", "deb12-6.1-cloud", cmdline="nokaslr"),
    Scenario("6.1-cloud-kptr1", "deb12-6.1-cloud", sysctl=["kernel.kptr_restrict=1"]),
    Scenario("6.1-cloud-kptr2", "deb12-6.1-cloud", sysctl=["kernel.kptr_restrict=2", "kernel.dmesg_restrict=1"]),
    # kptr_restrict=0 with perf_event_paranoid<=1: the one setting where nobody sees real addresses
    Scenario("6.1-cloud-kptr0-perf1", "deb12-6.1-cloud", sysctl=["kernel.perf_event_paranoid=1"]),
    Scenario("6.1-generic-default", "deb12-6.1-generic"),
    Scenario("6.12-cloud-default", "deb12-6.12-cloud"),
    Scenario("6.12-cloud-nokaslr-sigenforce", "deb12-6.12-cloud", cmdline="nokaslr module.sig_enforce=1"),
    Scenario("6.12-cloud-ovmf", "deb12-6.12-cloud", firmware="ovmf"),
    # modsign: our key trusted through the UEFI db, enforcement on; our module must load
    Scenario("6.1-cloud-ovmf-db-sigenforce", "deb12-6.1-cloud", firmware="ovmf",
             cmdline="module.sig_enforce=1", db_cert=True),
    Scenario("6.12-cloud-ovmf-sb", "deb12-6.12-cloud", firmware="ovmf-sb"),
    # Debian unstable's newest cloud kernel (7.x when written), amd64 and arm64
    Scenario("sid-cloud-default", "sid-cloud-amd64"),
    Scenario("sid-cloud-nokaslr-sigenforce", "sid-cloud-amd64", cmdline="nokaslr module.sig_enforce=1"),
    Scenario("sid-cloud-integrity-kptr2", "sid-cloud-amd64", cmdline="lockdown=integrity",
             sysctl=["kernel.kptr_restrict=2"]),
    Scenario("sid-arm64-default", "sid-cloud-arm64", firmware="aavmf"),
    Scenario("sid-arm64-nokaslr-sigenforce", "sid-cloud-arm64", firmware="aavmf",
             cmdline="nokaslr module.sig_enforce=1"),
    Scenario("sid-arm64-integrity-kptr2", "sid-cloud-arm64", firmware="aavmf", cmdline="lockdown=integrity",
             sysctl=["kernel.kptr_restrict=2"]),
]


def zeros(v: str) -> bool:
    return v == "" or set(v) == {"0"}


def truth(obs: dict[str, str]) -> dict[str, tuple[set[str], str]]:
    """rule id -> (accepted statuses, what the kernel did). A rule whose observation is missing
    (older trees) is left out."""
    t: dict[str, tuple[set[str], str]] = {}
    u = obs.get("insmod_unsigned", "?")
    taint = int(obs.get("tainted_after_unsigned", obs.get("tainted_after", "0")) or 0)
    if u == "OK":
        t["module-sig-enforced"] = ({"fail"}, f"unsigned module loaded, tainted={taint}"
                                    + (" (E)" if taint & 8192 else " (E MISSING)"))
    else:
        t["module-sig-enforced"] = ({"pass"}, f"unsigned module refused: {u}")
    if "pk_netlink_nobody" in obs:
        pk = obs["pk_netlink_nobody"]
        t["kptr-restrict"] = ({"pass"} if zeros(pk) else {"fail"},
                              f"uid 65534 reads %pK (/proc/net/netlink sk) as {pk or '(none)'}")
    nob = obs.get("kallsyms_text_nobody", "")
    t["kallsyms-hidden"] = ({"pass"} if zeros(nob) else {"fail"}, f"uid 65534 sees _text={nob or '(none)'}")
    root = obs.get("kallsyms_text_root", "")
    if obs.get("arch") == "aarch64":
        # no boot_params and a link address that moves with the kernel version: the kernel's own
        # KERNELOFFSET (root; absent when /proc/kcore is refused, then nothing is judged)
        off = obs.get("kcore_kerneloffset", "")
        if off:
            t["kaslr-runtime"] = ({"fail"} if int(off, 16) == 0 else {"pass"},
                                  f"VMCOREINFO KERNELOFFSET={off}, root sees _text={root or '(none)'}")
    elif not zeros(root):
        t["kaslr-runtime"] = ({"fail"} if root == LINK_TEXT else {"pass"}, f"root sees _text={root}")
    else:
        lf = int(obs.get("boot_params_loadflags", "0x0"), 16)
        t["kaslr-runtime"] = ({"pass"} if lf & 2 else {"fail"}, f"root _text hidden; loadflags={lf:#x}")
    dm = obs.get("devmem_open", "?")
    t["lockdown-runtime"] = ({"fail"} if dm == "OK" else {"pass"},
                             f"open(/dev/mem)={dm}, securityfs [{obs.get('lockdown')}]")
    dn = obs.get("dmesg_nobody", "?")
    t["dmesg-restrict"] = ({"fail"} if dn == "OK" else {"pass"}, f"syslog(READ_ALL) as uid 65534: {dn}")
    kx = obs.get("kexec_load_root", "?")
    t["kexec-load-disabled"] = ({"fail"} if kx == "OK" else {"pass"}, f"kexec_load as root: {kx}")
    sb = obs.get("boot_params_secure_boot", "")
    if sb:
        on = sb == "3"
        # off: "fail", or "not_applicable" when the machine did not boot through UEFI at all
        t["secure-boot"] = ({"pass"} if on else ({"fail"} | ({"not_applicable"} if obs.get("efi") == "0" else set())),
                            f"boot_params.secure_boot={sb} (3 = enabled), efi={obs.get('efi')}")
    elif obs.get("arch") == "aarch64" and obs.get("efivar.SecureBoot", "absent") != "absent":
        # no boot_params on arm64: the firmware's SecureBoot variable (attributes + 1 value byte)
        v = obs["efivar.SecureBoot"]
        t["secure-boot"] = ({"pass"} if v.endswith("01") else {"fail"}, f"efivarfs SecureBoot={v}")
    t["no-unsigned-module-loaded"] = (
        {"fail"} if int(obs.get("tainted_before", "0") or 0) & 8192 else {"pass"},
        f"kernel.tainted={obs.get('tainted_before')} when kharden ran")
    return t


def truth_after(obs: dict[str, str]) -> dict[str, tuple[set[str], str]]:
    """For the run after the module experiments: the unsigned (and our) module's taint."""
    taint = int(obs.get("tainted_after", "0") or 0)
    return {"no-unsigned-module-loaded": ({"fail"} if taint & 8192 else {"pass"},
                                          f"kernel.tainted={taint} after the test module loads")}


LEVELS = ("none", "integrity", "confidentiality")


def evidence_level(finding: dict) -> str | None:
    """The lockdown level kharden names, when its evidence names exactly one."""
    for e in finding.get("evidence", []):
        if isinstance(e, dict) and "lockdown" in str(e.get("key", "")) and e.get("actual") in LEVELS:
            return e["actual"]
    text = json.dumps(finding.get("evidence", []))
    bracket = re.findall(r"\[(none|integrity|confidentiality)\]", text)
    if len(set(bracket)) == 1:
        return bracket[0]
    words = {w for w in LEVELS if re.search(rf"\b{w}\b", text)}
    return words.pop() if len(words) == 1 else None


def parse_audit(out: str) -> dict[str, dict]:
    doc = json.loads(out)
    if doc.get("schema") != "kharden.audit/2":
        raise ValueError(f"unexpected schema {doc.get('schema')!r}")
    return {f["id"]: f for f in doc.get("findings", [])}


@dataclass
class Row:
    scenario: str
    rule: str
    expected: str
    kernel: str
    root: str
    nobody: str
    ok: bool
    note: str = ""


def compare(name: str, obs: dict[str, str], root_out: str, nobody_out: str | None,
            judge=truth) -> list[Row]:
    rows = []
    rf = parse_audit(root_out)
    nf = parse_audit(nobody_out) if nobody_out is not None else {}
    for rule, (accepted, what) in judge(obs).items():
        exp = "|".join(sorted(accepted))
        r = rf.get(rule, {}).get("status", "missing")
        n = nf.get(rule, {}).get("status", "missing") if nobody_out is not None else "-"
        ok = r in accepted and (n in accepted or n in ("unknown", "-"))
        note = ""
        if rule == "module-sig-enforced" and obs.get("insmod_unsigned") == "OK" and not int(
                obs.get("tainted_after_unsigned", obs.get("tainted_after", "0")) or 0) & 8192:
            ok, note = False, "kernel loaded the unsigned module without taint E"
        if rule == "lockdown-runtime" and rule in rf:
            lvl = evidence_level(rf[rule])
            if lvl is not None and lvl != obs.get("lockdown"):
                ok, note = False, f"kharden names level {lvl}, securityfs says {obs.get('lockdown')}"
        rows.append(Row(name, rule, exp, what, r, n, ok, note))
    return rows


def has_modsign(kharden: Path) -> bool:
    p = subprocess.run([str(kharden), "modsign", "verify", "--help"], capture_output=True)
    return p.returncode == 0


def default_signer(kharden: Path) -> str:
    """`kharden modsign sign` with the test bed's key when the binary has it, else openssl."""
    if has_modsign(kharden):
        key, cert = testbed.our_key()
        return f"'{kharden}' modsign sign --key '{key}' --cert '{cert}' {{in}} {{out}}"
    return "default"


def modsign_rows(name: str, kharden: Path, res: "testbed.Result", db_certs: list[Path]) -> list[Row]:
    """`kharden modsign verify` (trusting the image's built-in certificates and the certificates
    put in the UEFI db) against what finit_module did with the same three files."""
    obs = res.observed
    mods = sorted((res.workdir / "mod").glob("*.ko"))
    cmd = [str(kharden), "modsign", "verify", "--format", "json", "--kernel", str(res.kernel.vmlinuz)]
    for c in db_certs:
        cmd += ["--cert", str(c)]
    p = subprocess.run(cmd + [str(m) for m in mods], capture_output=True, text=True)
    try:
        verdicts = {Path(m["path"]).stem: m["status"] for m in json.loads(p.stdout)["modules"]}
    except (ValueError, KeyError) as e:
        raise RuntimeError(f"{name}: modsign verify output: {e}: {p.stderr.strip()[:300]}")
    enforced = obs.get("insmod_unsigned") != "OK"
    rows = []
    for stem, key in (("debian-signed", "debian_signed"), ("unsigned", "unsigned"), ("ours", "ours")):
        if stem not in verdicts:
            continue
        did = obs.get(f"insmod_{key}", "?")
        v = verdicts[stem]
        # enforced: only a valid signature from a trusted key loads; otherwise only a broken
        # signature is refused (unsigned and unknown keys load with taint E)
        would_load = v == "valid" if enforced else v in ("valid", "unsigned", "untrusted")
        ok = would_load == (did == "OK")
        rows.append(Row(name, f"modsign-verify {stem}", "load" if did == "OK" else "refuse", f"finit_module: {did}",
                        v, "-", ok, "" if ok else f"verify says {v}, enforcement {'on' if enforced else 'off'}"))
    return rows


def run_scenario(s: Scenario, kharden: Path, signer: str | None, timeout: int,
                 guest_kharden: Path | None = None) -> dict:
    """KHARDEN runs on the host (modsign verify, the signer); GUEST_KHARDEN (default KHARDEN)
    is the binary put into the guest: the aarch64 build for arm64 kernels."""
    db = [testbed.our_key()[1]] if s.db_cert else []
    job = testbed.Job(s.kernel, s.firmware, s.cmdline, s.sysctl, "run",
                      runs=[(AUDIT_ARGS, 0), (AUDIT_ARGS, 65534), (AUDIT_ARGS, 0, "after")],
                      kharden=guest_kharden or kharden, ours_signer=signer, db_certs=db, timeout=timeout)
    res = testbed.boot(job, testbed.workdir_for("e2e-" + s.name))
    (ro, re_, rrc), (no, ne, nrc), (ao, ae, arc) = res.run(1), res.run(2), res.run(3)
    out = {"scenario": s.name, "package": res.kernel.package, "version": res.kernel.version,
           "firmware": s.firmware, "cmdline": res.cmdline, "sysctl": s.sysctl,
           "wall_seconds": round(res.wall, 1), "boot_to_init": res.observed.get("uptime_at_init"),
           "observed": res.observed, "workdir": str(res.workdir),
           "root_rc": rrc, "nobody_rc": nrc}
    if rrc != 0:
        raise RuntimeError(f"{s.name}: kharden as root exited {rrc}: {re_.strip()[:500]}")
    nob = no if nrc == 0 else None
    if nrc != 0:
        out["nobody_error"] = f"rc={nrc}: {ne.strip()[:300]}"
    rows = compare(s.name, res.observed, ro, nob)
    if arc != 0:
        raise RuntimeError(f"{s.name}: kharden (after the module loads) exited {arc}: {ae.strip()[:500]}")
    for r in compare(s.name, res.observed, ao, None, judge=truth_after):
        r.rule += " (after loads)"
        rows.append(r)
    if has_modsign(kharden):
        rows += modsign_rows(s.name, kharden, res, db)
    out["rows"] = [r.__dict__ for r in rows]
    return out


def run_offline(kharden: Path, only: str) -> list[dict]:
    results = []
    for tree in sorted(p for p in SNAPSHOTS.iterdir() if p.is_dir()):
        if not re.search(only, tree.name):
            continue
        obs = testbed.parse_kv((tree / "OBSERVED").read_bytes())
        p = subprocess.run([str(kharden), *AUDIT_ARGS, "--root", str(tree)], capture_output=True,
                           text=True, env={k: v for k, v in os.environ.items() if k != "NO_COLOR"})
        if p.returncode != 0:
            results.append({"scenario": tree.name, "error": f"rc={p.returncode}: {p.stderr.strip()[:500]}"})
            continue
        rows = compare(tree.name, obs, p.stdout, None)
        results.append({"scenario": tree.name, "rows": [r.__dict__ for r in rows]})
    return results


def self_test() -> int:
    """The comparison catches every wrong verdict (fake kharden on committed trees, then each
    status flipped), accepts 'unknown' only from the unprivileged run, and checks the level."""
    fake = HERE / "fake-kharden.sh"
    failures = []
    for tree in sorted(p for p in SNAPSHOTS.iterdir() if p.is_dir()):
        obs = testbed.parse_kv((tree / "OBSERVED").read_bytes())
        out = subprocess.run(["sh", str(fake), *AUDIT_ARGS, "--root", str(tree)], capture_output=True,
                             text=True, check=True).stdout
        if not all(r.ok for r in compare(tree.name, obs, out, out)):
            failures.append(f"{tree.name}: fake verdicts should agree")
        doc = json.loads(out)
        judged = truth(obs)
        for f in (x for x in doc["findings"] if x["id"] in judged):
            for bad, who in (({"pass": "fail"}.get(f["status"], "pass"), "root"),
                             ("unknown", "root"), ("missing", "root")):
                mutated = json.loads(out)
                g = next(x for x in mutated["findings"] if x["id"] == f["id"])
                if bad == "missing":
                    mutated["findings"].remove(g)
                else:
                    g["status"] = bad
                rows = compare(tree.name, obs, json.dumps(mutated), out)
                if all(r.ok for r in rows):
                    failures.append(f"{tree.name}: {f['id']}={bad} ({who}) not caught")
            nob = json.loads(out)
            next(x for x in nob["findings"] if x["id"] == f["id"])["status"] = "unknown"
            if not all(r.ok for r in compare(tree.name, obs, out, json.dumps(nob))):
                failures.append(f"{tree.name}: unknown from nobody for {f['id']} should be accepted")
        wrong = json.loads(out)
        lvl = next(x for x in wrong["findings"] if x["id"] == "lockdown-runtime")
        other = "none" if obs.get("lockdown") != "none" else "integrity"
        lvl["evidence"] = [f"lockdown=[{other}]"]
        if all(r.ok for r in compare(tree.name, obs, json.dumps(wrong), None)):
            failures.append(f"{tree.name}: wrong lockdown level in evidence not caught")
    for f in failures:
        print("self-test:", f)
    print(f"e2e self-test: {'FAILED' if failures else 'ok'}")
    return 1 if failures else 0


def print_report(results: list[dict]) -> tuple[int, int]:
    bad = errors = 0
    w = max([len(r["scenario"]) for r in results] + [8])
    print(f"{'scenario':<{w}}  {'rule':<20} {'expect':<19} {'root':<8} {'nobody':<8} result  kernel did")
    for res in results:
        if "error" in res:
            errors += 1
            print(f"{res['scenario']:<{w}}  ERROR {res['error']}")
            continue
        for r in res["rows"]:
            bad += not r["ok"]
            flag = "ok" if r["ok"] else "DISAGREE"
            print(f"{r['scenario']:<{w}}  {r['rule']:<20} {r['expected']:<19} {r['root']:<8} {r['nobody']:<8} "
                  f"{flag:<7} {r['kernel']}{' — ' + r['note'] if r['note'] else ''}")
        if "wall_seconds" in res:
            print(f"{res['scenario']:<{w}}  boot-to-init {res['boot_to_init']}s, wall {res['wall_seconds']}s"
                  + (f", nobody run failed: {res['nobody_error']}" if res.get("nobody_error") else ""))
    return bad, errors


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    g = ap.add_mutually_exclusive_group()
    g.add_argument("--kharden", type=Path, default=os.environ.get("KHARDEN_BIN"))
    g.add_argument("--fake", action="store_true", help="use fake-kharden.sh (driver self-test)")
    ap.add_argument("--kharden-arm64", type=Path, default=os.environ.get("KHARDEN_BIN_ARM64"),
                    help="the aarch64 kharden for the arm64 guests (scripts/testbed/guest-kharden.sh NAME "
                    "arm64); without it the arm64 scenarios report an error")
    ap.add_argument("--offline", action="store_true", help="check committed snapshot trees, no QEMU")
    ap.add_argument("--self-test", action="store_true", help="check the comparison itself, no QEMU")
    ap.add_argument("-j", "--jobs", type=int, default=2)
    ap.add_argument("--only", default=".", help="regex on scenario names")
    ap.add_argument("--timeout", type=int, default=240, help="per boot")
    ap.add_argument("--budget", type=int, default=1380,
                    help="start no new boot after this many seconds (CI budget is 25 minutes)")
    ap.add_argument("--ours-signer", default=os.environ.get("KHARDEN_TB_OURS_SIGNER") or "auto",
                    help="see testbed.py --ours-signer; 'auto' (kharden modsign sign if the binary "
                    "has it, else openssl), 'default' (openssl), 'none' (no module signed by our key)")
    ap.add_argument("--report", type=Path, help="write the full results as JSON")
    a = ap.parse_args()
    if a.self_test:
        return self_test()
    kharden = (HERE / "fake-kharden.sh") if a.fake else a.kharden
    if kharden is None:
        kharden = testbed.REPO / "target" / "release" / "kharden"
    kharden = kharden.resolve()
    if not kharden.exists():
        print(f"e2e: kharden binary {kharden} not found (cargo build --release -p kharden, or --fake)",
              file=sys.stderr)
        return 2
    t0 = time.monotonic()
    if a.offline:
        results = run_offline(kharden, a.only)
    else:
        chosen = [s for s in SCENARIOS if re.search(a.only, s.name)]
        for k in sorted({s.kernel for s in chosen}):  # downloads before the parallel boots
            testbed.fetch(k)
        auto_signer = default_signer(kharden) if kharden.read_bytes()[:4] == b"\x7fELF" else "default"
        testbed.our_key()

        def one(s: Scenario) -> dict:
            if time.monotonic() - t0 > a.budget:
                return {"scenario": s.name, "error": f"not started: the {a.budget}s budget is spent"}
            try:
                signer = {"none": None, "auto": auto_signer}.get(a.ours_signer, a.ours_signer)
                guest = None
                if testbed.SUITE_KERNELS.get(s.kernel, ("", "amd64"))[1] == "arm64" and not a.fake:
                    if not a.kharden_arm64 or not a.kharden_arm64.exists():
                        return {"scenario": s.name, "error": "no aarch64 kharden (--kharden-arm64)"}
                    guest = a.kharden_arm64.resolve()
                return run_scenario(s, kharden, signer, a.timeout, guest)
            except (testbed.BootError, RuntimeError, ValueError) as e:
                return {"scenario": s.name, "error": str(e)[-1500:]}

        with ThreadPoolExecutor(max_workers=max(1, a.jobs)) as ex:
            results = list(ex.map(one, chosen))
    bad, errors = print_report(results)
    total = time.monotonic() - t0
    print(f"e2e: {len(results)} scenarios, {bad} disagreements, {errors} errors, {total:.0f}s "
          f"(kharden: {kharden})")
    if a.report:
        a.report.write_text(json.dumps({"kharden": str(kharden), "seconds": round(total), "results": results},
                                       indent=2) + "\n")
    return 2 if errors else (1 if bad else 0)


if __name__ == "__main__":
    sys.exit(main())
