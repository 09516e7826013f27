#!/usr/bin/env python3
"""Issue 5 for real: `kharden fix` and `kharden apply` inside a QEMU guest of Debian's kernel.

Two boots of Debian 12's 6.1 cloud kernel (testbed.py, TCG), each with kharden, procps' sysctl
(/usr/sbin/sysctl) and systemd's systemd-sysctl copied in from this Debian 12 host:

  sysctl-file  `kharden fix --profile full --all-rules --emit sysctl --out /tmp/k` on the live
               guest, then the real parsers and writers on its 99-kharden.conf:
                 sysctl --dry-run -p FILE   exit 0, nothing on stderr
                 sysctl -p FILE             exit 0, nothing on stderr (the kernel took every value)
                 read back                  every key holds the value the file sets
                 systemd-sysctl FILE        exit 0, no "Couldn't write"/"ignoring" on stderr
               and `kharden audit --profile full` afterwards: the sysctl evidence of every rule
               the file names holds.
  apply        `kharden apply` (dry run: nothing changes), `apply --yes` (reversible sysctls
               and /etc/sysctl.d/99-kharden.conf), the same again (nothing to do),
               `apply --yes --allow-irreversible` (lockdown, sig_enforce, kexec_load_disabled),
               the same again (nothing to do), then `kharden audit`: the rules it addressed
               pass. Then the kernel shows it refuses what it should (guest/init.sh
               experiments): an unsigned module, kexec_load as root, open("/dev/mem").

usage: remedy-guest.py --kharden BIN [--kernel deb12-6.1-cloud] [--timeout S] [--report FILE]
Exit status: 0 every check holds, 1 a check failed, 2 could not run.
"""
from __future__ import annotations

import argparse
import json
import re
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.dont_write_bytecode = True  # no __pycache__ in the checkout
sys.path.insert(0, str(Path(__file__).resolve().parent))
import testbed  # noqa: E402

TOOLS = ["/usr/sbin/sysctl", "/lib/systemd/systemd-sysctl"]

# Each step: NAME COMMAND...; its stdout, stderr and exit status go to /tmp/script-out.
PRELUDE = r"""
set -u
K=/tb/kharden
O=/tmp/script-out
step() { n=$1; shift; "$@" > "$O/$n.out" 2> "$O/$n.err"; echo $? > "$O/$n.rc"; }
"""

SYSCTL_SCRIPT = PRELUDE + r"""
mkdir -p /tmp/k
step fix $K fix --profile full --all-rules --emit sysctl --out /tmp/k
F=/tmp/k/99-kharden.conf
cp "$F" "$O/99-kharden.conf"
step dryrun /usr/sbin/sysctl --dry-run -p "$F"
step sysctl_p /usr/sbin/sysctl -p "$F"
# read back every key the file sets: "key<TAB>value now"
grep -v '^#' "$F" | grep '=' | while IFS= read -r line; do
	k=$(echo "${line%%=*}" | tr -d ' ')
	printf '%s\t%s\n' "$k" "$(/usr/sbin/sysctl -n "$k" 2>&1 | tr -s ' \t' '  ')"
done > "$O/readback.tsv"
step systemd_sysctl /lib/systemd/systemd-sysctl "$F"
step audit $K audit --profile full --format json --exit-zero
"""

APPLY_SCRIPT = PRELUDE + r"""
mkdir -p /etc/sysctl.d
step plan $K apply
ls /etc/sysctl.d > "$O/after_plan.ls"
step yes1 $K apply --yes
step yes2 $K apply --yes
step irr1 $K apply --yes --allow-irreversible
step irr2 $K apply --yes --allow-irreversible
cp /etc/sysctl.d/99-kharden.conf "$O/99-kharden.conf"
step sysctl_dry /usr/sbin/sysctl --dry-run -p /etc/sysctl.d/99-kharden.conf
step audit $K audit --format json --exit-zero
"""

# The rules `apply` acts on in the baseline profile, and what the kernel must do afterwards.
APPLY_RULES = ["kptr-restrict", "dmesg-restrict", "kexec-load-disabled", "module-sig-enforced",
               "lockdown-runtime"]


class Checks:
    def __init__(self, name: str):
        self.name, self.rows = name, []

    def check(self, what: str, ok: bool, detail: str = "") -> None:
        self.rows.append({"boot": self.name, "check": what, "ok": bool(ok), "detail": detail[:800]})


def step(o: dict[str, str], n: str) -> tuple[int, str, str]:
    return int(o.get(f"{n}.rc", "255").strip() or 255), o.get(f"{n}.out", ""), o.get(f"{n}.err", "")


def findings(text: str) -> dict[str, dict]:
    return {f["id"]: f for f in json.loads(text)["findings"]}


def check_sysctl_file(res: testbed.Result) -> Checks:
    c, o = Checks("sysctl-file"), testbed.script_outputs(res)
    rc, out, err = step(o, "fix")
    c.check("kharden fix exits 0", rc == 0, err)
    conf = o.get("99-kharden.conf", "")
    sets = [tuple(x.strip() for x in line.split("=", 1)) for line in conf.splitlines()
            if line and not line.startswith("#") and "=" in line]
    c.check("the file sets sysctls", len(sets) >= 10, f"{len(sets)} settings")
    lines = conf.splitlines()
    commented = [i for i, line in enumerate(lines) if re.match(r"# [a-z0-9_.]+ = ", line)]
    c.check("a key this kernel lacks is commented out, with the reason",
            all(i > 0 and lines[i - 1].startswith("# not on this kernel (") for i in commented),
            f"commented out: {[lines[i] for i in commented]}")
    for n, what in (("dryrun", "sysctl --dry-run -p"), ("sysctl_p", "sysctl -p")):
        rc, out, err = step(o, n)
        c.check(f"{what} exits 0 with nothing on stderr", rc == 0 and not err.strip(),
                f"rc={rc} stderr={err.strip()}")
    now = dict(line.split("\t", 1) for line in o.get("readback.tsv", "").splitlines() if "\t" in line)
    wrong = {k: (v, now.get(k)) for k, v in sets if " ".join(now.get(k, "").split()) != " ".join(v.split())}
    c.check("every key reads back as set", not wrong and len(now) == len(sets), f"mismatch: {wrong}")
    rc, out, err = step(o, "systemd_sysctl")
    bad = [line for line in err.splitlines() if re.search(r"Couldn't|ignoring|Failed", line)]
    c.check("systemd-sysctl exits 0 without complaints", rc == 0 and not bad, f"rc={rc} {bad}")
    rc, out, err = step(o, "audit")
    c.check("kharden audit --profile full exits 0", rc == 0, err)
    if rc == 0:
        f = findings(out)
        named = set()
        for line in conf.splitlines():
            if line.startswith("# kharden: "):
                named |= {x.strip() for x in line[len("# kharden: "):].split(",")}
        set_keys = {k for k, _ in sets}
        not_held = [(r, e["key"], e.get("actual")) for r in sorted(named) if r in f
                    for e in f[r]["evidence"] if e["source"] == "sysctl" and e["key"] in set_keys
                    and e.get("ok") is not True]
        c.check("audit: every sysctl the file set now holds for its rules", not not_held and named,
                f"{len(named)} rules named; not holding: {not_held}")
    return c


def check_apply(res: testbed.Result) -> Checks:
    c, o = Checks("apply"), testbed.script_outputs(res)
    obs = res.observed
    rc, out, err = step(o, "plan")
    c.check("apply (dry run) exits 0 and prints a plan", rc == 0 and "dry run" in out, f"rc={rc} {err}")
    c.check("the dry run writes nothing", o.get("after_plan.ls", "").strip() == "",
            f"/etc/sysctl.d after the dry run: {o.get('after_plan.ls', '').split()}")
    c.check("the dry run names what the one-way steps would break", "readiness:" in out, out[-600:])
    rc, out, err = step(o, "yes1")
    c.check("apply --yes exits 0", rc == 0, f"rc={rc} {err.strip()} {out[-400:]}")
    c.check("apply --yes leaves the one-way steps alone", "irreversible" in out and
            not re.search(r"lockdown.*\n\s+done", out), out[-800:])
    rc2, out2, err2 = step(o, "yes2")
    c.check("a second apply --yes has nothing to do", rc2 == 0 and not re.search(r"^\s+done\b", out2, re.M),
            out2[-800:])
    rc, out, err = step(o, "irr1")
    c.check("apply --yes --allow-irreversible exits 0", rc == 0, f"rc={rc} {err.strip()} {out[-600:]}")
    rc, out, err = step(o, "irr2")
    c.check("a second apply --allow-irreversible has nothing to do",
            rc == 0 and not re.search(r"^\s+done\b", out, re.M), out[-800:])
    conf = o.get("99-kharden.conf", "")
    c.check("/etc/sysctl.d/99-kharden.conf written, without one-way values",
            "kernel.kptr_restrict" in conf and "kexec_load_disabled" not in conf, conf)
    rc, out, err = step(o, "sysctl_dry")
    c.check("procps accepts the persisted file", rc == 0 and not err.strip(), f"rc={rc} {err}")
    rc, out, err = step(o, "audit")
    c.check("kharden audit exits 0", rc == 0, err)
    if rc == 0:
        f = findings(out)
        for r in APPLY_RULES:
            c.check(f"audit after apply: {r} passes", f.get(r, {}).get("status") == "pass",
                    json.dumps(f.get(r, {}).get("evidence"))[:600])
    # what the kernel itself did afterwards (guest/init.sh experiments)
    c.check("kernel: lockdown is integrity", obs.get("lockdown") == "integrity", obs.get("lockdown", "?"))
    c.check("kernel: sig_enforce is Y", obs.get("sig_enforce") == "Y", obs.get("sig_enforce", "?"))
    c.check("kernel: the unsigned module is refused", obs.get("insmod_unsigned") not in (None, "OK"),
            obs.get("insmod_unsigned", "?"))
    c.check("kernel: the Debian-signed module still loads", obs.get("insmod_debian_signed") == "OK",
            obs.get("insmod_debian_signed", "?"))
    c.check("kernel: kexec_load as root is refused", obs.get("kexec_load_root", "OK") != "OK",
            obs.get("kexec_load_root", "?"))
    c.check("kernel: open(/dev/mem) is refused", obs.get("devmem_open", "OK") != "OK",
            obs.get("devmem_open", "?"))
    c.check("kernel: an unprivileged reader sees kptr_restrict's zeros",
            set(obs.get("pk_netlink_nobody", "x")) == {"0"}, obs.get("pk_netlink_nobody", "?"))
    return c


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--kharden", type=Path, required=True)
    ap.add_argument("--kernel", default="deb12-6.1-cloud")
    ap.add_argument("--timeout", type=int, default=300)
    ap.add_argument("--report", type=Path)
    a = ap.parse_args()
    missing = [t for t in TOOLS if not Path(t).exists()]
    if missing:
        print(f"remedy-guest: {', '.join(missing)} missing (apt-get install procps systemd)", file=sys.stderr)
        return 2
    kharden = a.kharden.resolve()
    testbed.fetch(a.kernel)
    jobs = {
        "sysctl-file": (testbed.Job(a.kernel, mode="run", kharden=kharden, script=SYSCTL_SCRIPT,
                                    tools=TOOLS, timeout=a.timeout), check_sysctl_file),
        "apply": (testbed.Job(a.kernel, mode="run", kharden=kharden, script=APPLY_SCRIPT,
                              tools=TOOLS, timeout=a.timeout), check_apply),
    }

    def one(name: str) -> list[dict]:
        job, judge = jobs[name]
        try:
            res = testbed.boot(job, testbed.workdir_for("remedy-" + name))
            rows = judge(res).rows
            for r in rows:
                r["wall_seconds"] = round(res.wall, 1)
            return rows
        except (testbed.BootError, RuntimeError, ValueError) as e:
            return [{"boot": name, "check": "boot and run", "ok": None, "detail": str(e)[-1500:]}]

    with ThreadPoolExecutor(max_workers=2) as ex:
        rows = [r for rs in ex.map(one, jobs) for r in rs]
    for r in rows:
        flag = {True: "ok", False: "FAIL", None: "ERROR"}[r["ok"]]
        print(f"{r['boot']:<12} {flag:<6} {r['check']}" + ("" if r["ok"] else f"\n{'':<19}{r['detail']}"))
    failed = sum(r["ok"] is False for r in rows)
    errors = sum(r["ok"] is None for r in rows)
    print(f"remedy-guest: {len(rows)} checks, {failed} failed, {errors} errors")
    if a.report:
        a.report.write_text(json.dumps(rows, indent=2) + "\n")
    return 2 if errors else (1 if failed else 0)


if __name__ == "__main__":
    sys.exit(main())
