#!/usr/bin/env python3
"""What node_exporter's textfile collector needs and promtool does not check: each family's
HELP and TYPE once and before its samples, the family in one group, each series once, no
client-side timestamps (node_exporter drops the whole file), a final newline.
Usage: lint-textfile.py FILE...  Exit 1 with the problems on stderr."""
import re
import sys

SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})? (\S+)( \S+)?$')

failed = False
for path in sys.argv[1:]:
    text = open(path, encoding="utf-8").read()
    problems = []
    if not text.endswith("\n"):
        problems.append("no final newline")
    seen_help, seen_type, done, series = set(), set(), set(), set()
    current = None
    for n, line in enumerate(text.splitlines(), 1):
        if line.startswith("# HELP ") or line.startswith("# TYPE "):
            kind, name = line[2:6], line.split(" ")[2]
            seen = seen_help if kind == "HELP" else seen_type
            if name in seen:
                problems.append(f"line {n}: second {kind} for {name}")
            seen.add(name)
            if name != current:
                if current is not None:
                    done.add(current)
                if name in done:
                    problems.append(f"line {n}: family {name} split")
                current = name
            continue
        m = SAMPLE.match(line)
        if not m:
            problems.append(f"line {n}: not a sample: {line!r}")
            continue
        name, labels, _, ts = m.groups()
        if ts:
            problems.append(f"line {n}: client-side timestamp")
        if name != current or name not in seen_help or name not in seen_type:
            problems.append(f"line {n}: {name} without HELP and TYPE before it")
        key = (name, labels)
        if key in series:
            problems.append(f"line {n}: series repeated")
        series.add(key)
    for p in problems:
        print(f"{path}: {p}", file=sys.stderr)
    failed |= bool(problems)
sys.exit(1 if failed else 0)
