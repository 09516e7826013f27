#!/usr/bin/env python3
"""Judge one merge of kharden's Kconfig fragment into a stock config (check-merge-config.sh).

`case` compares what the fragment asked for with the .config `make olddefconfig` produced,
holds the options Kconfig overrode against scripts/remedy/expected-overrides.txt, checks that
every kconfig-only rule the fragment addressed now passes in `kharden audit --format json`, and
writes a JSON summary. `summary` reads those summaries, prints the table and fails when a listed
override was never requested or never happened (so the list stays true).
"""
import argparse
import json
import os
import re
import sys

LINE_SET = re.compile(r"^CONFIG_([A-Za-z0-9_]+)=(.*)$")
LINE_UNSET = re.compile(r"^# CONFIG_([A-Za-z0-9_]+) is not set$")
RULE_TAG = re.compile(r"^# kharden: (.+)$")


def read_config(path):
    """Option -> value ('n' for '# ... is not set'); later lines win, as in Kconfig."""
    out = {}
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            line = line.rstrip("\n")
            m = LINE_SET.match(line)
            if m:
                out[m.group(1)] = m.group(2)
                continue
            m = LINE_UNSET.match(line)
            if m:
                out[m.group(1)] = "n"
    return out


def read_fragment(path):
    """[(option, requested value, [rule ids])] in fragment order."""
    items, rules = [], []
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            m = RULE_TAG.match(line)
            if m:
                rules = [r.strip() for r in m.group(1).split(",")]
                continue
            m = LINE_SET.match(line) or LINE_UNSET.match(line)
            if m:
                value = m.group(2) if m.re is LINE_SET else "n"
                items.append((m.group(1), value, rules))
                rules = []
            elif line and not line.startswith("#"):
                sys.exit(f"merge_check: {path}: not a Kconfig fragment line: {line!r}")
    return items


def read_expected(path):
    """expected-overrides.txt: `OPTION  reason` per line (without CONFIG_), # comments."""
    out = {}
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            name, _, reason = line.partition(" ")
            name = name.removeprefix("CONFIG_")
            if not reason.strip():
                sys.exit(f"merge_check: {path}:{n}: {name} has no reason")
            out[name] = reason.strip()
    return out


def read_merge_warnings(path):
    """merge_config.sh's 'Value requested for CONFIG_X not in final .config' blocks."""
    out = {}
    if not path or not os.path.exists(path):
        return out
    name = None
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            line = line.rstrip("\n")
            m = re.match(r"^Value requested for CONFIG_([A-Za-z0-9_]+) not in final \.config$", line)
            if m:
                name = m.group(1)
                out[name] = {"requested": "", "actual": ""}
            elif name and line.startswith("Requested value:"):
                out[name]["requested"] = line.split(":", 1)[1].strip()
            elif name and line.startswith("Actual value:"):
                out[name]["actual"] = line.split(":", 1)[1].strip()
                name = None
    return out


def kconfig_definition(src, name):
    """The `depends on` / `select`-by lines of `config NAME` in the source tree, for a reason."""
    lines = []
    head = re.compile(r"^\s*(menu)?config\s+" + re.escape(name) + r"\s*$")
    for root, _dirs, files in os.walk(src):
        for fn in files:
            if not fn.startswith("Kconfig"):
                continue
            path = os.path.join(root, fn)
            with open(path, encoding="utf-8", errors="replace") as f:
                block = None
                for line in f:
                    if head.match(line):
                        block = []
                        lines.append(os.path.relpath(path, src) + ":")
                        continue
                    if block is None:
                        continue
                    s = line.strip()
                    if re.match(r"^(config|menuconfig|choice|endchoice|menu|endmenu|if|endif|source|comment)\b", s):
                        block = None
                        continue
                    if s.startswith(("depends on", "select", "imply", "default", "def_bool", "bool", "tristate")):
                        lines.append("    " + s)
    return lines


def effective(cfg, name):
    # An option missing from the final .config is off: Kconfig drops invisible symbols.
    return cfg.get(name, "n")


def cmd_case(a):
    base = read_config(a.base)
    final = read_config(a.final)
    fragment = read_fragment(a.fragment)
    expected = read_expected(a.expected)
    warnings = read_merge_warnings(a.merge_log)
    with open(a.audit, encoding="utf-8") as f:
        audit = json.load(f)
    with open(a.audit_base, encoding="utf-8") as f:
        audit_base = json.load(f)
    problems = []

    requested = {name for name, _, _ in fragment}
    overridden = {}
    for name, value, _rules in fragment:
        got = effective(final, name)
        if got != value:
            overridden[name] = {"requested": value, "actual": got, "in_final": name in final}

    # merge_config.sh's own check, in its own run (alldefconfig), must agree with olddefconfig's.
    # It compares lines, so an 'is not set' request for a symbol that vanished is a warning there
    # while it is satisfied here; only warnings for options we consider overridden must match.
    warned = {n for n in warnings if n in requested}
    for n in sorted(set(overridden) - warned):
        problems.append(f"CONFIG_{n}: olddefconfig overrode it but merge_config.sh did not warn")
    for n in sorted(warned - set(overridden)):
        if warnings[n]["requested"] == f"# CONFIG_{n} is not set" and warnings[n]["actual"] == "":
            continue  # asked off, symbol gone: off either way
        problems.append(
            f"CONFIG_{n}: merge_config.sh warned ({warnings[n]['actual'] or 'absent'}) "
            f"but olddefconfig kept the requested value"
        )

    for n, o in sorted(overridden.items()):
        shown = o["actual"] if o["in_final"] else "absent (dependencies unmet)"
        print(f"  override CONFIG_{n}: requested {o['requested']}, final {shown}")
        if n in expected:
            print(f"      why: {expected[n]}")
        else:
            problems.append(f"CONFIG_{n} overridden by Kconfig but not in expected-overrides.txt")
            for line in kconfig_definition(a.src, n):
                print(f"      {line}")
    for n in sorted(requested & set(expected)):
        if n not in overridden:
            problems.append(
                f"CONFIG_{n} is listed in expected-overrides.txt but took its requested value"
            )

    # Rules the fragment addressed, judged on the merged config.
    findings = {f["id"]: f for f in audit["findings"]}
    before = {f["id"]: f["status"] for f in audit_base["findings"]}
    rules = {}
    for name, _value, ids in fragment:
        for rid in ids:
            rules.setdefault(rid, []).append(name)
    flips = []
    rule_results = {}
    for rid, options in sorted(rules.items()):
        f = findings.get(rid)
        if f is None:
            problems.append(f"rule {rid} (fragment) missing from the audit")
            continue
        sources = {e["source"] for e in f["evidence"]}
        kconfig_only = sources == {"kconfig"}
        dropped = [o for o in options if o in overridden]
        status = f["status"]
        rule_results[rid] = {
            "before": before.get(rid),
            "after": status,
            "kconfig_only": kconfig_only,
            "dropped": dropped,
        }
        if before.get(rid) != status:
            flips.append(f"{rid}: {before.get(rid)} -> {status}")
        if status == "pass":
            continue
        if dropped:
            print(f"  rule {rid} stays {status}: Kconfig overrode " + ", ".join("CONFIG_" + d for d in dropped))
        elif kconfig_only:
            problems.append(f"rule {rid} is kconfig-only, its options merged, and it is {status}: {f['reason']}")
        else:
            print(f"  rule {rid} is {status} (also needs {', '.join(sorted(sources - {'kconfig'}))}): {f['reason']}")
    for line in flips:
        print(f"  flip {line}")

    summary = {
        "case": a.label,
        "requested": sorted(requested),
        "overridden": {n: dict(o, reason=expected.get(n)) for n, o in sorted(overridden.items())},
        "rules": rule_results,
        "problems": problems,
    }
    with open(a.summary, "w", encoding="utf-8") as f:
        json.dump(summary, f, indent=1, sort_keys=True)
    for p in problems:
        print(f"  UNEXPECTED: {p}")
    return 1 if problems else 0


def cmd_summary(a):
    expected = read_expected(a.expected)
    cases = []
    for path in a.summaries:
        with open(path, encoding="utf-8") as f:
            cases.append(json.load(f))
    problems = [f"{c['case']}: {p}" for c in cases for p in c["problems"]]
    requested = set().union(*(c["requested"] for c in cases)) if cases else set()
    overridden = set().union(*(c["overridden"] for c in cases)) if cases else set()
    for n in sorted(set(expected) - requested):
        problems.append(f"CONFIG_{n} is listed in expected-overrides.txt but no fragment asks for it")
    for n in sorted(set(expected) & requested - overridden):
        problems.append(f"CONFIG_{n} is listed in expected-overrides.txt but was never overridden")
    print("case                                      fixed   stays-fail  overridden")
    for c in cases:
        fixed = sorted(r for r, v in c["rules"].items() if v["before"] != "pass" and v["after"] == "pass")
        stays = sorted(r for r, v in c["rules"].items() if v["after"] != "pass")
        print(f"{c['case']:<41} {len(fixed):>5}   {len(stays):>10}  {', '.join(c['overridden']) or '-'}")
        if fixed:
            print(f"    now pass: {', '.join(fixed)}")
        if stays:
            print(f"    not pass: {', '.join(stays)}")
    for p in problems:
        print(f"UNEXPECTED: {p}")
    return 1 if problems else 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("case")
    c.add_argument("--label", required=True)
    c.add_argument("--src", required=True, help="kernel source tree (for Kconfig definitions)")
    c.add_argument("--base", required=True)
    c.add_argument("--fragment", required=True)
    c.add_argument("--final", required=True)
    c.add_argument("--merge-log")
    c.add_argument("--audit", required=True)
    c.add_argument("--audit-base", required=True)
    c.add_argument("--expected", required=True)
    c.add_argument("--summary", required=True)
    s = sub.add_parser("summary")
    s.add_argument("--expected", required=True)
    s.add_argument("summaries", nargs="+")
    a = ap.parse_args()
    return cmd_case(a) if a.cmd == "case" else cmd_summary(a)


if __name__ == "__main__":
    sys.exit(main())
