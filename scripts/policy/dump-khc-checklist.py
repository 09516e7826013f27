#!/usr/bin/env python3
"""Dump kernel-hardening-checker's checklist, with its OR/AND structure, as JSON data.

khc's `--print --mode json` flattens every OR/AND check to its first option, which loses the
alternatives that decide its verdicts (`OR(X is "y", X's parent is not set)`). This script
imports khc's checklist builders from a pinned work tree and writes the check trees as plain
data, one file per architecture, for scripts/policy/gen-full.py. It copies no code: only the
checklist's data (names, expected values, reasons, decisions, versions) is written.

usage: dump-khc-checklist.py KHC_SRC OUT_DIR
  KHC_SRC  a kernel-hardening-checker work tree (scripts/bench/fetch-khc.sh prints one)
  OUT_DIR  where khc-<ARCH>.json go (policies/full/source)
"""
import json
import os
import subprocess
import sys

ARCHES = ["X86_64", "X86_32", "ARM64", "ARM", "RISCV"]


def node(o):
    cls = type(o).__name__
    if cls in ("OR", "AND"):
        return {"op": cls.lower(), "opts": [node(x) for x in o.opts]}
    if cls == "VersionCheck":
        return {"type": "version", "at_least": list(o.ver_expected)}
    t = o.opt_type
    name = o.name
    return {"type": t, "name": name, "expected": o.expected, "reason": o.reason, "decision": o.decision}


def khc_commit(src):
    """The khc commit of the work tree: fetch-khc.sh's KHC_SOURCE (`git <commit> (...)`), else
    the work tree's own git HEAD. A tree exported by `git archive` has no .git, and asking git
    there would answer with the HEAD of whatever repository encloses it (kharden's own)."""
    marker = os.path.join(src, "KHC_SOURCE")
    if os.path.exists(marker):
        words = open(marker).readline().split()
        if len(words) >= 2 and words[0] == "git":
            return words[1]
    try:
        top = subprocess.run(["git", "-C", src, "rev-parse", "--show-toplevel"], capture_output=True, text=True).stdout.strip()
        if top and os.path.realpath(top) == os.path.realpath(src):
            return subprocess.run(["git", "-C", src, "rev-parse", "HEAD"], capture_output=True, text=True).stdout.strip()
    except OSError:
        pass
    return ""


def main():
    src, out = sys.argv[1], sys.argv[2]
    sys.path.insert(0, src)
    from kernel_hardening_checker import checks  # noqa: E402

    commit = khc_commit(src)
    os.makedirs(out, exist_ok=True)
    for arch in ARCHES:
        doc = {"arch": arch, "khc_source": commit, "checks": []}
        for kind, add in (("kconfig", checks.add_kconfig_checks), ("cmdline", checks.add_cmdline_checks),
                          ("sysctl", checks.add_sysctl_checks)):
            lst = []
            add(lst, arch)
            for o in lst:
                doc["checks"].append({"list": kind, "check": node(o)})
        with open(os.path.join(out, f"khc-{arch}.json"), "w") as f:
            json.dump(doc, f, indent=1, sort_keys=True)
            f.write("\n")
        print(f"{arch}: {len(doc['checks'])} checks", file=sys.stderr)


if __name__ == "__main__":
    main()
