#!/usr/bin/env python3
"""Generate the `full` profile's rule files from kernel-hardening-checker's checklist.

Inputs (committed, see policies/full/SOURCE.md):
  policies/full/source/khc-<ARCH>.json   khc's checks with their OR/AND structure
                                         (scripts/policy/dump-khc-checklist.py)
  policies/full/source/notes.toml        our own words for each check: title, why, what it
                                         breaks, severity, and the hand review (decision,
                                         better check, or the baseline rule that covers it)
  policies/*.toml                        the baseline rules: a note's readiness entry may take its
                                         texts from a baseline rule's entry of the same blocker kind
Outputs:
  policies/full/<area>-<source>.toml     the rules
  policies/full/khc-coverage.tsv         every khc check per arch -> the kharden rule judging it
  crates/kharden/src/policy/full_files.rs  the include_str! list of the generated files

usage: scripts/policy/gen-full.py [--check]   (--check: exit 1 when an output is stale)
"""
import json
import os
import re
import sys
import tomllib

REPO = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
SRC = os.path.join(REPO, "policies", "full", "source")
BASELINE = os.path.join(REPO, "policies")
OUT = os.path.join(REPO, "policies", "full")
RS = os.path.join(REPO, "crates", "kharden", "src", "policy", "full_files.rs")

ARCHES = {"X86_64": "x86_64", "X86_32": "x86_32", "ARM64": "arm64", "ARM": "arm", "RISCV": "riscv"}
AREAS = {
    "self_protection": "self-protection",
    "security_policy": "security-policy",
    "cut_attack_surface": "attack-surface",
    "harden_userspace": "userspace",
    "network_security": "network",
}
RECOMMENDED_BY = {
    "defconfig": "the upstream default configuration (defconfig)",
    "kspp": "the Kernel Self Protection Project (KSPP)",
    "clipos": "CLIP OS",
    "grsec": "grsecurity",
    "grapheneos": "GrapheneOS",
    "a13xp0p0v": "kernel-hardening-checker's author (a13xp0p0v)",
    "maintainer": "the subsystem's maintainers (its Kconfig help)",
    "lockdown": "kernel lockdown (what lockdown itself restricts)",
    "cis": "the CIS benchmarks",
    "ubuntu": "Ubuntu",
}
# Command-line parameters that the kernel parses as integers, not with kstrtobool().
INT_PARAMS = {"ipv6.disable", "vdso32", "vdso"}
# khc compares these for equality; a stricter value is at least as good (see notes.toml).
MAX_REF = {
    "CONFIG_ARCH_MMAP_RND_BITS": "CONFIG_ARCH_MMAP_RND_BITS_MAX",
    "CONFIG_ARCH_MMAP_RND_COMPAT_BITS": "CONFIG_ARCH_MMAP_RND_COMPAT_BITS_MAX",
    "vm.mmap_rnd_bits": "CONFIG_ARCH_MMAP_RND_BITS_MAX",
    "vm.mmap_rnd_compat_bits": "CONFIG_ARCH_MMAP_RND_COMPAT_BITS_MAX",
}


def first(n):
    while "op" in n:
        n = n["opts"][0]
    return n


def short(name):
    return name[len("CONFIG_"):] if name.startswith("CONFIG_") else name


def slug(s):
    return re.sub(r"[^a-z0-9]+", "-", s.lower()).strip("-")


# ---- khc tree -> kharden check (as Python data, rendered to TOML later) -------------------

def leaf(n, notes_cmp):
    """One khc leaf as a kharden leaf dict, or None when it only says "a config was given"."""
    t, name, exp = n["type"], n["name"], n["expected"]
    key = short(name) if t == "kconfig" else name
    if t == "kconfig" and name == "CONFIG_LOCALVERSION" and exp == "is present":
        return None  # khc's way of asking for a kconfig file; kharden knows which sources it read
    d = {t: key}
    override = notes_cmp.get((t, name, exp))
    if override:
        d.update(override)
        return d
    if exp.startswith("*") and exp.endswith("*"):
        d["contains"] = exp.strip("*")
    elif exp == "MAX":
        d["at_least"] = MAX_REF[name]
    elif t == "kconfig":
        d["is"] = {"y": "y", "is not set": "off", "is present": "present"}.get(exp, exp)
    elif t == "cmdline":
        if exp == "is not set":
            d["is"] = "absent"
        elif exp == "is present":
            d["is"] = "present"
        elif exp == "is not off":
            d["none_of"] = ["off", "0"]
        elif exp in ("1", "0") and name not in INT_PARAMS:
            d["is"] = "true" if exp == "1" else "false"
        else:
            d["is"] = exp
    else:  # sysctl
        d["is"] = exp
    return d


def translate(n, notes_cmp, min_version=None):
    """khc node -> kharden check dict, or None (always true)."""
    if "op" not in n:
        if n["type"] == "version":
            raise ValueError("version outside OR/AND")
        d = leaf(n, notes_cmp)
        if d is not None and min_version:
            d["min_version"] = min_version
        return d
    opts = n["opts"]
    versions = [o for o in opts if o.get("type") == "version"]
    rest = [o for o in opts if o.get("type") != "version"]
    if n["op"] == "and":
        mv = ".".join(map(str, versions[0]["at_least"])) if versions else min_version
        kids = [translate(o, notes_cmp, mv) for o in rest]
        kids = [k for k in kids if k is not None]
        if not kids:
            return None
        return kids[0] if len(kids) == 1 else {"all": kids}
    # OR
    kids = [translate(o, notes_cmp, min_version) for o in rest]
    if any(k is None for k in kids):
        return None
    main = first(n)
    # OR(X = v, X is not set) on a sysctl: a kernel without the sysctl passes.
    if (len(rest) == 2 and "op" not in rest[1] and rest[1]["type"] == "sysctl"
            and rest[1]["name"] == rest[0].get("name") and rest[1]["expected"] == "is not set"):
        k = dict(kids[0])
        k["absent"] = "pass"
        return k
    for v in versions:
        # OR(X, kernel >= v): the option was removed in v because its protection became
        # unconditional; on such kernels its absence passes.
        ver = ".".join(map(str, v["at_least"]))
        kids.append({"kconfig": short(main["name"]), "is": "off", "min_version": ver,
                     "note": f"since Linux {ver} this protection no longer needs the option"})
    return kids[0] if len(kids) == 1 else {"any": kids}


def tag_arch(c, arches):
    if c is None:
        return None
    if "any" in c:
        return {"any": [tag_arch(k, arches) for k in c["any"]]}
    if "all" in c:
        return {"all": [tag_arch(k, arches) for k in c["all"]]}
    c = dict(c)
    c["arch"] = arches
    return c


# ---- TOML rendering -------------------------------------------------------------------------

def tv(v):
    if isinstance(v, list):
        return "[" + ", ".join(tv(x) for x in v) + "]"
    if isinstance(v, dict):
        return inline(v)
    if isinstance(v, bool):
        return "true" if v else "false"
    return json.dumps(v, ensure_ascii=False)


ORDER = ["any", "all", "kconfig", "cmdline", "sysctl", "runtime", "is", "one_of", "none_of",
         "at_least", "at_most", "contains", "absent", "arch", "min_version", "max_version", "note"]


def inline(d):
    keys = sorted(d, key=lambda k: ORDER.index(k) if k in ORDER else 99)
    return "{ " + ", ".join(f"{k} = {tv(d[k])}" for k in keys) + " }"


def check_block(c):
    if "any" in c or "all" in c:
        op = "any" if "any" in c else "all"
        body = "".join(f"  {inline(k)},\n" for k in c[op])
        return f"[rule.check]\n{op} = [\n{body}]\n"
    keys = sorted(c, key=lambda k: ORDER.index(k) if k in ORDER else 99)
    return "[rule.check]\n" + "".join(f"{k} = {tv(c[k])}\n" for k in keys)


def ml(s):
    s = s.strip()
    if '"""' in s or "\\" in s:
        return json.dumps(s, ensure_ascii=False)
    return '"""\n' + s + '\n"""'


# ---- texts -----------------------------------------------------------------------------------

# The title of a check without one in notes.toml: by source, the expected value's own
# wording first, then "*X" (a word in a list), then the value itself.
TITLES = {
    "kconfig": ({"y": "{n} is enabled", "is not set": "{n} is disabled",
                 "MAX": "{n} is at its maximum"},
                "{x} is in the default LSM list ({n})", "{n} is {e}"),
    "cmdline": ({"is not set": "{n} is not on the kernel command line",
                 "is present": "The kernel boots with {n}",
                 "is not off": "{n}= does not turn the mitigation off"},
                "The kernel boots with {n}={x}", "The kernel boots with {n}={e}"),
    "sysctl": ({"MAX": "{n} is at its maximum"}, None, "{n} = {e}"),
}


def default_title(t, name, exp):
    words, starred, other = TITLES.get(t, TITLES["sysctl"])
    if exp in words:
        return words[exp].format(n=name)
    if starred and exp.startswith("*"):
        return starred.format(n=name, x=exp.strip("*"))
    return other.format(n=name, e=exp)


DEFAULT_BREAKS = {
    ("self_protection", "kconfig"): "Nothing visible in normal use; a small cost in speed or memory.",
    ("self_protection", "cmdline"): "Nothing visible in normal use; a small cost in speed or memory.",
    ("self_protection", "sysctl"): "Nothing visible in normal use.",
    ("security_policy", "kconfig"): "Nothing until a policy is loaded; a policy can deny what it does not allow.",
    ("cut_attack_surface", "kconfig"): "Whatever uses this feature stops working on this kernel.",
    ("cut_attack_surface", "cmdline"): "Whatever uses this feature stops working on this kernel.",
    ("cut_attack_surface", "sysctl"): "Unprivileged users (or root, for some) lose this feature.",
    ("harden_userspace", "kconfig"): "Rare programs that rely on the weaker behaviour fail.",
    ("harden_userspace", "cmdline"): "Rare programs that rely on the weaker behaviour fail.",
    ("harden_userspace", "sysctl"): "Rare programs that rely on the weaker behaviour fail.",
    ("network_security", "kconfig"): "Nothing on a host that is not a router.",
    ("network_security", "sysctl"): "Nothing on a host that is not a router; routers and hosts that need these packets must keep them.",
}


def severity(reason, decision):
    if reason == "self_protection":
        return {"defconfig": "high", "kspp": "medium"}.get(decision, "low")
    if reason == "cut_attack_surface":
        return "medium" if decision in ("defconfig", "kspp", "lockdown") else "low"
    if reason in ("security_policy", "harden_userspace"):
        return "medium" if decision in ("defconfig", "kspp") else "low"
    return "low"


def remedy(t, name, exp, check):
    """(source, text) in the machine-readable forms of docs/policy-format.md."""
    if t == "kconfig":
        n = "CONFIG_" + name
        if exp == "is not set":
            return ("kconfig", f"# {n} is not set")
        if exp.startswith("*"):
            return ("runtime", f"add {exp.strip('*')} to {n} (keep the LSMs already listed), or to lsm= on the kernel command line")
        if exp == "MAX":
            return ("runtime", f"set {n} to the value of {MAX_REF[n]} in the kernel config")
        return ("kconfig", f"{n}={exp}")
    if t == "cmdline":
        if exp == "is not set":
            return ("cmdline", f"remove {name}")
        if exp == "is present":
            return ("cmdline", name)
        if exp == "is not off":
            return ("cmdline", f"remove {name}=off")
        if exp.startswith("*"):
            return ("cmdline", f"{name}={exp.strip('*')}")
        return ("cmdline", f"{name}={exp}")
    if exp == "MAX":
        return ("runtime", f"set {name} to the value of {MAX_REF[name]} (sysctl -w, and in /etc/sysctl.d)")
    return ("sysctl", f"{name} = {exp}")


# ---- readiness -------------------------------------------------------------------------------

def baseline_readiness():
    """{baseline rule id: {blocker kind: entry}} from policies/*.toml."""
    out = {}
    for fname in sorted(os.listdir(BASELINE)):
        if not fname.endswith(".toml"):
            continue
        with open(os.path.join(BASELINE, fname), "rb") as f:
            for r in tomllib.load(f).get("rule", []):
                out[r["id"]] = {e["blocker"]: e for e in r.get("readiness", [])}
    return out


def readiness(entries, base, where):
    """A note's `readiness` list as [[rule.readiness]] entries. `from = "<baseline rule>"` takes
    consequence and way_out from that rule's entry of the same blocker kind (where the generated
    rule enforces the same thing); either text written in the note replaces the taken one."""
    out = []
    for e in entries:
        unknown = set(e) - {"blocker", "from", "consequence", "way_out"}
        if unknown:
            sys.exit(f"gen-full: {where}: readiness has unknown keys {sorted(unknown)}")
        got = {"blocker": e["blocker"]}
        if "from" in e:
            src = base.get(e["from"], {}).get(e["blocker"])
            if src is None:
                sys.exit(f"gen-full: {where}: baseline rule {e['from']} has no readiness entry for {e['blocker']}")
            got["consequence"], got["way_out"] = src["consequence"], src["way_out"]
        for k in ("consequence", "way_out"):
            if k in e:
                got[k] = e[k]
            if not got.get(k):
                sys.exit(f"gen-full: {where}: readiness {e['blocker']} has no {k}")
        out.append(got)
    return out


# ---- main ----------------------------------------------------------------------------------

def main():
    check_only = "--check" in sys.argv[1:]
    base_readiness = baseline_readiness()
    with open(os.path.join(SRC, "notes.toml"), "rb") as f:
        notes = tomllib.load(f)
    notes_cmp = {}
    for t in ("kconfig", "cmdline", "sysctl"):
        for name, note in notes.get(t, {}).items():
            for exp, cmp in note.get("compare", {}).items():
                notes_cmp[(t, ("CONFIG_" + name) if t == "kconfig" else name, exp)] = cmp

    # (type, full name, expected) -> {arch: (reason, decision, tree)}
    checks = {}
    order = []
    for khc_arch, arch in ARCHES.items():
        with open(os.path.join(SRC, f"khc-{khc_arch}.json")) as f:
            doc = json.load(f)
        for c in doc["checks"]:
            m = first(c["check"])
            k = (m["type"], m["name"], m["expected"])
            if k not in checks:
                checks[k] = {}
                order.append(k)
            checks[k][arch] = (m["reason"], m["decision"], c["check"])

    # One rule per (type, name); several expected values share it when their arches differ.
    groups = {}
    for k in order:
        groups.setdefault((k[0], k[1]), []).append(k)
    rules = []  # dicts
    coverage = []  # (arch, type, name, expected, rule id)
    used_notes = set()
    for (t, name), keys in groups.items():
        arch_sets = [set(checks[k]) for k in keys]
        disjoint = sum(len(s) for s in arch_sets) == len(set().union(*arch_sets))
        parts = [keys] if disjoint else [[k] for k in keys]
        for part in parts:
            sname = short(name) if t == "kconfig" else name
            note_tab = notes.get(t, {}).get(sname, {})
            exp0 = part[0][2]
            if not disjoint:
                note = note_tab.get(exp0.strip("*"), {})
                used_notes.add((t, sname, exp0.strip("*")))
            else:
                note = note_tab
                used_notes.add((t, sname))
            if not note.get("why") and not note.get("baseline"):
                for fam in notes.get("family", []):
                    if re.search(fam["match"], f"{t} {sname}"):
                        note = {**{k: v for k, v in fam.items() if k != "match"}, **note}
                        break
            rid = note.get("id") or f"{t}-{slug(sname)}" + ("" if disjoint else f"-{slug(exp0)}")
            if note.get("baseline"):
                if note.get("readiness"):
                    sys.exit(f"gen-full: {t} {sname}: readiness belongs in the baseline rule {note['baseline']}")
                rid = note["baseline"]
                for k in part:
                    for arch in checks[k]:
                        coverage.append((arch, t, name, k[2], rid))
                continue
            # variants: arches grouped by identical check
            variants = {}
            for k in part:
                for arch, (_, _, tree) in checks[k].items():
                    c = translate(tree, notes_cmp)
                    variants.setdefault(json.dumps(c, sort_keys=True), []).append(arch)
                    coverage.append((arch, t, name, k[2], rid))
            all_arches = sorted({a for vs in variants.values() for a in vs}, key=list(ARCHES.values()).index)
            if "check" in note:
                check = note["check"]
            elif len(variants) == 1:
                check = json.loads(next(iter(variants)))
            else:
                check = {"any": [tag_arch(json.loads(c), sorted(a, key=list(ARCHES.values()).index))
                                 for c, a in variants.items()]}
            reason, decision, _ = next(iter(checks[part[0]].values()))
            why = note.get("why") or ""
            if not why:
                sys.exit(f"gen-full: no `why` for {t} {sname} in notes.toml")
            by = ", ".join(sorted({RECOMMENDED_BY[checks[k][a][1]] for k in part for a in checks[k]}))
            rationale = f"{why.strip()}\n\nRecommended by {by}."
            exps = sorted({k[2] for k in part})
            rules.append({
                "id": rid,
                "title": note.get("title") or default_title(t, (("CONFIG_" + sname) if t == "kconfig" else sname), exp0),
                "area": AREAS[reason],
                "severity": note.get("severity") or severity(reason, decision),
                "rationale": rationale,
                "breaks": note.get("breaks") or DEFAULT_BREAKS[(reason, t)],
                "decision": note.get("decision"),
                "references": [f"kernel-hardening-checker: {t} {name} {e!r}" for e in exps] + note.get("refs", []),
                "arch": [] if len(all_arches) == 5 else all_arches,
                "min_version": note.get("min_version"),
                "shortcut": note.get("shortcut", []),
                "check": check,
                "remedy": note.get("remedy") or [dict(zip(("source", "text"), remedy(t, sname, exp0, check)))],
                "readiness": readiness(note.get("readiness", []), base_readiness, f"{t} {sname}"),
                "reason": reason,
                "type": t,
            })
    known = {(t, short(n)) for (t, n) in groups}
    for t in ("kconfig", "cmdline", "sysctl"):
        for name in notes.get(t, {}):
            if (t, name) not in known:
                sys.exit(f"gen-full: notes.toml has {t} {name}, which is not in the checklist")

    files = {}
    for r in rules:
        fname = f"{r['area']}-{r['type']}.toml"
        files.setdefault(fname, []).append(r)
    outputs = {}
    for fname, rs in sorted(files.items()):
        text = (f"# Generated by scripts/policy/gen-full.py from policies/full/source (kernel-hardening-checker's\n"
                f"# checklist and our notes.toml); edit those, not this file.\n")
        for r in sorted(rs, key=lambda r: r["id"]):
            text += f"\n[[rule]]\nid = {tv(r['id'])}\ntitle = {tv(r['title'])}\narea = {tv(r['area'])}\n"
            text += f"severity = {tv(r['severity'])}\nrationale = {ml(r['rationale'])}\nbreaks = {ml(r['breaks'])}\n"
            if r["decision"]:
                text += f"decision = {ml(r['decision'])}\n"
            text += f"references = {tv(r['references'])}\n"
            if r["arch"]:
                text += f"arch = {tv(r['arch'])}\n"
            if r["min_version"]:
                text += f"min_version = {tv(r['min_version'])}\n"
            for s in r["shortcut"]:
                text += f"\n[[rule.shortcut]]\nwhen = {inline(s['when'])}\nstatus = {tv(s['status'])}\nreason = {tv(s['reason'])}\n"
            text += "\n" + check_block(r["check"])
            for m in r["remedy"]:
                text += f"\n[[rule.remedy]]\nsource = {tv(m['source'])}\ntext = {tv(m['text'])}\n"
            for e in r["readiness"]:
                text += (f"\n[[rule.readiness]]\nblocker = {tv(e['blocker'])}\n"
                         f"consequence = {tv(e['consequence'])}\nway_out = {tv(e['way_out'])}\n")
        outputs[os.path.join(OUT, fname)] = text
    cov = "# arch\ttype\tkhc option\tkhc expected\tkharden rule (generated by scripts/policy/gen-full.py)\n"
    for row in sorted(set(coverage), key=lambda r: (list(ARCHES.values()).index(r[0]), r[1], r[2], r[3])):
        cov += "\t".join(row) + "\n"
    outputs[os.path.join(OUT, "khc-coverage.tsv")] = cov
    rs_text = ("// Generated by scripts/policy/gen-full.py: the rule files of the `full` profile.\n"
               "pub const FULL_FILES: &[(&str, &str)] = &[\n")
    for fname in sorted(files):
        rs_text += f'    (\n        "full/{fname}",\n        include_str!("../../policies/full/{fname}"),\n    ),\n'
    rs_text += "];\n"
    import subprocess
    fmt = subprocess.run(["rustfmt", "--edition", "2021", "--emit", "stdout"], input=rs_text,
                         capture_output=True, text=True)
    outputs[RS] = fmt.stdout if fmt.returncode == 0 and fmt.stdout else rs_text

    stale = []
    for path, text in outputs.items():
        old = open(path).read() if os.path.exists(path) else None
        if old != text:
            stale.append(os.path.relpath(path, REPO))
            if not check_only:
                with open(path, "w") as f:
                    f.write(text)
    existing = {os.path.join(OUT, f) for f in os.listdir(OUT)
                if f.endswith(".toml") and open(os.path.join(OUT, f)).read().startswith("# Generated by")}
    for extra in sorted(existing - set(outputs)):
        stale.append(os.path.relpath(extra, REPO) + " (no longer generated)")
        if not check_only:
            os.remove(extra)
    n_checks = len(coverage)
    n_ready = sum(1 for r in rules if r["readiness"])
    print(f"gen-full: {len(rules)} rules in {len(files)} files ({n_ready} with readiness entries); "
          f"{n_checks} khc checks (arch x check) covered", file=sys.stderr)
    if stale:
        print(("stale: " if check_only else "wrote: ") + ", ".join(stale), file=sys.stderr)
        if check_only:
            sys.exit(1)


if __name__ == "__main__":
    main()
