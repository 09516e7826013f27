#!/usr/bin/env python3
"""Issue 3, "A real kernel": modules signed by `kharden modsign sign-tree` against a real kernel.

Debian's own crc7.ko (from the cached 6.1 cloud package, Debian signature removed) is signed by
`kharden modsign sign-tree DIR --cert-out cert.der` (ephemeral key, never on disk). Two more
copies are made: one with a byte of the module body flipped after signing ("tampered") and one
signed by a second sign-tree run whose certificate is NOT enrolled ("otherkey"). The 6.1 cloud
kernel then boots under OVMF with cert.der in the UEFI db and `module.sig_enforce=1`
(testbed.py, Job.extra_kos) and finit_module()s the three files. Expected:

  signtree  loads, kernel.tainted stays 0, module taint empty   kharden verify: valid
  tampered  refused                                             kharden verify: bad_signature
  otherkey  refused with EKEYREJECTED                           kharden verify: untrusted

`kharden modsign verify --cert cert.der` runs on the host on the same three files; its verdict
must agree with the kernel (valid <=> loaded).

usage: modsign-kernel.py --kharden BIN [--kernel deb12-6.1-cloud] [--timeout S] [--report FILE]
Exit status: 0 all agree, 1 a disagreement, 2 could not run.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

sys.dont_write_bytecode = True  # no __pycache__ in the checkout
sys.path.insert(0, str(Path(__file__).resolve().parent))
import testbed  # noqa: E402

# name -> (kernel must load it, errno it must give when refused or None for any, kharden verdict)
EXPECT = {
    "signtree": (True, None, "valid"),
    "tampered": (False, None, "bad_signature"),
    "otherkey": (False, "EKEYREJECTED", "untrusted"),
}


def sign_tree(kharden: Path, plain: bytes, d: Path, cert: Path) -> bytes:
    d.mkdir(parents=True)
    (d / "crc7.ko").write_bytes(plain)
    p = subprocess.run([str(kharden), "modsign", "sign-tree", str(d), "--cert-out", str(cert)],
                       capture_output=True, text=True)
    if p.returncode != 0:
        raise RuntimeError(f"sign-tree {d} exited {p.returncode}: {p.stderr.strip()[-500:]}")
    signed = (d / "crc7.ko").read_bytes()
    if not signed.startswith(plain) or not signed.endswith(testbed.SIG_MAGIC):
        raise RuntimeError(f"sign-tree did not append a signature to {d}/crc7.ko")
    return signed


def host_verify(kharden: Path, cert: Path, mods: dict[str, Path]) -> dict[str, str]:
    p = subprocess.run([str(kharden), "modsign", "verify", "--format", "json", "--cert", str(cert),
                        *map(str, mods.values())], capture_output=True, text=True)
    try:
        by_path = {Path(m["path"]).stem: m["status"] for m in json.loads(p.stdout)["modules"]}
    except (ValueError, KeyError, TypeError) as e:
        raise RuntimeError(f"modsign verify (rc {p.returncode}): {e}: {p.stderr.strip()[:300]}")
    return {name: by_path.get(name, "missing") for name in mods}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--kharden", type=Path, default=os.environ.get("KHARDEN_BIN"), required=not os.environ.get("KHARDEN_BIN"))
    ap.add_argument("--kernel", default="deb12-6.1-cloud")
    ap.add_argument("--timeout", type=int, default=150, help="hard limit for the boot")
    ap.add_argument("--report", type=Path, help="write the results as JSON")
    a = ap.parse_args()
    kharden = a.kharden.resolve()
    work = testbed.workdir_for("modsign-kernel")
    try:
        k = testbed.fetch(a.kernel)
        plain = testbed.strip_signature(k.module("lib/crc7"))
        cert = work / "cert.der"
        signed = sign_tree(kharden, plain, work / "tree", cert)
        other = sign_tree(kharden, plain, work / "tree-other", work / "other-cert.der")
        tampered = bytearray(signed)
        tampered[len(plain) // 2] ^= 0x01  # inside the module body, before the signature
        mods = {}
        for name, data in (("signtree", signed), ("tampered", bytes(tampered)), ("otherkey", other)):
            mods[name] = work / f"{name}.ko"
            mods[name].write_bytes(data)
        verdicts = host_verify(kharden, cert, mods)
        job = testbed.Job(a.kernel, "ovmf", "module.sig_enforce=1", mode="run", db_certs=[cert],
                          extra_kos=list(mods.items()), timeout=a.timeout)
        res = testbed.boot(job, work)
    except (testbed.BootError, RuntimeError, OSError, ValueError, subprocess.CalledProcessError) as e:
        print(f"modsign-kernel: could not run: {e}", file=sys.stderr)
        return 2
    obs = res.observed
    rows, bad = [], 0
    if obs.get("sig_enforce") != "Y":
        bad += 1
        print(f"modsign-kernel: sig_enforce is {obs.get('sig_enforce')!r}, not Y")
    for name, (must_load, errno, want_verdict) in EXPECT.items():
        did = obs.get(f"insmod_x_{name}", "?")
        taint = obs.get(f"tainted_after_x_{name}", "?")
        mtaint = obs.get(f"insmod_x_{name}_taint", "")
        v = verdicts[name]
        problems = []
        if must_load:
            if did != "OK":
                problems.append(f"kernel refused it ({did})")
            if taint != "0" or mtaint:
                problems.append(f"tainted={taint}, module taint {mtaint!r}")
        elif did == "OK":
            problems.append("kernel loaded it")
        elif errno and did != errno:
            problems.append(f"refused with {did}, expected {errno}")
        if v != want_verdict:
            problems.append(f"kharden says {v}, expected {want_verdict}")
        if (v == "valid") != (did == "OK"):
            problems.append("kharden and the kernel disagree")
        bad += bool(problems)
        kernel = "loaded" if did == "OK" else f"refused {did}"
        rows.append({"module": name, "kernel": kernel, "tainted": taint, "module_taint": mtaint,
                     "kharden": v, "ok": not problems, "problems": problems})
    print(f"{'module':<9} {'kernel (finit_module)':<22} {'tainted':<8} {'kharden verify':<15} result")
    for r in rows:
        print(f"{r['module']:<9} {r['kernel']:<22} {r['tainted']:<8} {r['kharden']:<15} "
              f"{'ok' if r['ok'] else 'DISAGREE: ' + '; '.join(r['problems'])}")
    print(f"modsign-kernel: {res.kernel.package} {res.kernel.version}, ovmf + db cert, {res.cmdline}; "
          f"boot-to-init {obs.get('uptime_at_init')}s, wall {res.wall:.1f}s; "
          f"{'all agree' if not bad else f'{bad} disagreement(s)'} (workdir {work})")
    if a.report:
        a.report.write_text(json.dumps({"kharden": str(kharden), "package": res.kernel.package,
                                        "version": res.kernel.version, "cmdline": res.cmdline,
                                        "wall_seconds": round(res.wall, 1),
                                        "boot_to_init": obs.get("uptime_at_init"),
                                        "sig_enforce": obs.get("sig_enforce"), "rows": rows,
                                        "observed": obs}, indent=2) + "\n")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
